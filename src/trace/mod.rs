//! TRACE/1.0: the event model, canonical JSON, hashing, the per-session chain,
//! storage, JSONL export, verification, and the deferred pipeline.

pub mod canonical_json;
pub mod hash;
pub mod verify;
