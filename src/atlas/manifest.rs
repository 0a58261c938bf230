//! The validated content of one Atlas/1.0 manifest (see `CARP.md`).
//!
//! A [`Manifest`] only exists once every rule of CARP.md has been checked
//! (see [`super::validate`]); the rest of the crate relies on that and does
//! not re-check. Rules that span several atlases (unique atlas and action
//! ids) are checked by the catalog when the atlas is loaded.

use crate::atlas::schema::ParametersSchema;
pub use crate::policy::kind::PolicyKind;
pub use crate::policy::pattern::Pattern;
pub use crate::policy::risk::{RiskTier, TierSet};
use serde_json::value::RawValue;

/// One validated atlas manifest.
///
/// Its descriptive members (version, name, description, domains) are
/// validated and kept as written, though no decision reads them.
#[derive(Debug)]
#[allow(dead_code)]
pub struct Manifest {
    pub atlas_id: String,
    pub version: String,
    pub name: String,
    pub description: String,
    pub domains: Vec<String>,
    pub actions: Vec<ActionSpec>,
    pub capabilities: Vec<CapabilitySpec>,
    pub policies: Vec<PolicySpec>,
    pub context_packs: Vec<ContextPackSpec>,
}

/// An action the atlas offers.
#[derive(Debug)]
pub struct ActionSpec {
    pub action_id: String,
    pub name: String,
    pub description: String,
    /// The JSON Schema exactly as written in the manifest, if any.
    pub parameters_schema: Option<Box<RawValue>>,
    /// The same schema compiled, for checking an action's parameters.
    pub parameters_check: Option<ParametersSchema>,
    pub returns_schema: Option<Box<RawValue>>,
    pub risk_tier: RiskTier,
    pub idempotent: bool,
}

/// A named group of this atlas's actions. Its name and description are
/// validated and kept as written, though no decision reads them.
#[derive(Debug)]
#[allow(dead_code)]
pub struct CapabilitySpec {
    pub capability_id: String,
    pub name: String,
    pub description: String,
    /// Ids of actions of the same atlas (checked).
    pub actions: Vec<String>,
}

/// One policy of the atlas.
#[derive(Debug)]
pub struct PolicySpec {
    pub policy_id: String,
    pub kind: PolicyKind,
    pub patterns: Vec<Pattern>,
    /// Higher first within a type; default 0.
    pub priority: i64,
    /// `conditions.risk_tiers`; [`TierSet::ALL`] when absent.
    pub risk_tiers: TierSet,
    /// `parameters.reason` of a deny policy.
    pub reason: Option<String>,
    /// The `parameters` object exactly as written (reported in constraints).
    pub parameters: Option<Box<RawValue>>,
}

/// When a context pack is handed out. Every present condition must hold.
#[derive(Debug)]
pub struct PackConditions {
    /// Lowercased; any one appearing in the lowercased goal satisfies it.
    pub keywords: Vec<String>,
    /// [`TierSet::ALL`] when absent.
    pub risk_tiers: TierSet,
    /// Any one present in the request's `task.context_hints` satisfies it.
    pub context_hints: Vec<String>,
}

/// One context pack, with its content already assembled (inline text and
/// the files it names, read when the atlas was loaded). Its name is
/// validated and kept as written, though no decision reads it.
#[derive(Debug)]
#[allow(dead_code)]
pub struct ContextPackSpec {
    pub pack_id: String,
    pub name: String,
    pub priority: i64,
    /// Default `"text/plain"`.
    pub content_type: String,
    pub content: String,
    pub conditions: PackConditions,
}
