//! The raw events of one operation, as captured on the caller's thread.
//!
//! An [`Operation`] holds just enough to write its events later: small
//! integers, indexes into the catalog snapshot it was decided against, and
//! the few texts the caller handed in, as handed in. Formatting ids, timestamps and JSON,
//! and hashing, happen when it is sealed ([`super::seal`]), which deferred
//! mode does on the processor thread. One operation's events travel as one
//! unit, so they enter the trace together or not at all.

use crate::atlas::catalog::{json_array, ActionIndex, AtlasIndex, Catalog, PackIndex};
use crate::policy::evaluate::Evaluation;
use crate::time::UnixMicros;
use crate::trace::chain::SessionChain;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::sync::Arc;
use uuid::Uuid;

/// One operation's events, waiting to be sealed into `chain`.
pub struct Operation {
    pub chain: Arc<SessionChain>,
    /// When the operation happened; every event of it carries this time.
    pub at: UnixMicros,
    pub events: OperationEvents,
}

/// What happened, per kind of operation.
pub enum OperationEvents {
    /// `session.started`.
    SessionStarted { agent_id: Box<str>, goal: Box<str> },
    /// `session.ended`.
    SessionEnded { reason: Box<str>, duration_ms: u64 },
    /// `session.resumed`: the chain goes on after a restart.
    SessionResumed {
        events_before: u64,
        reason: Box<str>,
    },
    /// `action.requested`, then `action.approved` or `action.denied`.
    Check(Box<CheckRecord>),
    /// `approval.granted` or `approval.rejected`.
    Approval(Box<ApprovalRecord>),
    /// `action.executed` or `action.failed`.
    Report(Box<ReportRecord>),
    /// `carp.request.received`, `policy.evaluated`…, `context.injected`…,
    /// `carp.resolution.completed`.
    Resolve {
        /// The catalog snapshot the resolve was decided against; the
        /// record's indexes point into it.
        catalog: Arc<Catalog>,
        record: Box<ResolveRecord>,
    },
}

/// An action check, decided.
pub struct CheckRecord {
    /// The check's span (its `action.requested` event's), a child of the
    /// session's root span; an outcome report hangs under it.
    pub span: Uuid,
    pub action_id: Box<str>,
    /// As the request gave it.
    pub resolution_id: Box<str>,
    /// Hex SHA-256 of the parameters' canonical JSON.
    pub parameters_hash: Box<str>,
    pub outcome: CheckOutcome,
}

/// How a check ended.
pub enum CheckOutcome {
    Approved {
        execution_id: Uuid,
    },
    Denied {
        reason: Box<str>,
        /// The deciding policy; `None` for the rules no policy decides.
        policy_id: Option<Box<str>>,
    },
}

/// A person's answer to a resolution's approval.
pub struct ApprovalRecord {
    pub approval_id: Uuid,
    pub resolution_id: Uuid,
    pub granted: bool,
    pub approver: Box<str>,
    pub reason: Option<Box<str>>,
}

/// The outcome of an approved check, as the host reported it.
pub struct ReportRecord {
    /// The check's span, parent of the outcome's event.
    pub check_span: Uuid,
    pub action_id: Box<str>,
    pub execution_id: Uuid,
    pub duration_ms: u64,
    pub outcome: ReportedOutcome,
}

/// How the action went.
pub enum ReportedOutcome {
    /// `result_hash`: hex SHA-256 of the result's canonical JSON, if given.
    Executed { result_hash: Option<Box<str>> },
    Failed {
        error_code: Box<str>,
        error_message: Box<str>,
    },
}

/// A resolve's evaluations, one per action considered. Inline up to a
/// typical atlas's size: a new record (when no sealed one is spare, as in a
/// burst the processor has not caught up with) is then one allocation for
/// them all, not one per buffer.
pub type Evaluations = SmallVec<[(ActionIndex, Evaluation); 16]>;

/// A resolve's context blocks, inline up to a typical count.
pub type Blocks = SmallVec<[PackIndex; 8]>;

/// The decision of one resolve, in indexes.
///
/// Records are reused from one resolve to the next (see
/// [`super::record_pool`]), so every field is rewritten for each resolve
/// and the buffers keep their capacity.
#[derive(Default)]
pub struct ResolveRecord {
    pub texts: RequestTexts,
    /// The atlases the request named, in its order (the sealer writes
    /// their ids), or `None` for every atlas of the catalog.
    pub atlases: Option<Vec<AtlasIndex>>,
    /// One per action considered, in catalog order.
    pub evaluations: Evaluations,
    /// The context blocks returned, in the resolution's order.
    pub blocks: Blocks,
    pub resolution_id: Uuid,
    pub decision_type: &'static str,
    pub allowed_count: u32,
    pub denied_count: u32,
    pub ttl_seconds: u32,
}

impl ResolveRecord {
    /// The request's `atlas_ids` as a JSON array; `catalog` is the one the
    /// resolve was decided against.
    pub fn atlas_ids_json<'a>(&'a self, catalog: &'a Catalog) -> Cow<'a, str> {
        match &self.atlases {
            None => Cow::Borrowed(catalog.all_atlas_ids_json()),
            Some(atlases) => {
                let ids = atlases.iter().map(|&atlas| &*catalog.atlas(atlas).id_json);
                Cow::Owned(json_array(ids).into())
            }
        }
    }
}

/// The request's id and goal as sent, in one buffer.
#[derive(Default)]
pub struct RequestTexts {
    text: String,
    request_id_len: usize,
}

impl RequestTexts {
    #[cfg(test)]
    pub fn new(request_id: &str, goal: &str) -> RequestTexts {
        let mut texts = RequestTexts::default();
        texts.set(request_id, goal);
        texts
    }

    /// Replaces the texts, reusing the buffer.
    pub fn set(&mut self, request_id: &str, goal: &str) {
        self.text.clear();
        self.text.reserve(request_id.len() + goal.len());
        self.text.push_str(request_id);
        self.text.push_str(goal);
        self.request_id_len = request_id.len();
    }

    /// Bytes the buffer holds.
    pub fn capacity(&self) -> usize {
        self.text.capacity()
    }

    pub fn request_id(&self) -> &str {
        self.text.get(..self.request_id_len).unwrap_or_default()
    }

    pub fn goal(&self) -> &str {
        self.text.get(self.request_id_len..).unwrap_or_default()
    }
}

impl Operation {
    /// How many events sealing this operation appends.
    pub fn event_count(&self) -> u64 {
        match &self.events {
            OperationEvents::SessionStarted { .. }
            | OperationEvents::SessionEnded { .. }
            | OperationEvents::SessionResumed { .. } => 1,
            OperationEvents::Check(_) => 2,
            OperationEvents::Approval(_) | OperationEvents::Report(_) => 1,
            OperationEvents::Resolve { record, .. } => {
                resolve_event_count(record.evaluations.len(), record.blocks.len())
            }
        }
    }
}

/// The events of a resolve that considers `actions` actions and returns
/// `blocks` context blocks: the request, one evaluation per action, one
/// event per block, the resolution.
pub fn resolve_event_count(actions: usize, blocks: usize) -> u64 {
    2 + actions as u64 + blocks as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_texts_keep_id_and_goal_apart() {
        let texts = RequestTexts::new("req-é", "Reply ✓");
        assert_eq!((texts.request_id(), texts.goal()), ("req-é", "Reply ✓"));
        let empty = RequestTexts::new("", "");
        assert_eq!((empty.request_id(), empty.goal()), ("", ""));
    }
}
