//! The outcome of a verification: the first failure, if any, and the
//! chain's head.

use std::fmt;

/// Why a chain failed, with the C ABI's `CRA_CHAIN_*` numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Malformed = 1,
    SequenceGap = 2,
    ChainBroken = 3,
    HashMismatch = 4,
    SessionMismatch = 5,
    /// Fewer events than the head says: the chain's end was cut off.
    Truncated = 6,
    /// Event N-1's hash is not the head's.
    HeadMismatch = 7,
}

impl FailureKind {
    /// The name TRACE.md gives the failure (and `trace_verify.py` prints).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Malformed => "malformed",
            FailureKind::SequenceGap => "sequence_gap",
            FailureKind::ChainBroken => "chain_broken",
            FailureKind::HashMismatch => "hash_mismatch",
            FailureKind::SessionMismatch => "session_mismatch",
            FailureKind::Truncated => "truncated",
            FailureKind::HeadMismatch => "head_mismatch",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first failure found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainFailure {
    pub kind: FailureKind,
    /// 0-based index of the failing event (in JSONL: among non-empty lines).
    pub index: u64,
    /// What exactly was wrong, for a human.
    pub detail: String,
}

impl ChainFailure {
    /// The failure `(kind, detail)` of the event at `index`.
    pub fn at(index: u64, (kind, detail): CheckFailure) -> ChainFailure {
        ChainFailure {
            kind,
            index,
            detail,
        }
    }
}

/// "event 3 is hash_mismatch: …" for a failing event; for a chain held
/// against its head, what the head found.
impl fmt::Display for ChainFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FailureKind::Truncated => write!(f, "the chain is truncated: {}", self.detail),
            FailureKind::HeadMismatch => {
                write!(f, "the chain does not match its head: {}", self.detail)
            }
            kind => write!(f, "event {} is {kind}: {}", self.index, self.detail),
        }
    }
}

/// The outcome of a verification.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Events that passed every check. Verification stops at the first
    /// failure, so on failure this is the number of events before it (in
    /// JSONL: equal to the failure's index).
    pub events: u64,
    /// Events emitted but not yet processed (deferred mode); 0 otherwise.
    pub pending: u64,
    /// `None` when the chain is valid.
    pub failure: Option<ChainFailure>,
    /// `event_hash` of the last valid event, `None` if there is none.
    pub head_hash: Option<String>,
}

/// A failed check: what kind, and a detail for humans.
pub type CheckFailure = (FailureKind, String);
