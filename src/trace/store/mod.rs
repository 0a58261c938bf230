//! Where sealed events live: the [`TraceStore`] seam.
//!
//! Immediate mode writes on the caller's thread, deferred mode on the
//! processor thread (or on a sync point's, see
//! [`TraceStore::appends_promptly`]); both go through this trait, so a
//! host (or a test) can plug in a store of its own. The default is
//! [`MemoryStore`]; a store URL (`sqlite:PATH`) chooses a
//! [`DurableStore`], which commits every operation to a database on a
//! writer thread of its own.

pub mod durable;
pub mod memory;
pub mod postgres;
pub mod sqlite;
pub mod url;

pub use durable::DurableStore;
pub use memory::MemoryStore;

use super::event::{ChainIds, EventRun};
use super::verify::jsonl::verify_text;
use super::verify::VerifyReport;
use crate::error::Result;

/// Whether a run ends its operation. An operation's events reach the store
/// in one run or, when very large, several; a store that commits keeps an
/// operation whole, so it needs to know where one ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationPart {
    /// More of the operation follows.
    Middle,
    /// The operation's last run (possibly empty).
    Last,
}

/// Sealed events handed to a store: a run of one session's chain and where
/// it attaches.
pub struct AppendedRun<'a> {
    pub ids: ChainIds,
    /// The sequence number of the run's first event.
    pub first_sequence: u64,
    /// The hash of the event before the run (zeros at the chain's start).
    pub previous_hash: &'a [u8; 32],
    pub events: EventRun<'a>,
    pub part: OperationPart,
}

/// Append-only storage of sealed events, per session.
///
/// The contract:
/// - `append` receives each of a session's events once, in sequence order,
///   in runs. Calls for one session never overlap; calls for different
///   sessions, and reads, may run in parallel.
/// - A run borrows the sealer's buffers: a store copies what it keeps.
/// - `write_jsonl` gives back exactly what was appended, as TRACE/1.0 text.
/// - A call is never interrupted: a store that blocks forever blocks
///   shutdown. A panic in `append` stops the deferred processor (later
///   calls fail with `Shutdown`) or fails the immediate call.
pub trait TraceStore: Send + Sync + 'static {
    /// Appends a run of sealed events to its session.
    fn append(&self, run: AppendedRun<'_>);

    /// Appends the session's stored events, in order, as JSON Lines to
    /// `out`. Returns false (and writes nothing) when the session is
    /// unknown. Errors: `Io` when the store cannot be read.
    fn write_jsonl(&self, ids: ChainIds, out: &mut String) -> Result<bool>;

    /// Verifies the session's stored chain with up to `threads` threads;
    /// `None` when the session is unknown. The default reads it back as
    /// text and verifies that. Errors: `Io` when the store cannot be read.
    fn verify(&self, ids: ChainIds, threads: usize) -> Result<Option<VerifyReport>> {
        let mut text = String::new();
        Ok(self
            .write_jsonl(ids, &mut text)?
            .then(|| verify_text(&text, threads)))
    }

    /// Whether `append` always returns promptly: no I/O, no waiting on
    /// anything but short locks. Only then does a deferred sync point that
    /// finds the processor idle seal queued events on its own thread, since
    /// a store call is never interrupted and a slow one would hold the
    /// caller past its timeout. The default, `false`, leaves all sealing to
    /// the processor.
    fn appends_promptly(&self) -> bool {
        false
    }
}
