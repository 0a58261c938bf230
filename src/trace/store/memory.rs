//! The default store: every session's events in memory, in chunks that
//! never move.
//!
//! A store only grows, and the first write to a fresh page costs more than
//! sealing writes into it, so the layout aims to touch each stored byte once: payloads are packed into their
//! chunk's text (no allocation, header or rounding per event), and a full
//! chunk stays where it is while the next one fills (a vector that doubles
//! copies everything it holds into fresh memory each time).

use super::{AppendedRun, TraceStore};
use crate::error::Result;
use crate::sharded::ShardedMap;
use crate::trace::event::batch::EventBatch;
use crate::trace::event::stored::skip_events;
use crate::trace::event::{ChainIds, EventRun, SealedEvent, StoredEvents};
use crate::trace::export::write_jsonl;
use crate::trace::verify::stored::verify_stored;
use crate::trace::verify::VerifyReport;
use uuid::Uuid;

/// The most bytes each of a chunk's two buffers (records, payload text)
/// takes, unless one run needs more. Allocators serve bigger blocks with a
/// mapping of their own (glibc from 128 KiB on) that goes back to the
/// kernel when freed, so the next chunks would fault in fresh pages again;
/// below that, memory freed with a session or a resolver is reused. Past
/// this size, bigger chunks would save only an allocation per thousand
/// events.
const MAX_CHUNK_BYTES: usize = 96 * 1024;

/// The most events a chunk holds.
const MAX_CHUNK_EVENTS: usize = MAX_CHUNK_BYTES / std::mem::size_of::<SealedEvent>();

/// Payload room a chunk gets beyond the session's average, in eighths, so
/// that payloads a little longer than usual still fit.
const PAYLOAD_SLACK_EIGHTHS: usize = 1;

#[derive(Default)]
pub struct MemoryStore {
    sessions: ShardedMap<SessionEvents>,
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
            .map_or(0, |session| session.len)
    }

    /// Calls `visit` once with the session's stored events from position
    /// `from` on, in sequence order (empty past the end), or not at all
    /// when the session is unknown.
    pub fn read(&self, session_id: Uuid, from: usize, visit: &mut dyn FnMut(StoredEvents<'_>)) {
        let shard = self.sessions.shard(&session_id);
        if let Some(session) = shard.get(&session_id) {
            let chunks = session.chunks.iter().map(EventBatch::as_run);
            let runs: Vec<EventRun<'_>> = skip_events(chunks, from).collect();
            visit(StoredEvents::new(&runs));
        }
    }

    /// Number of events stored for every session together.
    pub fn total_len(&self) -> usize {
        let mut total = 0;
        self.sessions.for_each_shard(|shard| {
            total += shard.values().map(|session| session.len).sum::<usize>()
        });
        total
    }
}

impl TraceStore for MemoryStore {
    fn append(&self, run: AppendedRun<'_>) {
        let session_id = run.ids.session_id;
        let mut shard = self.sessions.shard(&session_id);
        shard.entry(session_id).or_default().append(run.events);
    }

    fn write_jsonl(&self, ids: ChainIds, out: &mut String) -> Result<bool> {
        let mut known = false;
        self.read(ids.session_id, 0, &mut |events| {
            known = true;
            write_jsonl(out, ids, events)
        });
        Ok(known)
    }

    /// Verifies the events as stored, without formatting them as text first.
    fn verify(&self, ids: ChainIds, threads: usize) -> Result<Option<VerifyReport>> {
        let mut report = None;
        self.read(ids.session_id, 0, &mut |events| {
            report = Some(verify_stored(ids, events, threads))
        });
        Ok(report)
    }

    /// Appending copies into memory under a shard's lock.
    fn appends_promptly(&self) -> bool {
        true
    }
}

/// One session's events: chunks filled one after the other.
#[derive(Default)]
struct SessionEvents {
    chunks: Vec<EventBatch>,
    len: usize,
    payload_bytes: usize,
}

impl SessionEvents {
    fn append(&mut self, run: EventRun<'_>) {
        if run.is_empty() {
            return;
        }
        if !self
            .chunks
            .last()
            .is_some_and(|chunk| chunk.has_room_for(run))
        {
            self.chunks.push(self.next_chunk(run));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.extend(run);
        }
        self.len += run.len();
        self.payload_bytes += run.payload_text().len();
    }

    /// A chunk for `run` and the runs after it: room for as many events as
    /// the session holds (so chunks double, and the room not yet used stays
    /// a fraction of what is stored), and for as much payload text as that
    /// many events of the session's average take; within
    /// [`MAX_CHUNK_BYTES`] each, but at least the run.
    fn next_chunk(&self, run: EventRun<'_>) -> EventBatch {
        let text = run.payload_text().len();
        let events = self.len.min(MAX_CHUNK_EVENTS).max(run.len());
        let average = (self.payload_bytes + text).div_ceil(self.len + run.len());
        let payload_bytes = events * average * (8 + PAYLOAD_SLACK_EIGHTHS) / 8;
        EventBatch::with_capacity(events, payload_bytes.min(MAX_CHUNK_BYTES).max(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::EventType;

    fn batch(timestamps: std::ops::Range<i64>) -> EventBatch {
        let mut batch = EventBatch::default();
        for timestamp in timestamps {
            let event = SealedEvent {
                event_id: Uuid::nil(),
                span_id: Uuid::nil(),
                parent_span_id: None,
                timestamp,
                event_type: EventType::SessionStarted,
                payload_offset: 0,
                event_hash: [0; 32],
            };
            batch.push(
                event,
                &format!("{{\"n\":{}}}", "1".repeat(timestamp as usize % 50)),
            );
        }
        batch
    }

    fn ids(n: u8) -> ChainIds {
        ChainIds {
            session_id: Uuid::from_bytes([n; 16]),
            trace_id: Uuid::from_bytes([n + 100; 16]),
        }
    }

    /// The timestamps and payloads `read` gives for `session` from `from` on.
    fn read(store: &MemoryStore, session: ChainIds, from: usize) -> Vec<(i64, String)> {
        let mut seen = Vec::new();
        store.read(session.session_id, from, &mut |events| {
            seen.extend(
                events
                    .iter()
                    .map(|e| (e.event.timestamp, e.payload.to_owned())),
            )
        });
        seen
    }

    fn expected(timestamps: std::ops::Range<i64>) -> Vec<(i64, String)> {
        let batch = batch(timestamps);
        let run = batch.as_run();
        run.iter()
            .map(|e| (e.event.timestamp, e.payload.to_owned()))
            .collect()
    }

    /// Appends `batch` to `session`; only the events count to this store.
    fn append(store: &MemoryStore, session: ChainIds, batch: &EventBatch) {
        store.append(AppendedRun {
            ids: session,
            first_sequence: 0,
            previous_hash: &[0; 32],
            events: batch.as_run(),
            part: crate::trace::store::OperationPart::Last,
        });
    }

    #[test]
    fn appends_in_order_per_session_and_reads_from_an_offset() {
        let store = MemoryStore::new();
        let (a, b) = (ids(1), ids(3));
        append(&store, a, &batch(1..3));
        append(&store, b, &batch(9..10));
        append(&store, a, &batch(3..4));
        append(&store, a, &batch(4..4));

        assert_eq!(read(&store, a, 1), expected(2..4));
        assert_eq!(read(&store, b, 0), expected(9..10));
        assert_eq!(store.len(a.session_id), 3);
        assert_eq!(store.len(b.session_id), 1);
        assert_eq!(store.total_len(), 4);

        let mut called = false;
        store.read(Uuid::nil(), 0, &mut |_| called = true);
        assert!(!called);
        store.read(a.session_id, 99, &mut |events| assert!(events.is_empty()));
    }

    #[test]
    fn long_sessions_fill_chunks_that_never_move() {
        let store = MemoryStore::new();
        let a = ids(1);
        // Runs of growing payloads, so some chunks fill with text first.
        let mut next = 0;
        for size in (1..300).cycle().take(3000) {
            append(&store, a, &batch(next..next + size % 7 + 1));
            next += size % 7 + 1;
        }
        for from in [0, 1, 1023, 1024, 5000, next as usize] {
            assert_eq!(read(&store, a, from), expected(from as i64..next));
        }
        let shard = store.sessions.shard(&a.session_id);
        let chunks = &shard[&a.session_id].chunks;
        assert!(chunks.len() > 3);
        assert!(chunks.iter().all(|chunk| chunk.len() <= MAX_CHUNK_EVENTS));
    }
}
