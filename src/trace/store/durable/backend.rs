//! What a database behind a [`super::DurableStore`] provides: a writer that
//! commits batches of whole operations, and a reader for what is committed.
//! SQLite implements it (`store/sqlite/`), and PostgreSQL
//! (`store/postgres/`), which many resolvers share.

use super::pending::PendingOperation;
use crate::trace::event::ChainIds;
use crate::trace::verify::Head;
use std::sync::Arc;
use uuid::Uuid;

/// Commits on the store's writer thread.
pub trait StoreWriter: Send + 'static {
    /// Commits `batch` in one transaction: every operation of it or none.
    /// Committing an operation that is already stored (a retry after a
    /// commit whose outcome was lost) must change nothing. Errors: the
    /// database's message.
    fn commit(&mut self, batch: &[Arc<PendingOperation>]) -> Result<(), String>;
}

/// Reads what is committed, from any thread.
pub trait StoreReader: Send + Sync + 'static {
    /// What the store knows of session `id`, or `None`.
    fn session(&self, id: Uuid) -> Result<Option<StoredSession>, String>;

    /// Calls `visit` with each committed operation of the session whose
    /// first sequence number is below `before` (all for `u64::MAX`), in
    /// order: its first sequence number and its events ([`super::compact`]).
    fn operations(
        &self,
        id: Uuid,
        before: u64,
        visit: &mut dyn FnMut(u64, &str) -> Result<(), String>,
    ) -> Result<(), String>;

    /// Takes session `id` for this resolver before it resumes it, so no
    /// two resolvers sharing the database append to one chain. A session
    /// that is unknown or has ended is left as it is (`Claimed`: resuming
    /// reports it). The default always succeeds: a store that only one
    /// resolver opens at a time (SQLite, locked per file) has no one to
    /// take a session from.
    fn claim(&self, id: Uuid) -> Result<Claim, String> {
        let _ = id;
        Ok(Claim::Claimed)
    }
}

/// What [`StoreReader::claim`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The session is this resolver's now (or unknown, or ended).
    Claimed,
    /// Another resolver that is still running holds the session open.
    HeldElsewhere,
}

/// A session as the store holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    pub ids: ChainIds,
    pub agent_id: String,
    /// The span of `session.started`, parent of the session's operations.
    pub root_span: Uuid,
    /// When `session.started` was emitted, in Unix microseconds.
    pub started_at: i64,
    pub ended: bool,
    /// The head committed with the session's last operation.
    pub head: Head,
    /// Whether the session's last stored event is not its head (found when
    /// the store was opened, or when the session was read): its tail was
    /// cut off or changed.
    pub damaged: bool,
}

/// A head's hash as the stores keep it, 64 hex digits, as bytes.
pub fn parse_hash(hex: &str) -> Option<[u8; 32]> {
    let mut hash = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (byte, pair) in hash.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(hash)
}
