//! The evaluation order of CARP.md, split into the part that is fixed when
//! atlases load (which policies match an action for a task risk tier, in
//! what order) and the part that depends on a session's usage.

use crate::policy::kind::PolicyKind;
use crate::policy::pattern::Pattern;
use crate::policy::risk::{RiskTier, TierSet};

/// Index of a policy in the catalog.
pub type PolicyIndex = u32;

/// What `policy.evaluated` reports as `result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
    RequiresApproval,
    RateLimited,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::RequiresApproval => "requires_approval",
            Verdict::RateLimited => "rate_limited",
        }
    }

    /// Whether the action ends up in `allowed_actions`.
    pub fn is_allowed(self) -> bool {
        matches!(self, Verdict::Allow | Verdict::RequiresApproval)
    }
}

/// Which rule decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decider {
    Policy(PolicyIndex),
    /// No policy allowed the action (`policy_id` `"default-deny"`).
    DefaultDeny,
}

/// The outcome of evaluating one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub verdict: Verdict,
    pub decider: Decider,
}

/// What evaluation needs to know of a policy.
pub struct PolicyRule<'a> {
    pub kind: PolicyKind,
    pub patterns: &'a [Pattern],
    pub priority: i64,
    pub risk_tiers: TierSet,
}

impl PolicyRule<'_> {
    fn applies(&self, action_id: &str, tier: RiskTier) -> bool {
        self.risk_tiers.contains(tier) && self.patterns.iter().any(|p| p.matches(action_id))
    }
}

/// The policies that decide one action for one task risk tier, compiled
/// once per catalog so a resolve does no pattern matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionPlan {
    /// A `deny` or `require_approval` policy decides regardless of usage.
    fixed: Option<Evaluation>,
    /// `rate_limit` then `budget` policies, in evaluation order.
    limits: Box<[PolicyIndex]>,
    /// The `allow` policy that grants the action when no limit is used up.
    allow: Option<PolicyIndex>,
}

impl ActionPlan {
    /// Orders the policies that apply to `action_id` at `tier` as CARP.md
    /// says: by type (deny, require_approval, rate_limit, budget, allow),
    /// then higher priority, then load order (the order of `rules`).
    pub fn compile(action_id: &str, tier: RiskTier, rules: &[PolicyRule<'_>]) -> ActionPlan {
        let mut applicable: Vec<PolicyIndex> = (0..rules.len() as PolicyIndex)
            .filter(|&index| rules[index as usize].applies(action_id, tier))
            .collect();
        applicable.sort_by_key(|&index| {
            let rule = &rules[index as usize];
            (
                rule.kind.evaluation_rank(),
                std::cmp::Reverse(rule.priority),
                index,
            )
        });
        let first_of = |kind_rank: u8| {
            applicable
                .iter()
                .copied()
                .find(|&index| rules[index as usize].kind.evaluation_rank() == kind_rank)
        };
        let fixed = first_of(PolicyKind::Deny.evaluation_rank())
            .map(|index| (Verdict::Deny, index))
            .or_else(|| {
                first_of(PolicyKind::RequireApproval.evaluation_rank())
                    .map(|index| (Verdict::RequiresApproval, index))
            })
            .map(|(verdict, index)| Evaluation {
                verdict,
                decider: Decider::Policy(index),
            });
        let limits = applicable
            .iter()
            .copied()
            .filter(|&index| is_limit(rules[index as usize].kind))
            .collect();
        ActionPlan {
            fixed,
            limits,
            allow: first_of(PolicyKind::Allow.evaluation_rank()),
        }
    }

    /// Decides the action, given which limit policies are used up.
    pub fn evaluate(&self, is_exhausted: impl Fn(PolicyIndex) -> bool) -> Evaluation {
        if let Some(fixed) = self.fixed {
            return fixed;
        }
        if let Some(&limit) = self.limits.iter().find(|&&index| is_exhausted(index)) {
            return Evaluation {
                verdict: Verdict::RateLimited,
                decider: Decider::Policy(limit),
            };
        }
        match self.allow {
            Some(index) => Evaluation {
                verdict: Verdict::Allow,
                decider: Decider::Policy(index),
            },
            None => Evaluation {
                verdict: Verdict::Deny,
                decider: Decider::DefaultDeny,
            },
        }
    }

    /// The rate-limit and budget policies that apply to the action: they
    /// become the resolution's constraints when the action is allowed.
    pub fn limits(&self) -> &[PolicyIndex] {
        &self.limits
    }
}

fn is_limit(kind: PolicyKind) -> bool {
    matches!(
        kind,
        PolicyKind::RateLimit { .. } | PolicyKind::Budget { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: PolicyKind, patterns: &[Pattern], priority: i64) -> PolicyRule<'_> {
        PolicyRule {
            kind,
            patterns,
            priority,
            risk_tiers: TierSet::ALL,
        }
    }

    fn policy(index: PolicyIndex, verdict: Verdict) -> Evaluation {
        Evaluation {
            verdict,
            decider: Decider::Policy(index),
        }
    }

    const RATE: PolicyKind = PolicyKind::RateLimit {
        max_calls: 1,
        window_seconds: 60,
    };

    #[test]
    fn types_decide_in_carp_order_whatever_the_load_order() {
        let any = [Pattern::Any];
        let rules = [
            rule(PolicyKind::Allow, &any, 100),
            rule(PolicyKind::Budget { max_calls: 1 }, &any, 0),
            rule(RATE, &any, 0),
            rule(PolicyKind::RequireApproval, &any, 0),
            rule(PolicyKind::Deny, &any, -5),
        ];
        let plan = ActionPlan::compile("billing.refund", RiskTier::Low, &rules);
        assert_eq!(plan.evaluate(|_| false), policy(4, Verdict::Deny));

        let plan = ActionPlan::compile("billing.refund", RiskTier::Low, &rules[..4]);
        assert_eq!(
            plan.evaluate(|_| true),
            policy(3, Verdict::RequiresApproval)
        );

        let plan = ActionPlan::compile("billing.refund", RiskTier::Low, &rules[..3]);
        assert_eq!(plan.limits(), &[2, 1]);
        assert_eq!(plan.evaluate(|_| true), policy(2, Verdict::RateLimited));
        assert_eq!(
            plan.evaluate(|index| index == 1),
            policy(1, Verdict::RateLimited)
        );
        assert_eq!(plan.evaluate(|_| false), policy(0, Verdict::Allow));
    }

    #[test]
    fn higher_priority_then_load_order_within_a_type() {
        let any = [Pattern::Any];
        let rules = [
            rule(PolicyKind::Deny, &any, 1),
            rule(PolicyKind::Deny, &any, 7),
            rule(PolicyKind::Deny, &any, 7),
        ];
        let plan = ActionPlan::compile("a.b", RiskTier::Low, &rules);
        assert_eq!(plan.evaluate(|_| false), policy(1, Verdict::Deny));
    }

    #[test]
    fn nothing_matching_is_default_deny() {
        let other = [Pattern::Exact("other.action".into())];
        let rules = [rule(PolicyKind::Allow, &other, 0)];
        let plan = ActionPlan::compile("a.b", RiskTier::Low, &rules);
        let denied = Evaluation {
            verdict: Verdict::Deny,
            decider: Decider::DefaultDeny,
        };
        assert_eq!(plan.evaluate(|_| false), denied);
        // Limits alone do not grant anything.
        let any = [Pattern::Any];
        let plan = ActionPlan::compile("a.b", RiskTier::Low, &[rule(RATE, &any, 0)]);
        assert_eq!(plan.evaluate(|_| false), denied);
    }

    #[test]
    fn risk_tier_conditions_limit_a_policy() {
        let any = [Pattern::Any];
        let mut deny_high = rule(PolicyKind::Deny, &any, 0);
        deny_high.risk_tiers = [RiskTier::High, RiskTier::Critical].into_iter().collect();
        let rules = [deny_high, rule(PolicyKind::Allow, &any, 0)];
        let low = ActionPlan::compile("a.b", RiskTier::Low, &rules);
        let high = ActionPlan::compile("a.b", RiskTier::High, &rules);
        assert_eq!(low.evaluate(|_| false), policy(1, Verdict::Allow));
        assert_eq!(high.evaluate(|_| false), policy(0, Verdict::Deny));
    }

    #[test]
    fn all_four_pattern_forms_select_actions() {
        let rules_for = |pattern: Pattern| vec![pattern];
        let cases = [
            (Pattern::Any, "x.y", true),
            (
                Pattern::Exact("billing.refund".into()),
                "billing.refund",
                true,
            ),
            (
                Pattern::Exact("billing.refund".into()),
                "billing.refunds",
                false,
            ),
            (
                Pattern::Prefix("billing.".into()),
                "billing.invoice.create",
                true,
            ),
            (Pattern::Prefix("billing.".into()), "billingx.create", false),
            (Pattern::Suffix(".delete".into()), "files.delete", true),
            (Pattern::Suffix(".delete".into()), "files.undelete", false),
        ];
        for (pattern, action, allowed) in cases {
            let patterns = rules_for(pattern);
            let rules = [rule(PolicyKind::Allow, &patterns, 0)];
            let plan = ActionPlan::compile(action, RiskTier::Low, &rules);
            assert_eq!(
                plan.evaluate(|_| false).verdict == Verdict::Allow,
                allowed,
                "{patterns:?} vs {action}"
            );
        }
    }
}
