//! The validated content of one Atlas/1.0 manifest (see `CARP.md`).
//!
//! A [`Manifest`] only exists once every rule of CARP.md has been checked
//! (see [`super::validate`]); the rest of the crate relies on that and does
//! not re-check. Rules that span several atlases (unique atlas and action
//! ids) are checked by the catalog when the atlas is loaded.

use crate::policy::pattern::Pattern;
use serde_json::value::RawValue;

/// The risk tier of an action, or of the task a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RiskTier {
    Low = 0,
    Medium = 1,
    High = 2,
    Critical = 3,
}

impl RiskTier {
    /// Every tier, lowest first; `tier as usize` indexes this array.
    pub const ALL: [RiskTier; 4] = [
        RiskTier::Low,
        RiskTier::Medium,
        RiskTier::High,
        RiskTier::Critical,
    ];

    /// The tier named `text` (`"low"`, `"medium"`, `"high"`, `"critical"`).
    pub fn parse(text: &str) -> Option<RiskTier> {
        match text {
            "low" => Some(RiskTier::Low),
            "medium" => Some(RiskTier::Medium),
            "high" => Some(RiskTier::High),
            "critical" => Some(RiskTier::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RiskTier::Low => "low",
            RiskTier::Medium => "medium",
            RiskTier::High => "high",
            RiskTier::Critical => "critical",
        }
    }
}

/// A set of risk tiers, as a bit mask indexed by `RiskTier as u8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierSet(u8);

impl TierSet {
    /// Every tier: what a policy or pack without `conditions.risk_tiers` means.
    pub const ALL: TierSet = TierSet(0b1111);

    pub fn empty() -> TierSet {
        TierSet(0)
    }

    pub fn insert(&mut self, tier: RiskTier) {
        self.0 |= 1 << tier as u8;
    }

    pub fn contains(self, tier: RiskTier) -> bool {
        self.0 & (1 << tier as u8) != 0
    }
}

impl FromIterator<RiskTier> for TierSet {
    fn from_iter<I: IntoIterator<Item = RiskTier>>(tiers: I) -> TierSet {
        let mut set = TierSet::empty();
        tiers.into_iter().for_each(|tier| set.insert(tier));
        set
    }
}

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

/// What a policy does when it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    Deny,
    RequireApproval,
    /// At most `max_calls` calls in any `window_seconds` window.
    RateLimit {
        max_calls: u64,
        window_seconds: u64,
    },
    /// At most `max_calls` calls per session.
    Budget {
        max_calls: u64,
    },
    Allow,
}

impl PolicyKind {
    /// The position of this kind in CARP.md's evaluation order (deny first).
    pub fn evaluation_rank(self) -> u8 {
        match self {
            PolicyKind::Deny => 0,
            PolicyKind::RequireApproval => 1,
            PolicyKind::RateLimit { .. } => 2,
            PolicyKind::Budget { .. } => 3,
            PolicyKind::Allow => 4,
        }
    }

    /// The manifest's `type` string.
    pub fn type_name(self) -> &'static str {
        match self {
            PolicyKind::Deny => "deny",
            PolicyKind::RequireApproval => "require_approval",
            PolicyKind::RateLimit { .. } => "rate_limit",
            PolicyKind::Budget { .. } => "budget",
            PolicyKind::Allow => "allow",
        }
    }
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
