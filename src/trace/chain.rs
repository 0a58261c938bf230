//! One session's hash chain: its ids, its tail (the next sequence number and
//! the last hash), and the counters that sync points wait on.

use super::event::ids::{ChainIds, ChainTexts};
use super::verify::Head;
use crate::config::TraceMode;
use crossbeam_utils::CachePadded;
use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// Where the next event of a chain attaches.
#[derive(Debug)]
pub struct ChainTail {
    pub next_sequence: u64,
    pub previous_hash: [u8; 32],
}

/// A session's chain, shared by the session and (in deferred mode) the
/// processor thread.
///
/// `emitted` counts events accepted into the trace and is raised before the
/// operation is published; `processed` counts events sealed and stored and
/// is raised after the store has them. A waiter that read `emitted = n` is
/// done once `processed >= n`.
#[derive(Debug)]
pub struct SessionChain {
    ids: ChainIds,
    root_span: Uuid,
    /// Fixed when the session begins: who seals its events.
    mode: TraceMode,
    /// The ids every event hashes, as text: formatted once, not per operation.
    texts: ChainTexts,
    emitted: AtomicU64,
    /// Apart from `emitted` (see `Totals`): the session's producer and the
    /// processor write these at the same time.
    processed: CachePadded<AtomicU64>,
    tail: Mutex<ChainTail>,
}

impl SessionChain {
    pub fn new(ids: ChainIds, root_span: Uuid, mode: TraceMode) -> Arc<SessionChain> {
        SessionChain::continuing(ids, root_span, Head::EMPTY, mode)
    }

    /// The chain of a session whose events up to `head` are stored already
    /// (by an earlier resolver): the next event attaches after them, and
    /// the counters start at their number.
    pub fn continuing(
        ids: ChainIds,
        root_span: Uuid,
        head: Head,
        mode: TraceMode,
    ) -> Arc<SessionChain> {
        Arc::new(SessionChain {
            ids,
            root_span,
            mode,
            texts: ChainTexts::new(ids),
            emitted: AtomicU64::new(head.events),
            processed: CachePadded::new(AtomicU64::new(head.events)),
            tail: Mutex::new(ChainTail {
                next_sequence: head.events,
                previous_hash: head.hash,
            }),
        })
    }

    /// The head of what is sealed: the events and the last one's hash.
    pub fn head(&self) -> Head {
        let tail = self.lock_tail();
        Head {
            events: tail.next_sequence,
            hash: tail.previous_hash,
        }
    }

    pub fn ids(&self) -> ChainIds {
        self.ids
    }

    /// Whether the caller's thread or the trace processor seals this chain.
    pub fn mode(&self) -> TraceMode {
        self.mode
    }

    /// The span of `session.started`, parent of every operation's span.
    pub fn root_span(&self) -> Uuid {
        self.root_span
    }

    /// The session and trace ids as events hash them.
    pub fn texts(&self) -> &ChainTexts {
        &self.texts
    }

    pub fn emitted(&self) -> u64 {
        self.emitted.load(Ordering::SeqCst)
    }

    pub fn processed(&self) -> u64 {
        self.processed.load(Ordering::SeqCst)
    }

    /// Every event emitted so far is stored.
    pub fn is_ready(&self) -> bool {
        // Read `processed` first: it never passes `emitted`, so the pair is
        // consistent even while both move.
        let processed = self.processed();
        processed >= self.emitted()
    }

    /// Counts `events` as accepted; call before publishing them.
    pub fn mark_emitted(&self, events: u64) {
        self.emitted.fetch_add(events, Ordering::SeqCst);
    }

    /// The tail, locked: whoever seals holds it across sealing and storing,
    /// which keeps the store in chain order even if two threads ever sealed
    /// for the same session.
    pub fn lock_tail(&self) -> MutexGuard<'_, ChainTail> {
        self.tail.lock()
    }

    /// Counts `events` as stored; call after the store has them.
    pub fn mark_processed(&self, events: u64) {
        self.processed.fetch_add(events, Ordering::SeqCst);
    }
}
