//! Stored events back to TRACE/1.0 text: JSON Lines export.

use super::event::{ChainIds, SealedEvent};
use super::event_run::StoredEvent;
use super::hash::write_hex_lower;
use super::ids::ChainTexts;
use super::seal::TRACE_VERSION;
use super::stored_events::StoredEvents;
use super::stored_hash::StoredTexts;
use super::timestamp::{TimestampText, TIMESTAMP_LEN};
use super::verify::EventView;

/// The texts of one stored event, formatted on the stack.
struct EventTexts {
    stored: StoredTexts,
    event_hash: [u8; 64],
}

impl EventTexts {
    fn new(
        event: &SealedEvent,
        previous: Option<&SealedEvent>,
        timestamp: [u8; TIMESTAMP_LEN],
    ) -> EventTexts {
        let mut event_hash = [0; 64];
        write_hex_lower(&mut event_hash, &event.event_hash);
        EventTexts {
            stored: StoredTexts::new(event, previous.map(|p| &p.event_hash), timestamp),
            event_hash,
        }
    }

    fn view<'a>(
        &'a self,
        chain: &'a ChainTexts,
        sequence: u64,
        stored: StoredEvent<'a>,
    ) -> EventView<'a> {
        EventView {
            trace_version: TRACE_VERSION,
            event_id: ascii(&self.stored.event_id),
            trace_id: ascii(&chain.trace_id),
            span_id: ascii(&self.stored.span_id),
            parent_span_id: self.stored.parent_span_id.as_ref().map(|p| ascii(p)),
            session_id: ascii(&chain.session_id),
            sequence,
            timestamp: ascii(&self.stored.timestamp),
            event_type: stored.event.event_type.as_str(),
            canonical_payload: stored.payload,
            event_hash: ascii(&self.event_hash),
            previous_event_hash: ascii(&self.stored.previous_event_hash),
        }
    }
}

/// Visits each of `events` (a session's whole chain, in order) as the text
/// view a reader of its JSONL would see.
fn for_each_view(ids: ChainIds, events: StoredEvents<'_>, mut visit: impl FnMut(EventView<'_>)) {
    let chain = ChainTexts::new(ids);
    let mut timestamps = TimestampText::default();
    let mut previous = None;
    for (sequence, stored) in events.iter().enumerate() {
        let event = stored.event;
        let texts = EventTexts::new(event, previous, timestamps.of(event.timestamp));
        visit(texts.view(&chain, sequence as u64, stored));
        previous = Some(event);
    }
}

/// Appends `events`, the whole chain of a session in order, as JSON Lines.
pub fn write_jsonl(out: &mut String, ids: ChainIds, events: StoredEvents<'_>) {
    out.reserve(events.payload_bytes() + events.len() * 480);
    for_each_view(ids, events, |view| write_line(out, &view));
}

/// One event as a line, members in the order of TRACE.md's table.
fn write_line(out: &mut String, view: &EventView<'_>) {
    out.push_str("{\"trace_version\":\"");
    out.push_str(view.trace_version);
    out.push_str("\",\"event_id\":\"");
    out.push_str(view.event_id);
    out.push_str("\",\"trace_id\":\"");
    out.push_str(view.trace_id);
    out.push_str("\",\"span_id\":\"");
    out.push_str(view.span_id);
    out.push_str("\",\"parent_span_id\":");
    match view.parent_span_id {
        Some(parent) => {
            out.push('"');
            out.push_str(parent);
            out.push('"');
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"session_id\":\"");
    out.push_str(view.session_id);
    out.push_str("\",\"sequence\":");
    out.push_str(itoa::Buffer::new().format(view.sequence));
    out.push_str(",\"timestamp\":\"");
    out.push_str(view.timestamp);
    out.push_str("\",\"event_type\":\"");
    out.push_str(view.event_type);
    out.push_str("\",\"payload\":");
    out.push_str(view.canonical_payload);
    out.push_str(",\"event_hash\":\"");
    out.push_str(view.event_hash);
    out.push_str("\",\"previous_event_hash\":\"");
    out.push_str(view.previous_event_hash);
    out.push_str("\"}\n");
}

fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}
