//! The form a durable store keeps an operation's events in: only what the
//! chain does not imply. An operation is one JSON array with an array per
//! event,
//!
//! ```text
//! [[event_id, span_id, parent_span_id, timestamp, event_type, payload, event_hash], …]
//! ```
//!
//! The trace version, the session and trace ids, the sequence numbers and
//! each event's previous hash follow from the operation's row and the row
//! before it; reading rebuilds TRACE/1.0 lines from them, byte for byte as
//! libcra writes them. This halves what each event costs on disk, and a
//! database's own JSON functions can still rebuild the lines (README.md,
//! "The SQLite store").

use crate::time::timestamp::format_timestamp;
use crate::trace::event::fields::TRACE_VERSION;
use crate::trace::event::hex::{hex_text, GENESIS_HASH_HEX};
use crate::trace::event::ids::ChainTexts;
use crate::trace::event::{EventFields, EventRun, EventView};
use crate::trace::export::jsonl::write_line;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Appends the events of `run` to `out`, an operation's array being built:
/// `[` before the first event, `,` between events.
pub fn push_events(out: &mut String, run: EventRun<'_>) {
    for stored in run.iter() {
        let event = stored.event;
        out.push(if out.is_empty() { '[' } else { ',' });
        out.push_str("[\"");
        push_uuid(out, &event.event_id);
        out.push_str("\",\"");
        push_uuid(out, &event.span_id);
        match &event.parent_span_id {
            Some(parent) => {
                out.push_str("\",\"");
                push_uuid(out, parent);
                out.push_str("\",\"");
            }
            None => out.push_str("\",null,\""),
        }
        out.push_str(std::str::from_utf8(&format_timestamp(event.timestamp)).unwrap_or_default());
        out.push_str("\",\"");
        out.push_str(event.event_type.as_str());
        out.push_str("\",");
        out.push_str(stored.payload);
        out.push_str(",\"");
        let mut hash = [0u8; 64];
        out.push_str(hex_text(&mut hash, &event.event_hash));
        out.push_str("\"]");
    }
}

/// Ends an operation's array (`[]` for an operation of no events).
pub fn finish(out: &mut String) {
    if out.is_empty() {
        out.push('[');
    }
    out.push(']');
}

fn push_uuid(out: &mut String, id: &uuid::Uuid) {
    out.push_str(
        id.hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer()),
    );
}

/// The `event_hash` of an operation's last event, read off the end of its
/// text (`…,"<64 hex digits>"]]`).
pub fn last_event_hash(events: &str) -> Option<&str> {
    let end = events.len().checked_sub("\"]]".len())?;
    events.get(end.checked_sub(64)?..end)
}

/// One stored event, borrowed from its operation's text.
#[derive(Deserialize)]
struct CompactEvent<'a>(
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a str,
    &'a str,
    &'a RawValue,
    &'a str,
);

/// Rebuilds a session's lines from its operations, in order.
pub struct LineWriter<'a> {
    chain: &'a ChainTexts,
    /// The previous event's hash (zeros before the first).
    previous: String,
}

impl<'a> LineWriter<'a> {
    pub fn new(chain: &'a ChainTexts) -> LineWriter<'a> {
        LineWriter {
            chain,
            previous: GENESIS_HASH_HEX.to_owned(),
        }
    }

    /// Appends the lines of the operation whose first event has sequence
    /// number `first_sequence`. Errors: the text is not an operation's.
    pub fn write(
        &mut self,
        out: &mut String,
        first_sequence: u64,
        events: &str,
    ) -> Result<(), String> {
        let events: Vec<CompactEvent<'_>> = serde_json::from_str(events).map_err(|err| {
            format!("the operation at sequence {first_sequence} is unreadable: {err}")
        })?;
        for (sequence, event) in (first_sequence..).zip(&events) {
            let fields = EventFields {
                trace_version: TRACE_VERSION,
                event_id: event.0,
                trace_id: &self.chain.trace_id,
                span_id: event.1,
                parent_span_id: event.2,
                session_id: &self.chain.session_id,
                sequence,
                timestamp: event.3,
                event_type: event.4,
                canonical_payload: event.5.get(),
                previous_event_hash: &self.previous,
            };
            write_line(
                out,
                &EventView {
                    fields,
                    event_hash: event.6,
                },
            );
            self.previous.clear();
            self.previous.push_str(event.6);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::batch::EventBatch;
    use crate::trace::event::{ChainIds, EventType, SealedEvent, StoredEvents};
    use crate::trace::export::jsonl::{write_jsonl_from, ChainPosition};
    use uuid::Uuid;

    /// Events `range` of a made-up chain: ids, parents, payloads and hashes
    /// that differ from event to event.
    fn batch(range: std::ops::Range<u8>) -> EventBatch {
        let mut batch = EventBatch::default();
        for n in range {
            let event = SealedEvent {
                event_id: Uuid::from_u128(1000 + u128::from(n)),
                span_id: Uuid::from_u128(2000 + u128::from(n)),
                parent_span_id: (n > 0).then(|| Uuid::from_u128(2000)),
                timestamp: 1_795_867_200_000_000 + i64::from(n),
                event_type: EventType::PolicyEvaluated,
                payload_offset: 0,
                event_hash: [n; 32],
            };
            batch.push(event, &format!("{{\"n\":{n},\"text\":\"\\u00e9\\n\"}}"));
        }
        batch
    }

    /// Operations of any size written compactly read back as the very
    /// lines the JSONL export writes.
    #[test]
    fn compact_operations_read_back_as_the_exported_lines() {
        let ids = ChainIds {
            session_id: Uuid::from_u128(1),
            trace_id: Uuid::from_u128(2),
        };
        let whole = batch(0..9);
        let mut exported = String::new();
        write_jsonl_from(
            &mut exported,
            ids,
            ChainPosition::GENESIS,
            StoredEvents::new(&[whole.as_run()]),
        );

        let texts = ChainTexts::new(ids);
        let mut writer = LineWriter::new(&texts);
        let mut rebuilt = String::new();
        for part in [0..1, 1..4, 4..4, 4..9] {
            let first = part.start;
            let events = batch(part.clone());
            let mut text = String::new();
            push_events(&mut text, events.as_run());
            finish(&mut text);
            writer.write(&mut rebuilt, u64::from(first), &text).unwrap();
            if !part.is_empty() {
                let mut hex = [0u8; 64];
                let last = [part.end - 1; 32];
                assert_eq!(last_event_hash(&text), Some(hex_text(&mut hex, &last)));
            }
        }
        assert_eq!(rebuilt, exported);
        assert!(writer.write(&mut rebuilt, 0, "[[\"x\"]]").is_err());
    }
}
