//! Where sealed events live: the [`TraceStore`] seam.
//!
//! Immediate mode writes on the caller's thread, deferred mode on the
//! processor thread (or on a sync point's, see
//! [`TraceStore::appends_promptly`]); both go through this trait, so a
//! host (or a test) can plug in a store that outlives the resolver, and a
//! durable store can be added without touching the pipeline. The default is
//! [`MemoryStore`].

pub mod memory;

pub use memory::MemoryStore;

use super::event::{ChainIds, EventRun, StoredEvents};
use uuid::Uuid;

/// Append-only storage of sealed events, per session.
///
/// The contract:
/// - `append` receives each of a session's events once, in sequence order,
///   in runs (an operation's events come in one run or, when very large,
///   several). Calls for one session never overlap; calls for different
///   sessions, and reads, may run in parallel.
/// - A run borrows the sealer's buffers: a store copies what it keeps.
/// - `read` gives back exactly what was appended, payload bytes included
///   (they are what was hashed), in any cut into runs.
/// - A call is never interrupted: a store that blocks forever blocks
///   shutdown. A panic in `append` stops the deferred processor (later
///   calls fail with `Shutdown`) or fails the immediate call.
pub trait TraceStore: Send + Sync + 'static {
    /// Appends `events` (sealed, in sequence order, following what the
    /// session `chain.session_id` holds) to that session.
    fn append(&self, chain: ChainIds, events: EventRun<'_>);

    /// Calls `visit` once with the session's stored events from position
    /// `from` on, in sequence order (empty past the end), or not at all
    /// when the session is unknown.
    fn read(&self, session_id: Uuid, from: usize, visit: &mut dyn FnMut(StoredEvents<'_>));

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
