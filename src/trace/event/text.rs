//! A stored event as text: the members a [`SealedEvent`] keeps in binary
//! (ids, timestamp, the previous hash) or leaves to its place in the chain
//! (sequence, session), formatted on the stack. Sealing hashes these
//! fields, export writes them and stored verification re-hashes them, so
//! all three see exactly the same text.
//!
//! [`SealedEvent`]: super::SealedEvent

use super::fields::{EventFields, TRACE_VERSION};
use super::hex::write_hex_lower;
use super::ids::{ChainTexts, UUID_TEXT_LEN};
use super::run::StoredEvent;
use crate::time::timestamp::{format_timestamp, TIMESTAMP_LEN};
use crate::time::UnixMicros;
use std::ops::Range;

/// A stored event at its place in its chain: all its text depends on.
#[derive(Clone, Copy, Debug)]
pub struct ChainedEvent<'a> {
    pub sequence: u64,
    pub stored: StoredEvent<'a>,
    /// The hash of the event before it; all zeros for a session's first
    /// event, whose `previous_event_hash` is 64 zeros.
    pub previous: &'a [u8; 32],
}

/// Where each member formatted here sits in an [`EventText`]'s text.
const EVENT_ID: Range<usize> = 0..UUID_TEXT_LEN;
const SPAN_ID: Range<usize> = EVENT_ID.end..EVENT_ID.end + UUID_TEXT_LEN;
const PARENT_SPAN_ID: Range<usize> = SPAN_ID.end..SPAN_ID.end + UUID_TEXT_LEN;
const TIMESTAMP: Range<usize> = PARENT_SPAN_ID.end..PARENT_SPAN_ID.end + TIMESTAMP_LEN;
const PREVIOUS_EVENT_HASH: Range<usize> = TIMESTAMP.end..TIMESTAMP.end + 64;
const TEXT_LEN: usize = PREVIOUS_EVENT_HASH.end;

/// Formats event timestamps, reusing the text of the last one: the events
/// of one operation share their time.
#[derive(Default)]
pub struct Timestamps {
    last: Option<(UnixMicros, [u8; TIMESTAMP_LEN])>,
}

impl Timestamps {
    /// The text of `micros`.
    pub fn text(&mut self, micros: UnixMicros) -> [u8; TIMESTAMP_LEN] {
        match self.last {
            Some((last, text)) if last == micros => text,
            _ => {
                let text = format_timestamp(micros);
                self.last = Some((micros, text));
                text
            }
        }
    }
}

/// The text of one chained event.
pub struct EventText<'a> {
    chain: &'a ChainTexts,
    event: ChainedEvent<'a>,
    /// The members formatted here, back to back (ASCII), so that the text
    /// is checked as UTF-8 once rather than member by member.
    text: [u8; TEXT_LEN],
}

impl<'a> EventText<'a> {
    /// The text of `event`, of the chain whose ids read `chain`, its
    /// timestamp formatted by `timestamps`.
    pub fn new(
        chain: &'a ChainTexts,
        event: ChainedEvent<'a>,
        timestamps: &mut Timestamps,
    ) -> EventText<'a> {
        let sealed = event.stored.event;
        let mut text = [0u8; TEXT_LEN];
        sealed
            .event_id
            .hyphenated()
            .encode_lower(&mut text[EVENT_ID]);
        sealed.span_id.hyphenated().encode_lower(&mut text[SPAN_ID]);
        if let Some(parent) = sealed.parent_span_id {
            parent.hyphenated().encode_lower(&mut text[PARENT_SPAN_ID]);
        }
        text[TIMESTAMP].copy_from_slice(&timestamps.text(sealed.timestamp));
        write_hex_lower(&mut text[PREVIOUS_EVENT_HASH], event.previous);
        EventText { chain, event, text }
    }

    /// The members the event's hash covers.
    pub fn fields(&self) -> EventFields<'_> {
        // Only ASCII was written; a failure would give empty members, which
        // hash to something else, never a panic.
        let text = std::str::from_utf8(&self.text).unwrap_or_default();
        let member = |range: Range<usize>| text.get(range).unwrap_or_default();
        let sealed = self.event.stored.event;
        EventFields {
            trace_version: TRACE_VERSION,
            event_id: member(EVENT_ID),
            trace_id: &self.chain.trace_id,
            span_id: member(SPAN_ID),
            parent_span_id: sealed.parent_span_id.map(|_| member(PARENT_SPAN_ID)),
            session_id: &self.chain.session_id,
            sequence: self.event.sequence,
            timestamp: member(TIMESTAMP),
            event_type: sealed.event_type.as_str(),
            canonical_payload: self.event.stored.payload,
            previous_event_hash: member(PREVIOUS_EVENT_HASH),
        }
    }
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
        let text = EventText::new(&chain, chained, &mut Timestamps::default());
        let fields = text.fields();
        assert_eq!(fields.event_id, "00000000-00ab-cdef-0000-000000000001");
        assert_eq!(fields.trace_id, "00000000-0000-0000-0000-000000000006");
        assert_eq!(fields.session_id, "00000000-0000-0000-0000-000000000005");
        assert_eq!(
            fields.parent_span_id,
            Some("00000000-0000-0000-0000-000000000007")
        );
        assert_eq!(fields.timestamp, "2026-11-28T12:00:00.000250Z");
        assert_eq!(fields.event_type, "policy.evaluated");
        assert_eq!(fields.previous_event_hash, "5a".repeat(32));
        assert_eq!(
            (fields.sequence, fields.canonical_payload),
            (9, "{\"a\":1}")
        );

        let genesis = ChainedEvent {
            previous: &[0; 32],
            ..chained
        };
        let genesis_text = EventText::new(&chain, genesis, &mut Timestamps::default());
        assert_eq!(genesis_text.fields().previous_event_hash, GENESIS_HASH_HEX);
    }
}
