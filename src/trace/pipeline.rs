//! Deferred tracing: a bounded lock-free buffer of raw operations and the
//! background processor that seals and stores them.
//!
//! Producers (resolver calls) reserve room for all of an operation's
//! events at once before they take their session's lock, then, holding it,
//! count the events as emitted and push the operation as one queue slot,
//! so an operation enters whole or not at all, and a session's operations
//! enter in call order. The processor pops in FIFO order, seals onto each
//! session's chain, stores, counts the events as processed, frees their
//! room, and tells waiters. A sync point that finds the processor idle does
//! the same on its own thread; one lock around popping and sealing keeps
//! the queue's order either way.
//!
//! A full buffer is never solved by dropping events: the producer gets
//! `Backpressure` (at once, or after `block_timeout` in block mode) and
//! nothing of its operation is recorded.

use super::chain::SessionChain;
use super::operation::Operation;
use super::progress::Progress;
use super::record_pool::RecordPool;
use super::recorder::{Totals, TraceStats};
use super::seal::SealScratch;
use super::store::TraceStore;
use crate::config::{Backpressure, Config};
use crate::error::{panic_message, Error, ErrorKind, Result};
use crate::parallel::cores;
use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// The processor tells waiters after at most this many operations (and
/// whenever it has caught up).
const NOTIFY_EVERY: u32 = 64;

/// Bytes a queue slot takes, per event of `buffer_capacity` (`cra.h` and
/// [`Config`] say so): an operation and crossbeam's stamp beside it.
const SLOT_BYTES: usize = 64;
const _: () = assert!(size_of::<Operation>() + size_of::<usize>() <= SLOT_BYTES);

/// How long the processor sleeps when idle before looking again on its own
/// (a safety net: pushes wake it).
const IDLE_PARK: Duration = Duration::from_millis(250);

/// A sync point spins while the processor keeps storing events (see
/// `Shared::spin`): it sleeps once it has seen no progress for
/// `SYNC_SPIN_IDLE`, or has spun `SYNC_SPIN_MAX` in all.
const SYNC_SPIN_IDLE: Duration = Duration::from_micros(50);
const SYNC_SPIN_MAX: Duration = Duration::from_millis(1);

/// Lifecycle of the pipeline.
const RUNNING: u8 = 0;
const DRAINING: u8 = 1;
const STOPPED: u8 = 2;
const FAILED: u8 = 3;

/// What the processor and the producers share.
struct Shared {
    queue: ArrayQueue<Operation>,
    capacity: u64,
    /// Events pushed and not yet stored: the queue depth in events.
    reserved: AtomicU64,
    high_water: AtomicU64,
    backpressure: Backpressure,
    block_timeout: Duration,
    shutdown_timeout: Duration,
    state: AtomicU8,
    /// When shutdown began: the drain deadline is this plus `shutdown_timeout`.
    shutdown_started: OnceLock<Instant>,
    /// Why the processor failed, when it did.
    failure: Mutex<Option<String>>,
    processor_parked: AtomicBool,
    /// Sync points spinning now (see `Shared::spin`).
    spinners: AtomicUsize,
    /// Set once the processor thread is started.
    processor_thread: OnceLock<Thread>,
    /// Test support: while set, nothing is sealed or stored.
    held: AtomicBool,
    progress: Progress,
    totals: Arc<Totals>,
    store: Arc<dyn TraceStore>,
    /// Where sealed resolves' records go back to, for producers to refill.
    records: Arc<RecordPool>,
    /// The right to take operations off the queue and seal them, with the
    /// buffers sealing reuses. The processor holds it while it drains; a
    /// sync point that finds it free seals on its own thread (see
    /// `Shared::help`). Popping and sealing under one lock keeps the store
    /// in queue order whichever thread seals. Sealing writes the scratch's
    /// buffer lengths for every event: on lines of their own, they do not
    /// slow down the producers reading and writing the fields around.
    sealing: CachePadded<Mutex<SealScratch>>,
}

/// The deferred pipeline of one resolver. Dropping it drains and stops the
/// processor (see [`Pipeline::shutdown`]).
pub struct Pipeline {
    shared: Arc<Shared>,
    /// Taken by the first shutdown.
    processor: Mutex<Option<JoinHandle<()>>>,
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
        shared.release(self.events);
        // A producer waiting for room may fit now.
        shared.progress.notify();
    }
}

/// What shutting the pipeline down achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Events still unprocessed when the shutdown timeout ran out (lost).
    pub undrained_events: u64,
}

impl Pipeline {
    /// Starts the processor thread. Errors: `Internal` when no thread can be spawned.
    pub fn start(
        config: &Config,
        store: Arc<dyn TraceStore>,
        totals: Arc<Totals>,
        records: Arc<RecordPool>,
    ) -> Result<Pipeline> {
        let capacity = u64::from(config.buffer_capacity);
        let shared = Arc::new(Shared {
            // Every operation has at least one event, so as many slots as
            // events can never run out before the event budget does. The
            // slots are allocated and written here, all of them: the
            // memory the header promises per event of capacity.
            queue: ArrayQueue::new(config.buffer_capacity as usize),
            capacity,
            reserved: AtomicU64::new(0),
            high_water: AtomicU64::new(0),
            backpressure: config.backpressure,
            block_timeout: config.block_timeout,
            shutdown_timeout: config.shutdown_timeout,
            state: AtomicU8::new(RUNNING),
            shutdown_started: OnceLock::new(),
            failure: Mutex::new(None),
            processor_parked: AtomicBool::new(false),
            spinners: AtomicUsize::new(0),
            processor_thread: OnceLock::new(),
            held: AtomicBool::new(false),
            progress: Progress::new(),
            totals,
            store,
            records,
            sealing: CachePadded::new(Mutex::new(SealScratch::default())),
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
        })
    }

    /// Fails with `Shutdown` once the pipeline no longer takes work.
    pub fn check_open(&self) -> Result<()> {
        self.shared.check_state()
    }

    /// Takes room in the buffer for an operation of `events` events, waiting
    /// for it in block mode. Callers take it before their session's lock, so
    /// a producer that waits for room holds up no other call on its session
    /// and each call waits at most its own block timeout.
    /// Errors: `Backpressure` (counted as rejected), `Shutdown`.
    pub fn reserve(&self, events: u64) -> Result<Reservation<'_>> {
        self.shared.check_state()?;
        self.shared.reserve(events)?;
        Ok(Reservation {
            pipeline: self,
            events,
        })
    }

    /// Publishes `operation` whole into room that [`Self::reserve`] took.
    fn publish(&self, reservation: Reservation<'_>, operation: Operation) -> Result<()> {
        let shared = &self.shared;
        shared.check_state()?;
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
        // The room now belongs to the queued operation: the processor frees it.
        std::mem::forget(reservation);
        // Emitted before published: a waiter that reads `emitted` after
        // this point waits for these events too.
        operation.chain.mark_emitted(events);
        shared.totals.emitted.fetch_add(events, Ordering::SeqCst);
        if shared.queue.push(operation).is_err() {
            // Unreachable while slots >= events; never lose an event silently.
            return Err(Error::new(
                ErrorKind::Internal,
                "trace buffer slots ran out",
            ));
        }
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
        stats.queue_depth = shared.queued_events();
        stats.queue_capacity = shared.capacity;
        stats.queue_high_water = shared.high_water.load(Ordering::SeqCst);
    }

    /// Stops taking work, lets the processor drain the buffer for up to the
    /// shutdown timeout, and joins it. Events it could not drain are
    /// reported on stderr and in the returned report. Later calls only
    /// report again.
    pub fn shutdown(&self) -> ShutdownReport {
        let shared = &self.shared;
        shared.shutdown_started.get_or_init(Instant::now);
        shared.held.store(false, Ordering::SeqCst);
        let _ =
            shared
                .state
                .compare_exchange(RUNNING, DRAINING, Ordering::SeqCst, Ordering::SeqCst);
        let handle = self.processor.lock().take();
        let first = handle.is_some();
        if let Some(handle) = handle {
            self.shared.wake_processor();
            // The processor catches its own panics; a join error means the
            // catch itself failed, and the report below still holds.
            let _ = handle.join();
        }
        // A failed processor stays failed; otherwise the pipeline is now stopped.
        let _ = shared
            .state
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |state| {
                (state != FAILED).then_some(STOPPED)
            });
        shared.progress.notify();
        let undrained_events = shared.queued_events();
        if first && undrained_events > 0 {
            eprintln!(
                "libcra: trace processor stopped with {undrained_events} event(s) not stored \
                 (shutdown timeout {} ms); those trace events are lost",
                shared.shutdown_timeout.as_millis()
            );
        }
        ShutdownReport { undrained_events }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Shared {
    fn check_state(&self) -> Result<()> {
        match self.state.load(Ordering::SeqCst) {
            RUNNING => Ok(()),
            FAILED => Err(Error::new(
                ErrorKind::Shutdown,
                format!(
                    "the trace processor stopped: {}",
                    self.failure.lock().as_deref().unwrap_or("unknown failure")
                ),
            )),
            _ => Err(Error::new(
                ErrorKind::Shutdown,
                "the resolver is shutting down",
            )),
        }
    }

    /// Takes room for `events`, waiting in block mode. Counts a refusal as rejected.
    fn reserve(&self, events: u64) -> Result<()> {
        if self.try_reserve(events) {
            return Ok(());
        }
        if self.backpressure == Backpressure::Block && events <= self.capacity {
            let reserved = Cell::new(false);
            let deadline = Instant::now() + self.block_timeout;
            self.progress.wait_until(deadline, || {
                if !reserved.get() && self.try_reserve(events) {
                    reserved.set(true);
                }
                reserved.get() || self.state.load(Ordering::SeqCst) != RUNNING
            });
            if reserved.get() {
                // Room freed by a processor that has stopped does not count.
                if self.state.load(Ordering::SeqCst) == RUNNING {
                    return Ok(());
                }
                self.release(events);
            }
            self.check_state()?;
        }
        self.totals.rejected.fetch_add(events, Ordering::SeqCst);
        Err(Error::new(
            ErrorKind::Backpressure,
            format!(
                "the trace buffer cannot take {events} more event(s) ({} of {} in use); nothing was recorded, retry later",
                self.reserved.load(Ordering::SeqCst),
                self.capacity
            ),
        ))
    }

    fn try_reserve(&self, events: u64) -> bool {
        let mut current = self.reserved.load(Ordering::SeqCst);
        loop {
            let wanted = current + events;
            if wanted > self.capacity {
                return false;
            }
            match self.reserved.compare_exchange_weak(
                current,
                wanted,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    // A read first: most reservations set no new high, and
                    // an unconditional read-modify-write would claim the
                    // cache line from every other producer each time.
                    if wanted > self.high_water.load(Ordering::Relaxed) {
                        self.high_water.fetch_max(wanted, Ordering::SeqCst);
                    }
                    return true;
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Events queued and not yet stored: accepted (emitted) and not
    /// processed. Unlike the room taken, this leaves out room that calls
    /// still deciding their operation hold.
    fn queued_events(&self) -> u64 {
        // Processed first: it never passes emitted, so the pair is consistent.
        let processed = self.totals.processed.load(Ordering::SeqCst);
        let emitted = self.totals.emitted.load(Ordering::SeqCst);
        emitted.saturating_sub(processed)
    }

    fn release(&self, events: u64) {
        self.reserved.fetch_sub(events, Ordering::SeqCst);
    }

    /// Waits for `done`, failing with `Timeout` or, once the processor has
    /// stopped without getting there, `Shutdown`.
    fn wait(&self, timeout: Duration, done: impl Fn() -> bool, what: &str) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let stopped = || self.state.load(Ordering::SeqCst) >= STOPPED;
        self.help(deadline, &done);
        self.spin(deadline, || done() || stopped());
        self.progress.wait_until(deadline, || done() || stopped());
        if done() {
            return Ok(());
        }
        if stopped() {
            self.check_state()?;
        }
        Err(Error::new(
            ErrorKind::Timeout,
            format!("{what} not ready within {} ms", timeout.as_millis()),
        ))
    }

    /// Spins until `done`, the deadline, or the processor stops making
    /// progress (see `SYNC_SPIN_IDLE`, `SYNC_SPIN_MAX`). A sync point mostly
    /// waits for work under way, and sleeping costs it a wake-up that takes
    /// longer here than a few microseconds of sealing: resolve + await took
    /// 20-27 µs without spinning, 12-17 µs with 50 µs of it; 100 resolves +
    /// flush, whose processor works for ≈ 300 µs after the last resolve,
    /// ≈ 3 % less with spinning that lasts as long as progress does. Only as
    /// many sync points spin as leave a core for the processor; producers
    /// waiting for room never spin, they would take the core the processor
    /// needs to make room.
    fn spin(&self, deadline: Instant, done: impl Fn() -> bool) {
        if self.spinners.fetch_add(1, Ordering::SeqCst) + 1 < cores() {
            let started = Instant::now();
            let until = deadline.min(started + SYNC_SPIN_MAX);
            let mut seen = self.totals.processed.load(Ordering::Relaxed);
            let mut last_progress = started;
            while !done() {
                let now = Instant::now();
                if now >= until || now - last_progress >= SYNC_SPIN_IDLE {
                    break;
                }
                let processed = self.totals.processed.load(Ordering::Relaxed);
                if processed != seen {
                    (seen, last_progress) = (processed, now);
                }
                std::hint::spin_loop();
            }
        }
        self.spinners.fetch_sub(1, Ordering::SeqCst);
    }

    /// Seals queued operations on the calling thread, in queue order, until
    /// `done` holds, the queue is empty or `deadline` passes, if the
    /// processor is not sealing and the store appends promptly (a store
    /// call is never interrupted: the caller may pass `deadline` by one
    /// operation's sealing, no more). The processor is usually asleep when
    /// a resolve publishes, and waking it takes longer here than sealing:
    /// resolve + await went from 16-19 µs to 9-12 µs, against 6-7 µs for
    /// an immediate resolve (bench/FINDINGS.md, ninth round).
    fn help(&self, deadline: Instant, done: &impl Fn() -> bool) {
        if done() || !self.store.appends_promptly() {
            return;
        }
        let Some(mut scratch) = self.sealing.try_lock() else {
            return;
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut sealed = false;
            while !done() && Instant::now() < deadline {
                let Some(operation) = self.next_operation() else {
                    break;
                };
                self.seal(operation, &mut scratch);
                sealed = true;
            }
            sealed
        }));
        drop(scratch);
        // Pairs with the fence in `park`: either the processor sees the lock
        // free and seals what is left, or this sees it parked.
        fence(Ordering::SeqCst);
        if !self.queue.is_empty() && self.processor_parked.load(Ordering::SeqCst) {
            self.wake_processor();
        }
        match outcome {
            Ok(true) => self.progress.notify(),
            Ok(false) => {}
            Err(panic) => self.fail(panic_message(&*panic)),
        }
    }

    /// Seals `operation`, stores it, counts its events as processed and
    /// frees their room. Hold `sealing`.
    fn seal(&self, operation: Operation, scratch: &mut SealScratch) {
        let events = operation.chain.seal_into(&operation, &*self.store, scratch);
        operation.chain.mark_processed(events);
        self.totals.processed.fetch_add(events, Ordering::SeqCst);
        self.records.recycle(operation);
        self.release(events);
    }

    // ----- the processor thread -----

    fn run(&self) {
        loop {
            let outcome = catch_unwind(AssertUnwindSafe(|| self.drain()));
            if let Err(panic) = outcome {
                self.fail(panic_message(&*panic));
                return;
            }
            if self.state.load(Ordering::SeqCst) == FAILED {
                // Sealing failed on a sync point's thread.
                return;
            }
            if self.state.load(Ordering::SeqCst) == DRAINING
                && (self.queue.is_empty() || self.drain_expired())
            {
                self.state.store(STOPPED, Ordering::SeqCst);
                self.progress.notify();
                return;
            }
            self.park();
        }
    }

    /// Whether shutdown began longer than the shutdown timeout ago.
    fn drain_expired(&self) -> bool {
        self.shutdown_started
            .get()
            .is_some_and(|started| started.elapsed() >= self.shutdown_timeout)
    }

    /// Seals and stores queued operations until the queue is empty or the
    /// shutdown timeout runs out. (A store call itself is never
    /// interrupted: a store that blocks forever blocks shutdown.)
    fn drain(&self) {
        // A sync point sealing on its own thread wakes the processor if it
        // leaves work behind (see `help`); blocking on the lock instead
        // would have it pay for waking the processor on its way out.
        let Some(mut scratch) = self.sealing.try_lock() else {
            return;
        };
        let mut unannounced = 0;
        while let Some(operation) = self.next_operation() {
            self.seal(operation, &mut scratch);
            // Waking waiters costs a system call and a thundering herd, so
            // it is batched; waiters re-check on their own every millisecond
            // (see `Progress`), which bounds what a batch can delay.
            unannounced += 1;
            if unannounced == NOTIFY_EVERY || self.queue.is_empty() {
                unannounced = 0;
                self.progress.notify();
            }
        }
        if unannounced > 0 {
            self.progress.notify();
        }
    }

    /// The next operation to seal, unless sealing must stop (held, failed,
    /// or the shutdown timeout ran out). Hold `sealing`.
    fn next_operation(&self) -> Option<Operation> {
        let state = self.state.load(Ordering::Relaxed);
        let stop = match state {
            RUNNING => false,
            FAILED => true,
            _ => self.drain_expired(),
        };
        if stop || self.held.load(Ordering::Relaxed) {
            return None;
        }
        self.queue.pop()
    }

    /// Sleeps until a producer pushes (or the idle timeout passes).
    fn park(&self) {
        self.processor_parked.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let idle =
            self.queue.is_empty() || self.held.load(Ordering::SeqCst) || self.sealing.is_locked();
        if idle && self.state.load(Ordering::SeqCst) == RUNNING {
            thread::park_timeout(IDLE_PARK);
        }
        self.processor_parked.store(false, Ordering::SeqCst);
    }

    fn wake_processor(&self) {
        if let Some(thread) = self.processor_thread.get() {
            thread.unpark();
        }
    }

    /// Stops the pipeline after sealing panicked, on the processor or on a
    /// sync point's thread.
    fn fail(&self, reason: String) {
        eprintln!("libcra: sealing trace events panicked; the trace processor stopped: {reason}");
        *self.failure.lock() = Some(format!("panicked: {reason}"));
        self.state.store(FAILED, Ordering::SeqCst);
        self.progress.notify();
        // So that it exits now, if a sync point's thread failed.
        self.wake_processor();
    }
}
