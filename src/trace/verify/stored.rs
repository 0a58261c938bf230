//! Verifying a session's stored chain of typed [`SealedEvent`]s, as
//! `verify_chain` does.
//!
//! Of TRACE.md's rules, a stored event can only fail the hash rule: what the
//! others check is guaranteed by the types. Its ids are `Uuid`s (always
//! written lowercase and hyphenated), its timestamp is formatted from an
//! integer (clamped to what the format can write), its event type is an
//! enum, and its sequence, previous hash and session id are not stored but
//! derived from its position in the chain. So the verifier only recomputes
//! each hash from the event's text ([`EventText`], the text its export
//! shows), without re-checking the shape of text it formatted itself. Its
//! report is the one `verify_jsonl` gives for the chain's JSONL export
//! (tested below).
//!
//! Each recomputed hash depends only on its event and the stored hash of
//! the event before it, so a long chain can be cut into parts checked on
//! several threads; the first mismatch in chain order is reported.
//!
//! [`SealedEvent`]: crate::trace::event::SealedEvent

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::chain::hash_mismatch;
use super::parallel;
use super::report::{ChainFailure, VerifyReport};
use crate::trace::event::hex::hex_lower;
use crate::trace::event::ids::{ChainIds, ChainTexts};
use crate::trace::event::text::{ChainedEvent, EventText, Timestamps};
use crate::trace::event::StoredEvents;
use crate::trace::hash::EventHasher;

/// Verifies a session's whole stored chain, in order, on up to `threads`
/// threads.
pub fn verify_stored(ids: ChainIds, events: StoredEvents<'_>, threads: usize) -> VerifyReport {
    verify_in_parts(ids, events, parts_for(events.len(), threads), threads)
}

/// Chains at least this long are worth checking on several threads.
const PARALLEL_MIN_EVENTS: usize = 4096;

/// Events in one part of a long chain: a short piece of work, so a thread
/// that only gets a core late leaves little for the others.
const PART_EVENTS: usize = 1024;

fn parts_for(events: usize, threads: usize) -> usize {
    if events < PARALLEL_MIN_EVENTS || threads <= 1 {
        1
    } else {
        events.div_ceil(PART_EVENTS)
    }
}

/// Verifies the chain cut into `parts` contiguous parts, checked on up to
/// `threads` threads. Each event's hash depends only on the stored hash of
/// the event before it, so the parts are independent; the first mismatch
/// of the earliest failing part is the chain's first failure.
fn verify_in_parts(
    ids: ChainIds,
    events: StoredEvents<'_>,
    parts: usize,
    threads: usize,
) -> VerifyReport {
    let earliest = AtomicUsize::new(usize::MAX);
    let len = events.len();
    let chain = ChainTexts::new(ids);
    let ranges = parallel::split_evenly(len, parts);
    let mismatch = parallel::map_parts(threads, &ranges, |range| {
        first_mismatch(&chain, events, range.clone(), &earliest)
    })
    .into_iter()
    .flatten()
    .next();
    report(events, len, mismatch)
}

/// An event whose stored hash is not the one recomputed.
struct Mismatch {
    index: usize,
    computed: [u8; 32],
}

/// The first mismatch among the events at positions `range`. Gives up,
/// with `None`, once a mismatch before `range` was published in
/// `earliest`: this part's result no longer matters then.
fn first_mismatch(
    chain: &ChainTexts,
    events: StoredEvents<'_>,
    range: Range<usize>,
    earliest: &AtomicUsize,
) -> Option<Mismatch> {
    let mut hasher = EventHasher::default();
    let mut timestamps = Timestamps::default();
    for event in chained(events, range) {
        let index = event.sequence as usize;
        if earliest.load(Ordering::Relaxed) < index {
            return None;
        }
        let text = EventText::new(chain, event, &mut timestamps);
        let computed = hasher.hash(&text.fields());
        if computed != event.stored.event.event_hash {
            earliest.fetch_min(index, Ordering::Relaxed);
            return Some(Mismatch { index, computed });
        }
    }
    None
}

/// The events at positions `range`, each with the stored hash of the one
/// before it (which need not be in `range`).
fn chained<'a>(
    events: StoredEvents<'a>,
    range: Range<usize>,
) -> impl Iterator<Item = ChainedEvent<'a>> {
    const GENESIS: &[u8; 32] = &[0; 32];
    let before = range.start.checked_sub(1).and_then(|p| events.get(p));
    let previous = before.map_or(GENESIS, |event| &event.event_hash);
    let in_range = range.clone().zip(events.iter_from(range.start));
    in_range.scan(previous, |previous, (index, stored)| {
        let event = ChainedEvent {
            sequence: index as u64,
            stored,
            previous,
        };
        *previous = &stored.event.event_hash;
        Some(event)
    })
}

/// The report of a chain of `len` events whose first failing event is
/// `mismatch`'s: the events before it passed, the last of them is the head.
fn report(events: StoredEvents<'_>, len: usize, mismatch: Option<Mismatch>) -> VerifyReport {
    let passed = mismatch.as_ref().map_or(len, |m| m.index);
    VerifyReport {
        events: passed as u64,
        pending: 0,
        failure: mismatch
            .map(|m| ChainFailure::at(m.index as u64, hash_mismatch(&hex_lower(&m.computed)))),
        head_hash: passed
            .checked_sub(1)
            .and_then(|last| events.get(last))
            .map(|last| hex_lower(&last.event_hash)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{jsonl_of, read_stored, rechain, test_chain_ids as ids, TestEvent};
    use crate::trace::event::{EventType, SealedEvent};
    use crate::trace::verify::{verify_jsonl, FailureKind};
    use uuid::Uuid;

    /// A valid chain of `len` events; every fourth starts an operation (and
    /// a new timestamp), as the sealer would write them.
    fn chain(len: usize) -> Vec<TestEvent> {
        let mut events: Vec<TestEvent> = (0..len)
            .map(|n| TestEvent {
                event: SealedEvent {
                    event_id: Uuid::from_u128(0x0193_6f2a_7c00_7000_8000 << 48 | n as u128),
                    span_id: Uuid::from_u128(0x0193_6f2a_7c00_7001_8000 << 48 | n as u128),
                    parent_span_id: (n > 0).then(|| Uuid::from_u128(n as u128 / 4)),
                    timestamp: 1_795_867_200_000_000 + (n as i64 / 4) * 250,
                    event_type: EventType::PolicyEvaluated,
                    payload_offset: 0,
                    event_hash: [0; 32],
                },
                payload: format!("{{\"goal\":\"step {n} \\u00e9\",\"n\":{n}}}"),
            })
            .collect();
        rechain(ids(), &mut events, 0);
        events
    }

    /// What an independent reader of the chain's export reports.
    fn exported_report(events: &[TestEvent]) -> VerifyReport {
        verify_jsonl(&jsonl_of(ids(), events))
    }

    /// `events` verified in `parts` parts, kept in runs of `per_run` events.
    fn verify(events: &[TestEvent], per_run: usize, parts: usize) -> VerifyReport {
        read_stored(events, per_run, |stored| {
            verify_in_parts(ids(), stored, parts, 2)
        })
    }

    /// Checks that the chain, however it is kept in runs and cut into
    /// parts, is reported as its export is.
    fn assert_reports_like_the_export(events: &[TestEvent]) -> VerifyReport {
        let report = read_stored(events, usize::MAX, |stored| verify_stored(ids(), stored, 1));
        assert_eq!(report, exported_report(events));
        for per_run in [1, 2, 4] {
            for parts in 1..=5 {
                assert_eq!(
                    verify(events, per_run, parts),
                    report,
                    "{parts} parts, runs of {per_run}"
                );
            }
        }
        report
    }

    #[test]
    fn valid_chains_verify_with_their_head() {
        for len in [0, 1, 2, 3, 8, 9] {
            let events = chain(len);
            let report = assert_reports_like_the_export(&events);
            assert_eq!((report.events, report.failure), (len as u64, None));
            assert_eq!(
                report.head_hash,
                events.last().map(|e| hex_lower(&e.event.event_hash))
            );
        }
    }

    /// Changes a stored chain at an index.
    type Tampering = fn(&mut Vec<TestEvent>, usize);

    /// Each way of tampering with a stored chain, by name.
    fn tamperings() -> Vec<(&'static str, Tampering)> {
        let mut tamperings = edits();
        tamperings.extend(moves());
        tamperings
    }

    /// The tamperings that change the event at an index in place.
    fn edits() -> Vec<(&'static str, Tampering)> {
        vec![
            ("payload", |events, i| {
                events[i].payload = "{\"goal\":\"x\"}".into()
            }),
            ("event_hash", |events, i| {
                events[i].event.event_hash[31] ^= 1
            }),
            ("timestamp", |events, i| events[i].event.timestamp += 1),
            ("event_type", |events, i| {
                events[i].event.event_type = EventType::ErrorOccurred
            }),
            ("parent_span_id", |events, i| {
                events[i].event.parent_span_id = Some(Uuid::from_u128(77))
            }),
        ]
    }

    /// The tamperings that move events.
    fn moves() -> Vec<(&'static str, Tampering)> {
        vec![
            ("removed", |events, i| {
                events.remove(i);
            }),
            ("swapped with next", |events, i| {
                let next = (i + 1).min(events.len() - 1);
                events.swap(i, next);
            }),
        ]
    }

    #[test]
    fn tampered_chains_fail_where_their_export_fails() {
        let valid = chain(9);
        for (name, tamper) in tamperings() {
            for index in 0..valid.len() - 1 {
                let mut events = valid.clone();
                tamper(&mut events, index);
                let report = assert_reports_like_the_export(&events);
                let failure = report.failure.expect(name);
                assert_eq!(
                    (failure.kind, failure.index),
                    (FailureKind::HashMismatch, index as u64),
                    "{name} at {index}"
                );
            }
        }
    }

    /// The first tampered event is reported, with the hash recomputed for
    /// it, wherever it stands (and however the chain is cut into parts).
    #[test]
    fn of_two_tampered_neighbours_the_earlier_is_reported() {
        for len in [6, 7] {
            let valid = chain(len);
            for index in 0..len {
                let has_next = index + 1 < len;
                // Moving the last event leaves nothing at its place to fail.
                let at_index = if has_next { tamperings() } else { edits() };
                for (name, tamper) in at_index {
                    for (_, edit_next) in edits() {
                        let mut events = valid.clone();
                        if has_next {
                            edit_next(&mut events, index + 1);
                        }
                        tamper(&mut events, index);
                        let report = assert_reports_like_the_export(&events);
                        let mut recomputed = events.clone();
                        rechain(ids(), &mut recomputed, index);
                        let computed = hex_lower(&recomputed[index].event.event_hash);
                        let expected = ChainFailure::at(index as u64, hash_mismatch(&computed));
                        assert_eq!(report.failure, Some(expected), "{name} at {index} of {len}");
                        assert_eq!(report.events, index as u64);
                    }
                }
            }
        }
    }

    #[test]
    fn long_chains_are_checked_in_parts_with_the_same_report() {
        let len = PARALLEL_MIN_EVENTS + 3;
        assert_eq!(parts_for(len, 1), 1);
        assert!(parts_for(len, 2) > 1);
        let valid = chain(len);
        let whole = |events: &[TestEvent]| {
            read_stored(events, 1000, |stored| verify_stored(ids(), stored, 2))
        };
        let report = whole(&valid);
        assert_eq!((report.events, report.failure), (len as u64, None));
        let middle = len / 2;
        for index in [0, 1, middle - 1, middle, middle + 1, len - 1] {
            for (name, tamper) in tamperings() {
                let mut events = valid.clone();
                tamper(&mut events, index);
                let sequential = verify(&events, usize::MAX, 1);
                assert_eq!(whole(&events), sequential, "{name} at {index}");
                assert_eq!(verify(&events, 1000, 3), sequential);
            }
        }
        let mut twice = valid.clone();
        twice[middle + 5].event.timestamp += 1;
        twice[2].event.timestamp += 1;
        let failure = verify(&twice, 1000, 2).failure;
        assert_eq!(failure.map(|f| f.index), Some(2));
    }
}
