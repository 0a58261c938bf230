//! Resuming a session that an earlier resolver left open in a durable
//! store: its chain goes on after a `session.resumed` event.

use super::session::{Session, SessionId};
use super::{check_argument, ended, Resolver};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::MAX_TEXT_LEN;
use crate::trace::chain::SessionChain;
use crate::trace::record::operation::{Operation, OperationEvents};
use std::sync::Arc;

impl Resolver {
    /// Continues session `session_id`, open in the store when its last
    /// resolver stopped, and records `session.resumed` with `reason`. The
    /// session then takes requests of its agent as before; request ids used
    /// before the restart are not remembered.
    ///
    /// Errors: `InvalidArgument` (over-long reason); `NotFound` (unknown, or
    /// the store is the memory store); `SessionEnded`; `Conflict` (active in
    /// this resolver, or held open by another resolver sharing the store);
    /// `Io` (the store cannot be read, or the session's stored tail does
    /// not match its head: verify it); `Backpressure`, `Shutdown`.
    pub fn resume_session(&self, session_id: SessionId, reason: &str) -> Result<()> {
        check_argument("reason", reason, MAX_TEXT_LEN, true)?;
        self.recorder.check_open()?;
        let _resuming = self.resuming.lock();
        if let Ok(session) = self.sessions.get(session_id) {
            return Err(match session.lock().ended {
                true => ended(session_id),
                false => Error::new(
                    ErrorKind::Conflict,
                    format!("session '{session_id}' is already active"),
                ),
            });
        }
        let not_found = || {
            Error::new(
                ErrorKind::NotFound,
                format!("session '{session_id}' not found"),
            )
        };
        let store = self.recorder.durable_store().ok_or_else(not_found)?;
        // Taken for this resolver before its head is read: a store shared
        // with other resolvers refuses one that another holds open.
        store.claim_session(session_id.0)?;
        let stored = store.stored_session(session_id.0)?.ok_or_else(not_found)?;
        if stored.ended {
            return Err(ended(session_id));
        }
        if stored.damaged {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "session '{session_id}' cannot be resumed: its last stored event is not \
                     the head stored with it (verify the session)"
                ),
            ));
        }
        // A resumed session takes the resolver's mode: the one it began in
        // is not stored (it changes who seals, not what is sealed).
        let chain = SessionChain::continuing(
            stored.ids,
            stored.root_span,
            stored.head,
            self.recorder.default_mode(),
        );
        let session = Arc::new(Session::new(
            chain.clone(),
            &stored.agent_id,
            stored.started_at,
        ));
        let room = self.recorder.reserve(&chain, 1)?;
        self.recorder.record(
            room,
            Operation {
                chain,
                at: self.now(),
                events: OperationEvents::SessionResumed {
                    events_before: stored.head.events,
                    reason: reason.into(),
                },
            },
        )?;
        self.sessions.insert(session);
        Ok(())
    }
}
