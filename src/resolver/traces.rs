//! Reading a resolver's traces: sync points, JSON Lines export and
//! verification of a session's stored chain.

use super::{Resolver, SessionId, TraceRead};
use crate::error::Result;
use crate::trace::export::write_jsonl;
use crate::trace::verify::stored::verify_stored;
use crate::trace::verify::{VerifyOptions, VerifyReport};
use std::time::Duration;

impl Resolver {
    /// Whether every event of the session emitted so far is stored (always
    /// true in immediate mode). Errors: `NotFound`.
    pub fn is_trace_ready(&self, session_id: SessionId) -> Result<bool> {
        Ok(self.sessions.get(session_id)?.chain.is_ready())
    }

    /// Waits until the session's events emitted before this call are stored;
    /// a zero timeout checks once. If the processor is idle and the store
    /// appends promptly ([`TraceStore::appends_promptly`]), the calling
    /// thread seals the queued events itself, in queue order; so does
    /// [`Self::flush_traces`]. Errors: `NotFound`, `Timeout`, `Shutdown`.
    pub fn await_trace_ready(&self, session_id: SessionId, timeout: Duration) -> Result<()> {
        let session = self.sessions.get(session_id)?;
        self.recorder.await_chain(&session.chain, timeout)
    }

    /// Waits until every event emitted before this call is stored.
    /// Errors: `Timeout`, `Shutdown`.
    pub fn flush_traces(&self, timeout: Duration) -> Result<()> {
        self.recorder.flush(timeout)
    }

    /// The session's trace as TRACE/1.0 JSON Lines.
    ///
    /// Errors: `NotFound`; with [`TraceRead::Wait`], `Timeout` (and no text)
    /// when the session is not ready in time, `Shutdown`.
    pub fn trace_jsonl(&self, session_id: SessionId, read: TraceRead) -> Result<String> {
        let session = self.sessions.get(session_id)?;
        if let TraceRead::Wait(timeout) = read {
            self.recorder.await_chain(&session.chain, timeout)?;
        }
        let mut jsonl = String::new();
        let ids = session.chain.ids();
        self.recorder
            .store()
            .read(ids.session_id, 0, &mut |events| {
                write_jsonl(&mut jsonl, ids, events)
            });
        Ok(jsonl)
    }

    /// Verifies the session's stored events; `pending` counts those still in
    /// flight. The report says whether the chain is valid. Errors: `NotFound`.
    pub fn verify_chain(&self, session_id: SessionId) -> Result<VerifyReport> {
        let session = self.sessions.get(session_id)?;
        let chain = &session.chain;
        let emitted = chain.emitted();
        let mut report = VerifyReport::default();
        let ids = chain.ids();
        self.recorder
            .store()
            .read(ids.session_id, 0, &mut |events| {
                report = verify_stored(ids, events, self.verify_threads())
            });
        report.pending = emitted.saturating_sub(chain.processed());
        Ok(report)
    }

    /// The threads a verification of this resolver's chains may use.
    fn verify_threads(&self) -> usize {
        VerifyOptions::with_threads(self.config.verify_threads as usize).threads
    }
}
