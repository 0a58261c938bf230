//! Stored events back to TRACE/1.0 text: JSON Lines export.

use crate::trace::event::hex::hex_text;
use crate::trace::event::ids::{ChainIds, ChainTexts};
use crate::trace::event::text::{ChainedEvent, EventText, Timestamps};
use crate::trace::event::{EventView, StoredEvents};

/// Bytes a line takes beside its payload, about: reserved ahead so the
/// text rarely moves while it grows.
const LINE_BYTES_BESIDE_PAYLOAD: usize = 480;

/// Appends `events`, the whole chain of a session in order, as JSON Lines.
pub fn write_jsonl(out: &mut String, ids: ChainIds, events: StoredEvents<'_>) {
    write_jsonl_from(out, ids, ChainPosition::GENESIS, events);
}

/// Where a part of a chain attaches: the sequence number of its first event
/// and the hash of the event before it.
#[derive(Clone, Copy)]
pub struct ChainPosition<'a> {
    pub sequence: u64,
    pub previous_hash: &'a [u8; 32],
}

impl ChainPosition<'static> {
    /// The start of every chain.
    pub const GENESIS: ChainPosition<'static> = ChainPosition {
        sequence: 0,
        previous_hash: &[0; 32],
    };
}

/// Appends `events`, a part of a session's chain that starts at `start`, as
/// JSON Lines.
pub fn write_jsonl_from(
    out: &mut String,
    ids: ChainIds,
    start: ChainPosition<'_>,
    events: StoredEvents<'_>,
) {
    out.reserve(events.payload_bytes() + events.len() * LINE_BYTES_BESIDE_PAYLOAD);
    let chain = ChainTexts::new(ids);
    let mut previous = start.previous_hash;
    let mut timestamps = Timestamps::default();
    for (sequence, stored) in (start.sequence..).zip(events.iter()) {
        let chained = ChainedEvent {
            sequence,
            stored,
            previous,
        };
        let text = EventText::new(&chain, chained, &mut timestamps);
        let mut event_hash = [0u8; 64];
        let view = EventView {
            fields: text.fields(),
            event_hash: hex_text(&mut event_hash, &stored.event.event_hash),
        };
        write_line(out, &view);
        previous = &stored.event.event_hash;
    }
}

/// One event as a line, members in the order of TRACE.md's table.
pub fn write_line(out: &mut String, view: &EventView<'_>) {
    let event = &view.fields;
    out.push_str("{\"trace_version\":\"");
    out.push_str(event.trace_version);
    out.push_str("\",\"event_id\":\"");
    out.push_str(event.event_id);
    out.push_str("\",\"trace_id\":\"");
    out.push_str(event.trace_id);
    out.push_str("\",\"span_id\":\"");
    out.push_str(event.span_id);
    out.push_str("\",\"parent_span_id\":");
    match event.parent_span_id {
        Some(parent) => {
            out.push('"');
            out.push_str(parent);
            out.push('"');
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"session_id\":\"");
    out.push_str(event.session_id);
    out.push_str("\",\"sequence\":");
    out.push_str(itoa::Buffer::new().format(event.sequence));
    out.push_str(",\"timestamp\":\"");
    out.push_str(event.timestamp);
    out.push_str("\",\"event_type\":\"");
    out.push_str(event.event_type);
    out.push_str("\",\"payload\":");
    out.push_str(event.canonical_payload);
    out.push_str(",\"event_hash\":\"");
    out.push_str(view.event_hash);
    out.push_str("\",\"previous_event_hash\":\"");
    out.push_str(event.previous_event_hash);
    out.push_str("\"}\n");
}
