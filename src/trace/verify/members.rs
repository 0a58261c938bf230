//! The members of one JSONL line, read with a JSON parser: each member of
//! TRACE.md's table in its JSON type, strings borrowed from the line
//! unless they hold escapes, repeated and unknown members noted.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::json::well_formed::{check_unique_members, UniqueMembers};
use crate::json::{canonical_json, is_canonical};
use crate::trace::event::{EventFields, EventView};

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

/// One line's members. Strings borrow from the line unless they hold
/// escapes. A member of the wrong JSON type fails the parse itself; a
/// repeated or unknown member is noted, and fails the line in `decode`.
#[derive(Default)]
pub(super) struct LineMembers<'a> {
    /// The first member name that appeared twice.
    repeated: Option<&'static str>,
    /// Member names not in TRACE.md's table, in line order.
    unexpected: Vec<String>,
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
    pub(super) session_id: Cow<'a, str>,
    pub(super) sequence: Sequence<'a>,
    timestamp: Cow<'a, str>,
    event_type: Cow<'a, str>,
    canonical_payload: Cow<'a, str>,
    pub(super) event_hash: Cow<'a, str>,
    pub(super) previous_event_hash: Cow<'a, str>,
}

pub(super) enum Sequence<'a> {
    Fits(u64),
    /// A non-negative integer above u64::MAX: well-formed, never in sequence.
    Huge(&'a str),
}

impl<'a> LineMembers<'a> {
    fn is_present(&self, name: &str) -> bool {
        let index = MEMBER_NAMES.iter().position(|&known| known == name);
        index.is_some_and(|index| self.present()[index])
    }

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

    pub(super) fn decode(self) -> Result<DecodedEvent<'a>, String> {
        if let Some(name) = self.repeated {
            return Err(format!("duplicate member {name:?}"));
        }
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
        if !self.unexpected.is_empty() {
            let mut names = self.unexpected;
            names.sort();
            return Err(format!("unexpected members: {}", names.join(",")));
        }
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
    // (Canonical text has strictly ordered keys, so no repeated member.)
    if is_canonical(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    check_unique_members(raw).map_err(|e| format!("payload cannot be read: {e}"))?;
    let value: Value =
        serde_json::from_str(raw).map_err(|e| format!("payload cannot be read: {e}"))?;
    canonical_json(&value)
        .map(Cow::Owned)
        .map_err(|e| format!("payload has no canonical form: {e}"))
}

impl DecodedEvent<'_> {
    pub(super) fn view(&self) -> EventView<'_> {
        let fields = EventFields {
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
            previous_event_hash: &self.previous_event_hash,
        };
        EventView {
            fields,
            event_hash: &self.event_hash,
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
            let Ok(known) = name else {
                // Read all the same: what it holds must be well-formed JSON too.
                map.next_value::<UniqueMembers>()?;
                m.unexpected.extend(name.err());
                continue;
            };
            if m.is_present(known) && m.repeated.is_none() {
                m.repeated = Some(known);
            }
            let text = |map: &mut A| map.next_value::<JsonText<'de>>().map(|t| Some(t.0));
            match known {
                "trace_version" => m.trace_version = text(&mut map)?,
                "event_id" => m.event_id = text(&mut map)?,
                "trace_id" => m.trace_id = text(&mut map)?,
                "span_id" => m.span_id = text(&mut map)?,
                "parent_span_id" => {
                    let parent = map.next_value::<Option<JsonText<'de>>>()?;
                    m.parent_span_id = Some(parent.map(|t| t.0));
                }
                "session_id" => m.session_id = text(&mut map)?,
                "sequence" => m.sequence = Some(map.next_value()?),
                "timestamp" => m.timestamp = text(&mut map)?,
                "event_type" => m.event_type = text(&mut map)?,
                "payload" => m.payload = Some(map.next_value()?),
                "event_hash" => m.event_hash = text(&mut map)?,
                _ => m.previous_event_hash = text(&mut map)?,
            }
        }
        Ok(m)
    }
}

/// A member name: one an event has, or another (`Err`, with the name).
struct MemberName(Result<&'static str, String>);

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
        let known = MEMBER_NAMES.iter().copied().find(|&known| known == name);
        Ok(MemberName(known.ok_or_else(|| name.to_owned())))
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
