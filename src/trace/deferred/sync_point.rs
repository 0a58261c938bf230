//! Sync points: waiting until the events emitted before a call are stored.
//!
//! A waiter first seals queued operations itself if the processor is not
//! sealing (waking a sleeping thread takes longer than sealing a few
//! operations), then spins briefly for work under way, then sleeps on
//! [`Progress`](super::progress::Progress) until the deadline.

use super::Shared;
use crate::error::{panic_message, Error, ErrorKind, Result};
use crossbeam_utils::Backoff;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{fence, Ordering};
use std::time::{Duration, Instant};

impl Shared {
    /// Waits for `done`, failing with `Timeout` or, once the processor has
    /// stopped without getting there, `Shutdown`.
    pub(super) fn wait(
        &self,
        timeout: Duration,
        done: impl Fn() -> bool,
        what: &str,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let finished = || done() || self.lifecycle.has_stopped();
        self.help(deadline, &done);
        let backoff = Backoff::new();
        while !finished() && !backoff.is_completed() && Instant::now() < deadline {
            backoff.snooze();
        }
        self.progress.wait_until(deadline, finished);
        if done() {
            return Ok(());
        }
        if self.lifecycle.has_stopped() {
            self.lifecycle.check_open()?;
        }
        Err(Error::new(
            ErrorKind::Timeout,
            format!("{what} not ready within {} ms", timeout.as_millis()),
        ))
    }

    /// Seals queued operations on the calling thread, in queue order, until
    /// `done` holds, the queue is empty or `deadline` passes, if the
    /// processor is not sealing and the store appends promptly (a store
    /// call is never interrupted: the caller may pass `deadline` by one
    /// operation's sealing, no more).
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
                self.seal_and_release(operation, &mut scratch);
                sealed = true;
            }
            sealed
        }));
        drop(scratch);
        // Pairs with the fence in `park`: either the processor sees the lock
        // free and seals what is left, or this sees it parked.
        fence(Ordering::SeqCst);
        if !self.buffer.is_empty() && self.processor_parked.load(Ordering::SeqCst) {
            self.wake_processor();
        }
        match outcome {
            Ok(true) => self.progress.notify(),
            Ok(false) => {}
            Err(panic) => self.fail(panic_message(&*panic)),
        }
    }
}
