//! The event hash of TRACE.md: SHA-256 over the event's fields, concatenated.

/// The `previous_event_hash` of a session's first event: 64 zeros.
pub const GENESIS_HASH_HEX: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields one event hash covers, as the text TRACE.md concatenates.
#[derive(Clone, Copy, Debug)]
pub struct HashInput<'a> {
    pub trace_version: &'a str,
    pub event_id: &'a str,
    pub trace_id: &'a str,
    pub span_id: &'a str,
    /// `None` hashes as the empty string.
    pub parent_span_id: Option<&'a str>,
    pub session_id: &'a str,
    pub sequence: u64,
    pub timestamp: &'a str,
    pub event_type: &'a str,
    /// `canonical_json(payload)`.
    pub canonical_payload: &'a str,
    pub previous_event_hash: &'a str,
}
