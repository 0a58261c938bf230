//! A store that commits every operation to a database: [`DurableStore`].
//!
//! Sealing appends here as to any store; the operation's events are
//! formatted once as the text the database keeps, stay readable from
//! memory, and go to the writer thread, which commits them in large
//! transactions. An event is **ready** once appended and **durable** once
//! committed. A session that has ended and is all committed leaves memory
//! and is read back from the database; an open one keeps only its head
//! and what is not yet committed. What waits for the database is bounded:
//! past the bound, [`DurableStore::check_room`] refuses new operations.

pub mod backend;
pub mod compact;
pub mod pending;
mod state;
#[cfg(test)]
pub mod test_backend;
mod writer;

use super::{AppendedRun, OperationPart, TraceStore};
use crate::error::{Error, ErrorKind, Result};
use crate::trace::event::ids::ChainTexts;
use crate::trace::event::ChainIds;
use crate::trace::verify::head::verify_text_against;
use crate::trace::verify::{Head, VerifyReport};
use backend::{Claim, StoreReader, StoreWriter, StoredSession};
use compact::LineWriter;
use parking_lot::{Condvar, Mutex};
use pending::PendingOperation;
use state::{Resident, State};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Counters of a durable store (`cra_store_stats`, without the resolver's
/// own session counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreCounters {
    /// Events committed by this resolver.
    pub events_durable: u64,
    /// Events appended, not yet committed.
    pub events_waiting: u64,
    pub commits: u64,
    /// Failed commits (each retried).
    pub write_errors: u64,
    /// Sessions that left memory, their events all committed.
    pub sessions_evicted: u64,
    /// Bytes of event text held in memory until committed.
    pub resident_event_bytes: u64,
}

/// Called with the id of each session that has left the store's memory.
pub type EvictionListener = Box<dyn Fn(Uuid) + Send + Sync>;

/// What the writer thread and the store's callers share.
pub struct Shared {
    state: Mutex<State>,
    /// Wakes the writer: operations queued, or shutdown.
    work: Condvar,
    /// Wakes waiters: operations committed, a commit failed, or the writer stopped.
    progress: Condvar,
    /// Bytes of event text appended and not yet committed; read without
    /// the lock on every operation's admission.
    waiting_bytes: AtomicUsize,
    max_waiting_bytes: usize,
    /// Shutdown gives up on a failing database at this instant.
    give_up_at: OnceLock<Instant>,
    evicted: OnceLock<EvictionListener>,
}

impl Shared {
    /// Forgets the text of committed operations from the bound.
    fn settle(&self, batch: &[Arc<PendingOperation>]) {
        let bytes: usize = batch.iter().map(|operation| operation.text_bytes()).sum();
        self.waiting_bytes.fetch_sub(bytes, Ordering::SeqCst);
    }

    fn evict(&self, sessions: &[Uuid]) {
        if let Some(listener) = self.evicted.get() {
            sessions.iter().for_each(|&id| listener(id));
        }
    }

    fn past_give_up(&self, state: &State) -> bool {
        state.stopping
            && self
                .give_up_at
                .get()
                .is_some_and(|&at| Instant::now() >= at)
    }
}

/// Sealed events committed to a database by a writer thread.
pub struct DurableStore {
    shared: Arc<Shared>,
    reader: Box<dyn StoreReader>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// What the store is, for messages (`sqlite:/var/lib/app/trace.db`).
    name: String,
}

impl DurableStore {
    /// Starts the writer thread over an opened database.
    ///
    /// Errors: `Io` when the thread cannot be started.
    pub fn start(
        name: String,
        writer: Box<dyn StoreWriter>,
        reader: Box<dyn StoreReader>,
        max_waiting_bytes: usize,
    ) -> Result<DurableStore> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            progress: Condvar::new(),
            waiting_bytes: AtomicUsize::new(0),
            max_waiting_bytes,
            give_up_at: OnceLock::new(),
            evicted: OnceLock::new(),
        });
        let thread_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name("cra-store-writer".into())
            .spawn(move || writer::run(thread_shared, writer))
            .map_err(|err| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot start the store writer: {err}"),
                )
            })?;
        Ok(DurableStore {
            shared,
            reader,
            writer: Mutex::new(Some(handle)),
            name,
        })
    }

    /// Calls `listener` with each session that leaves memory. Set once.
    pub fn on_eviction(&self, listener: EvictionListener) {
        let _ = self.shared.evicted.set(listener);
    }

    /// Fails when new operations must wait: `Backpressure` when the events
    /// waiting for the database reached the bound (naming the database's
    /// error while it fails), after waiting up to `patience` for commits to
    /// make room; `Shutdown` once the writer has stopped.
    pub fn check_room(&self, patience: Duration) -> Result<()> {
        if self.has_room() {
            return Ok(());
        }
        let deadline = Instant::now() + patience;
        let mut state = self.shared.state.lock();
        loop {
            if state.stopped {
                return Err(Error::new(
                    ErrorKind::Shutdown,
                    "the trace store has stopped",
                ));
            }
            if self.has_room() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.no_room(&state));
            }
            self.shared.progress.wait_until(&mut state, deadline);
        }
    }

    fn has_room(&self) -> bool {
        self.shared.waiting_bytes.load(Ordering::SeqCst) < self.shared.max_waiting_bytes
    }

    fn no_room(&self, state: &State) -> Error {
        let why = match &state.last_error {
            Some(error) => format!("the store is failing: {error}"),
            None => "the store is behind".to_owned(),
        };
        Error::new(
            ErrorKind::Backpressure,
            format!(
                "{} bytes of events wait for {} (the bound is {}); {why}",
                self.shared.waiting_bytes.load(Ordering::SeqCst),
                self.name,
                self.shared.max_waiting_bytes
            ),
        )
    }

    /// Waits until session `id` has `target` events committed.
    /// Errors: `Io` with the database's error when the time runs out while
    /// commits fail, else `Timeout`; `Shutdown` when the writer stopped first.
    pub fn await_session(&self, id: Uuid, target: u64, deadline: Instant) -> Result<()> {
        self.await_until(deadline, |state| {
            state
                .sessions
                .get(&id)
                .is_none_or(|resident| resident.durable >= target)
        })
    }

    /// Waits until `target` events of this resolver are committed, all
    /// sessions together. Errors: as [`Self::await_session`].
    pub fn await_all(&self, target: u64, deadline: Instant) -> Result<()> {
        self.await_until(deadline, |state| state.durable >= target)
    }

    /// Events appended so far by this resolver, all sessions.
    pub fn appended(&self) -> u64 {
        self.shared.state.lock().appended
    }

    fn await_until(&self, deadline: Instant, done: impl Fn(&State) -> bool) -> Result<()> {
        let mut state = self.shared.state.lock();
        loop {
            if done(&state) {
                return Ok(());
            }
            if state.stopped {
                return Err(Error::new(
                    ErrorKind::Shutdown,
                    "the trace store stopped before the events were committed",
                ));
            }
            if Instant::now() >= deadline {
                return Err(match &state.last_error {
                    Some(error) => Error::new(
                        ErrorKind::Io,
                        format!("{} cannot commit events: {error}", self.name),
                    ),
                    None => Error::new(ErrorKind::Timeout, "the events were not committed in time"),
                });
            }
            self.shared.progress.wait_until(&mut state, deadline);
        }
    }

    pub fn counters(&self) -> StoreCounters {
        let state = self.shared.state.lock();
        StoreCounters {
            events_durable: state.durable,
            events_waiting: state.appended - state.durable,
            commits: state.commits,
            write_errors: state.write_errors,
            sessions_evicted: state.evicted,
            resident_event_bytes: self.shared.waiting_bytes.load(Ordering::SeqCst) as u64,
        }
    }

    /// What the database holds of session `id`. Errors: `Io`.
    pub fn stored_session(&self, id: Uuid) -> Result<Option<StoredSession>> {
        self.reader
            .session(id)
            .map_err(|error| self.io_error(error))
    }

    /// Takes session `id` for this resolver before it is resumed
    /// ([`StoreReader::claim`]). Errors: `Conflict` when another running
    /// resolver holds it open; `Io`.
    pub fn claim_session(&self, id: Uuid) -> Result<()> {
        let claim = self
            .reader
            .claim(id)
            .map_err(|error| self.io_error(error))?;
        match claim {
            Claim::Claimed => Ok(()),
            Claim::HeldElsewhere => Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "session '{id}' is held open by another resolver sharing {}; \
                     it can be resumed here once that resolver has stopped",
                    self.name
                ),
            )),
        }
    }

    /// Asks the writer to commit what is queued and stop, waiting until
    /// `deadline`; a database that still fails then is given up on.
    /// Returns the events that were not committed.
    pub fn shutdown(&self, deadline: Instant) -> u64 {
        let _ = self.shared.give_up_at.set(deadline);
        let mut state = self.shared.state.lock();
        state.stopping = true;
        self.shared.work.notify_all();
        while !state.stopped {
            self.shared.progress.wait(&mut state);
        }
        let lost = state.appended - state.durable;
        let error = state.last_error.clone().unwrap_or_default();
        drop(state);
        if let Some(handle) = self.writer.lock().take() {
            let _ = handle.join();
            if lost > 0 {
                eprintln!(
                    "libcra: {} stopped with {lost} event(s) not committed ({error}); \
                     those trace events are lost",
                    self.name
                );
            }
        }
        lost
    }

    fn io_error(&self, error: String) -> Error {
        Error::new(ErrorKind::Io, format!("{}: {error}", self.name))
    }

    /// The session's committed events before `durable`, then `pending`,
    /// as JSON Lines.
    fn write_session(
        &self,
        ids: ChainIds,
        durable: u64,
        pending: &[Arc<PendingOperation>],
        out: &mut String,
    ) -> Result<()> {
        let texts = ChainTexts::new(ids);
        let mut lines = LineWriter::new(&texts);
        if durable > 0 {
            self.reader
                .operations(ids.session_id, durable, &mut |first, events| {
                    lines.write(out, first, events)
                })
                .map_err(|error| self.io_error(error))?;
        }
        for operation in pending {
            lines
                .write(out, operation.first_sequence, &operation.events)
                .map_err(|error| self.io_error(error))?;
        }
        Ok(())
    }

    /// What memory holds of session `id`: its head, committed length and
    /// uncommitted operations.
    fn resident_parts(&self, id: Uuid) -> Option<(Head, u64, Vec<Arc<PendingOperation>>)> {
        let state = self.shared.state.lock();
        let resident = state.sessions.get(&id)?;
        Some((
            resident.appended,
            resident.durable,
            resident.pending.iter().cloned().collect(),
        ))
    }

    /// The session's text and the head to hold it against; `None` when the
    /// session is unknown.
    fn session_text(&self, ids: ChainIds, out: &mut String) -> Result<Option<Head>> {
        if let Some((head, durable, pending)) = self.resident_parts(ids.session_id) {
            self.write_session(ids, durable, &pending, out)?;
            return Ok(Some(head));
        }
        match self.stored_session(ids.session_id)? {
            Some(session) => {
                // An open session may be growing in another resolver that
                // shares the database: read the operations up to the head
                // read with it, so the two agree. An ended one is read
                // whole, so events stored past its head show.
                let before = match session.ended {
                    true => u64::MAX,
                    false => session.head.events,
                };
                self.write_session(session.ids, before, &[], out)?;
                Ok(Some(session.head))
            }
            None => Ok(None),
        }
    }
}

impl TraceStore for DurableStore {
    fn append(&self, run: AppendedRun<'_>) {
        let id = run.ids.session_id;
        let partial = {
            let mut state = self.shared.state.lock();
            state
                .sessions
                .get_mut(&id)
                .and_then(|resident| resident.partial.take())
        };
        // Formatting, the costly part, happens outside the lock.
        let mut operation = partial.unwrap_or_else(|| PendingOperation::starting_at(&run));
        operation.extend(&run);
        let mut state = self.shared.state.lock();
        let start = Head {
            events: run.first_sequence,
            hash: *run.previous_hash,
        };
        let resident = state
            .sessions
            .entry(id)
            .or_insert_with(|| Resident::at(start));
        if run.part == OperationPart::Middle {
            resident.partial = Some(operation);
            return;
        }
        operation.finish();
        let operation = Arc::new(operation);
        resident.appended = operation.head;
        resident.ended |= operation.ended_at.is_some();
        resident.pending.push_back(operation.clone());
        state.appended += operation.event_count;
        self.shared
            .waiting_bytes
            .fetch_add(operation.text_bytes(), Ordering::SeqCst);
        state.queue.push_back(operation);
        self.shared.work.notify_one();
    }

    fn write_jsonl(&self, ids: ChainIds, out: &mut String) -> Result<bool> {
        Ok(self.session_text(ids, out)?.is_some())
    }

    /// The chain as stored, held against the head stored with it: a tail
    /// cut off the database is `truncated`.
    fn verify(&self, ids: ChainIds, threads: usize) -> Result<Option<VerifyReport>> {
        let mut text = String::new();
        Ok(self
            .session_text(ids, &mut text)?
            .map(|head| verify_text_against(&text, &head, threads)))
    }

    /// Appending formats text and queues it under a short lock; the
    /// database is only touched by the writer thread.
    fn appends_promptly(&self) -> bool {
        true
    }
}

impl Drop for DurableStore {
    fn drop(&mut self) {
        if self.writer.lock().is_some() {
            self.shutdown(Instant::now());
        }
    }
}
