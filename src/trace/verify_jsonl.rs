//! Verifying JSONL text that mixes many sessions' events: each line is
//! read as Python's `json` module reads it, turned into an [`EventView`],
//! and checked by its session's [`ChainVerifier`].
//!
//! Python's reading of JSON is followed where it matters (a repeated member
//! keeps its last value, `-0` is the integer 0, `1.0` is no integer, `\r`
//! ends a line). Deliberately stricter than `trace_verify.py`: payloads
//! holding NaN, infinities (`1e400`) or lone UTF-16 surrogates, which have
//! no canonical form in TRACE.md's terms, and payloads nested deeper than
//! serde_json's limit (128 levels) are `malformed`.
//!
//! Reporting differs in one way: the first failure *in file order* is
//! reported, indexed among all non-empty lines, while `--multi` reports the
//! first failing session (by first appearance) with an index within it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::canonical_json::{canonical_json, is_canonical};
use super::verify::{
    shape_error, ChainFailure, ChainVerifier, CheckFailure, EventView, FailureKind, VerifyReport,
};

/// Verifies a JSONL trace holding any number of sessions: each session's
/// events form their own chain, in file order, and the first failure in file
/// order is reported with its index among non-empty lines.
pub fn verify_jsonl(text: &str) -> VerifyReport {
    let mut run = JsonlRun::default();
    for line in text.split('\n') {
        if run.failure.is_some() {
            break;
        }
        run.line(line);
    }
    run.finish()
}

/// Lines are those of Python's text mode, where `\r` also ends a line.
/// Splitting at `\r` only when a line does not parse gives the same lines
/// for every file Python can read (inside JSON a `\r` is at most white
/// space between tokens) and spares a second scan of every line.
#[derive(Default)]
struct JsonlRun {
    sessions: Sessions,
    /// Non-empty lines seen so far.
    lines: u64,
    events: u64,
    /// The session of the last valid event, whose head is the trace's.
    head_session: Option<usize>,
    failure: Option<ChainFailure>,
}

impl JsonlRun {
    fn line(&mut self, line: &str) {
        if is_blank(line) {
            return;
        }
        match parse_line(line) {
            Ok(members) => self.event(&members),
            Err(_) if line.contains('\r') => {
                for piece in line.split('\r').filter(|piece| !is_blank(piece)) {
                    if self.failure.is_some() {
                        break;
                    }
                    match parse_line(piece) {
                        Ok(members) => self.event(&members),
                        Err(failure) => self.fail(failure),
                    }
                }
            }
            Err(failure) => self.fail(failure),
        }
    }

    fn event(&mut self, members: &LineMembers<'_>) {
        match check_event(members, &mut self.sessions) {
            Ok(session) => {
                self.head_session = Some(session);
                self.events += 1;
                self.lines += 1;
            }
            Err(failure) => self.fail(failure),
        }
    }

    fn fail(&mut self, failure: CheckFailure) {
        self.failure = Some(ChainFailure::at(self.lines, failure));
    }

    fn finish(self) -> VerifyReport {
        let head_hash = self
            .head_session
            .and_then(|session| self.sessions.head_hash(session))
            .map(str::to_owned);
        VerifyReport {
            events: self.events,
            pending: 0,
            failure: self.failure,
            head_hash,
        }
    }
}

/// Python's `line.strip()` would leave nothing.
fn is_blank(line: &str) -> bool {
    line.chars().all(is_python_space)
}

/// `str.isspace()`: Unicode White_Space plus the separators U+001C..U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// A ChainVerifier per session_id, in order of first appearance.
#[derive(Default)]
struct Sessions {
    verifiers: Vec<ChainVerifier>,
    ids: Vec<String>,
    index_by_id: HashMap<String, usize>,
    /// Consecutive events usually share a session: skip the map lookup then.
    recent: usize,
}

impl Sessions {
    fn index_of(&mut self, session_id: &str) -> usize {
        if self.ids.get(self.recent).is_some_and(|id| id == session_id) {
            return self.recent;
        }
        self.recent = match self.index_by_id.get(session_id) {
            Some(&index) => index,
            None => {
                self.verifiers.push(ChainVerifier::new());
                self.ids.push(session_id.to_owned());
                self.index_by_id
                    .insert(session_id.to_owned(), self.ids.len() - 1);
                self.ids.len() - 1
            }
        };
        self.recent
    }

    fn check(&mut self, event: &EventView<'_>) -> Result<usize, CheckFailure> {
        let index = self.index_of(event.session_id);
        self.verifiers[index].check(event)?;
        Ok(index)
    }

    fn head_hash(&self, session: usize) -> Option<&str> {
        self.verifiers.get(session)?.head_hash()
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

/// Checks one event against its session; returns the session's index.
fn check_event(members: &LineMembers<'_>, sessions: &mut Sessions) -> Result<usize, CheckFailure> {
    let event = members.decode().map_err(malformed)?;
    let view = event.view();
    match event.sequence {
        Sequence::Fits(_) => sessions.check(&view),
        // Python would get as far as the sequence rule, which it fails.
        Sequence::Huge(literal) => Err(match shape_error(&view) {
            Some(detail) => malformed(detail),
            None => (
                FailureKind::SequenceGap,
                format!("sequence {literal} is beyond any chain"),
            ),
        }),
    }
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
struct DecodedEvent<'m> {
    trace_version: &'m str,
    event_id: &'m str,
    trace_id: &'m str,
    span_id: &'m str,
    parent_span_id: Option<&'m str>,
    session_id: &'m str,
    sequence: Sequence<'m>,
    timestamp: &'m str,
    event_type: &'m str,
    canonical_payload: Cow<'m, str>,
    event_hash: &'m str,
    previous_event_hash: &'m str,
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

    fn decode(&self) -> Result<DecodedEvent<'_>, String> {
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
            &self.trace_version,
            &self.event_id,
            &self.trace_id,
            &self.span_id,
            &self.parent_span_id,
            &self.session_id,
            self.sequence,
            &self.timestamp,
            &self.event_type,
            self.payload,
            &self.event_hash,
            &self.previous_event_hash,
        )
        else {
            return Err(self.missing_members());
        };
        Ok(DecodedEvent {
            trace_version,
            event_id,
            trace_id,
            span_id,
            parent_span_id: parent_span_id.as_deref(),
            session_id,
            sequence: parse_sequence(sequence.get())?,
            timestamp,
            event_type,
            canonical_payload: canonical_payload(payload.get())?,
            event_hash,
            previous_event_hash,
        })
    }

    fn missing_members(&self) -> String {
        let missing: Vec<&str> = MEMBER_NAMES
            .iter()
            .zip(self.present())
            .filter(|&(_, present)| !present)
            .map(|(&name, _)| name)
            .collect();
        format!("missing fields: {}", missing.join(","))
    }
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
            trace_version: self.trace_version,
            event_id: self.event_id,
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_span_id: self.parent_span_id,
            session_id: self.session_id,
            sequence: match self.sequence {
                Sequence::Fits(n) => n,
                // Only its shape is checked; see check_event.
                Sequence::Huge(_) => u64::MAX,
            },
            timestamp: self.timestamp,
            event_type: self.event_type,
            canonical_payload: &self.canonical_payload,
            event_hash: self.event_hash,
            previous_event_hash: self.previous_event_hash,
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
