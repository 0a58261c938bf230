//! Where a deferred pipeline is in its life: running, draining for
//! shutdown, stopped, or failed because sealing panicked. Every other part
//! asks it whether work may go on.

use crate::error::{Error, ErrorKind, Result};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const RUNNING: u8 = 0;
const DRAINING: u8 = 1;
const STOPPED: u8 = 2;
const FAILED: u8 = 3;

#[derive(Debug)]
pub struct Lifecycle {
    state: AtomicU8,
    /// When shutdown began: the drain deadline is this plus `drain_timeout`.
    shutdown_started: OnceLock<Instant>,
    drain_timeout: Duration,
    /// Why sealing failed, when it did.
    failure: Mutex<Option<String>>,
}

impl Lifecycle {
    pub fn new(drain_timeout: Duration) -> Lifecycle {
        Lifecycle {
            state: AtomicU8::new(RUNNING),
            shutdown_started: OnceLock::new(),
            drain_timeout,
            failure: Mutex::new(None),
        }
    }

    /// Fails with `Shutdown` once the pipeline no longer takes work.
    pub fn check_open(&self) -> Result<()> {
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

    pub fn is_running(&self) -> bool {
        self.state.load(Ordering::SeqCst) == RUNNING
    }

    pub fn is_draining(&self) -> bool {
        self.state.load(Ordering::SeqCst) == DRAINING
    }

    pub fn has_failed(&self) -> bool {
        self.state.load(Ordering::SeqCst) == FAILED
    }

    /// Stopped or failed: nothing will be sealed any more.
    pub fn has_stopped(&self) -> bool {
        self.state.load(Ordering::SeqCst) >= STOPPED
    }

    /// Whether sealing must stop now: failed, or draining past the drain
    /// timeout.
    pub fn must_stop_sealing(&self) -> bool {
        match self.state.load(Ordering::Relaxed) {
            RUNNING => false,
            FAILED => true,
            _ => self.drain_expired(),
        }
    }

    /// Starts the drain (the first call only sets its start).
    pub fn begin_shutdown(&self) {
        self.shutdown_started.get_or_init(Instant::now);
        let _ = self
            .state
            .compare_exchange(RUNNING, DRAINING, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Stopped, unless it failed: a failed pipeline stays failed.
    pub fn stop(&self) {
        let _ = self
            .state
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |state| {
                (state != FAILED).then_some(STOPPED)
            });
    }

    /// Records why sealing failed; from now on every call gets `Shutdown`
    /// with that reason.
    pub fn fail(&self, reason: String) {
        *self.failure.lock() = Some(reason);
        self.state.store(FAILED, Ordering::SeqCst);
    }

    pub fn drain_timeout(&self) -> Duration {
        self.drain_timeout
    }

    /// Whether shutdown began longer than the drain timeout ago.
    pub fn drain_expired(&self) -> bool {
        self.shutdown_started
            .get()
            .is_some_and(|started| started.elapsed() >= self.drain_timeout)
    }
}
