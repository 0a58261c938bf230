//! The event hash of TRACE.md: SHA-256 over the event's members,
//! concatenated. The one definition: sealing, both verifiers and the tests
//! all hash through [`event_hash`].

use super::event::fields::EventFields;
use sha2::{Digest, Sha256};

/// SHA-256 of TRACE.md's concatenation of `event`'s members:
/// `trace_version + event_id + trace_id + span_id + (parent_span_id or "")
/// + session_id + decimal(sequence) + timestamp + event_type
/// + canonical_json(payload) + previous_event_hash`.
///
/// Code that hashes many events keeps an [`EventHasher`] instead.
pub fn event_hash(event: &EventFields<'_>) -> [u8; 32] {
    EventHasher::default().hash(event)
}

/// Appends to `out` the bytes `event`'s hash covers: TRACE.md's
/// concatenation of its members.
pub fn write_hashed_text(out: &mut Vec<u8>, event: &EventFields<'_>) {
    let mut sequence = itoa::Buffer::new();
    let pieces = [
        event.trace_version,
        event.event_id,
        event.trace_id,
        event.span_id,
        event.parent_span_id.unwrap_or_default(),
        event.session_id,
        sequence.format(event.sequence),
        event.timestamp,
        event.event_type,
        event.canonical_payload,
        event.previous_event_hash,
    ];
    for piece in pieces {
        out.extend_from_slice(piece.as_bytes());
    }
}

/// Hashes events one after another, reusing the buffer their
/// concatenation is laid out in: SHA-256 over one contiguous text costs
/// much less than feeding the hasher eleven short pieces.
#[derive(Default)]
pub struct EventHasher {
    text: Vec<u8>,
}

impl EventHasher {
    /// [`event_hash`] of `event`.
    pub fn hash(&mut self, event: &EventFields<'_>) -> [u8; 32] {
        self.text.clear();
        write_hashed_text(&mut self.text, event);
        Sha256::digest(&self.text).into()
    }

    /// Heap bytes the hasher keeps from one event to the next.
    pub fn retained_bytes(&self) -> usize {
        self.text.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::canonical_json;
    use crate::trace::event::hex::{hex_lower, GENESIS_HASH_HEX};
    use serde_json::Value;

    const VECTOR: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/chain-valid.jsonl"
    );

    fn str_field<'v>(event: &'v Value, name: &str) -> &'v str {
        event[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} is a string"))
    }

    #[test]
    fn vector_events_hash_to_their_event_hash() {
        let text = std::fs::read_to_string(VECTOR).expect("the test vector");
        let events: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("vector line is JSON"))
            .collect();
        assert_eq!(events.len(), 3);
        for event in &events {
            let payload = canonical_json(&event["payload"]).expect("finite payload");
            let fields = EventFields {
                trace_version: str_field(event, "trace_version"),
                event_id: str_field(event, "event_id"),
                trace_id: str_field(event, "trace_id"),
                span_id: str_field(event, "span_id"),
                parent_span_id: event["parent_span_id"].as_str(),
                session_id: str_field(event, "session_id"),
                sequence: event["sequence"].as_u64().expect("sequence"),
                timestamp: str_field(event, "timestamp"),
                event_type: str_field(event, "event_type"),
                canonical_payload: &payload,
                previous_event_hash: str_field(event, "previous_event_hash"),
            };
            assert_eq!(
                hex_lower(&event_hash(&fields)),
                str_field(event, "event_hash")
            );
        }
    }

    #[test]
    fn a_reused_hasher_hashes_each_event_alone() {
        let small = EventFields {
            trace_version: "1.0",
            event_id: "e",
            trace_id: "t",
            span_id: "s",
            parent_span_id: Some("p"),
            session_id: "x",
            sequence: 7,
            timestamp: "ts",
            event_type: "type",
            canonical_payload: "{}",
            previous_event_hash: GENESIS_HASH_HEX,
        };
        let payload = format!("{{\"a\":\"{}\"}}", "x".repeat(500));
        let large = EventFields {
            canonical_payload: &payload,
            parent_span_id: None,
            ..small
        };
        let mut hasher = EventHasher::default();
        for event in [&small, &large, &small] {
            assert_eq!(hasher.hash(event), event_hash(event));
        }
        assert_ne!(event_hash(&small), event_hash(&large));
    }

    #[test]
    fn hash_is_one_sha256_of_the_concatenation() {
        let genesis = EventFields {
            trace_version: "1.0",
            event_id: "e",
            trace_id: "t",
            span_id: "s",
            parent_span_id: None,
            session_id: "x",
            sequence: 42,
            timestamp: "ts",
            event_type: "type",
            canonical_payload: "{\"a\":1}",
            previous_event_hash: GENESIS_HASH_HEX,
        };
        let sha256 = |text: String| -> [u8; 32] { Sha256::digest(text.as_bytes()).into() };
        assert_eq!(
            event_hash(&genesis),
            sha256(format!("1.0etsx42tstype{{\"a\":1}}{GENESIS_HASH_HEX}"))
        );
        let child = EventFields {
            parent_span_id: Some("p"),
            ..genesis
        };
        assert_eq!(
            event_hash(&child),
            sha256(format!("1.0etspx42tstype{{\"a\":1}}{GENESIS_HASH_HEX}"))
        );
    }
}
