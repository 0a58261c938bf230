//! The event hash of TRACE.md: SHA-256 over the event's members,
//! concatenated. The one definition: sealing, both verifiers and the tests
//! all hash through [`event_hash`].

use super::event::fields::EventFields;
use sha2::{Digest, Sha256};

/// SHA-256 of TRACE.md's concatenation of `event`'s members:
/// `trace_version + event_id + trace_id + span_id + (parent_span_id or "")
/// + session_id + decimal(sequence) + timestamp + event_type
/// + canonical_json(payload) + previous_event_hash`.
pub fn event_hash(event: &EventFields<'_>) -> [u8; 32] {
    let mut sequence = itoa::Buffer::new();
    Sha256::new()
        .chain_update(event.trace_version)
        .chain_update(event.event_id)
        .chain_update(event.trace_id)
        .chain_update(event.span_id)
        .chain_update(event.parent_span_id.unwrap_or_default())
        .chain_update(event.session_id)
        .chain_update(sequence.format(event.sequence))
        .chain_update(event.timestamp)
        .chain_update(event.event_type)
        .chain_update(event.canonical_payload)
        .chain_update(event.previous_event_hash)
        .finalize()
        .into()
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
