//! The raw events of one operation, as captured on the caller's thread.
//!
//! An [`Operation`] holds just enough to write its events later: small
//! integers, indexes into the catalog snapshot it was decided against, and
//! the few texts the caller handed in. Formatting ids, timestamps and JSON,
//! and hashing, happen when it is sealed ([`super::seal`]), which deferred
//! mode does on the processor thread. One operation's events travel as one
//! unit, so they enter the trace together or not at all.

use super::chain::SessionChain;
use crate::atlas::catalog::{ActionIndex, Catalog, PackIndex};
use crate::clock::UnixMicros;
use crate::policy::evaluate::Evaluation;
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
    /// `carp.request.received`, `policy.evaluated`…, `context.injected`…,
    /// `carp.resolution.completed`.
    Resolve(Box<ResolveRecord>),
}

/// The decision of one resolve, in indexes.
pub struct ResolveRecord {
    pub catalog: Arc<Catalog>,
    /// The request's id, as a JSON string.
    pub request_id_json: Box<str>,
    pub goal: Box<str>,
    /// The request's own `atlas_ids` as a JSON array, or `None` for every
    /// atlas of the catalog.
    pub atlas_ids_json: Option<Box<str>>,
    /// One per action considered, in catalog order.
    pub evaluations: Vec<(ActionIndex, Evaluation)>,
    /// The context blocks returned, in the resolution's order.
    pub blocks: Vec<PackIndex>,
    pub resolution_id: Uuid,
    pub decision_type: &'static str,
    pub allowed_count: u32,
    pub denied_count: u32,
    pub ttl_seconds: u32,
}

impl Operation {
    /// How many events sealing this operation appends.
    pub fn event_count(&self) -> u64 {
        match &self.events {
            OperationEvents::SessionStarted { .. } | OperationEvents::SessionEnded { .. } => 1,
            OperationEvents::Resolve(record) => {
                2 + record.evaluations.len() as u64 + record.blocks.len() as u64
            }
        }
    }
}
