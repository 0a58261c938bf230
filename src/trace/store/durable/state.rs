//! What a durable store keeps in memory: per session, the head of what was
//! appended and the operations not yet committed; store-wide, the writer's
//! queue and the counters.

use super::pending::PendingOperation;
use crate::trace::verify::Head;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::Arc;
use uuid::Uuid;

/// A session with events in memory: open, or ended with events not yet
/// committed. Everything else about it is in the database.
#[derive(Debug)]
pub struct Resident {
    /// The head of what was appended.
    pub appended: Head,
    /// Events committed (the chain's length on disk).
    pub durable: u64,
    pub ended: bool,
    /// Appended operations not yet committed, in order.
    pub pending: VecDeque<Arc<PendingOperation>>,
    /// An operation whose last run has not come yet.
    pub partial: Option<PendingOperation>,
}

impl Resident {
    /// A session whose chain continues at `head`, all of which is committed
    /// (nothing, for a new session).
    pub fn at(head: Head) -> Resident {
        Resident {
            appended: head,
            durable: head.events,
            ended: false,
            pending: VecDeque::new(),
            partial: None,
        }
    }

    /// Every event is committed and the session has ended: it may leave memory.
    pub fn is_finished(&self) -> bool {
        self.ended && self.pending.is_empty() && self.partial.is_none()
    }
}

/// The store's shared state, under one lock.
#[derive(Debug, Default)]
pub struct State {
    pub sessions: FxHashMap<Uuid, Resident>,
    /// Operations for the writer, in append order.
    pub queue: VecDeque<Arc<PendingOperation>>,
    /// Events appended (this process), all sessions.
    pub appended: u64,
    /// Of those, committed.
    pub durable: u64,
    pub commits: u64,
    /// Failed commits (each retried).
    pub write_errors: u64,
    pub evicted: u64,
    /// The database's message while commits fail; `None` once one succeeds.
    pub last_error: Option<String>,
    /// Shutdown asked the writer to finish.
    pub stopping: bool,
    /// The writer has finished: nothing more will be committed.
    pub stopped: bool,
}

impl State {
    /// Counts the committed `batch` as durable and returns the sessions
    /// that may now leave memory.
    pub fn mark_committed(&mut self, batch: &[Arc<PendingOperation>]) -> Vec<Uuid> {
        let mut finished = Vec::new();
        for operation in batch {
            self.durable += operation.event_count;
            let id = operation.ids.session_id;
            let Some(resident) = self.sessions.get_mut(&id) else {
                continue;
            };
            resident.durable = resident.durable.max(operation.head.events);
            if resident
                .pending
                .front()
                .is_some_and(|front| Arc::ptr_eq(front, operation))
            {
                resident.pending.pop_front();
            }
            if resident.is_finished() {
                self.sessions.remove(&id);
                self.evicted += 1;
                finished.push(id);
            }
        }
        self.commits += 1;
        self.last_error = None;
        finished
    }
}
