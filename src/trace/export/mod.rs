//! Export: a session's stored chain as TRACE/1.0 JSON Lines, the text an
//! independent verifier reads.

pub mod jsonl;

pub use jsonl::write_jsonl;
