//! libcra: decide what an AI agent may do, and keep a verifiable record of it.
//!
//! A [`Resolver`] loads atlases (packs of actions, policies and context),
//! opens a session per agent, and answers CARP requests with the actions
//! allowed and denied for a goal. Every step lands in the session's TRACE
//! chain: events linked by SHA-256 hashes that anyone can verify later.
//!
//! The crate is the safe core; `src/ffi/` wraps it in the C ABI of
//! `include/cra.h`.

pub mod atlas;
pub mod clock;
pub mod config;
pub mod error;
pub mod ffi;
mod fxhash;
pub mod limits;
mod parallel;
pub mod policy;
pub mod resolver;
mod sharded;
mod string_end;
pub mod trace;

pub use clock::{Clock, SystemClock};
pub use config::{Backpressure, Config, TraceMode};
pub use error::{Error, ErrorKind, Result};
pub use resolver::{Resolver, ResolverBuilder, SessionId, Stats, TraceRead};
pub use trace::verify::{verify_jsonl, ChainFailure, FailureKind, VerifyReport};
