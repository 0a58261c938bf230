//! Where sealed events live: the [`TraceStore`] seam and its in-memory default.
//!
//! Immediate mode writes on the caller's thread, deferred mode on the
//! processor thread; both go through this trait, so a host (or a test) can
//! plug in a store that outlives the resolver, and a durable store can be
//! added without touching the pipeline.

use super::event::{ChainIds, SealedEvent};
use crate::sharded::ShardedMap;
use uuid::Uuid;

/// Append-only storage of sealed events, per session.
///
/// Calls for one session arrive in chain order and never concurrently with
/// each other; calls for different sessions may run in parallel.
pub trait TraceStore: Send + Sync + 'static {
    /// Appends `events` (already sealed, in sequence order) to the session
    /// `chain.session_id`, taking them out of the vector.
    fn append(&self, chain: ChainIds, events: &mut Vec<SealedEvent>);

    /// Calls `visit` with the session's stored events from position `from`
    /// on, in sequence order (with nothing when the session is unknown).
    fn read(&self, session_id: Uuid, from: usize, visit: &mut dyn FnMut(&[SealedEvent]));
}

/// The default store: every session's events in memory.
#[derive(Default)]
pub struct MemoryStore {
    sessions: ShardedMap<Vec<SealedEvent>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Number of events stored for `session_id`.
    pub fn len(&self, session_id: Uuid) -> usize {
        self.sessions
            .shard(&session_id)
            .get(&session_id)
            .map_or(0, Vec::len)
    }

    /// Number of events stored for every session together.
    pub fn total_len(&self) -> usize {
        let mut total = 0;
        self.sessions
            .for_each_shard(|shard| total += shard.values().map(Vec::len).sum::<usize>());
        total
    }
}

impl TraceStore for MemoryStore {
    fn append(&self, chain: ChainIds, events: &mut Vec<SealedEvent>) {
        let mut shard = self.sessions.shard(&chain.session_id);
        shard.entry(chain.session_id).or_default().append(events);
    }

    fn read(&self, session_id: Uuid, from: usize, visit: &mut dyn FnMut(&[SealedEvent])) {
        let shard = self.sessions.shard(&session_id);
        if let Some(events) = shard.get(&session_id) {
            visit(events.get(from..).unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::EventType;

    fn event(n: u8) -> SealedEvent {
        SealedEvent {
            event_id: Uuid::from_bytes([n; 16]),
            span_id: Uuid::from_bytes([n; 16]),
            parent_span_id: None,
            timestamp: i64::from(n),
            event_type: EventType::SessionStarted,
            payload: "{}".into(),
            event_hash: [n; 32],
        }
    }

    #[test]
    fn appends_in_order_per_session_and_reads_from_an_offset() {
        let store = MemoryStore::new();
        let a = ChainIds {
            session_id: Uuid::from_bytes([1; 16]),
            trace_id: Uuid::from_bytes([2; 16]),
        };
        let b = ChainIds {
            session_id: Uuid::from_bytes([3; 16]),
            trace_id: Uuid::from_bytes([4; 16]),
        };
        let mut batch = vec![event(1), event(2)];
        store.append(a, &mut batch);
        assert!(batch.is_empty());
        store.append(b, &mut vec![event(9)]);
        store.append(a, &mut vec![event(3)]);

        let mut seen = Vec::new();
        store.read(a.session_id, 1, &mut |events| {
            seen.extend(events.iter().map(|e| e.timestamp))
        });
        assert_eq!(seen, vec![2, 3]);
        assert_eq!(store.len(a.session_id), 3);
        assert_eq!(store.len(b.session_id), 1);
        assert_eq!(store.total_len(), 4);

        let mut called = false;
        store.read(Uuid::nil(), 0, &mut |_| called = true);
        assert!(!called);
        store.read(a.session_id, 99, &mut |events| assert!(events.is_empty()));
    }
}
