//! Spreading independent work over the cores with scoped threads.
//!
//! Verification hashes every event of a long trace, and each hash can be
//! checked apart from the others; the cheap checks that link events run
//! afterwards, in order. Threads are started per call, so callers use this
//! only for work long enough to dwarf the start (tens of microseconds).

use std::any::Any;
use std::num::NonZeroUsize;
use std::ops::{ControlFlow, Range};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use std::thread::Builder;

use parking_lot::{Condvar, Mutex};

/// The cores this process may run on (at least 1). Asked once: the answer
/// takes system calls, and it is wanted on every long verification.
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// `0..len` cut into `parts` (at least 1) contiguous ranges whose lengths
/// differ by at most one; empty ranges are left out.
pub fn split_evenly(len: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.max(1);
    (0..parts)
        .map(|part| len * part / parts..len * (part + 1) / parts)
        .filter(|range| !range.is_empty())
        .collect()
}

/// `work` applied to each of `parts`, the results in the same order.
///
/// Up to `threads` threads, the caller among them, take the parts in order,
/// one at a time, as they come free, so a thread that waits for a core
/// leaves its share to the others. What cannot be avoided: the caller waits
/// at the end for a thread that took a part and then lost its core; on
/// cores busy with other programs that wait can cost more than the split
/// saves, which is why the thread count is a setting.
///
/// If the system refuses a thread, the others do its share. A panic in any
/// part is raised again on the caller.
pub fn map_parts<P: Sync, T: Send>(
    threads: usize,
    parts: &[P],
    work: impl Fn(&P) -> T + Sync,
) -> Vec<T> {
    let mut results = Vec::with_capacity(parts.len());
    for_each_in_order(threads, parts, parts.len(), work, |result| {
        results.push(result);
        ControlFlow::Continue(())
    });
    results
}

/// `work` applied to each of `parts` on up to `threads` threads, the caller
/// among them, each result handed to `consume` in the order of the parts as
/// soon as it and every result before it are ready. When `consume` breaks,
/// no further part is started and the walk ends.
///
/// At most `ahead` parts beyond the one `consume` needs next are worked on
/// or waiting, which bounds the memory the results take. There is no
/// barrier: while the next result is still being made by a thread that
/// lost its core, the caller works on the parts after it (within `ahead`),
/// and only waits once there are none. A panic in any part is raised again
/// on the caller.
pub fn for_each_in_order<P: Sync, T: Send>(
    threads: usize,
    parts: &[P],
    ahead: usize,
    work: impl Fn(&P) -> T + Sync,
    mut consume: impl FnMut(T) -> ControlFlow<()>,
) {
    let walk = OrderedWalk {
        parts,
        ahead: ahead.max(1),
        work,
        state: Mutex::new(WalkState {
            results: parts.iter().map(|_| None).collect(),
            next_to_start: 0,
            next_to_consume: 0,
            stopped: false,
            panic: None,
        }),
        changed: Condvar::new(),
    };
    let helpers = threads.min(parts.len()).saturating_sub(1);
    std::thread::scope(|scope| {
        for _ in 0..helpers {
            // A thread the system refuses leaves its share to the others.
            let _ = Builder::new().spawn_scoped(scope, || walk.help());
        }
        let outcome = walk.lead(&mut consume);
        walk.stop();
        if let Err(panic) = outcome {
            resume_unwind(panic);
        }
    });
}

/// What the threads of [`for_each_in_order`] share.
struct OrderedWalk<'p, P, T, W> {
    parts: &'p [P],
    ahead: usize,
    work: W,
    state: Mutex<WalkState<T>>,
    /// Signalled when a result is ready, the window moves, or the walk stops.
    changed: Condvar,
}

struct WalkState<T> {
    /// One slot per part, filled when its result is ready, emptied when consumed.
    results: Vec<Option<T>>,
    next_to_start: usize,
    next_to_consume: usize,
    stopped: bool,
    panic: Option<Box<dyn Any + Send>>,
}

impl<T> WalkState<T> {
    /// The next part to start, if any is left within the window.
    fn take_part(&mut self, ahead: usize) -> Option<usize> {
        let index = self.next_to_start;
        let startable =
            !self.stopped && index < self.results.len() && index < self.next_to_consume + ahead;
        startable.then(|| {
            self.next_to_start += 1;
            index
        })
    }
}

impl<P: Sync, T: Send, W: Fn(&P) -> T + Sync> OrderedWalk<'_, P, T, W> {
    /// A helper thread: works on parts until none is left or the walk stops.
    fn help(&self) {
        let mut state = self.state.lock();
        loop {
            if state.stopped || state.next_to_start == self.parts.len() {
                return;
            }
            match state.take_part(self.ahead) {
                Some(index) => {
                    drop(state);
                    self.run_part(index);
                    state = self.state.lock();
                }
                None => self.changed.wait(&mut state),
            }
        }
    }

    /// The caller: consumes results in order, working on parts itself
    /// while the next result is not ready.
    fn lead(
        &self,
        consume: &mut impl FnMut(T) -> ControlFlow<()>,
    ) -> Result<(), Box<dyn Any + Send>> {
        let mut state = self.state.lock();
        loop {
            if let Some(panic) = state.panic.take() {
                return Err(panic);
            }
            let next = state.next_to_consume;
            if next == self.parts.len() {
                return Ok(());
            }
            if let Some(result) = state.results[next].take() {
                state.next_to_consume += 1;
                self.changed.notify_all();
                drop(state);
                if consume(result).is_break() {
                    return Ok(());
                }
                state = self.state.lock();
            } else if let Some(index) = state.take_part(self.ahead) {
                drop(state);
                self.run_part(index);
                state = self.state.lock();
            } else {
                // The next result is being made on another thread.
                self.changed.wait(&mut state);
            }
        }
    }

    /// Works on part `index` and files its result (or its panic, which
    /// stops the walk, so that no thread waits for a result that will
    /// never come).
    fn run_part(&self, index: usize) {
        let outcome = catch_unwind(AssertUnwindSafe(|| (self.work)(&self.parts[index])));
        let mut state = self.state.lock();
        match outcome {
            Ok(result) => state.results[index] = Some(result),
            Err(panic) => {
                state.stopped = true;
                state.panic.get_or_insert(panic);
            }
        }
        self.changed.notify_all();
    }

    fn stop(&self) {
        self.state.lock().stopped = true;
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn splits_cover_the_range_in_order() {
        assert_eq!(split_evenly(10, 3), [0..3, 3..6, 6..10]);
        assert_eq!(split_evenly(2, 4), [0..1, 1..2]);
        assert_eq!(split_evenly(5, 0), split_evenly(5, 1));
        assert_eq!(split_evenly(5, 1).first(), Some(&(0..5)));
        assert!(split_evenly(0, 2).is_empty());
    }

    #[test]
    fn results_keep_the_order_of_the_parts() {
        let parts: Vec<u64> = (0..7).collect();
        // Which thread works on which part is up to the scheduler: a helper
        // can take part 0 before the caller does.
        assert_eq!(map_parts(2, &parts, |&n| n * n), [0, 1, 4, 9, 16, 25, 36]);
        assert!(map_parts(2, &[] as &[u8], |_| ()).is_empty());
        assert!(cores() >= 1);
    }

    #[test]
    fn results_are_consumed_in_order_until_a_break() {
        let parts: Vec<u64> = (0..50).collect();
        for ahead in [1, 3, 100] {
            let mut seen = Vec::new();
            for_each_in_order(
                2,
                &parts,
                ahead,
                |&n| n * n,
                |square| {
                    seen.push(square);
                    ControlFlow::Continue(())
                },
            );
            assert_eq!(seen, parts.iter().map(|n| n * n).collect::<Vec<_>>());
        }
        let mut seen = Vec::new();
        for_each_in_order(
            2,
            &parts,
            4,
            |&n| n,
            |n| {
                seen.push(n);
                if n == 7 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        );
        assert_eq!(seen, (0..=7).collect::<Vec<_>>());
        for_each_in_order(2, &[] as &[u8], 2, |_| (), |()| unreachable!("no parts"));
    }

    #[test]
    fn no_part_starts_beyond_the_window() {
        let parts: Vec<usize> = (0..40).collect();
        let consumed = AtomicUsize::new(0);
        for_each_in_order(
            2,
            &parts,
            2,
            |&index| {
                // With a window of 2, part `index` starts once `index - 2`
                // is being consumed, so `index - 3` was consumed before.
                assert!(
                    index < consumed.load(Ordering::SeqCst) + 3,
                    "part {index} too early"
                );
                index
            },
            |_| {
                consumed.fetch_add(1, Ordering::SeqCst);
                ControlFlow::Continue(())
            },
        );
        assert_eq!(consumed.into_inner(), parts.len());
    }

    #[test]
    fn a_panicking_part_of_an_ordered_walk_panics_the_caller() {
        for bad in [0, 5, 19] {
            let caught = std::panic::catch_unwind(|| {
                let parts: Vec<u32> = (0..20).collect();
                for_each_in_order(
                    2,
                    &parts,
                    3,
                    |&n| assert_ne!(n, bad, "part {n}"),
                    |()| ControlFlow::Continue(()),
                );
            });
            assert!(caught.is_err(), "part {bad}");
        }
    }

    #[test]
    fn a_panicking_part_panics_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map_parts(
                2,
                &[1, 2, 3],
                |&n| if n == 3 { panic!("part {n}") } else { n },
            )
        });
        assert!(caught.is_err());
    }
}
