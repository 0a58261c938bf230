//! A database for tests of the durable store: rows in memory, commits that
//! fail on command, as a full or read-only disk would.

use super::backend::{StoreReader, StoreWriter, StoredSession};
use super::pending::PendingOperation;
use super::DurableStore;
use crate::trace::verify::Head;
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// The committed rows, shared by the writer, the reader and the test.
#[derive(Default)]
pub struct TestDatabase {
    /// Per session: operations by first sequence number.
    operations: Mutex<FxHashMap<Uuid, BTreeMap<u64, String>>>,
    sessions: Mutex<FxHashMap<Uuid, StoredSession>>,
    /// While set, every commit fails and changes nothing.
    pub failing: AtomicBool,
    pub commits: AtomicU64,
}

impl TestDatabase {
    /// A durable store over this database.
    pub fn store(self: &Arc<Self>, max_waiting_bytes: usize) -> DurableStore {
        DurableStore::start(
            "test database".into(),
            Box::new(self.clone()),
            Box::new(self.clone()),
            max_waiting_bytes,
        )
        .unwrap()
    }

    /// Removes the session's last operation, as a cut file would.
    pub fn cut_last_operation(&self, session: Uuid) {
        if let Some(operations) = self.operations.lock().get_mut(&session) {
            operations.pop_last();
        }
    }

    /// Events committed for `session`.
    pub fn committed_events(&self, session: Uuid) -> u64 {
        self.sessions
            .lock()
            .get(&session)
            .map_or(0, |stored| stored.head.events)
    }
}

impl StoreWriter for Arc<TestDatabase> {
    fn commit(&mut self, batch: &[Arc<PendingOperation>]) -> Result<(), String> {
        if self.failing.load(Ordering::SeqCst) {
            return Err("disk full (injected by the test)".into());
        }
        let mut operations = self.operations.lock();
        let mut sessions = self.sessions.lock();
        for operation in batch {
            let id = operation.ids.session_id;
            operations
                .entry(id)
                .or_default()
                .insert(operation.first_sequence, operation.events.clone());
            if let Some(start) = &operation.started {
                sessions.entry(id).or_insert_with(|| StoredSession {
                    ids: operation.ids,
                    agent_id: start.agent_id.clone(),
                    root_span: start.root_span,
                    started_at: start.started_at,
                    ended: false,
                    head: Head::EMPTY,
                    damaged: false,
                });
            }
            if let Some(session) = sessions.get_mut(&id) {
                session.head = operation.head;
                session.ended |= operation.ended_at.is_some();
            }
        }
        self.commits.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl StoreReader for Arc<TestDatabase> {
    fn session(&self, id: Uuid) -> Result<Option<StoredSession>, String> {
        Ok(self.sessions.lock().get(&id).cloned())
    }

    fn operations(
        &self,
        id: Uuid,
        before: u64,
        visit: &mut dyn FnMut(u64, &str) -> Result<(), String>,
    ) -> Result<(), String> {
        let operations = self.operations.lock().get(&id).cloned().unwrap_or_default();
        for (&first, events) in operations.range(..before) {
            visit(first, events)?;
        }
        Ok(())
    }
}
