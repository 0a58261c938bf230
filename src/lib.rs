//! libcra: decide what an AI agent may do, and keep a verifiable record of it.
//!
//! A [`Resolver`] loads atlases (packs of actions, policies and context),
//! opens a session per agent, and answers CARP requests with the actions
//! allowed and denied for a goal. Every step lands in the session's TRACE
//! chain: events linked by SHA-256 hashes that anyone can verify later.
//!
//! ```
//! use cra::{Config, Resolver, TraceRead};
//! use std::time::Duration;
//!
//! let resolver = Resolver::new(Config::default())?;
//! resolver.load_atlas_file("examples/data/billing.atlas.json".as_ref())?;
//! let session = resolver.begin_session("agent-7", "Close the month")?;
//! let trace = resolver.trace_jsonl(session, TraceRead::Wait(Duration::from_secs(1)))?;
//! assert!(cra::verify_jsonl(&trace).failure.is_none());
//! assert!(resolver.verify_chain(session)?.failure.is_none());
//! resolver.end_session(session, "done")?;
//! # Ok::<(), cra::Error>(())
//! ```
//!
//! The crate is the safe core; `src/ffi/` wraps it in the C ABI of
//! `include/cra.h`. The source follows the data path: a request is decided
//! (`resolver/`, `atlas/`, `policy/`), its raw events are recorded, sealed,
//! stored, exported and verified (`trace/`), over two bottom layers that
//! every other one uses (`json/`, `time/`).

mod atlas;
mod config;
mod error;
#[doc(hidden)]
pub mod ffi;
mod files;
mod id_grammar;
mod json;
pub mod limits;
mod policy;
mod resolver;
mod sharded;
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod test_support;
mod time;
mod trace;

pub use config::{Backpressure, Config, SessionOptions, TraceMode};
pub use error::{Error, ErrorKind, Result};
pub use resolver::request_text;
pub use resolver::{
    DecisionType, Resolver, ResolverBuilder, SessionId, Stats, StoreStats, TraceRead,
};
pub use time::{Clock, ManualClock, SystemClock, UnixMicros};
pub use trace::deferred::ShutdownReport;
pub use trace::event::{ChainIds, EventRun, EventType, SealedEvent, StoredEvent, StoredEvents};
pub use trace::stats::TraceStats;
pub use trace::store::{AppendedRun, MemoryStore, OperationPart, TraceStore};
pub use trace::verify::{
    verify_jsonl, verify_jsonl_head, verify_jsonl_with, ChainFailure, FailureKind, Head,
    VerifyOptions, VerifyReport,
};

/// Internals the benches and integration tests measure and check directly.
/// Not a supported API: anything here may change in any release.
#[doc(hidden)]
pub mod internals {
    pub use crate::atlas::schema::ParametersSchema;
    pub use crate::json::{canonical_json, is_canonical};
    pub use crate::time::timestamp::{format_timestamp, parse_rfc3339};
    pub use crate::trace::event::hex::hex_lower;
    pub use crate::trace::event::ids::parse_uuid;
    pub use crate::trace::event::EventFields;
    pub use crate::trace::hash::{event_hash, write_hashed_text, EventHasher};
}
