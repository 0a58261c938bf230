use super::super::test_support::{atlas_with, invalid_atlas, parsed};
use super::*;
use crate::atlas::manifest::RiskTier;
use serde_json::{json, Value};

fn policy(extra: Value) -> Value {
    let mut policy = json!({
        "policy_id": "allow-billing",
        "type": "allow",
        "actions": ["billing.*"],
    });
    policy
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    policy
}

fn policy_error(extra: Value) -> String {
    invalid_atlas(&atlas_with(json!({ "policies": [policy(extra)] })))
}

fn only_policy(extra: Value) -> PolicySpec {
    let mut manifest = parsed(&atlas_with(json!({ "policies": [policy(extra)] })));
    manifest.policies.remove(0)
}

#[test]
fn defaults_apply_to_absent_members() {
    let policy = only_policy(json!({}));
    assert_eq!(policy.policy_id, "allow-billing");
    assert_eq!(policy.kind, PolicyKind::Allow);
    assert_eq!(policy.patterns, [Pattern::Prefix("billing.".into())]);
    assert_eq!(policy.priority, 0);
    assert_eq!(policy.risk_tiers, TierSet::ALL);
    assert_eq!(policy.reason, None);
    assert!(policy.parameters.is_none());
}

#[test]
fn reads_every_type() {
    let deny = only_policy(json!({
        "type": "deny",
        "parameters": {"reason": "Refunds need a human", "ticket": 7},
        "priority": -3,
        "conditions": {"risk_tiers": ["high", "critical"]},
    }));
    assert_eq!(deny.kind, PolicyKind::Deny);
    assert_eq!(deny.reason.as_deref(), Some("Refunds need a human"));
    assert_eq!(
        deny.parameters.unwrap().get(),
        r#"{"reason":"Refunds need a human","ticket":7}"#
    );
    assert_eq!(deny.priority, -3);
    assert_eq!(
        deny.risk_tiers,
        [RiskTier::High, RiskTier::Critical].into_iter().collect()
    );

    let approval = only_policy(json!({ "type": "require_approval" }));
    assert_eq!(approval.kind, PolicyKind::RequireApproval);

    let rate = only_policy(json!({
        "type": "rate_limit",
        "parameters": {"max_calls": 10, "window_seconds": 60},
    }));
    assert_eq!(
        rate.kind,
        PolicyKind::RateLimit {
            max_calls: 10,
            window_seconds: 60
        }
    );
    assert!(rate.parameters.is_some());

    let budget = only_policy(json!({ "type": "budget", "parameters": {"max_calls": 3} }));
    assert_eq!(budget.kind, PolicyKind::Budget { max_calls: 3 });

    // A reason only means something to a deny policy.
    let allow = only_policy(json!({ "parameters": {"reason": "ignored"} }));
    assert_eq!(allow.reason, None);
    assert_eq!(allow.parameters.unwrap().get(), r#"{"reason":"ignored"}"#);
}

#[test]
fn reads_every_pattern_form() {
    let policy = only_policy(json!({ "actions": ["*", "billing.charge", "crm.*", "*.delete"] }));
    assert_eq!(
        policy.patterns,
        [
            Pattern::Any,
            Pattern::Exact("billing.charge".into()),
            Pattern::Prefix("crm.".into()),
            Pattern::Suffix(".delete".into()),
        ]
    );
}

#[test]
fn patterns_are_checked() {
    let error = invalid_atlas(&atlas_with(json!({
        "policies": [policy(json!({})), policy(json!({"policy_id": "b"})),
                     policy(json!({"policy_id": "c", "actions": ["*foo"]}))],
    })));
    assert_eq!(
        error,
        "/policies/2/actions/0: '*foo' is not a valid pattern"
    );
    for text in ["a.*.b", "**", "a*", "*.", ".*", "billing"] {
        assert_eq!(
            policy_error(json!({ "actions": ["*", text] })),
            format!("/policies/0/actions/1: '{text}' is not a valid pattern")
        );
    }
    assert_eq!(
        policy_error(json!({ "actions": [] })),
        "/policies/0/actions: must not be empty"
    );
    assert_eq!(
        policy_error(json!({ "actions": "*" })),
        "/policies/0/actions: must be an array"
    );
    assert_eq!(
        policy_error(json!({ "actions": [format!("{}.*", "a".repeat(300))] })),
        "/policies/0/actions/0: must be at most 256 bytes long"
    );
}

#[test]
fn each_member_is_checked() {
    assert_eq!(
        policy_error(json!({ "policy_id": "" })),
        "/policies/0/policy_id: must not be empty"
    );
    assert_eq!(
        policy_error(json!({ "type": "block" })),
        "/policies/0/type: 'block' is not a policy type (expected deny, require_approval, rate_limit, budget or allow)"
    );
    assert_eq!(
        policy_error(json!({ "type": ["deny"] })),
        "/policies/0/type: must be a string"
    );
    assert_eq!(
        policy_error(json!({ "priority": 1.5 })),
        "/policies/0/priority: must be an integer"
    );
    assert_eq!(
        policy_error(json!({ "priority": "1" })),
        "/policies/0/priority: must be an integer"
    );
    assert_eq!(
        policy_error(json!({ "conditions": [] })),
        "/policies/0/conditions: must be an object"
    );
    assert_eq!(
        policy_error(json!({ "conditions": {"risk_tiers": ["low", "urgent"]} })),
        "/policies/0/conditions/risk_tiers/1: 'urgent' is not a risk tier (expected low, medium, high or critical)"
    );
    assert_eq!(
        policy_error(json!({ "conditions": {"risk_tiers": []} })),
        "/policies/0/conditions/risk_tiers: must not be empty (leave the member out to mean no condition)"
    );
    assert_eq!(
        policy_error(json!({ "parameters": "none" })),
        "/policies/0/parameters: must be an object"
    );
    assert_eq!(
        policy_error(json!({ "type": "deny", "parameters": {"reason": 5} })),
        "/policies/0/parameters/reason: must be a string"
    );
}

#[test]
fn integer_literals_are_checked_exactly() {
    let with_priority = |literal: &str| {
        invalid_atlas(
            &atlas_with(json!({ "policies": [policy(json!({"priority": 0}))] }))
                .replace("\"priority\":0", &format!("\"priority\":{literal}")),
        )
    };
    assert_eq!(
        with_priority("1e3"),
        "/policies/0/priority: must be an integer"
    );
    assert_eq!(
        with_priority("2.0"),
        "/policies/0/priority: must be an integer"
    );
    assert_eq!(
        with_priority("9223372036854775808"),
        "/policies/0/priority: integer does not fit in 64 bits"
    );
    assert_eq!(
        with_priority("-123456789012345678901234567890"),
        "/policies/0/priority: integer does not fit in 64 bits"
    );
    let json = atlas_with(json!({ "policies": [policy(json!({"priority": 0}))] }))
        .replace("\"priority\":0", "\"priority\":-9223372036854775808");
    assert_eq!(parsed(&json).policies[0].priority, i64::MIN);
}

#[test]
fn rate_limits_and_budgets_need_their_parameters() {
    assert_eq!(
        policy_error(json!({ "type": "rate_limit" })),
        "/policies/0: missing required member 'parameters'"
    );
    assert_eq!(
        policy_error(json!({ "type": "budget" })),
        "/policies/0: missing required member 'parameters'"
    );
    assert_eq!(
        policy_error(json!({ "type": "rate_limit", "parameters": {"window_seconds": 60} })),
        "/policies/0/parameters: missing required member 'max_calls'"
    );
    assert_eq!(
        policy_error(json!({ "type": "rate_limit", "parameters": {"max_calls": 5} })),
        "/policies/0/parameters: missing required member 'window_seconds'"
    );
    assert_eq!(
        policy_error(
            json!({ "type": "rate_limit", "parameters": {"max_calls": 0, "window_seconds": 60} })
        ),
        "/policies/0/parameters/max_calls: must be at least 1"
    );
    assert_eq!(
        policy_error(
            json!({ "type": "rate_limit", "parameters": {"max_calls": 1, "window_seconds": -1} })
        ),
        "/policies/0/parameters/window_seconds: must be at least 1"
    );
    assert_eq!(
        policy_error(
            json!({ "type": "rate_limit", "parameters": {"max_calls": 1.5, "window_seconds": 1} })
        ),
        "/policies/0/parameters/max_calls: must be an integer"
    );
    assert_eq!(
        policy_error(json!({ "type": "budget", "parameters": {} })),
        "/policies/0/parameters: missing required member 'max_calls'"
    );
    assert_eq!(
        policy_error(json!({ "type": "budget", "parameters": {"max_calls": "3"} })),
        "/policies/0/parameters/max_calls: must be an integer"
    );
    let huge = atlas_with(json!({ "policies": [policy(json!({
        "type": "budget", "parameters": {"max_calls": 1}
    }))] }))
    .replace("\"max_calls\":1", "\"max_calls\":18446744073709551616");
    assert_eq!(
        invalid_atlas(&huge),
        "/policies/0/parameters/max_calls: integer does not fit in 64 bits"
    );
}

#[test]
fn required_members_are_reported_at_the_policy() {
    for member in ["policy_id", "type", "actions"] {
        let mut value = policy(json!({}));
        value.as_object_mut().unwrap().remove(member);
        assert_eq!(
            invalid_atlas(&atlas_with(json!({ "policies": [value] }))),
            format!("/policies/0: missing required member '{member}'")
        );
    }
}

#[test]
fn policy_ids_are_unique_within_the_atlas() {
    assert_eq!(
        invalid_atlas(&atlas_with(json!({ "policies": [policy(json!({})), policy(json!({}))] }))),
        "/policies/1/policy_id: duplicate policy id 'allow-billing' (already used at /policies/0/policy_id)"
    );
}
