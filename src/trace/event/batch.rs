//! Owned runs: sealed events with their payloads packed in one text. The
//! sealer writes an operation's events into one, and the memory store keeps
//! a session's events in a list of them.

use super::run::EventRun;
use super::sealed::SealedEvent;

/// Sealed events, in sequence order, and the text their payloads are packed
/// in (see [`EventRun`]), plus possibly the payload of the next event being
/// written at the end of the text.
#[derive(Clone, Debug, Default)]
pub struct EventBatch {
    events: Vec<SealedEvent>,
    payloads: String,
    /// Where the payload not yet attached to an event starts: the end of
    /// the last event's.
    pending: usize,
}

impl EventBatch {
    /// A batch that takes `events` events and `payload_bytes` bytes of
    /// payload text before it allocates again.
    pub fn with_capacity(events: usize, payload_bytes: usize) -> EventBatch {
        EventBatch {
            events: Vec::with_capacity(events),
            payloads: String::with_capacity(payload_bytes),
            pending: 0,
        }
    }

    /// The events and their payloads, without a payload still being written.
    pub fn as_run(&self) -> EventRun<'_> {
        EventRun::new(&self.events, self.attached_text())
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Bytes of payload text of the events.
    pub fn payload_bytes(&self) -> usize {
        self.pending
    }

    /// The text the next event's payload is appended to; [`Self::push_pending`]
    /// then attaches what was appended to that event.
    pub fn payload_writer(&mut self) -> &mut String {
        &mut self.payloads
    }

    /// The payload appended since the last event.
    pub fn pending_payload(&self) -> &str {
        self.payloads.get(self.pending..).unwrap_or_default()
    }

    /// Adds `event` with the payload appended since the last event.
    pub fn push_pending(&mut self, mut event: SealedEvent) {
        event.payload_offset = text_offset(self.pending);
        self.events.push(event);
        self.pending = self.payloads.len();
    }

    /// Adds `event` with `payload`.
    #[cfg(any(test, feature = "test-support"))]
    pub fn push(&mut self, event: SealedEvent, payload: &str) {
        self.payloads.truncate(self.pending);
        self.payloads.push_str(payload);
        self.push_pending(event);
    }

    /// Whether `run` fits in the room allocated, so that appending it moves
    /// nothing already stored.
    pub fn has_room_for(&self, run: EventRun<'_>) -> bool {
        self.events.capacity() - self.events.len() >= run.len()
            && self.payloads.capacity() - self.pending >= run.payload_text().len()
    }

    /// Appends the events of `run` with their payloads.
    pub fn extend(&mut self, run: EventRun<'_>) {
        self.payloads.truncate(self.pending);
        let (Some(first), text) = (run.events().first(), run.payload_text()) else {
            return;
        };
        // Each offset moves by where the run's text lands here. (Wrapping:
        // a broken run's offsets stay broken, and fail verification.)
        let (from, to) = (first.payload_offset, text_offset(self.pending));
        self.events
            .extend(run.events().iter().map(|event| SealedEvent {
                payload_offset: event.payload_offset.wrapping_sub(from).wrapping_add(to),
                ..*event
            }));
        self.payloads.push_str(text);
        self.pending = self.payloads.len();
    }

    /// Heap bytes the batch holds, used or not.
    pub fn retained_bytes(&self) -> usize {
        self.events.capacity() * std::mem::size_of::<SealedEvent>() + self.payloads.capacity()
    }

    /// Empties the batch, keeping its room.
    pub fn clear(&mut self) {
        self.events.clear();
        self.payloads.clear();
        self.pending = 0;
    }

    fn attached_text(&self) -> &str {
        self.payloads.get(..self.pending).unwrap_or_default()
    }
}

/// `position` in a batch's text as an event's payload offset.
///
/// A batch's text stays far below 4 GiB: the sealer hands its batch to the
/// store once it passes a megabyte, and the texts a payload holds are
/// bounded (see limits.rs), so this cannot fail in practice; if it did, the
/// panic would stop the processor (or fail the call) instead of corrupting
/// the chain.
fn text_offset(position: usize) -> u32 {
    u32::try_from(position).expect("a run's payload text stays under 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::event_type::EventType;
    use uuid::Uuid;

    fn event(n: u8) -> SealedEvent {
        SealedEvent {
            event_id: Uuid::from_bytes([n; 16]),
            span_id: Uuid::nil(),
            parent_span_id: None,
            timestamp: i64::from(n),
            event_type: EventType::SessionStarted,
            payload_offset: 0,
            event_hash: [n; 32],
        }
    }

    fn contents(batch: &EventBatch) -> Vec<(i64, &str)> {
        batch
            .as_run()
            .iter()
            .map(|stored| (stored.event.timestamp, stored.payload))
            .collect()
    }

    #[test]
    fn payloads_written_in_place_attach_to_the_next_event() {
        let mut batch = EventBatch::default();
        batch.payload_writer().push_str("{\"a\":");
        batch.payload_writer().push_str("1}");
        assert_eq!(batch.pending_payload(), "{\"a\":1}");
        batch.push_pending(event(1));
        batch.push(event(2), "{}");
        batch.payload_writer().push_str("{\"unfinished\"");
        assert_eq!(contents(&batch), [(1, "{\"a\":1}"), (2, "{}")]);
        assert_eq!((batch.len(), batch.payload_bytes()), (2, 9));
        // A payload pushed whole replaces one left unfinished.
        batch.push(event(3), "[]");
        assert_eq!(contents(&batch)[2], (3, "[]"));
        batch.clear();
        assert!(batch.is_empty() && batch.as_run().payload_text().is_empty());
    }

    #[test]
    fn extending_moves_offsets_to_where_the_text_lands() {
        let mut source = EventBatch::default();
        for (n, payload) in [(1, "{\"x\":\"é\"}"), (2, "{}"), (3, "[1]")] {
            source.push(event(n), payload);
        }
        let mut batch = EventBatch::with_capacity(4, 20);
        batch.push(event(0), "{\"first\":0}");
        assert!(batch.has_room_for(source.as_run().skip(1)));
        assert!(!batch.has_room_for(source.as_run()));
        batch.extend(source.as_run().skip(1));
        batch.extend(source.as_run().skip(3));
        assert_eq!(
            contents(&batch),
            [(0, "{\"first\":0}"), (2, "{}"), (3, "[1]")]
        );
        let mut copy = EventBatch::default();
        copy.extend(batch.as_run());
        assert_eq!(contents(&copy), contents(&batch));
    }
}
