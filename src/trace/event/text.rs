//! A stored event as text: the members a [`SealedEvent`] keeps in binary
//! (ids, timestamp, hashes) or leaves to its place in the chain (sequence,
//! previous hash, session), formatted on the stack. Sealing hashes these
//! fields, export writes them and stored verification re-hashes them, so
//! all three see exactly the same text.

use super::fields::{EventFields, EventView, TRACE_VERSION};
use super::hex::write_hex_lower;
use super::ids::{uuid_ascii, ChainTexts, UUID_TEXT_LEN};
use super::run::StoredEvent;
use crate::time::timestamp::{format_timestamp, TIMESTAMP_LEN};

/// A stored event at its place in its chain: all its text depends on.
#[derive(Clone, Copy, Debug)]
pub struct ChainedEvent<'a> {
    pub sequence: u64,
    pub stored: StoredEvent<'a>,
    /// The hash of the event before it; all zeros for a session's first
    /// event, whose `previous_event_hash` is 64 zeros.
    pub previous: &'a [u8; 32],
}

/// The text of one chained event.
pub struct EventText<'a> {
    chain: &'a ChainTexts,
    event: ChainedEvent<'a>,
    event_id: [u8; UUID_TEXT_LEN],
    span_id: [u8; UUID_TEXT_LEN],
    parent_span_id: Option<[u8; UUID_TEXT_LEN]>,
    timestamp: [u8; TIMESTAMP_LEN],
    previous_event_hash: [u8; 64],
    event_hash: [u8; 64],
}

impl<'a> EventText<'a> {
    /// The text of `event`, of the chain whose ids read `chain`.
    pub fn new(chain: &'a ChainTexts, event: ChainedEvent<'a>) -> EventText<'a> {
        let sealed = event.stored.event;
        let mut previous_event_hash = [0u8; 64];
        write_hex_lower(&mut previous_event_hash, event.previous);
        let mut event_hash = [0u8; 64];
        write_hex_lower(&mut event_hash, &sealed.event_hash);
        EventText {
            chain,
            event,
            event_id: uuid_ascii(&sealed.event_id),
            span_id: uuid_ascii(&sealed.span_id),
            parent_span_id: sealed.parent_span_id.as_ref().map(uuid_ascii),
            timestamp: format_timestamp(sealed.timestamp),
            previous_event_hash,
            event_hash,
        }
    }

    /// The members the event's hash covers.
    pub fn fields(&self) -> EventFields<'_> {
        EventFields {
            trace_version: TRACE_VERSION,
            event_id: ascii(&self.event_id),
            trace_id: ascii(&self.chain.trace_id),
            span_id: ascii(&self.span_id),
            parent_span_id: self.parent_span_id.as_ref().map(|parent| ascii(parent)),
            session_id: ascii(&self.chain.session_id),
            sequence: self.event.sequence,
            timestamp: ascii(&self.timestamp),
            event_type: self.event.stored.event.event_type.as_str(),
            canonical_payload: self.event.stored.payload,
            previous_event_hash: ascii(&self.previous_event_hash),
        }
    }

    /// The event with its stored hash, as its JSONL line holds it.
    pub fn view(&self) -> EventView<'_> {
        EventView {
            fields: self.fields(),
            event_hash: ascii(&self.event_hash),
        }
    }
}

/// Text this module formatted: ASCII digits, letters and separators.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::UnixMicros;
    use crate::trace::event::event_type::EventType;
    use crate::trace::event::hex::GENESIS_HASH_HEX;
    use crate::trace::event::ids::ChainIds;
    use crate::trace::event::sealed::SealedEvent;
    use uuid::Uuid;

    fn event(timestamp: UnixMicros, parent: Option<u128>) -> SealedEvent {
        SealedEvent {
            event_id: Uuid::from_u128(0xabcdef << 64 | 1),
            span_id: Uuid::from_u128(0xfedcba << 64 | 2),
            parent_span_id: parent.map(Uuid::from_u128),
            timestamp,
            event_type: EventType::PolicyEvaluated,
            payload_offset: 0,
            event_hash: [0xc3; 32],
        }
    }

    #[test]
    fn members_read_as_trace_md_writes_them() {
        let chain = ChainTexts::new(ChainIds {
            session_id: Uuid::from_u128(5),
            trace_id: Uuid::from_u128(6),
        });
        let sealed = event(1_795_867_200_000_250, Some(7));
        let previous = [0x5a; 32];
        let chained = ChainedEvent {
            sequence: 9,
            stored: StoredEvent {
                event: &sealed,
                payload: "{\"a\":1}",
            },
            previous: &previous,
        };
        let text = EventText::new(&chain, chained);
        let view = text.view();
        assert_eq!(view.fields.event_id, "00000000-00ab-cdef-0000-000000000001");
        assert_eq!(view.fields.trace_id, "00000000-0000-0000-0000-000000000006");
        assert_eq!(
            view.fields.session_id,
            "00000000-0000-0000-0000-000000000005"
        );
        assert_eq!(
            view.fields.parent_span_id,
            Some("00000000-0000-0000-0000-000000000007")
        );
        assert_eq!(view.fields.timestamp, "2026-11-28T12:00:00.000250Z");
        assert_eq!(view.fields.event_type, "policy.evaluated");
        assert_eq!(view.fields.previous_event_hash, "5a".repeat(32));
        assert_eq!(view.event_hash, "c3".repeat(32));
        assert_eq!(
            (view.fields.sequence, view.fields.canonical_payload),
            (9, "{\"a\":1}")
        );

        let genesis = ChainedEvent {
            previous: &[0; 32],
            ..chained
        };
        let genesis_text = EventText::new(&chain, genesis);
        assert_eq!(genesis_text.fields().previous_event_hash, GENESIS_HASH_HEX);
    }
}
