//! The processor thread: seals and stores queued operations in FIFO order,
//! tells waiters, and sleeps when there is nothing to do.

use super::Shared;
use crate::error::panic_message;
use crate::trace::record::Operation;
use crate::trace::seal::{seal, SealScratch};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{fence, Ordering};
use std::thread;
use std::time::Duration;

/// The processor tells waiters after at most this many operations (and
/// whenever it has caught up).
const NOTIFY_EVERY: u32 = 64;

/// How long the processor sleeps when idle before looking again on its own
/// (a safety net: pushes wake it).
const IDLE_PARK: Duration = Duration::from_millis(250);

impl Shared {
    /// The processor thread's body.
    pub(super) fn run(&self) {
        loop {
            let outcome = catch_unwind(AssertUnwindSafe(|| self.drain()));
            if let Err(panic) = outcome {
                self.fail(panic_message(&*panic));
                return;
            }
            if self.lifecycle.has_failed() {
                // Sealing failed on a sync point's thread.
                return;
            }
            if self.lifecycle.is_draining()
                && (self.buffer.is_empty() || self.lifecycle.drain_expired())
            {
                self.lifecycle.stop();
                self.progress.notify();
                return;
            }
            self.park();
        }
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
            self.seal_and_release(operation, &mut scratch);
            // Waking waiters costs a system call and a thundering herd, so
            // it is batched; waiters re-check on their own every millisecond
            // (see `Progress`), which bounds what a batch can delay.
            unannounced += 1;
            if unannounced == NOTIFY_EVERY || self.buffer.is_empty() {
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
    pub(super) fn next_operation(&self) -> Option<Operation> {
        if self.lifecycle.must_stop_sealing() || self.held.load(Ordering::Relaxed) {
            return None;
        }
        self.buffer.pop()
    }

    /// Seals `operation`, stores it, counts its events as processed and
    /// frees their room. Hold `sealing`.
    pub(super) fn seal_and_release(&self, operation: Operation, scratch: &mut SealScratch) {
        let events = seal(&operation, &*self.store, scratch);
        operation.chain.mark_processed(events);
        self.totals.processed.fetch_add(events, Ordering::SeqCst);
        self.records.recycle(operation);
        self.buffer.release(events);
    }

    /// Sleeps until a producer pushes (or the idle timeout passes).
    fn park(&self) {
        self.processor_parked.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let idle =
            self.buffer.is_empty() || self.held.load(Ordering::SeqCst) || self.sealing.is_locked();
        if idle && self.lifecycle.is_running() {
            thread::park_timeout(IDLE_PARK);
        }
        self.processor_parked.store(false, Ordering::SeqCst);
    }

    pub(super) fn wake_processor(&self) {
        if let Some(thread) = self.processor_thread.get() {
            thread.unpark();
        }
    }

    /// Stops the pipeline after sealing panicked, on the processor or on a
    /// sync point's thread.
    pub(super) fn fail(&self, reason: String) {
        eprintln!("libcra: sealing trace events panicked; the trace processor stopped: {reason}");
        self.lifecycle.fail(format!("panicked: {reason}"));
        self.progress.notify();
        // So that it exits now, if a sync point's thread failed.
        self.wake_processor();
    }
}
