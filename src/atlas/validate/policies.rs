//! The `policies` section: what decides whether an action is allowed.

use super::fields::{self, quoted, UniqueIds};
use super::json::{Node, Object};
use crate::atlas::manifest::{PolicyKind, PolicySpec, TierSet};
use crate::error::Result;
use crate::limits::MAX_ID_LEN;
use crate::policy::pattern::Pattern;
use serde_json::value::RawValue;

/// Reads the `policies` list. Policy ids must be unique within the atlas.
pub(super) fn read_policies(node: &Node<'_, '_>) -> Result<Vec<PolicySpec>> {
    let mut ids = UniqueIds::new("policy id");
    node.list(|item| read_policy(item, &mut ids))
}

/// Reads one policy, member by member in CARP.md's order.
fn read_policy(node: &Node<'_, '_>, ids: &mut UniqueIds) -> Result<PolicySpec> {
    let object = node.object()?;
    let policy_id = object.read("policy_id", |id| ids.claim(fields::plain_id(id)?, id))?;
    let policy_type = object.read("type", policy_type)?;
    let patterns = object.read("actions", |list| fields::non_empty_list(list, pattern))?;
    let priority = object
        .read_optional("priority", fields::signed_integer)?
        .unwrap_or(0);
    let risk_tiers = object
        .read_optional("conditions", policy_conditions)?
        .unwrap_or(TierSet::ALL);
    let parameters = read_parameters(&object, policy_type)?;
    Ok(PolicySpec {
        policy_id,
        kind: parameters.kind,
        patterns,
        priority,
        risk_tiers,
        reason: parameters.reason,
        parameters: parameters.original,
    })
}

/// A policy's `type`, before its parameters are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PolicyType {
    Deny,
    RequireApproval,
    RateLimit,
    Budget,
    Allow,
}

fn policy_type(node: &Node<'_, '_>) -> Result<PolicyType> {
    let name = node.string()?;
    match name.as_str() {
        "deny" => Ok(PolicyType::Deny),
        "require_approval" => Ok(PolicyType::RequireApproval),
        "rate_limit" => Ok(PolicyType::RateLimit),
        "budget" => Ok(PolicyType::Budget),
        "allow" => Ok(PolicyType::Allow),
        _ => Err(node.invalid(format!(
            "{} is not a policy type (expected deny, require_approval, rate_limit, budget or allow)",
            quoted(&name)
        ))),
    }
}

/// One item of a policy's `actions`. The length is checked first so that a
/// huge string is never echoed back in the pattern error.
fn pattern(node: &Node<'_, '_>) -> Result<Pattern> {
    let text = fields::bounded_string(node, MAX_ID_LEN)?;
    Pattern::parse(&text).map_err(|reason| node.invalid(reason))
}

/// A policy's `conditions`: only `risk_tiers` is defined for policies.
fn policy_conditions(node: &Node<'_, '_>) -> Result<TierSet> {
    let object = node.object()?;
    Ok(object
        .read_optional("risk_tiers", fields::risk_tier_set)?
        .unwrap_or(TierSet::ALL))
}

/// What a policy's `parameters` contribute to its [`PolicySpec`].
struct Parameters {
    kind: PolicyKind,
    reason: Option<String>,
    original: Option<Box<RawValue>>,
}

/// Reads `parameters`, which rate limits and budgets cannot do without.
fn read_parameters(policy: &Object<'_, '_>, policy_type: PolicyType) -> Result<Parameters> {
    let read = |node: &Node<'_, '_>| parameters(node, policy_type);
    match kind_without_parameters(policy_type) {
        None => policy.read("parameters", read),
        Some(kind) => Ok(policy
            .read_optional("parameters", read)?
            .unwrap_or(Parameters {
                kind,
                reason: None,
                original: None,
            })),
    }
}

/// Reads the members of `parameters` that `policy_type` defines; others are
/// kept in the original text but not interpreted.
fn parameters(node: &Node<'_, '_>, policy_type: PolicyType) -> Result<Parameters> {
    let object = node.object()?;
    let mut reason = None;
    let kind = match policy_type {
        PolicyType::Deny => {
            reason = object.read_optional("reason", fields::text)?;
            PolicyKind::Deny
        }
        PolicyType::RequireApproval => PolicyKind::RequireApproval,
        PolicyType::RateLimit => PolicyKind::RateLimit {
            max_calls: object.read("max_calls", fields::positive_count)?,
            window_seconds: object.read("window_seconds", fields::positive_count)?,
        },
        PolicyType::Budget => PolicyKind::Budget {
            max_calls: object.read("max_calls", fields::positive_count)?,
        },
        PolicyType::Allow => PolicyKind::Allow,
    };
    Ok(Parameters {
        kind,
        reason,
        original: Some(node.original_text()),
    })
}

/// The kind of a policy type that works without `parameters`, or `None` for
/// rate limits and budgets, whose limits live there.
fn kind_without_parameters(policy_type: PolicyType) -> Option<PolicyKind> {
    match policy_type {
        PolicyType::Deny => Some(PolicyKind::Deny),
        PolicyType::RequireApproval => Some(PolicyKind::RequireApproval),
        PolicyType::Allow => Some(PolicyKind::Allow),
        PolicyType::RateLimit | PolicyType::Budget => None,
    }
}

#[cfg(test)]
mod tests;
