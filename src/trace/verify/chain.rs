//! Chain verification (TRACE.md, "Verifying a chain"): the rules every
//! event of one session's chain must pass, in order.
//!
//! The rules, their order and the shape checks are those of TRACE.md.
//! Stricter than `trace_verify.py`'s regular expressions: UUIDs,
//! timestamps and hashes with a trailing newline or non-ASCII digits are
//! `malformed` (Python's `$` matches before a final `\n`, its `\d` any
//! Unicode digit). Reading JSONL text is [`super::jsonl`]'s job.

use super::report::{CheckFailure, FailureKind};
use crate::trace::event::hex::{hex_text, GENESIS_HASH_HEX};

/// What links an event to the one before it in its chain.
#[derive(Clone, Copy, Debug)]
pub struct Link<'a> {
    pub session_id: &'a str,
    pub sequence: u64,
    pub previous_event_hash: &'a str,
    pub event_hash: &'a str,
}

/// Checks one session's events, fed in order.
#[derive(Clone, Debug, Default)]
pub struct ChainVerifier {
    last: Option<LastEvent>,
    events: u64,
}

/// What the next event must link to.
#[derive(Clone, Debug)]
struct LastEvent {
    session_id: String,
    sequence: u64,
    event_hash: [u8; 64],
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the link rules of an event whose shape passed, then its hash
    /// rule, whose verdict `hash` gives (it may have been reached elsewhere,
    /// say on another thread): TRACE.md checks links first. Accepted events
    /// become the new head; after a failure the verifier is unchanged.
    pub fn check_linked(
        &mut self,
        link: &Link<'_>,
        hash: impl FnOnce() -> Result<(), CheckFailure>,
    ) -> Result<(), CheckFailure> {
        self.check_link(link)?;
        hash()?;
        self.accept(link);
        Ok(())
    }

    /// `event_hash` of the last accepted event.
    pub fn head_hash(&self) -> Option<&str> {
        let last = self.last.as_ref()?;
        std::str::from_utf8(&last.event_hash).ok()
    }

    fn check_link(&self, event: &Link<'_>) -> Result<(), CheckFailure> {
        let Some(last) = &self.last else {
            return check_genesis_link(event);
        };
        if event.session_id != last.session_id {
            return Err((
                FailureKind::SessionMismatch,
                format!(
                    "event belongs to session {}, not {}",
                    event.session_id, last.session_id
                ),
            ));
        }
        let expected = last.sequence.checked_add(1);
        if expected != Some(event.sequence) {
            let expected = expected.map_or_else(|| "nothing".to_owned(), |n| n.to_string());
            return Err((
                FailureKind::SequenceGap,
                format!("expected {expected}, found {}", event.sequence),
            ));
        }
        if event.previous_event_hash.as_bytes() != last.event_hash {
            return Err((
                FailureKind::ChainBroken,
                "previous_event_hash does not match the prior event".to_owned(),
            ));
        }
        Ok(())
    }

    fn accept(&mut self, event: &Link<'_>) {
        let mut event_hash = [0u8; 64];
        event_hash.copy_from_slice(event.event_hash.as_bytes());
        match &mut self.last {
            Some(last) => {
                last.sequence = event.sequence;
                last.event_hash = event_hash;
            }
            None => {
                self.last = Some(LastEvent {
                    session_id: event.session_id.to_owned(),
                    sequence: event.sequence,
                    event_hash,
                });
            }
        }
        self.events += 1;
    }
}

fn check_genesis_link(event: &Link<'_>) -> Result<(), CheckFailure> {
    if event.sequence != 0 {
        return Err((
            FailureKind::SequenceGap,
            format!("first event has sequence {}", event.sequence),
        ));
    }
    if event.previous_event_hash != GENESIS_HASH_HEX {
        return Err((
            FailureKind::ChainBroken,
            "genesis event does not point at the zero hash".to_owned(),
        ));
    }
    Ok(())
}

/// The hash rule for an event carrying `event_hash` whose hash was
/// recomputed as `computed`.
pub(crate) fn compare_hash(event_hash: &str, computed: &[u8; 32]) -> Result<(), CheckFailure> {
    let mut computed_hex = [0u8; 64];
    let computed_hex = hex_text(&mut computed_hex, computed);
    if event_hash == computed_hex {
        return Ok(());
    }
    Err(hash_mismatch(computed_hex))
}

/// The failure of an event whose recomputed hash, `computed`, differs.
pub(crate) fn hash_mismatch(computed: &str) -> CheckFailure {
    (FailureKind::HashMismatch, format!("computed {computed}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::canonical_json;
    use crate::test_support::chain;
    use crate::trace::event::shape::shape_error;
    use crate::trace::event::{EventFields, EventView};
    use crate::trace::hash::event_hash;
    use crate::trace::verify::report::{ChainFailure, VerifyReport};
    use serde_json::Value;

    /// Checks `event` on its own and as the successor of `verifier`'s head.
    fn check(verifier: &mut ChainVerifier, event: &EventView<'_>) -> Result<(), CheckFailure> {
        if let Some(detail) = shape_error(event) {
            return Err((FailureKind::Malformed, detail));
        }
        let link = Link {
            session_id: event.fields.session_id,
            sequence: event.fields.sequence,
            previous_event_hash: event.fields.previous_event_hash,
            event_hash: event.event_hash,
        };
        let hash = || compare_hash(event.event_hash, &event_hash(&event.fields));
        verifier.check_linked(&link, hash)
    }

    /// One session's events checked in order, as a report.
    fn verify_events<'a>(events: impl Iterator<Item = EventView<'a>>) -> VerifyReport {
        let mut verifier = ChainVerifier::new();
        let mut failure = None;
        for (index, event) in events.enumerate() {
            if let Err(found) = check(&mut verifier, &event) {
                failure = Some(ChainFailure::at(index as u64, found));
                break;
            }
        }
        VerifyReport {
            events: verifier.events,
            pending: 0,
            failure,
            head_hash: verifier.head_hash().map(str::to_owned),
        }
    }

    fn views(events: &[Value], canonical: &[String]) -> Vec<EventView<'static>> {
        events
            .iter()
            .zip(canonical)
            .map(|(event, payload)| {
                let leak = |name: &str| -> &'static str {
                    Box::leak(
                        event[name]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned()
                            .into_boxed_str(),
                    )
                };
                let fields = EventFields {
                    trace_version: leak("trace_version"),
                    event_id: leak("event_id"),
                    trace_id: leak("trace_id"),
                    span_id: leak("span_id"),
                    parent_span_id: event["parent_span_id"]
                        .as_str()
                        .map(|_| leak("parent_span_id")),
                    session_id: leak("session_id"),
                    sequence: event["sequence"].as_u64().unwrap_or_default(),
                    timestamp: leak("timestamp"),
                    event_type: leak("event_type"),
                    canonical_payload: Box::leak(payload.clone().into_boxed_str()),
                    previous_event_hash: leak("previous_event_hash"),
                };
                EventView {
                    fields,
                    event_hash: leak("event_hash"),
                }
            })
            .collect()
    }

    fn canonical_payloads(events: &[Value]) -> Vec<String> {
        events
            .iter()
            .map(|e| canonical_json(&e["payload"]).expect("finite"))
            .collect()
    }

    #[test]
    fn verify_events_checks_one_session() {
        let events = chain(3, 4);
        let views = views(&events, &canonical_payloads(&events));
        let report = verify_events(views.iter().copied());
        assert_eq!((report.events, &report.failure), (4, &None));
        assert_eq!(report.head_hash.as_deref(), Some(views[3].event_hash));

        let report = verify_events(views.iter().copied().skip(1));
        let failure = report.failure.expect("failure");
        assert_eq!(
            (failure.kind, failure.index, report.events),
            (FailureKind::SequenceGap, 0, 0)
        );
    }

    #[test]
    fn another_session_mid_chain_is_a_session_mismatch() {
        let ours = chain(3, 2);
        let theirs = chain(4, 2);
        let mixed = [ours[0].clone(), theirs[1].clone()];
        let views = views(&mixed, &canonical_payloads(&mixed));
        let failure = verify_events(views.into_iter()).failure.expect("failure");
        assert_eq!(
            (failure.kind, failure.index),
            (FailureKind::SessionMismatch, 1)
        );
    }

    #[test]
    fn chain_verifier_keeps_its_head_across_a_failure() {
        let events = chain(6, 3);
        let views = views(&events, &canonical_payloads(&events));
        let mut verifier = ChainVerifier::new();
        assert_eq!((verifier.head_hash(), verifier.events), (None, 0));
        check(&mut verifier, &views[0]).expect("genesis");
        let err = check(&mut verifier, &views[2]).expect_err("gap");
        assert_eq!(err.0, FailureKind::SequenceGap);
        assert_eq!(
            (verifier.head_hash(), verifier.events),
            (Some(views[0].event_hash), 1)
        );
        check(&mut verifier, &views[1]).expect("successor");
        check(&mut verifier, &views[2]).expect("successor");
        assert_eq!(
            (verifier.head_hash(), verifier.events),
            (Some(views[2].event_hash), 3)
        );
        let mut tampered = views[2];
        tampered.fields.sequence = 3;
        tampered.fields.previous_event_hash = views[2].event_hash;
        let err = check(&mut verifier, &tampered).expect_err("hash");
        assert_eq!(err.0, FailureKind::HashMismatch);
    }

    #[test]
    fn failure_kinds_use_trace_verify_names() {
        let names: Vec<&str> = [
            FailureKind::Malformed,
            FailureKind::SequenceGap,
            FailureKind::ChainBroken,
            FailureKind::HashMismatch,
            FailureKind::SessionMismatch,
        ]
        .iter()
        .map(|k| k.as_str())
        .collect();
        assert_eq!(
            names,
            [
                "malformed",
                "sequence_gap",
                "chain_broken",
                "hash_mismatch",
                "session_mismatch"
            ]
        );
    }
}
