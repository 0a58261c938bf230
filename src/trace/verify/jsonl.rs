//! Verifying JSONL text that mixes many sessions' events: each line is
//! checked on its own ([`super::line`]), then linked to the event before it
//! in its session by that session's [`ChainVerifier`], in file order.
//!
//! The first part is most of the work and independent for each line, so on
//! long texts it can run on several threads over parts of the text; the
//! linking, cheap, follows on the calling thread, part by part in file
//! order. The report is the same either way.
//!
//! Lines are those of Python's text mode, where `\r` also ends a line (a
//! JSON parser would take a `\r` between two tokens as white space, and so
//! read as one event what any other reader of the file sees as two
//! malformed lines).
//!
//! Reporting differs from `trace_verify.py --multi` in one way: the first
//! failure *in file order* is reported, indexed among all non-empty lines,
//! while `--multi` reports the first failing session (by first appearance)
//! with an index within it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::ops::{ControlFlow, Range};

use super::chain::ChainVerifier;
use super::line::{check_line, CheckedEvent, LineCheck};
use super::parallel;
use super::report::{ChainFailure, CheckFailure, VerifyReport};
use crate::trace::hash::EventHasher;

/// Verifies a JSONL trace holding any number of sessions: each session's
/// events form their own chain, in file order, and the first failure in file
/// order is reported with its index among non-empty lines. Long texts are
/// read on up to `threads` threads.
pub fn verify_text(text: &str, threads: usize) -> VerifyReport {
    verify_text_in_parts(text, part_bytes_for(text.len(), threads), threads)
}

/// [`verify_text`] for bytes that should be UTF-8 text, which is checked
/// part by part on the verifying threads rather than all at once first.
/// Errors: the bytes are not UTF-8, wherever the chain's first failure is.
pub fn verify_bytes(bytes: &[u8], threads: usize) -> Result<VerifyReport, NotUtf8> {
    verify_bytes_in_parts(bytes, part_bytes_for(bytes.len(), threads), threads)
}

/// [`verify_text`] in parts of about `part_bytes`.
fn verify_text_in_parts(text: &str, part_bytes: usize, threads: usize) -> VerifyReport {
    let parts = split_after_newlines(text.as_bytes(), part_bytes);
    // Every part ends at a line break or at the end: on character boundaries.
    let parts: Vec<&str> = parts
        .iter()
        .filter_map(|range| text.get(range.clone()))
        .collect();
    match verify_parts(threads, &parts, |part| {
        Ok::<_, Infallible>(check_lines(part))
    }) {
        Ok(report) => report,
        Err(never) => match never {},
    }
}

/// [`verify_bytes`] in parts of about `part_bytes`.
fn verify_bytes_in_parts(
    bytes: &[u8],
    part_bytes: usize,
    threads: usize,
) -> Result<VerifyReport, NotUtf8> {
    let parts = split_after_newlines(bytes, part_bytes);
    let report = verify_parts(threads, &parts, |range| {
        let text = std::str::from_utf8(&bytes[range.clone()]).map_err(|err| NotUtf8 {
            offset: range.start + err.valid_up_to(),
        })?;
        Ok(check_lines(text))
    })?;
    if report.failure.is_some() {
        // The walk stopped at the failure; the bytes after it are unchecked.
        std::str::from_utf8(bytes).map_err(|err| NotUtf8 {
            offset: err.valid_up_to(),
        })?;
    }
    Ok(report)
}

/// Bytes that are not UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotUtf8 {
    /// Where the first byte that is not part of a UTF-8 character is.
    pub offset: usize,
}

/// Texts at least this long are worth reading on several threads: a few
/// milliseconds of work, against tens of microseconds to start a thread.
const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Bytes of text in one part: a short piece of work.
const PART_BYTES: usize = 1 << 18;

/// Parts checked beyond the one being linked, per thread. Enough to keep
/// the caller busy while a helper thread that lost its core holds the next
/// part, few enough that the checked lines stay in cache and their memory
/// is reused instead of faulting in fresh pages.
const PARTS_AHEAD_PER_THREAD: usize = 8;

fn part_bytes_for(len: usize, threads: usize) -> usize {
    if len < PARALLEL_MIN_BYTES || threads <= 1 {
        len
    } else {
        PART_BYTES
    }
}

/// Verifies the lines of `parts` (whole lines each, in file order), read by
/// `lines_of`, on up to `threads` threads, linked in file order as they
/// come in. Fails with the first part `lines_of` fails on.
fn verify_parts<'a, P: Sync, E: Send>(
    threads: usize,
    parts: &[P],
    lines_of: impl Fn(&P) -> Result<Vec<Record<'a>>, E> + Sync,
) -> Result<VerifyReport, E> {
    let mut run = JsonlRun::default();
    let mut unreadable = None;
    parallel::for_each_in_order(
        threads,
        parts,
        PARTS_AHEAD_PER_THREAD * threads,
        lines_of,
        |records| match records {
            Ok(records) => run.link(records),
            Err(err) => {
                unreadable = Some(err);
                ControlFlow::Break(())
            }
        },
    );
    match unreadable {
        Some(err) => Err(err),
        None => Ok(run.finish()),
    }
}

/// `bytes` cut into parts of whole lines, each ending at the first line
/// break after `size` bytes (or at the end).
fn split_after_newlines(bytes: &[u8], size: usize) -> Vec<Range<usize>> {
    let size = size.max(1);
    let mut parts = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes
            .get(start + size..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
            .map_or(bytes.len(), |at| start + size + at + 1);
        parts.push(start..end);
        start = end;
    }
    parts
}

/// What checking one non-empty line on its own found: an event to link, or
/// the line's failure.
type Record<'a> = Result<CheckedEvent<'a>, CheckFailure>;

/// The records of the non-blank lines of `text`, in order.
fn check_lines(text: &str) -> Vec<Record<'_>> {
    let mut records = Vec::new();
    let mut hasher = EventHasher::default();
    let mut record = |check| records.push(recorded(check, &mut hasher));
    for line in event_lines(text) {
        record(check_line(line));
    }
    records
}

/// The lines of `text` that hold events, in order: split at every line
/// break (`\n`, and a lone `\r` too, as every other reader does), blank
/// lines left out. Failure indexes count these.
pub fn event_lines(text: &str) -> impl Iterator<Item = &str> {
    lines(text)
        .flat_map(|line| line.split('\r'))
        .filter(|line| !is_blank(line))
}

/// What checking a line found, its event's hash recomputed.
fn recorded<'a>(check: LineCheck<'a>, hasher: &mut EventHasher) -> Record<'a> {
    match check {
        LineCheck::Event(event) => {
            let computed = hasher.hash(&event.view().fields);
            Ok(event.checked(&computed))
        }
        LineCheck::Failed(failure) | LineCheck::Unreadable(failure) => Err(failure),
    }
}

/// Links records in file order, up to the first failure.
#[derive(Default)]
struct JsonlRun {
    sessions: Sessions,
    /// Events that passed, which is also the index of the next record.
    events: u64,
    /// The session of the last valid event, whose head is the trace's.
    head_session: Option<usize>,
    failure: Option<ChainFailure>,
}

impl JsonlRun {
    /// Links `records` in order; breaks at the first failure.
    fn link(&mut self, records: Vec<Record<'_>>) -> ControlFlow<()> {
        for record in records {
            self.record(record);
            if self.failure.is_some() {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }

    fn record(&mut self, record: Record<'_>) {
        match record.and_then(|event| self.sessions.check(&event)) {
            Ok(session) => {
                self.head_session = Some(session);
                self.events += 1;
            }
            Err(failure) => self.failure = Some(ChainFailure::at(self.events, failure)),
        }
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

/// `text` split at every `\n`, as `str::split` would (a trailing empty
/// piece included), found a vector at a time.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]);
    ends.scan(0, move |start, end| {
        // Both ends sit at a `\n` or the end of the text: char boundaries.
        let line = text.get(*start..end);
        *start = end + 1;
        line
    })
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

    /// Checks `event` against its session's chain; returns the session.
    fn check(&mut self, event: &CheckedEvent<'_>) -> Result<usize, CheckFailure> {
        let link = event.link();
        let index = self.index_of(link.session_id);
        self.verifiers[index].check_linked(&link, || event.hash.clone())?;
        Ok(index)
    }

    fn head_hash(&self, session: usize) -> Option<&str> {
        self.verifiers.get(session)?.head_hash()
    }
}

#[cfg(test)]
mod tests;
