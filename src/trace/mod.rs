//! TRACE/1.0, along the data path: an operation's raw events ([`record`])
//! are sealed onto their session's [`chain`] ([`seal`]: ids, payloads,
//! [`hash`]), now on the caller's thread or later on the [`deferred`]
//! processor ([`recorder`] picks), handed to a [`store`], and read back as
//! JSON Lines ([`export`]) or checked ([`verify`]). [`event`] is the model
//! every step shares.

pub mod chain;
pub mod deferred;
pub mod event;
pub mod export;
pub mod hash;
pub mod record;
pub mod recorder;
pub mod seal;
pub mod stats;
pub mod store;
pub mod verify;
