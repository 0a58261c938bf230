//! Verifying a session's stored chain of typed [`SealedEvent`]s, as
//! `verify_chain` does.
//!
//! Of TRACE.md's rules, a stored event can only fail the hash rule: what the
//! others check is guaranteed by the types. Its ids are `Uuid`s (always
//! written lowercase and hyphenated), its timestamp is formatted from an
//! integer (clamped to what the format can write), its event type is an
//! enum, and its sequence, previous hash and session id are not stored but
//! derived from its position in the chain. So the verifier only recomputes
//! each hash from the typed members, without re-checking the shape of text
//! it formatted itself. Its report is the one `verify_jsonl` gives for the
//! chain's JSONL export (tested below).

use super::event::{ChainIds, SealedEvent};
use super::hash::hex_lower;
use super::stored_hash::StoredHasher;
use super::verify::{hash_mismatch, ChainFailure, VerifyReport};

/// Verifies a session's whole stored chain, in order.
pub fn verify_stored(ids: ChainIds, events: &[SealedEvent]) -> VerifyReport {
    report(events, first_mismatch(ids, events))
}

/// An event whose stored hash is not the one recomputed.
struct Mismatch {
    index: usize,
    computed: [u8; 32],
}

fn first_mismatch(ids: ChainIds, events: &[SealedEvent]) -> Option<Mismatch> {
    let mut hasher = StoredHasher::new(ids);
    let mut previous = None;
    for (index, event) in events.iter().enumerate() {
        let computed = hasher.hash(index as u64, event, previous);
        if computed != event.event_hash {
            return Some(Mismatch { index, computed });
        }
        previous = Some(&event.event_hash);
    }
    None
}

/// The report of a chain whose first failing event is `mismatch`'s: the
/// events before it passed, the last of them is the head.
fn report(events: &[SealedEvent], mismatch: Option<Mismatch>) -> VerifyReport {
    let passed = mismatch.as_ref().map_or(events.len(), |m| m.index);
    VerifyReport {
        events: passed as u64,
        pending: 0,
        failure: mismatch
            .map(|m| ChainFailure::at(m.index as u64, hash_mismatch(&hex_lower(&m.computed)))),
        head_hash: passed
            .checked_sub(1)
            .map(|last| hex_lower(&events[last].event_hash)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::EventType;
    use crate::trace::jsonl::write_jsonl;
    use crate::trace::verify::{verify_jsonl, FailureKind};
    use uuid::Uuid;

    fn ids() -> ChainIds {
        ChainIds {
            session_id: Uuid::from_u128(0x01936f2a_7c00_7000_8000_000000000001),
            trace_id: Uuid::from_u128(0x01936f2a_7c00_7000_8000_0000000000aa),
        }
    }

    /// A valid chain of `len` events; every fourth starts an operation (and
    /// a new timestamp), as the sealer would write them.
    fn chain(len: usize) -> Vec<SealedEvent> {
        let mut events: Vec<SealedEvent> = (0..len)
            .map(|n| SealedEvent {
                event_id: Uuid::from_u128(0x0193_6f2a_7c00_7000_8000 << 48 | n as u128),
                span_id: Uuid::from_u128(0x0193_6f2a_7c00_7001_8000 << 48 | n as u128),
                parent_span_id: (n > 0).then(|| Uuid::from_u128(n as u128 / 4)),
                timestamp: 1_795_867_200_000_000 + (n as i64 / 4) * 250,
                event_type: EventType::PolicyEvaluated,
                payload: format!("{{\"goal\":\"step {n} \\u00e9\",\"n\":{n}}}").into(),
                event_hash: [0; 32],
            })
            .collect();
        reseal(&mut events, 0);
        events
    }

    /// Rehashes the events from `from` on, so they chain validly again.
    fn reseal(events: &mut [SealedEvent], from: usize) {
        let mut hasher = StoredHasher::new(ids());
        for index in from..events.len() {
            let previous = index.checked_sub(1).map(|p| events[p].event_hash);
            events[index].event_hash = hasher.hash(index as u64, &events[index], previous.as_ref());
        }
    }

    /// What an independent reader of the chain's export reports.
    fn exported_report(events: &[SealedEvent]) -> VerifyReport {
        let mut jsonl = String::new();
        write_jsonl(&mut jsonl, ids(), events);
        verify_jsonl(&jsonl)
    }

    fn assert_reports_like_the_export(events: &[SealedEvent]) -> VerifyReport {
        let report = verify_stored(ids(), events);
        assert_eq!(report, exported_report(events));
        report
    }

    #[test]
    fn valid_chains_verify_with_their_head() {
        for len in [0, 1, 2, 9] {
            let events = chain(len);
            let report = assert_reports_like_the_export(&events);
            assert_eq!((report.events, report.failure), (len as u64, None));
            assert_eq!(
                report.head_hash,
                events.last().map(|e| hex_lower(&e.event_hash))
            );
        }
    }

    /// Changes a stored chain at an index.
    type Tampering = fn(&mut Vec<SealedEvent>, usize);

    /// Each way of tampering with a stored chain, by name.
    fn tamperings() -> Vec<(&'static str, Tampering)> {
        vec![
            ("payload", |events, i| {
                events[i].payload = "{\"goal\":\"x\"}".into()
            }),
            ("event_hash", |events, i| events[i].event_hash[31] ^= 1),
            ("timestamp", |events, i| events[i].timestamp += 1),
            ("event_type", |events, i| {
                events[i].event_type = EventType::ErrorOccurred
            }),
            ("parent_span_id", |events, i| {
                events[i].parent_span_id = Some(Uuid::from_u128(77))
            }),
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
}
