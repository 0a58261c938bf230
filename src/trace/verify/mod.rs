//! Verification (TRACE.md, "Verifying a chain"): the chain rules
//! ([`chain`]), applied to JSONL text ([`jsonl`], one line at a time by
//! [`line`], libcra's own layout read by [`layout`]) and to stored chains
//! ([`stored`]).

pub mod chain;
pub mod head;
pub mod jsonl;
pub mod layout;
pub mod line;
mod members;
pub(crate) mod parallel;
pub mod report;
pub mod stored;

use crate::error::{Error, ErrorKind, Result};
pub use head::Head;
pub use report::{ChainFailure, FailureKind, VerifyReport};

/// How a verification may spend the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Threads a long trace is spread over (at least 1). Spreading pays on
    /// idle cores and can cost more than it saves on cores busy with other
    /// work. Default: one per core.
    pub threads: usize,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            threads: parallel::cores(),
        }
    }
}

impl VerifyOptions {
    /// Options for `threads` threads, where 0 means one per core.
    pub fn with_threads(threads: usize) -> VerifyOptions {
        match threads {
            0 => VerifyOptions::default(),
            threads => VerifyOptions { threads },
        }
    }
}

/// Verifies a JSONL trace holding any number of sessions: each session's
/// events form their own chain, in file order, and the first failure in
/// file order is reported with its index among non-empty lines.
///
/// ```
/// let trace = std::fs::read_to_string("tests/vectors/chain-valid.jsonl").unwrap();
/// let report = cra::verify_jsonl(&trace);
/// assert!(report.failure.is_none());
/// assert_eq!(report.events, 3);
/// ```
pub fn verify_jsonl(text: &str) -> VerifyReport {
    verify_jsonl_with(text, VerifyOptions::default())
}

/// [`verify_jsonl`] with the given options.
pub fn verify_jsonl_with(text: &str, options: VerifyOptions) -> VerifyReport {
    jsonl::verify_text(text, options.threads)
}

/// Verifies one session's JSONL trace, then holds it against `head`
/// (TRACE.md, "Verifying against a head"): fewer events than the head
/// counts is [`FailureKind::Truncated`], another hash at its last event
/// [`FailureKind::HeadMismatch`].
///
/// Errors: `InvalidArgument` when the text holds events of more than one
/// session.
pub fn verify_jsonl_head(text: &str, head: &Head, options: VerifyOptions) -> Result<VerifyReport> {
    if let Some((first, second)) = two_sessions(text) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("a head belongs to one session; the text holds {first} and {second}"),
        ));
    }
    Ok(head::verify_text_against(text, head, options.threads))
}

/// The first two distinct session ids of `text`'s events, if it has two.
/// Lines that cannot be read are left to verification, which reports them.
fn two_sessions(text: &str) -> Option<(String, String)> {
    let mut first: Option<String> = None;
    for line in jsonl::event_lines(text) {
        let session = match layout::read(line) {
            Some(view) => Some(view.fields.session_id.to_owned()),
            None => serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|event| Some(event.get("session_id")?.as_str()?.to_owned())),
        };
        match (&first, session) {
            (None, session) => first = session,
            (Some(known), Some(session)) if *known != session => {
                return Some((known.clone(), session))
            }
            _ => {}
        }
    }
    None
}
