//! Spreading independent work over the cores with scoped threads.
//!
//! Verification hashes every event of a long trace, and each hash can be
//! checked apart from the others; the cheap checks that link events run
//! afterwards, in order. Threads are started per call, so callers use this
//! only for work long enough to dwarf the start (tens of microseconds).

use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread::{Builder, ScopedJoinHandle};

use parking_lot::Mutex;

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
/// Up to [`cores`] threads, the caller among them, take the parts in order,
/// one at a time, as they come free, so a thread that waits for a core
/// leaves its share to the others. What cannot be avoided: the caller waits
/// at the end for a thread that took a part and then lost its core. On
/// cores busy with other programs that wait can cost more than the split
/// saves (verification measured at load 3-5 on 2 cores: 5-35 % lower
/// throughput than on one thread; on 2 free cores: 1.7-2.1x higher).
///
/// If the system refuses a thread, the others do its share. A panic in any
/// part is raised again on the caller.
pub fn map_parts<P: Sync, T: Send>(parts: &[P], work: impl Fn(&P) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<T>>> = parts.iter().map(|_| Mutex::new(None)).collect();
    let take_parts = || loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let (Some(part), Some(slot)) = (parts.get(index), results.get(index)) else {
            break;
        };
        *slot.lock() = Some(work(part));
    };
    let helpers = cores().min(parts.len()).saturating_sub(1);
    std::thread::scope(|scope| {
        let started: Vec<ScopedJoinHandle<'_, ()>> = (0..helpers)
            .filter_map(|_| Builder::new().spawn_scoped(scope, take_parts).ok())
            .collect();
        take_parts();
        for thread in started {
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    results
        .into_iter()
        .filter_map(|slot| slot.into_inner())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let threads: Vec<_> = map_parts(&parts, |&n| (n * n, std::thread::current().id()));
        assert_eq!(
            threads
                .iter()
                .map(|(square, _)| *square)
                .collect::<Vec<_>>(),
            [0, 1, 4, 9, 16, 25, 36]
        );
        assert_eq!(threads[0].1, std::thread::current().id());
        assert!(map_parts(&[] as &[u8], |_| ()).is_empty());
        assert!(cores() >= 1);
    }

    #[test]
    fn a_panicking_part_panics_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map_parts(&[1, 2, 3], |&n| if n == 3 { panic!("part {n}") } else { n })
        });
        assert!(caught.is_err());
    }
}
