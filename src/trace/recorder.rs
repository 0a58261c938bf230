//! The recorder: where an operation's events go once the resolver has
//! decided, in either trace mode, and the sync points that wait for them.

use super::chain::SessionChain;
use super::deferred::{Pipeline, Reservation, ShutdownReport};
use super::record::{Operation, RecordPool, ResolveRecord};
use super::seal::{seal, SealScratch};
use super::stats::{Totals, TraceStats};
use super::store::{DurableStore, TraceStore};
use crate::config::{Backpressure, Config, TraceMode};
use crate::error::{Error, ErrorKind, Result};
use parking_lot::Mutex;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Room in the trace for one operation ([`Recorder::reserve`]), to be
/// used by [`Recorder::record`]; dropped unused, it is given back.
pub enum TraceRoom<'r> {
    Immediate,
    Deferred(Reservation<'r>),
}

/// Records operations, each in its session's trace mode.
///
/// A resolver serves immediate and deferred sessions at once: immediate
/// ones are sealed on the caller's thread, deferred ones go through the
/// pipeline, which starts with the resolver when deferred is its default
/// and with the first deferred session otherwise.
pub struct Recorder {
    /// Set by [`Self::shutdown`]; refuses new work in both modes.
    closed: AtomicBool,
    /// What the pipeline starts with, when it starts.
    config: Config,
    /// How long an operation waits for a durable store to make room: the
    /// block timeout in block mode, else not at all.
    store_patience: Duration,
    store: Arc<dyn TraceStore>,
    /// The same store, when it commits to a database.
    durable: Option<Arc<DurableStore>>,
    totals: Arc<Totals>,
    /// Records of sealed resolves, refilled by later ones.
    records: Arc<RecordPool>,
    deferred: OnceLock<Pipeline>,
    /// Held while the pipeline starts, while shutdown begins (so no
    /// pipeline starts after shutdown has looked for one) and while a test
    /// holds the processor; holds whether the test wants it held, which a
    /// pipeline that starts later takes on.
    starting: Mutex<bool>,
}

impl Recorder {
    pub fn new(config: &Config, store: Arc<dyn TraceStore>) -> Result<Recorder> {
        Recorder::with_durable(config, store, None)
    }

    /// A recorder whose store is `durable`: operations are refused while
    /// too much waits for its database, and shutdown waits for its commits.
    pub fn durable(config: &Config, durable: Arc<DurableStore>) -> Result<Recorder> {
        Recorder::with_durable(config, durable.clone(), Some(durable))
    }

    fn with_durable(
        config: &Config,
        store: Arc<dyn TraceStore>,
        durable: Option<Arc<DurableStore>>,
    ) -> Result<Recorder> {
        let recorder = Recorder {
            closed: AtomicBool::new(false),
            config: config.clone(),
            store,
            durable,
            store_patience: match config.backpressure {
                Backpressure::Block => config.block_timeout,
                Backpressure::Error => Duration::ZERO,
            },
            totals: Arc::new(Totals::default()),
            records: Arc::new(RecordPool::new()),
            deferred: OnceLock::new(),
            starting: Mutex::new(false),
        };
        // A resolver that defers by default reports a processor that
        // cannot start when it is created, not at its first session.
        if config.trace_mode == TraceMode::Deferred {
            recorder.pipeline()?;
        }
        Ok(recorder)
    }

    /// The mode of sessions that do not choose one.
    pub fn default_mode(&self) -> TraceMode {
        self.config.trace_mode
    }

    /// The deferred pipeline, started on first use.
    /// Errors: `Shutdown` after [`Self::shutdown`], `Internal` when its
    /// thread cannot start.
    fn pipeline(&self) -> Result<&Pipeline> {
        if let Some(pipeline) = self.deferred.get() {
            return Ok(pipeline);
        }
        let held = self.starting.lock();
        self.check_open()?;
        if let Some(pipeline) = self.deferred.get() {
            return Ok(pipeline);
        }
        let pipeline = Pipeline::start(
            &self.config,
            self.store.clone(),
            self.totals.clone(),
            self.records.clone(),
        )?;
        pipeline.hold_processor(*held);
        Ok(self.deferred.get_or_init(|| pipeline))
    }

    /// A record for the next resolve to fill, usually a sealed one's (see
    /// [`RecordPool::take`]).
    pub fn spare_record(&self) -> Box<ResolveRecord> {
        self.records.take()
    }

    pub fn store(&self) -> &dyn TraceStore {
        &*self.store
    }

    pub fn durable_store(&self) -> Option<&DurableStore> {
        self.durable.as_deref()
    }

    /// Fails with `Shutdown` when new work can no longer be recorded.
    pub fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::new(
                ErrorKind::Shutdown,
                "the resolver is shutting down",
            ));
        }
        match self.deferred.get() {
            Some(pipeline) => pipeline.check_open(),
            None => Ok(()),
        }
    }

    /// Takes room in the trace for an operation of `events` events on
    /// `chain`: for a deferred session, buffer room (waiting for it in block
    /// mode); an immediate session needs none. Take it before the session's
    /// lock (see [`Pipeline::reserve`]). Errors: `Backpressure` (also when
    /// too much waits for a durable store), `Shutdown`, `Internal` (the
    /// pipeline of a first deferred session cannot start).
    pub fn reserve(&self, chain: &SessionChain, events: u64) -> Result<TraceRoom<'_>> {
        self.check_open()?;
        if let Some(durable) = &self.durable {
            durable.check_room(self.store_patience).inspect_err(|_| {
                self.totals.rejected.fetch_add(events, Ordering::SeqCst);
            })?;
        }
        Ok(match chain.mode() {
            TraceMode::Deferred => TraceRoom::Deferred(self.pipeline()?.reserve(events)?),
            TraceMode::Immediate => TraceRoom::Immediate,
        })
    }

    /// Records `operation` in `room`: seals and stores it now (immediate
    /// mode) or hands it to the processor (deferred mode). Never waits.
    ///
    /// Call with the session's lock held, so a session's operations reach
    /// the chain in call order. Errors (deferred mode only): `Shutdown`
    /// when the processor has stopped (nothing was recorded), `Internal`
    /// when `operation` has another number of events than `room` was taken for.
    pub fn record(&self, room: TraceRoom<'_>, operation: Operation) -> Result<()> {
        match room {
            TraceRoom::Deferred(reservation) => reservation.publish(operation),
            TraceRoom::Immediate => {
                self.seal_now(&operation);
                self.records.recycle(operation);
                Ok(())
            }
        }
    }

    fn seal_now(&self, operation: &Operation) {
        let chain = &operation.chain;
        let count = operation.event_count();
        chain.mark_emitted(count);
        self.totals.emitted.fetch_add(count, Ordering::SeqCst);
        with_thread_scratch(|scratch| seal(operation, &*self.store, scratch));
        chain.mark_processed(count);
        self.totals.processed.fetch_add(count, Ordering::SeqCst);
    }

    /// Waits until every event of `chain` emitted before this call is
    /// stored (an immediate session's always are). Errors: `Timeout`, `Shutdown`.
    pub fn await_chain(&self, chain: &SessionChain, timeout: Duration) -> Result<()> {
        match (chain.mode(), self.deferred.get()) {
            (TraceMode::Deferred, Some(pipeline)) => pipeline.await_chain(chain, timeout),
            _ => Ok(()),
        }
    }

    /// Waits until every event emitted before this call is stored.
    /// Errors: `Timeout`, `Shutdown`.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        match self.deferred.get() {
            Some(pipeline) => pipeline.flush(timeout),
            None => Ok(()),
        }
    }

    /// Stops the deferred pipeline, draining it within the shutdown timeout
    /// (immediate mode has nothing in flight), then lets a durable store
    /// commit what it holds, within the shutdown timeout again.
    pub fn shutdown(&self) -> ShutdownReport {
        {
            let _held = self.starting.lock();
            self.closed.store(true, Ordering::SeqCst);
        }
        let mut report = match self.deferred.get() {
            Some(pipeline) => pipeline.shutdown(),
            None => ShutdownReport::default(),
        };
        if let Some(durable) = &self.durable {
            report.uncommitted_events =
                durable.shutdown(Instant::now() + self.config.shutdown_timeout);
        }
        report
    }

    /// See [`Pipeline::forget_processor`]; nothing to do in immediate mode.
    pub fn forget_threads(&self) -> bool {
        self.deferred
            .get()
            .is_none_or(|pipeline| pipeline.forget_processor())
    }

    /// Test support: see [`Pipeline::hold_processor`]. Also holds a
    /// pipeline that starts later; immediate sessions are never held.
    pub fn hold_processor(&self, hold: bool) {
        let mut held = self.starting.lock();
        *held = hold;
        if let Some(pipeline) = self.deferred.get() {
            pipeline.hold_processor(hold);
        }
    }

    pub fn stats(&self) -> TraceStats {
        // Processed first: it never passes emitted, so the pair stays consistent.
        let events_processed = self.totals.processed.load(Ordering::SeqCst);
        let mut stats = TraceStats {
            events_emitted: self.totals.emitted.load(Ordering::SeqCst),
            events_processed,
            events_rejected: self.totals.rejected.load(Ordering::SeqCst),
            ..TraceStats::default()
        };
        if let Some(pipeline) = self.deferred.get() {
            pipeline.fill_queue_stats(&mut stats);
        }
        stats
    }
}

thread_local! {
    /// Immediate mode seals on the caller's thread, so each thread keeps
    /// its sealing buffers and id generator from one operation to the next.
    static SEAL_SCRATCH: RefCell<SealScratch> = RefCell::new(SealScratch::default());
}

/// A thread's scratch that grew past this (an operation with huge
/// payloads) is dropped after the operation rather than kept, so threads
/// that once sealed something big do not hold on to its memory.
const KEPT_SCRATCH_BYTES: usize = 64 * 1024;

/// Runs `seal` with this thread's scratch, or with a fresh one when it is
/// in use: a store that records into the trace from its `append` seals
/// within a seal.
fn with_thread_scratch<T>(seal: impl FnOnce(&mut SealScratch) -> T) -> T {
    SEAL_SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => {
            let sealed = seal(&mut scratch);
            if scratch.retained_bytes() > KEPT_SCRATCH_BYTES {
                *scratch = SealScratch::default();
            }
            sealed
        }
        Err(_) => seal(&mut SealScratch::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::test_session_chain;
    use crate::trace::record::OperationEvents;
    use crate::trace::store::MemoryStore;

    fn session_started(goal: &str) -> Operation {
        Operation {
            chain: test_session_chain(),
            at: 0,
            events: OperationEvents::SessionStarted {
                agent_id: "agent".into(),
                goal: goal.into(),
            },
        }
    }

    fn thread_scratch_bytes() -> usize {
        SEAL_SCRATCH.with(|scratch| scratch.borrow().retained_bytes())
    }

    #[test]
    fn immediate_mode_keeps_a_small_scratch_per_thread_but_not_a_huge_one() {
        let recorder = Recorder::new(&Config::default(), Arc::new(MemoryStore::new())).unwrap();
        let record = |goal: &str| {
            let operation = session_started(goal);
            let room = recorder.reserve(&operation.chain, 1).unwrap();
            recorder.record(room, operation).unwrap();
        };
        record("a usual goal");
        let kept = thread_scratch_bytes();
        assert!(kept > 0 && kept <= KEPT_SCRATCH_BYTES, "{kept}");
        record(&"g".repeat(4 * KEPT_SCRATCH_BYTES));
        assert!(thread_scratch_bytes() <= KEPT_SCRATCH_BYTES);
        assert_eq!(recorder.stats().events_processed, 2);
    }
}
