//! Size limits on everything a caller hands in.
//!
//! A governance library sits on the path of untrusted agent output, so every
//! text has a ceiling: an over-long value is reported as an error naming the
//! limit instead of being stored, hashed and carried in every trace export.

/// Longest identifier (agent, request, atlas, action, policy, pack ids), in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Longest free text (goals, reasons, names, descriptions), in bytes.
pub const MAX_TEXT_LEN: usize = 64 * 1024;

/// Longest context pack content (inline text plus files), in bytes.
pub const MAX_CONTEXT_LEN: usize = 4 * 1024 * 1024;

/// Longest CARP request document, in bytes.
pub const MAX_REQUEST_LEN: usize = 1024 * 1024;

/// Longest atlas manifest document, in bytes.
pub const MAX_ATLAS_LEN: usize = 16 * 1024 * 1024;

/// Longest JSONL text handed to the verifier, in bytes.
pub const MAX_JSONL_LEN: usize = 1024 * 1024 * 1024;
