//! Checking one JSONL line on its own: reading it as Python's `json`
//! module reads it, then the rules an event passes or fails whatever
//! precedes it (its shape; its hash, which [`ReadEvent::checked`] judges
//! once the caller recomputed it, two events at a time). The rules that
//! link it to earlier events are [`super::verify_jsonl`]'s, applied
//! afterwards in file order; so lines can be checked on several threads at
//! once.
//!
//! Python's reading of JSON is followed where it matters (a repeated member
//! keeps its last value, `-0` is the integer 0, `1.0` is no integer).
//! Deliberately stricter than `trace_verify.py`: payloads holding NaN,
//! infinities (`1e400`) or lone UTF-16 surrogates, which have no canonical
//! form in TRACE.md's terms, and payloads nested deeper than serde_json's
//! limit (128 levels) are `malformed`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::canonical_json::{canonical_json, is_canonical};
use super::jsonl_layout;
use super::shape::shape_error;
use super::verify::{compare_hash, CheckFailure, EventView, FailureKind, Link};

/// What one line is, checked on its own.
pub enum LineCheck<'a> {
    /// Not a JSON object of the members' types (a `\r` inside may be a
    /// line break: see verify_jsonl).
    Unreadable(CheckFailure),
    /// An event failing whatever precedes it.
    Failed(CheckFailure),
    /// An event passing the rules it can pass alone, its hash rule aside:
    /// verify_jsonl recomputes hashes two at a time, across lines.
    Event(ReadEvent<'a>),
}

/// An event read from a line whose shape passed, its hash not yet checked.
pub enum ReadEvent<'a> {
    /// Laid out as libcra writes it: every member borrowed from the line.
    Laid(EventView<'a>),
    /// Read with a JSON parser; its sequence fits a `u64`. (Boxed: it is
    /// the larger and the rarer.)
    Parsed(Box<DecodedEvent<'a>>),
}

impl<'a> ReadEvent<'a> {
    pub fn view(&self) -> EventView<'_> {
        match self {
            ReadEvent::Laid(view) => *view,
            ReadEvent::Parsed(event) => event.view(),
        }
    }

    /// What linking the event needs, with the hash rule's verdict for the
    /// hash recomputed as `computed`.
    pub fn checked(self, computed: &[u8; 32]) -> CheckedEvent<'a> {
        let view = self.view();
        let (sequence, hash) = (view.sequence, compare_hash(view.event_hash, computed));
        match self {
            ReadEvent::Laid(view) => CheckedEvent {
                session_id: Cow::Borrowed(view.session_id),
                sequence,
                previous_event_hash: Cow::Borrowed(view.previous_event_hash),
                event_hash: Cow::Borrowed(view.event_hash),
                hash,
            },
            ReadEvent::Parsed(event) => {
                let DecodedEvent {
                    session_id,
                    previous_event_hash,
                    event_hash,
                    ..
                } = *event;
                CheckedEvent {
                    session_id,
                    sequence,
                    previous_event_hash,
                    event_hash,
                    hash,
                }
            }
        }
    }
}

/// An event that passed the rules it can pass alone.
pub struct CheckedEvent<'a> {
    session_id: Cow<'a, str>,
    sequence: u64,
    previous_event_hash: Cow<'a, str>,
    event_hash: Cow<'a, str>,
    /// The hash rule's verdict, reported only once the link rules passed.
    pub hash: Result<(), CheckFailure>,
}

impl CheckedEvent<'_> {
    pub fn link(&self) -> Link<'_> {
        Link {
            session_id: &self.session_id,
            sequence: self.sequence,
            previous_event_hash: &self.previous_event_hash,
            event_hash: &self.event_hash,
        }
    }
}

/// Reads and checks one non-blank line.
pub fn check_line(line: &str) -> LineCheck<'_> {
    // Lines libcra wrote are read without a JSON parser.
    match jsonl_layout::read(line) {
        Some(event) => LineCheck::Event(ReadEvent::Laid(event)),
        None => check_line_in_general(line),
    }
}

/// Reads and checks one non-blank line with a JSON parser, whatever its
/// layout.
pub(crate) fn check_line_in_general(line: &str) -> LineCheck<'_> {
    match parse_line(line) {
        Ok(members) => match check_members(members) {
            Ok(event) => LineCheck::Event(event),
            Err(failure) => LineCheck::Failed(failure),
        },
        Err(failure) => LineCheck::Unreadable(failure),
    }
}

fn parse_line(line: &str) -> Result<LineMembers<'_>, CheckFailure> {
    serde_json::from_str(line).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() {
            "line is not JSON"
        } else {
            "event is not a JSON object of the right member types"
        };
        malformed(format!("{what}: {e}"))
    })
}

fn check_members(members: LineMembers<'_>) -> Result<ReadEvent<'_>, CheckFailure> {
    let event = members.decode().map_err(malformed)?;
    if let Some(detail) = shape_error(&event.view()) {
        return Err(malformed(detail));
    }
    if let Sequence::Huge(literal) = event.sequence {
        // Python would get as far as the sequence rule, which it fails.
        return Err((
            FailureKind::SequenceGap,
            format!("sequence {literal} is beyond any chain"),
        ));
    }
    Ok(ReadEvent::Parsed(Box::new(event)))
}

fn malformed(detail: String) -> CheckFailure {
    (FailureKind::Malformed, detail)
}

/// The members of an event, in trace_verify.py's order.
const MEMBER_NAMES: [&str; 12] = [
    "trace_version",
    "event_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "session_id",
    "sequence",
    "timestamp",
    "event_type",
    "payload",
    "event_hash",
    "previous_event_hash",
];

/// One line's members; others are skipped unread. Strings borrow from the
/// line unless they hold escapes. A repeated member keeps its last value, as
/// with Python's `json.loads`. A member of the wrong JSON type fails the
/// parse itself.
#[derive(Default)]
struct LineMembers<'a> {
    trace_version: Option<Cow<'a, str>>,
    event_id: Option<Cow<'a, str>>,
    trace_id: Option<Cow<'a, str>>,
    span_id: Option<Cow<'a, str>>,
    /// `Some(None)` is JSON null.
    parent_span_id: Option<Option<Cow<'a, str>>>,
    session_id: Option<Cow<'a, str>>,
    /// Raw, to tell integers from floats as Python does.
    sequence: Option<&'a RawValue>,
    timestamp: Option<Cow<'a, str>>,
    event_type: Option<Cow<'a, str>>,
    payload: Option<&'a RawValue>,
    event_hash: Option<Cow<'a, str>>,
    previous_event_hash: Option<Cow<'a, str>>,
}

/// An event with every member present and typed.
pub struct DecodedEvent<'a> {
    trace_version: Cow<'a, str>,
    event_id: Cow<'a, str>,
    trace_id: Cow<'a, str>,
    span_id: Cow<'a, str>,
    parent_span_id: Option<Cow<'a, str>>,
    session_id: Cow<'a, str>,
    sequence: Sequence<'a>,
    timestamp: Cow<'a, str>,
    event_type: Cow<'a, str>,
    canonical_payload: Cow<'a, str>,
    event_hash: Cow<'a, str>,
    previous_event_hash: Cow<'a, str>,
}

enum Sequence<'a> {
    Fits(u64),
    /// A non-negative integer above u64::MAX: well-formed, never in sequence.
    Huge(&'a str),
}

impl<'a> LineMembers<'a> {
    fn present(&self) -> [bool; 12] {
        [
            self.trace_version.is_some(),
            self.event_id.is_some(),
            self.trace_id.is_some(),
            self.span_id.is_some(),
            self.parent_span_id.is_some(),
            self.session_id.is_some(),
            self.sequence.is_some(),
            self.timestamp.is_some(),
            self.event_type.is_some(),
            self.payload.is_some(),
            self.event_hash.is_some(),
            self.previous_event_hash.is_some(),
        ]
    }

    fn decode(self) -> Result<DecodedEvent<'a>, String> {
        let present = self.present();
        let (
            Some(trace_version),
            Some(event_id),
            Some(trace_id),
            Some(span_id),
            Some(parent_span_id),
            Some(session_id),
            Some(sequence),
            Some(timestamp),
            Some(event_type),
            Some(payload),
            Some(event_hash),
            Some(previous_event_hash),
        ) = (
            self.trace_version,
            self.event_id,
            self.trace_id,
            self.span_id,
            self.parent_span_id,
            self.session_id,
            self.sequence,
            self.timestamp,
            self.event_type,
            self.payload,
            self.event_hash,
            self.previous_event_hash,
        )
        else {
            return Err(missing_members(present));
        };
        Ok(DecodedEvent {
            trace_version,
            event_id,
            trace_id,
            span_id,
            parent_span_id,
            session_id,
            sequence: parse_sequence(sequence.get())?,
            timestamp,
            event_type,
            canonical_payload: canonical_payload(payload.get())?,
            event_hash,
            previous_event_hash,
        })
    }
}

/// The detail of an event without the members not `present`.
fn missing_members(present: [bool; 12]) -> String {
    let missing: Vec<&str> = MEMBER_NAMES
        .iter()
        .zip(present)
        .filter(|&(_, present)| !present)
        .map(|(&name, _)| name)
        .collect();
    format!("missing fields: {}", missing.join(","))
}

fn parse_sequence(raw: &str) -> Result<Sequence<'_>, String> {
    // Python's isinstance(x, int): JSON integers only, so not 1.0, 1e0 or true.
    let digits = if raw == "-0" { "0" } else { raw };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("sequence is not a non-negative integer".to_owned());
    }
    Ok(digits.parse().map_or(Sequence::Huge(raw), Sequence::Fits))
}

fn canonical_payload(raw: &str) -> Result<Cow<'_, str>, String> {
    if !raw.starts_with('{') {
        return Err("payload is not an object".to_owned());
    }
    // Traces libcra writes carry the canonical form already: hash it as read.
    if is_canonical(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    let value: Value =
        serde_json::from_str(raw).map_err(|e| format!("payload cannot be read: {e}"))?;
    canonical_json(&value)
        .map(Cow::Owned)
        .map_err(|e| format!("payload has no canonical form: {e}"))
}

impl DecodedEvent<'_> {
    fn view(&self) -> EventView<'_> {
        EventView {
            trace_version: &self.trace_version,
            event_id: &self.event_id,
            trace_id: &self.trace_id,
            span_id: &self.span_id,
            parent_span_id: self.parent_span_id.as_deref(),
            session_id: &self.session_id,
            sequence: match self.sequence {
                Sequence::Fits(n) => n,
                // Only its shape is checked; see check_members.
                Sequence::Huge(_) => u64::MAX,
            },
            timestamp: &self.timestamp,
            event_type: &self.event_type,
            canonical_payload: &self.canonical_payload,
            event_hash: &self.event_hash,
            previous_event_hash: &self.previous_event_hash,
        }
    }
}

impl<'de> Deserialize<'de> for LineMembers<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LineMembersVisitor)
    }
}

struct LineMembersVisitor;

impl<'de> Visitor<'de> for LineMembersVisitor {
    type Value = LineMembers<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut m = LineMembers::default();
        while let Some(MemberName(name)) = map.next_key()? {
            let text = |map: &mut A| map.next_value::<JsonText<'de>>().map(|t| Some(t.0));
            match name {
                Some("trace_version") => m.trace_version = text(&mut map)?,
                Some("event_id") => m.event_id = text(&mut map)?,
                Some("trace_id") => m.trace_id = text(&mut map)?,
                Some("span_id") => m.span_id = text(&mut map)?,
                Some("parent_span_id") => {
                    let parent = map.next_value::<Option<JsonText<'de>>>()?;
                    m.parent_span_id = Some(parent.map(|t| t.0));
                }
                Some("session_id") => m.session_id = text(&mut map)?,
                Some("sequence") => m.sequence = Some(map.next_value()?),
                Some("timestamp") => m.timestamp = text(&mut map)?,
                Some("event_type") => m.event_type = text(&mut map)?,
                Some("payload") => m.payload = Some(map.next_value()?),
                Some("event_hash") => m.event_hash = text(&mut map)?,
                Some("previous_event_hash") => m.previous_event_hash = text(&mut map)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(m)
    }
}

/// A member name, if it is one an event has.
struct MemberName(Option<&'static str>);

impl<'de> Deserialize<'de> for MemberName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(MemberNameVisitor)
    }
}

struct MemberNameVisitor;

impl Visitor<'_> for MemberNameVisitor {
    type Value = MemberName;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<MemberName, E> {
        Ok(MemberName(
            MEMBER_NAMES.iter().copied().find(|&known| known == name),
        ))
    }
}

/// A JSON string's text: borrowed from the input unless it had escapes.
/// (serde's own `Cow<str>` always copies.)
struct JsonText<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for JsonText<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(JsonTextVisitor)
    }
}

struct JsonTextVisitor;

impl<'de> Visitor<'de> for JsonTextVisitor {
    type Value = JsonText<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Borrowed(text)))
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(text.to_owned())))
    }
}
