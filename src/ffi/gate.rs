//! Who may call into a resolver: the calls inside it are counted, so that
//! `cra_resolver_free` can refuse new ones and wait for those already in
//! before it frees anything; and a resolver used in a process forked from
//! the one that created it is refused (its threads did not survive the
//! fork).

use crate::error::{Error, ErrorKind, Result};
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Once;
use std::time::Duration;

/// Set in the count once the resolver is being freed.
const CLOSING: usize = 1 << (usize::BITS - 1);

/// How often `cra_resolver_free` looks again at the calls still inside,
/// should a wake-up come before it sleeps.
const RECHECK: Duration = Duration::from_millis(1);

/// Counts the processes forked from this one; a child's copy of a resolver
/// sees a number other than the one it was created under.
static FORKS: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_fork_in_child() {
    FORKS.fetch_add(1, Ordering::SeqCst);
}

/// Makes forked children count themselves in [`FORKS`]; the first resolver
/// registers it, once per process.
fn watch_forks() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: the handler only increments an atomic, which is
        // async-signal-safe as a child handler must be; it never unregisters.
        unsafe { libc::pthread_atfork(None, None, Some(count_fork_in_child)) };
    });
}

pub(crate) struct CallGate {
    /// Calls inside the resolver now, plus [`CLOSING`].
    calls: AtomicUsize,
    /// The value of [`FORKS`] when the resolver was created.
    forks: u64,
    /// Where `cra_resolver_free` waits for the last call to leave.
    left: Mutex<()>,
    last_left: Condvar,
}

impl CallGate {
    pub fn new() -> CallGate {
        watch_forks();
        CallGate {
            calls: AtomicUsize::new(0),
            forks: FORKS.load(Ordering::SeqCst),
            left: Mutex::new(()),
            last_left: Condvar::new(),
        }
    }

    /// Counts a call in. Errors: `Shutdown` when the resolver is being
    /// freed or belongs to the process this one was forked from.
    pub fn enter(&self) -> Result<()> {
        if self.is_forked_copy() {
            return Err(Error::new(
                ErrorKind::Shutdown,
                "this resolver was created before fork(); its threads do not exist in this \
                 process: create a new resolver in the child (and free this one)",
            ));
        }
        if self.calls.fetch_add(1, Ordering::SeqCst) & CLOSING != 0 {
            self.leave();
            return Err(Error::new(
                ErrorKind::Shutdown,
                "the resolver is being freed (cra_resolver_free)",
            ));
        }
        Ok(())
    }

    /// Counts a call out.
    ///
    /// Once the resolver is closing, the count goes down under the lock that
    /// [`Self::wait_until_empty`] checks it under: the closer, which frees
    /// the gate next, then cannot see the last call gone before that call
    /// is done with the gate.
    pub fn leave(&self) {
        let mut calls = self.calls.load(Ordering::SeqCst);
        while calls & CLOSING == 0 {
            match self.calls.compare_exchange_weak(
                calls,
                calls - 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return,
                Err(now) => calls = now,
            }
        }
        let _left = self.left.lock();
        if self.calls.fetch_sub(1, Ordering::SeqCst) == CLOSING | 1 {
            self.last_left.notify_all();
        }
    }

    /// Refuses every call from now on.
    pub fn close(&self) {
        self.calls.fetch_or(CLOSING, Ordering::SeqCst);
    }

    /// Waits until no call is inside. Call after [`Self::close`]. The count
    /// is read under the lock that the last call leaves under (see
    /// [`Self::leave`]).
    pub fn wait_until_empty(&self) {
        let mut guard = self.left.lock();
        while self.calls_inside() > 0 {
            self.last_left.wait_for(&mut guard, RECHECK);
        }
    }

    /// Calls inside now.
    pub fn calls_inside(&self) -> usize {
        self.calls.load(Ordering::SeqCst) & !CLOSING
    }

    /// Whether this is a forked child's copy of the resolver.
    pub fn is_forked_copy(&self) -> bool {
        FORKS.load(Ordering::Relaxed) != self.forks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn closing_refuses_new_calls_and_waits_for_those_inside() {
        let gate = Arc::new(CallGate::new());
        let left = Arc::new(AtomicUsize::new(0));
        let inside: Vec<_> = (0..8)
            .map(|_| {
                gate.enter().expect("open");
                let (gate, left) = (gate.clone(), left.clone());
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(20));
                    left.fetch_add(1, Ordering::SeqCst);
                    gate.leave();
                })
            })
            .collect();
        gate.close();
        let refused = gate.enter().expect_err("closing");
        assert_eq!(refused.kind(), ErrorKind::Shutdown);
        gate.wait_until_empty();
        assert_eq!(left.load(Ordering::SeqCst), 8);
        assert_eq!(gate.calls_inside(), 0);
        for thread in inside {
            thread.join().expect("a call");
        }
    }
}
