//! Reading a resolver's traces: sync points (ready and durable), JSON Lines
//! export, heads, and verification of a session's stored chain. Sessions
//! that have left memory are read from the durable store.

use super::lookup::Found;
use super::{Resolver, SessionId, TraceRead};
use crate::error::Result;
use crate::trace::verify::{Head, VerifyOptions, VerifyReport};
use std::time::{Duration, Instant};

impl Resolver {
    /// Whether every event of the session emitted so far is stored (always
    /// true in immediate mode). Errors: `NotFound`, `Io`.
    pub fn is_trace_ready(&self, session_id: SessionId) -> Result<bool> {
        Ok(match self.find_session(session_id)? {
            Found::Live(session) => session.chain.is_ready(),
            Found::Stored(_) => true,
        })
    }

    /// Waits until the session's events emitted before this call are stored;
    /// a zero timeout checks once. If the processor is idle and the store
    /// appends promptly ([`TraceStore::appends_promptly`]), the calling
    /// thread seals the queued events itself, in queue order; so does
    /// [`Self::flush_traces`]. Errors: `NotFound`, `Timeout`, `Shutdown`, `Io`.
    ///
    /// [`TraceStore::appends_promptly`]: crate::TraceStore::appends_promptly
    pub fn await_trace_ready(&self, session_id: SessionId, timeout: Duration) -> Result<()> {
        match self.find_session(session_id)? {
            Found::Live(session) => self.recorder.await_chain(&session.chain, timeout),
            Found::Stored(_) => Ok(()),
        }
    }

    /// Waits until every event emitted before this call is stored.
    /// Errors: `Timeout`, `Shutdown`.
    pub fn flush_traces(&self, timeout: Duration) -> Result<()> {
        self.recorder.flush(timeout)
    }

    /// Waits until every event emitted before this call, of session
    /// `session_id` or of every session (`None`), is committed to the
    /// store. With the memory store this is waiting for ready.
    ///
    /// Errors: `NotFound`; `Timeout`; `Io` with the store's error when the
    /// time runs out while the store fails; `Shutdown`.
    pub fn await_trace_durable(
        &self,
        session_id: Option<SessionId>,
        timeout: Duration,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let Some(session_id) = session_id else {
            self.flush_traces(timeout)?;
            return match self.recorder.durable_store() {
                Some(store) => store.await_all(store.appended(), deadline),
                None => Ok(()),
            };
        };
        let Found::Live(session) = self.find_session(session_id)? else {
            return Ok(());
        };
        let target = session.chain.emitted();
        self.recorder.await_chain(&session.chain, timeout)?;
        match self.recorder.durable_store() {
            Some(store) => store.await_session(session_id.0, target, deadline),
            None => Ok(()),
        }
    }

    /// The session's trace as TRACE/1.0 JSON Lines.
    ///
    /// Errors: `NotFound`; with [`TraceRead::Wait`], `Timeout` (and no text)
    /// when the session is not ready in time, `Shutdown`; `Io` when the
    /// store cannot be read.
    pub fn trace_jsonl(&self, session_id: SessionId, read: TraceRead) -> Result<String> {
        let found = self.find_session(session_id)?;
        if let (TraceRead::Wait(timeout), Found::Live(session)) = (read, &found) {
            self.recorder.await_chain(&session.chain, timeout)?;
        }
        let mut jsonl = String::new();
        self.recorder.store().write_jsonl(found.ids(), &mut jsonl)?;
        Ok(jsonl)
    }

    /// The session's head: its processed events and the last one's hash.
    /// Errors: `NotFound`, `Io`.
    pub fn session_head(&self, session_id: SessionId) -> Result<Head> {
        Ok(match self.find_session(session_id)? {
            Found::Live(session) => session.chain.head(),
            Found::Stored(stored) => stored.head,
        })
    }

    /// Verifies the session's stored events; `pending` counts those still in
    /// flight. A durable store also holds the chain against the head stored
    /// with it, so a cut-off tail is `truncated`. The report says whether
    /// the chain is valid. Errors: `NotFound`, `Io`.
    pub fn verify_chain(&self, session_id: SessionId) -> Result<VerifyReport> {
        let found = self.find_session(session_id)?;
        let mut report = self
            .recorder
            .store()
            .verify(found.ids(), self.verify_threads())?
            .unwrap_or_default();
        if let Found::Live(session) = &found {
            let chain = &session.chain;
            report.pending = chain.emitted().saturating_sub(chain.processed());
        }
        Ok(report)
    }

    /// The threads a verification of this resolver's chains may use.
    fn verify_threads(&self) -> usize {
        VerifyOptions::with_threads(self.config.verify_threads as usize).threads
    }
}
