//! The one model of an event's members as text: what TRACE/1.0 hashes,
//! writes as a JSONL line and verifies. Sealing and export build it from a
//! stored event ([`super::text::EventText`]), the JSONL reader from a line.

/// The TRACE format version every event carries.
pub const TRACE_VERSION: &str = "1.0";

/// Every member of an event but its own hash, as text: what `event_hash`
/// covers (see [`crate::trace::hash::event_hash`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventFields<'a> {
    pub trace_version: &'a str,
    pub event_id: &'a str,
    pub trace_id: &'a str,
    pub span_id: &'a str,
    /// `None` is JSON null: only a session's first event has no parent.
    pub parent_span_id: Option<&'a str>,
    pub session_id: &'a str,
    pub sequence: u64,
    pub timestamp: &'a str,
    pub event_type: &'a str,
    /// `canonical_json(payload)`: the payload exactly as hashed.
    pub canonical_payload: &'a str,
    pub previous_event_hash: &'a str,
}

/// An event with the hash it carries, as a line of a trace holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventView<'a> {
    pub fields: EventFields<'a>,
    pub event_hash: &'a str,
}
