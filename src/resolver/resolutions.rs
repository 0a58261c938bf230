//! What a session remembers of its resolutions and approved checks, for
//! checking actions against them (CARP.md, "Checking an action before
//! running it") and for the approvals and outcome reports that follow.

use crate::atlas::catalog::Catalog;
use crate::policy::risk::RiskTier;
use crate::time::clock::UnixMicros;
use rustc_hash::FxHashMap;
use std::sync::Arc;
use uuid::Uuid;

/// A person's answer to a resolution's approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApprovalAnswer {
    Granted,
    Rejected,
}

/// One resolution, as checks need it.
#[derive(Debug)]
pub struct ResolutionRecord {
    pub expires_at: UnixMicros,
    pub risk_tier: RiskTier,
    /// The catalog the resolution was decided against, and its allowed
    /// actions there (ids are read from it, not copied).
    pub catalog: Arc<Catalog>,
    pub allowed: Box<[u32]>,
    /// Set when the decision was `requires_approval`.
    pub approval_id: Option<Uuid>,
    pub answer: Option<ApprovalAnswer>,
}

impl ResolutionRecord {
    /// Whether `action_id` is among the resolution's allowed actions.
    pub fn allows(&self, action_id: &str) -> bool {
        self.allowed
            .iter()
            .any(|&action| self.catalog.action_id(action) == action_id)
    }
}

/// An approved check, until its outcome is reported.
#[derive(Debug)]
pub struct Execution {
    pub action_id: Box<str>,
    /// The check's span: the outcome's event hangs under it.
    pub span: Uuid,
    pub reported: bool,
}

/// A session's resolutions by id (and by approval id), and its approved
/// checks by execution id.
#[derive(Debug, Default)]
pub struct SessionRecords {
    pub resolutions: FxHashMap<Uuid, ResolutionRecord>,
    /// Approval id → the id of the resolution that carries it.
    approvals: FxHashMap<Uuid, Uuid>,
    pub executions: FxHashMap<Uuid, Execution>,
}

impl SessionRecords {
    pub fn insert(&mut self, resolution_id: Uuid, record: ResolutionRecord) {
        if let Some(approval_id) = record.approval_id {
            self.approvals.insert(approval_id, resolution_id);
        }
        self.resolutions.insert(resolution_id, record);
    }

    /// The resolution whose approval is `approval_id`, with its id.
    pub fn by_approval(&mut self, approval_id: Uuid) -> Option<(Uuid, &mut ResolutionRecord)> {
        let resolution_id = *self.approvals.get(&approval_id)?;
        Some((resolution_id, self.resolutions.get_mut(&resolution_id)?))
    }
}
