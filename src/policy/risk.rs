//! Risk tiers: of an action, of the task a request is for, and the sets
//! of tiers a policy or a context pack applies to.

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
