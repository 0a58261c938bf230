//! A run: consecutive sealed events of one chain and the text their payloads
//! are packed in. The sealer hands stores runs, and stores hand runs back.

use super::sealed::SealedEvent;

/// Consecutive events of one chain, in sequence order, with the text their
/// payloads are packed in: each event's payload starts at its
/// `payload_offset` and ends where the next event's starts, the last one's
/// at the end of `payloads`.
#[derive(Clone, Copy, Debug)]
pub struct EventRun<'a> {
    events: &'a [SealedEvent],
    payloads: &'a str,
}

/// One event as read from a run: its record and its payload text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredEvent<'a> {
    pub event: &'a SealedEvent,
    pub payload: &'a str,
}

impl<'a> EventRun<'a> {
    pub fn new(events: &'a [SealedEvent], payloads: &'a str) -> EventRun<'a> {
        EventRun { events, payloads }
    }

    pub fn events(&self) -> &'a [SealedEvent] {
        self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The run without its first `count` events (empty past its end).
    pub fn skip(self, count: usize) -> EventRun<'a> {
        EventRun {
            events: self.events.get(count..).unwrap_or_default(),
            payloads: self.payloads,
        }
    }

    /// The text of the run's payloads, from the first event's on.
    pub fn payload_text(&self) -> &'a str {
        let start = self.events.first().map_or(self.payloads.len(), offset);
        self.payloads.get(start..).unwrap_or_default()
    }

    /// The payload of the event at `index` (empty past the end).
    ///
    /// Offsets out of order or off a character boundary (a broken store)
    /// give an empty payload, which fails verification, rather than a panic.
    pub fn payload(&self, index: usize) -> &'a str {
        let Some(event) = self.events.get(index) else {
            return "";
        };
        let end = self
            .events
            .get(index + 1)
            .map_or(self.payloads.len(), offset);
        self.payloads.get(offset(event)..end).unwrap_or_default()
    }

    /// The events with their payloads, in order.
    pub fn iter(self) -> impl Iterator<Item = StoredEvent<'a>> {
        self.events
            .iter()
            .enumerate()
            .map(move |(index, event)| StoredEvent {
                event,
                payload: self.payload(index),
            })
    }
}

fn offset(event: &SealedEvent) -> usize {
    event.payload_offset as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::event_type::EventType;
    use uuid::Uuid;

    fn event(payload_offset: u32) -> SealedEvent {
        SealedEvent {
            event_id: Uuid::nil(),
            span_id: Uuid::nil(),
            parent_span_id: None,
            timestamp: 0,
            event_type: EventType::SessionStarted,
            payload_offset,
            event_hash: [0; 32],
        }
    }

    fn payloads(run: EventRun<'_>) -> Vec<&str> {
        run.iter().map(|stored| stored.payload).collect()
    }

    #[test]
    fn each_payload_runs_to_the_next_offset_and_the_last_to_the_end() {
        let events = [event(2), event(4), event(4), event(7)];
        let run = EventRun::new(&events, "--{}[]{\"é\":1}");
        assert_eq!(payloads(run), ["{}", "", "[]{", "\"é\":1}"]);
        assert_eq!(run.payload_text(), "{}[]{\"é\":1}");
        assert_eq!(payloads(run.skip(2)), ["[]{", "\"é\":1}"]);
        assert_eq!(run.skip(2).payload_text(), "[]{\"é\":1}");
        assert_eq!((run.payload(4), run.skip(9).len()), ("", 0));
        assert_eq!(run.skip(9).payload_text(), "");
    }

    #[test]
    fn broken_offsets_give_empty_payloads_not_panics() {
        let events = [event(1), event(3), event(9), event(8)];
        // 1 inside "é", 9 past the end, 9..8 backwards.
        let run = EventRun::new(&events, "é{}a");
        assert_eq!(payloads(run), ["", "", "", ""]);
        assert_eq!(run.payload_text(), "");
    }
}
