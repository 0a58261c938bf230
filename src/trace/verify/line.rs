//! Checking one JSONL line on its own: reading it as Python's `json`
//! module reads it, then the rules an event passes or fails whatever
//! precedes it (its shape; its hash, which [`ReadEvent::checked`] judges
//! once the caller recomputed it). The rules that link it to earlier
//! events are [`super::jsonl`]'s, applied
//! afterwards in file order; so lines can be checked on several threads at
//! once.
//!
//! TRACE.md's line rules are applied strictly: a member not in the event
//! table, a member name repeated in any object at any depth (readers
//! disagree on which copy wins, so a duplicate could show a forged value
//! under a valid hash), a lone UTF-16 surrogate and a number that is not
//! finite (`1e400`) make the line `malformed`. Python's reading of JSON is
//! followed elsewhere (`-0` is the integer 0, `1.0` is no integer).
//! Payloads nested deeper than serde_json's limit (128 levels) are
//! `malformed` too.

use std::borrow::Cow;

use super::chain::{compare_hash, Link};
use super::layout;
use super::members::{DecodedEvent, LineMembers, Sequence};
use super::report::{CheckFailure, FailureKind};
use crate::trace::event::shape::shape_error;
use crate::trace::event::EventView;

/// What one line is, checked on its own.
pub enum LineCheck<'a> {
    /// Not a JSON object of the members' types (a `\r` inside may be a
    /// line break: see [`super::jsonl`]).
    Unreadable(CheckFailure),
    /// An event failing whatever precedes it.
    Failed(CheckFailure),
    /// An event passing the rules it can pass alone, its hash rule aside
    /// (the caller recomputes the hash).
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
        let (sequence, hash) = (
            view.fields.sequence,
            compare_hash(view.event_hash, computed),
        );
        match self {
            ReadEvent::Laid(view) => CheckedEvent {
                session_id: Cow::Borrowed(view.fields.session_id),
                sequence,
                previous_event_hash: Cow::Borrowed(view.fields.previous_event_hash),
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
    match layout::read(line) {
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
