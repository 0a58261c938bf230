//! Waiting for the processor without missing its wake-up.
//!
//! Waiters (sync points, and producers blocked on a full buffer) sleep on a
//! condition variable; the processor announces progress after it has
//! published it (raised a `processed` counter, freed buffer room). The
//! processor only touches the lock when someone is waiting, so an idle
//! pipeline pays one atomic load per batch. The processor announces in
//! batches (every 64 operations, and whenever it catches up); a waiter also
//! re-checks every millisecond, so a batch — or a slow store call between
//! two announcements — delays it by at most that.
//!
//! Why no wake-up is lost: a waiter registers (`waiters += 1`) and re-checks
//! its condition while holding the lock; the processor publishes progress,
//! then reads `waiters`. A sequentially consistent fence sits between the
//! write and the read on both sides (the store-buffer pattern), so either
//! the processor sees the waiter (and takes the lock, which it can only get
//! once the waiter sleeps, so the notification reaches it) or the waiter's
//! re-check sees the progress. `loom_tests` below checks every interleaving;
//! without the fences it reports a lost wake-up (loom models SeqCst
//! accesses as AcqRel; the fences make the protocol correct in either model).

// Only the crate's own test build has loom (a dev-dependency). The same
// crate, built as its own dev-dependency (for the test support), sees
// `--cfg cra_loom` too, and uses std. The cfg is not loom's usual `loom`:
// tokio (under the PostgreSQL client) reads that one and leaves out its
// networking.
#[cfg(all(cra_loom, test))]
use loom::sync::{
    atomic::{fence, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};
#[cfg(not(all(cra_loom, test)))]
use std::sync::{
    atomic::{fence, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};
use std::time::Instant;

/// A waiter re-checks its condition at least this often, so a notification
/// the processor batches (or that a slow store call delays) costs a waiter
/// at most this much latency, never a missed wake-up.
#[cfg(not(all(cra_loom, test)))]
const RECHECK: std::time::Duration = std::time::Duration::from_millis(1);

#[derive(Debug, Default)]
pub struct Progress {
    lock: Mutex<()>,
    changed: Condvar,
    waiters: AtomicUsize,
}

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Wakes every waiter; call after publishing progress.
    pub fn notify(&self) {
        // Pairs with the fence in `wait_until`: the progress published
        // before this point and a waiter's registration cannot both be
        // missed by the other side.
        fence(Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            drop(self.guard());
            self.changed.notify_all();
        }
    }

    /// Waits until `done()` holds (true) or `deadline` passes (false).
    /// `done` must only turn true through progress that is followed by
    /// [`Self::notify`], or by a condition checked at every wake-up.
    pub fn wait_until(&self, deadline: Instant, done: impl Fn() -> bool) -> bool {
        if done() {
            return true;
        }
        let mut guard = self.guard();
        self.waiters.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let reached = loop {
            if done() {
                break true;
            }
            let now = Instant::now();
            if now >= deadline {
                break false;
            }
            guard = self.sleep(guard, deadline - now);
        };
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        reached
    }

    fn guard(&self) -> MutexGuard<'_, ()> {
        // The lock guards no data, so a poisoned lock is as good as any.
        self.lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    #[cfg(not(all(cra_loom, test)))]
    fn sleep<'a>(
        &self,
        guard: MutexGuard<'a, ()>,
        timeout: std::time::Duration,
    ) -> MutexGuard<'a, ()> {
        match self.changed.wait_timeout(guard, timeout.min(RECHECK)) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// loom does not model time: it sleeps until notified, so a lost
    /// wake-up shows up as a deadlock in the model.
    #[cfg(all(cra_loom, test))]
    fn sleep<'a>(
        &self,
        guard: MutexGuard<'a, ()>,
        _timeout: std::time::Duration,
    ) -> MutexGuard<'a, ()> {
        self.changed.wait(guard).unwrap()
    }
}

#[cfg(all(test, not(cra_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_waiter_wakes_once_the_watermark_is_reached() {
        let progress = Arc::new(Progress::new());
        let processed = Arc::new(AtomicU64::new(0));
        let worker = {
            let (progress, processed) = (progress.clone(), processed.clone());
            std::thread::spawn(move || {
                for _ in 0..3 {
                    std::thread::sleep(Duration::from_millis(5));
                    processed.fetch_add(1, Ordering::SeqCst);
                    progress.notify();
                }
            })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        assert!(progress.wait_until(deadline, || processed.load(Ordering::SeqCst) >= 3));
        worker.join().unwrap();
    }

    #[test]
    fn a_waiter_gives_up_at_its_deadline() {
        let progress = Progress::new();
        let started = Instant::now();
        assert!(!progress.wait_until(started + Duration::from_millis(20), || false));
        assert!(started.elapsed() >= Duration::from_millis(20));
        // A deadline in the past checks once.
        assert!(progress.wait_until(started, || true));
    }
}

/// Model checks of the wake-up protocol; run with
/// `RUSTFLAGS="--cfg cra_loom" cargo test --release --lib trace::deferred::progress`.
#[cfg(all(test, cra_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::AtomicU64;
    use loom::sync::Arc;
    use std::time::Duration;

    /// The processor publishes two batches; a waiter that read the emitted
    /// watermark 2 must wake in every interleaving (a lost wake-up would
    /// leave it asleep forever, which loom reports as a deadlock).
    #[test]
    fn no_waiter_misses_the_processor() {
        loom::model(|| {
            let progress = Arc::new(Progress::new());
            let processed = Arc::new(AtomicU64::new(0));
            let processor = {
                let (progress, processed) = (progress.clone(), processed.clone());
                loom::thread::spawn(move || {
                    for _ in 0..2 {
                        processed.fetch_add(1, Ordering::SeqCst);
                        progress.notify();
                    }
                })
            };
            let far = Instant::now() + Duration::from_secs(3600);
            assert!(progress.wait_until(far, || processed.load(Ordering::SeqCst) >= 2));
            processor.join().unwrap();
        });
    }

    /// Two waiters with different targets both wake.
    #[test]
    fn every_waiter_wakes() {
        loom::model(|| {
            let progress = Arc::new(Progress::new());
            let processed = Arc::new(AtomicU64::new(0));
            let waiter = {
                let (progress, processed) = (progress.clone(), processed.clone());
                loom::thread::spawn(move || {
                    let far = Instant::now() + Duration::from_secs(3600);
                    assert!(progress.wait_until(far, || processed.load(Ordering::SeqCst) >= 1));
                })
            };
            processed.fetch_add(1, Ordering::SeqCst);
            progress.notify();
            let far = Instant::now() + Duration::from_secs(3600);
            assert!(progress.wait_until(far, || processed.load(Ordering::SeqCst) >= 1));
            waiter.join().unwrap();
        });
    }
}
