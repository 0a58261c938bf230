//! Deferred tracing: a bounded lock-free buffer of raw operations
//! ([`buffer`]), the background processor that seals and stores them
//! ([`processor`]), and the sync points that wait for it
//! ([`sync_point`]).
//!
//! Producers (resolver calls) reserve room for all of an operation's
//! events before they take their session's lock, then, holding it, count
//! the events as emitted and push the operation as one queue slot, so an
//! operation enters whole or not at all, and a session's operations enter
//! in call order. The processor pops in FIFO order, seals onto each
//! session's chain, stores, counts the events as processed, frees their
//! room, and tells waiters. A sync point that finds the processor idle
//! does the same on its own thread; one lock around popping and sealing
//! keeps the queue's order either way.

mod buffer;
mod lifecycle;
mod processor;
pub(crate) mod progress;
mod sync_point;

use self::buffer::TraceBuffer;
use self::lifecycle::Lifecycle;
use self::progress::Progress;
use super::chain::SessionChain;
use super::record::{Operation, RecordPool};
use super::seal::SealScratch;
use super::stats::{Totals, TraceStats};
use super::store::TraceStore;
use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

/// What the processor, the producers and the sync points share.
struct Shared {
    buffer: TraceBuffer,
    lifecycle: Lifecycle,
    /// Announces stored events and freed room to waiters.
    progress: Progress,
    totals: Arc<Totals>,
    store: Arc<dyn TraceStore>,
    /// Where sealed resolves' records go back to, for producers to refill.
    records: Arc<RecordPool>,
    /// The right to take operations off the queue and seal them, with the
    /// buffers sealing reuses. The processor holds it while it drains; a
    /// sync point that finds it free seals on its own thread. Popping and
    /// sealing under one lock keeps the store in queue order whichever
    /// thread seals. Sealing writes the scratch for every event: on cache
    /// lines of its own, it does not slow down producers touching the
    /// fields around.
    sealing: CachePadded<Mutex<SealScratch>>,
    processor_parked: AtomicBool,
    /// Set once the processor thread is started.
    processor_thread: OnceLock<Thread>,
    /// Test support: while set, nothing is sealed or stored.
    held: AtomicBool,
}

/// The deferred pipeline of one resolver. Dropping it drains and stops the
/// processor (see [`Pipeline::shutdown`]).
pub struct Pipeline {
    shared: Arc<Shared>,
    /// Taken by the first shutdown.
    processor: Mutex<Option<JoinHandle<()>>>,
    /// Set by [`Pipeline::forget_processor`]: dropping then stops nothing.
    forgotten: AtomicBool,
}

/// Room in the buffer for one operation's events, taken before the
/// operation is decided ([`Pipeline::reserve`]). [`Reservation::publish`]
/// hands it to the operation; dropped unused, it gives the room back.
pub struct Reservation<'p> {
    pipeline: &'p Pipeline,
    events: u64,
}

impl Reservation<'_> {
    /// Publishes `operation`, which must have exactly the events reserved,
    /// whole. Errors: `Shutdown` (nothing recorded, the room given back),
    /// `Internal` when the event counts differ.
    pub fn publish(self, operation: Operation) -> Result<()> {
        self.pipeline.publish(self, operation)
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let shared = &self.pipeline.shared;
        shared.buffer.release(self.events);
        // A producer waiting for room may fit now.
        shared.progress.notify();
    }
}

/// What shutting the pipeline down achieved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Events still unprocessed when the shutdown timeout ran out (lost).
    pub undrained_events: u64,
    /// Events sealed but not committed to a durable store when the
    /// shutdown timeout ran out while the store was failing (lost).
    pub uncommitted_events: u64,
}

impl Pipeline {
    /// Starts the processor thread. Errors: `Internal` when no thread can be spawned.
    pub fn start(
        config: &Config,
        store: Arc<dyn TraceStore>,
        totals: Arc<Totals>,
        records: Arc<RecordPool>,
    ) -> Result<Pipeline> {
        let shared = Arc::new(Shared {
            buffer: TraceBuffer::new(config),
            lifecycle: Lifecycle::new(config.shutdown_timeout),
            progress: Progress::new(),
            totals,
            store,
            records,
            sealing: CachePadded::new(Mutex::new(SealScratch::default())),
            processor_parked: AtomicBool::new(false),
            processor_thread: OnceLock::new(),
            held: AtomicBool::new(false),
        });
        let worker = shared.clone();
        let handle = thread::Builder::new()
            .name("cra-trace".into())
            .spawn(move || worker.run())
            .map_err(|err| {
                Error::new(
                    ErrorKind::Internal,
                    format!("cannot start the trace processor: {err}"),
                )
            })?;
        let _ = shared.processor_thread.set(handle.thread().clone());
        Ok(Pipeline {
            shared,
            processor: Mutex::new(Some(handle)),
            forgotten: AtomicBool::new(false),
        })
    }

    /// Fails with `Shutdown` once the pipeline no longer takes work.
    pub fn check_open(&self) -> Result<()> {
        self.shared.lifecycle.check_open()
    }

    /// Takes room in the buffer for an operation of `events` events, waiting
    /// for it in block mode. Callers take it before their session's lock, so
    /// a producer that waits for room holds up no other call on its session
    /// and each call waits at most its own block timeout.
    /// Errors: `Backpressure` (counted as rejected), `Shutdown`.
    pub fn reserve(&self, events: u64) -> Result<Reservation<'_>> {
        let shared = &self.shared;
        shared.lifecycle.check_open()?;
        let stopped = || !shared.lifecycle.is_running();
        if let Err(full) = shared.buffer.reserve(events, &shared.progress, stopped) {
            // A pipeline that stopped meanwhile says so rather than "full".
            shared.lifecycle.check_open()?;
            shared.totals.rejected.fetch_add(events, Ordering::SeqCst);
            return Err(full);
        }
        Ok(Reservation {
            pipeline: self,
            events,
        })
    }

    /// Publishes `operation` whole into room that [`Self::reserve`] took.
    fn publish(&self, reservation: Reservation<'_>, operation: Operation) -> Result<()> {
        let shared = &self.shared;
        shared.lifecycle.check_open()?;
        let events = operation.event_count();
        if events != reservation.events {
            // A caller bug; refusing keeps the budget exact.
            return Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "an operation of {events} event(s) was given room for {}",
                    reservation.events
                ),
            ));
        }
        // The room now belongs to the queued operation: sealing frees it.
        std::mem::forget(reservation);
        // Emitted before published: a waiter that reads `emitted` after
        // this point waits for these events too.
        operation.chain.mark_emitted(events);
        shared.totals.emitted.fetch_add(events, Ordering::SeqCst);
        shared.buffer.push(operation)?;
        // Pairs with the fence in `park`: either we see the processor
        // parked and wake it, or it sees our operation before it sleeps.
        fence(Ordering::SeqCst);
        if shared.processor_parked.load(Ordering::SeqCst) {
            shared.wake_processor();
        }
        Ok(())
    }

    /// Waits until `chain`'s events emitted before this call are stored.
    pub fn await_chain(&self, chain: &SessionChain, timeout: Duration) -> Result<()> {
        let target = chain.emitted();
        self.shared
            .wait(timeout, || chain.processed() >= target, "session trace")
    }

    /// Waits until every event emitted before this call is stored.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        let totals = &self.shared.totals;
        let target = totals.emitted.load(Ordering::SeqCst);
        self.shared.wait(
            timeout,
            || totals.processed.load(Ordering::SeqCst) >= target,
            "trace flush",
        )
    }

    /// Test support: holds the processor back (nothing is stored, events
    /// queue up and backpressure applies) or lets it go on. Shutdown lets
    /// it go on.
    pub fn hold_processor(&self, hold: bool) {
        self.shared.held.store(hold, Ordering::SeqCst);
        if !hold {
            self.shared.wake_processor();
        }
    }

    pub fn fill_queue_stats(&self, stats: &mut TraceStats) {
        let shared = &self.shared;
        stats.queue_depth = shared.totals.queued();
        stats.queue_capacity = shared.buffer.capacity();
        stats.queue_high_water = shared.buffer.high_water();
    }

    /// Stops taking work, lets the processor drain the buffer for up to the
    /// shutdown timeout, and joins it. Events it could not drain are
    /// reported on stderr and in the returned report. Later calls only
    /// report again.
    pub fn shutdown(&self) -> ShutdownReport {
        let shared = &self.shared;
        shared.held.store(false, Ordering::SeqCst);
        shared.lifecycle.begin_shutdown();
        let handle = self.processor.lock().take();
        let first = handle.is_some();
        if let Some(handle) = handle {
            shared.wake_processor();
            // The processor catches its own panics; a join error means the
            // catch itself failed, and the report below still holds.
            let _ = handle.join();
        }
        shared.lifecycle.stop();
        shared.progress.notify();
        let undrained_events = shared.totals.queued();
        if first && undrained_events > 0 {
            eprintln!(
                "libcra: trace processor stopped with {undrained_events} event(s) not stored \
                 (shutdown timeout {} ms); those trace events are lost",
                shared.lifecycle.drain_timeout().as_millis()
            );
        }
        ShutdownReport {
            undrained_events,
            uncommitted_events: 0,
        }
    }
}

impl Pipeline {
    /// Lets go of the processor thread without stopping or joining it, in a
    /// process forked from the one that started it, where it does not
    /// exist; dropping the pipeline then touches nothing the thread shared.
    /// What the thread held (the buffer, the store) is never released.
    /// Returns false, having done nothing, when a shutdown is under way.
    pub fn forget_processor(&self) -> bool {
        let Some(mut processor) = self.processor.try_lock() else {
            return false;
        };
        std::mem::forget(processor.take());
        self.forgotten.store(true, Ordering::SeqCst);
        true
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        if !self.forgotten.load(Ordering::SeqCst) {
            self.shutdown();
        }
    }
}
