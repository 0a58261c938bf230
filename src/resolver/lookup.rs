//! Finding a session for reading: in memory, or, once it has left memory,
//! in the durable store.

use super::session::{Session, SessionId};
use super::{ended, Resolver};
use crate::error::{Error, ErrorKind, Result};
use crate::trace::event::ChainIds;
use crate::trace::store::durable::backend::StoredSession;
use std::sync::Arc;

/// A session as reads find it.
pub(super) enum Found {
    /// In memory: active, or ended with events not yet all committed.
    Live(Arc<Session>),
    /// Only in the durable store: ended and committed, or left open by an
    /// earlier resolver.
    Stored(StoredSession),
}

impl Found {
    pub fn ids(&self) -> ChainIds {
        match self {
            Found::Live(session) => session.chain.ids(),
            Found::Stored(stored) => stored.ids,
        }
    }
}

impl Resolver {
    /// The session `id`, wherever it is. Errors: `NotFound`; `Io` when the
    /// store cannot be read.
    pub(super) fn find_session(&self, id: SessionId) -> Result<Found> {
        let not_found = match self.sessions.get(id) {
            Ok(session) => return Ok(Found::Live(session)),
            Err(not_found) => not_found,
        };
        let Some(store) = self.recorder.durable_store() else {
            return Err(not_found);
        };
        // A session leaves memory only once the store has committed it,
        // so one missing from memory is in the store or nowhere.
        store
            .stored_session(id.0)?
            .map(Found::Stored)
            .ok_or(not_found)
    }
}

impl Resolver {
    /// The session `id` in memory, for an operation on it. A session only
    /// in the durable store is `SessionEnded` when it has ended (as it was
    /// before it left memory), else `NotFound` saying to resume it.
    /// Errors: `NotFound`, `SessionEnded`, `Io`.
    pub(super) fn active_session(&self, id: SessionId) -> Result<Arc<Session>> {
        let not_found = match self.sessions.get(id) {
            Ok(session) => return Ok(session),
            Err(not_found) => not_found,
        };
        let stored = match self.recorder.durable_store() {
            Some(store) => store.stored_session(id.0)?,
            None => None,
        };
        Err(match stored {
            Some(stored) if stored.ended => ended(id),
            Some(_) => Error::new(
                ErrorKind::NotFound,
                format!(
                    "session '{id}' is in the store but not active in this resolver: \
                     resume it first (cra_session_resume)"
                ),
            ),
            None => not_found,
        })
    }
}
