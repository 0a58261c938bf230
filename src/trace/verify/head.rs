//! Holding a chain against its head (TRACE.md, "Verifying against a head"):
//! what a plain chain cannot show, that events were cut off its end.

use super::jsonl::{event_lines, verify_text};
use super::report::{ChainFailure, FailureKind, VerifyReport};
use crate::trace::event::hex::{hex_lower, GENESIS_HASH_HEX};

/// A session's head: how many events its chain has and the last one's hash
/// (for an empty chain, 0 and zeros).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub events: u64,
    pub hash: [u8; 32],
}

impl Head {
    /// The head of a chain with no events.
    pub const EMPTY: Head = Head {
        events: 0,
        hash: [0; 32],
    };

    /// The hash as 64 lowercase hex digits.
    pub fn hash_hex(&self) -> String {
        hex_lower(&self.hash)
    }
}

/// Verifies one session's JSONL `text` with up to `threads` threads, then,
/// if the chain is valid, holds it against `head`: fewer events than the
/// head counts is `truncated` (at the number of events present); event
/// N-1's hash other than the head's is `head_mismatch` (at N-1). More
/// events than the head counts is fine: the chain grew.
pub fn verify_text_against(text: &str, head: &Head, threads: usize) -> VerifyReport {
    let mut report = verify_text(text, threads);
    if report.failure.is_none() {
        report.failure = held_against(text, &report, head);
    }
    report
}

/// The failure of a valid chain (`report` of `text`) against `head`, if any.
fn held_against(text: &str, report: &VerifyReport, head: &Head) -> Option<ChainFailure> {
    if report.events < head.events {
        return Some(ChainFailure {
            kind: FailureKind::Truncated,
            index: report.events,
            detail: format!("{} events, the head says {}", report.events, head.events),
        });
    }
    let expected = head.hash_hex();
    let found = match head.events {
        0 => GENESIS_HASH_HEX.to_owned(),
        n if n == report.events => report.head_hash.clone().unwrap_or_default(),
        n => event_hash_of_line(text, n - 1).unwrap_or_default(),
    };
    (found != expected).then(|| ChainFailure {
        kind: FailureKind::HeadMismatch,
        index: head.events.saturating_sub(1),
        detail: format!(
            "event {} has hash {found}, the head says {expected}",
            head.events.saturating_sub(1)
        ),
    })
}

/// The `event_hash` of the event on line `index` (among event lines) of a
/// text that verified.
fn event_hash_of_line(text: &str, index: u64) -> Option<String> {
    let line = event_lines(text).nth(usize::try_from(index).ok()?)?;
    let event: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(event.get("event_hash")?.as_str()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::vector_lines;

    fn head_of(lines: &[String], events: usize) -> Head {
        let mut hash = [0u8; 32];
        if events > 0 {
            let event: serde_json::Value = serde_json::from_str(&lines[events - 1]).unwrap();
            let hex = event["event_hash"].as_str().unwrap();
            for (i, byte) in hash.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
            }
        }
        Head {
            events: events as u64,
            hash,
        }
    }

    fn kind(report: &VerifyReport) -> Option<(FailureKind, u64)> {
        report.failure.as_ref().map(|f| (f.kind, f.index))
    }

    #[test]
    fn a_chain_is_held_against_its_head() {
        let lines = vector_lines();
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let all = lines.len();
        // Its own head, an older head (the chain grew) and the empty head pass.
        for events in [all, all - 1, 0] {
            let report = verify_text_against(&text, &head_of(&lines, events), 1);
            assert_eq!(kind(&report), None, "head of {events}");
        }
        // A cut tail is truncated at the number of events left.
        let cut: String = lines[..all - 1].iter().map(|l| format!("{l}\n")).collect();
        let report = verify_text_against(&cut, &head_of(&lines, all), 1);
        assert_eq!(
            kind(&report),
            Some((FailureKind::Truncated, all as u64 - 1))
        );
        // Another hash at N-1 is a head mismatch.
        let mut wrong = head_of(&lines, all - 1);
        wrong.hash[0] ^= 1;
        let report = verify_text_against(&text, &wrong, 1);
        assert_eq!(
            kind(&report),
            Some((FailureKind::HeadMismatch, all as u64 - 2))
        );
        // A broken chain reports its own failure first.
        let report = verify_text_against("{}\n", &head_of(&lines, all), 1);
        assert_eq!(kind(&report).map(|k| k.0), Some(FailureKind::Malformed));
    }
}
