//! TRACE/1.0: the event model, canonical JSON, hashing, the per-session chain,
//! storage, JSONL export, verification, and the deferred pipeline.

pub mod canonical_json;
pub mod chain;
pub mod chain_hasher;
pub mod event;
pub mod event_batch;
pub mod event_run;
pub mod hash;
pub mod hex;
pub mod ids;
pub mod jsonl;
pub mod jsonl_layout;
pub mod jsonl_line;
pub mod memory_store;
pub mod operation;
pub mod payload;
pub mod pipeline;
pub mod progress;
pub mod record_pool;
pub mod recorder;
pub mod seal;
pub(crate) mod sha256_lanes;
pub mod shape;
pub mod store;
pub mod stored_events;
pub mod stored_hash;
#[cfg(test)]
pub mod test_chains;
pub mod timestamp;
pub mod verify;
pub mod verify_jsonl;
pub mod verify_stored;
