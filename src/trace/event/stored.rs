//! A session's stored events as a store hands them to readers: runs, in
//! sequence order, read as one sequence.

use super::run::{EventRun, StoredEvent};
use super::sealed::SealedEvent;

/// Consecutive events of one chain, kept in several runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoredEvents<'a> {
    runs: &'a [EventRun<'a>],
}

impl<'a> StoredEvents<'a> {
    pub fn new(runs: &'a [EventRun<'a>]) -> StoredEvents<'a> {
        StoredEvents { runs }
    }

    pub fn len(&self) -> usize {
        self.runs.iter().map(EventRun::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.iter().all(EventRun::is_empty)
    }

    /// Bytes of payload text of all the events.
    pub fn payload_bytes(&self) -> usize {
        self.runs.iter().map(|run| run.payload_text().len()).sum()
    }

    /// The event at position `index`.
    pub fn get(&self, index: usize) -> Option<&'a SealedEvent> {
        let mut index = index;
        for run in self.runs {
            match run.events().get(index) {
                Some(event) => return Some(event),
                None => index -= run.len(),
            }
        }
        None
    }

    /// The events with their payloads, in order.
    pub fn iter(self) -> impl Iterator<Item = StoredEvent<'a>> {
        self.iter_from(0)
    }

    /// The events with their payloads, in order, from position `from` on.
    pub fn iter_from(self, from: usize) -> impl Iterator<Item = StoredEvent<'a>> {
        skip_events(self.runs.iter().copied(), from).flat_map(EventRun::iter)
    }
}

/// `runs` without their first `count` events together.
pub fn skip_events<'a>(
    runs: impl Iterator<Item = EventRun<'a>>,
    count: usize,
) -> impl Iterator<Item = EventRun<'a>> {
    let mut left = count;
    runs.map(move |run| {
        let skipped = left.min(run.len());
        left -= skipped;
        run.skip(skipped)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::batch::EventBatch;
    use crate::trace::event::event_type::EventType;
    use uuid::Uuid;

    fn batch(first: i64, payloads: &[&str]) -> EventBatch {
        let mut batch = EventBatch::default();
        for (n, payload) in payloads.iter().enumerate() {
            let event = SealedEvent {
                event_id: Uuid::nil(),
                span_id: Uuid::nil(),
                parent_span_id: None,
                timestamp: first + n as i64,
                event_type: EventType::PolicyEvaluated,
                payload_offset: 0,
                event_hash: [0; 32],
            };
            batch.push(event, payload);
        }
        batch
    }

    #[test]
    fn runs_read_as_one_sequence() {
        let batches = [
            batch(0, &["{}", "[]"]),
            batch(2, &[]),
            batch(2, &["{\"é\":2}"]),
        ];
        let runs: Vec<EventRun<'_>> = batches.iter().map(EventBatch::as_run).collect();
        let events = StoredEvents::new(&runs);
        assert_eq!((events.len(), events.payload_bytes()), (3, 12));
        assert!(!events.is_empty() && StoredEvents::default().is_empty());
        let read = |from| -> Vec<(i64, &str)> {
            events
                .iter_from(from)
                .map(|stored| (stored.event.timestamp, stored.payload))
                .collect()
        };
        assert_eq!(read(0), [(0, "{}"), (1, "[]"), (2, "{\"é\":2}")]);
        assert_eq!(read(2), [(2, "{\"é\":2}")]);
        assert_eq!(read(3), []);
        assert_eq!(events.iter().count(), 3);
        let timestamps: Vec<Option<i64>> =
            (0..4).map(|i| events.get(i).map(|e| e.timestamp)).collect();
        assert_eq!(timestamps, [Some(0), Some(1), Some(2), None]);
    }
}
