//! Sessions: one agent's conversation, its chain, and the state its
//! requests are checked against.

use super::request_ids::RequestIds;
use super::resolutions::SessionRecords;
use crate::error::{Error, ErrorKind, Result};
use crate::policy::usage::Usage;
use crate::sharded::ShardedMap;
use crate::time::clock::UnixMicros;
use crate::trace::chain::SessionChain;
use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// A session id: the UUIDv7 that names the session in its trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub Uuid);

impl SessionId {
    /// Parses the canonical text form (36 lowercase characters with hyphens).
    ///
    /// Errors: `InvalidArgument` naming the text when it is not one.
    pub fn parse(text: &str) -> Result<SessionId> {
        crate::trace::event::ids::parse_uuid(text)
            .map(SessionId)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "'{}' is not a session id (a lowercase hyphenated UUID)",
                        truncated(text)
                    ),
                )
            })
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

pub use crate::error::truncated;

/// What a session's operations read and change, under the session's lock.
/// Holding this lock is what serializes one session's operations, so its
/// sequence numbers follow call order.
#[derive(Debug, Default)]
pub struct SessionState {
    pub ended: bool,
    pub request_ids: RequestIds,
    /// Budgets used (rate limits count per agent: [`super::agents`]).
    pub usage: Usage,
    /// Resolutions and approved checks, for checks, approvals and reports.
    pub records: SessionRecords,
}

/// One session.
#[derive(Debug)]
pub struct Session {
    pub chain: Arc<SessionChain>,
    /// The chain's trace id as text, which every resolution carries.
    pub trace_id_text: Box<str>,
    pub agent_id: Box<str>,
    pub started_at: UnixMicros,
    state: Mutex<SessionState>,
}

impl Session {
    pub fn new(chain: Arc<SessionChain>, agent_id: &str, started_at: UnixMicros) -> Session {
        Session {
            trace_id_text: chain.ids().trace_id.hyphenated().to_string().into(),
            chain,
            agent_id: agent_id.into(),
            started_at,
            state: Mutex::new(SessionState::default()),
        }
    }

    pub fn id(&self) -> SessionId {
        SessionId(self.chain.ids().session_id)
    }

    /// Locks the session for one operation.
    pub fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock()
    }
}

/// Every session of a resolver, found by id without a global lock.
#[derive(Default)]
pub struct SessionTable {
    sessions: ShardedMap<Arc<Session>>,
    active: AtomicU64,
    /// Sessions in memory, active or ended.
    resident: AtomicU64,
}

impl SessionTable {
    pub fn new() -> SessionTable {
        SessionTable::default()
    }

    pub fn insert(&self, session: Arc<Session>) {
        self.active.fetch_add(1, Ordering::Relaxed);
        self.resident.fetch_add(1, Ordering::Relaxed);
        let id = session.id().0;
        self.sessions.shard(&id).insert(id, session);
    }

    /// Forgets an ended session whose events are all in a durable store,
    /// which serves it from then on.
    pub fn evict(&self, id: Uuid) {
        if self.sessions.shard(&id).remove(&id).is_some() {
            self.resident.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Sessions in memory, active or ended.
    pub fn resident(&self) -> u64 {
        self.resident.load(Ordering::Relaxed)
    }

    /// The session `id`. Errors: `NotFound`.
    pub fn get(&self, id: SessionId) -> Result<Arc<Session>> {
        self.sessions
            .shard(&id.0)
            .get(&id.0)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("session '{id}' not found")))
    }

    /// Counts a session as no longer active (it stays readable).
    pub fn mark_ended(&self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn active(&self) -> u64 {
        self.active.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_parse_only_in_canonical_form() {
        let id = SessionId::parse("01936f2a-7c00-7000-8000-000000000001").unwrap();
        assert_eq!(id.to_string(), "01936f2a-7c00-7000-8000-000000000001");
        let err = SessionId::parse("01936F2A-7C00-7000-8000-000000000001").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("01936F2A"), "{err}");
    }

    #[test]
    fn long_input_is_truncated_in_messages() {
        let long = "é".repeat(100);
        let short = truncated(&long);
        assert_eq!(short.chars().count(), 65);
        assert!(short.ends_with('…'));
        assert_eq!(truncated("abc"), "abc");
    }
}
