//! The resolver end to end with an injected clock: rate limits and budgets
//! as resolves read them.

use super::*;
use crate::atlas::manifest::RiskTier;
use crate::time::clock::ManualClock;
use crate::time::timestamp::format_timestamp;
use serde_json::{json, Value};

const NOW: UnixMicros = 1_795_867_200_000_000;
const SECOND: i64 = 1_000_000;

fn atlas() -> String {
    json!({
        "atlas_version": "1.0", "atlas_id": "com.example.limits", "version": "1.0.0",
        "name": "Limits", "description": "Rate limits and budgets",
        "actions": [
            {"action_id": "report.export", "name": "Export", "description": "Export"},
            {"action_id": "invoice.create", "name": "Create", "description": "Create"}
        ],
        "policies": [
            {"policy_id": "allow-all", "type": "allow", "actions": ["*"]},
            {"policy_id": "export-rate", "type": "rate_limit", "actions": ["report.export"],
             "parameters": {"max_calls": 2, "window_seconds": 60}},
            {"policy_id": "invoice-budget", "type": "budget", "actions": ["invoice.create"],
             "parameters": {"max_calls": 1}}
        ]
    })
    .to_string()
}

fn resolve_at(resolver: &Resolver, clock: &ManualClock, session: SessionId, id: &str) -> Value {
    let timestamp = String::from_utf8(format_timestamp(clock.now_micros()).to_vec()).unwrap();
    let request = json!({
        "carp_version": "1.0", "request_id": id, "timestamp": timestamp, "operation": "resolve",
        "requester": {"agent_id": "a", "session_id": session.to_string()},
        "task": {"goal": "Export and invoice"}
    });
    serde_json::from_str(&resolver.resolve(&request.to_string()).unwrap()).unwrap()
}

/// Counts a call of `action_id` against its limits, as checking an
/// action before running it does.
fn record_call(resolver: &Resolver, session: SessionId, action_id: &str) {
    let catalog = resolver.catalog();
    let action = catalog.action_index(action_id).unwrap();
    let session = resolver.sessions.get(session).unwrap();
    let mut state = session.lock();
    let mut agent = resolver.agents.lock(&session.agent_id);
    let limits = catalog.plan(action, RiskTier::Low).limits();
    check::charge(
        &catalog,
        limits,
        &mut state.usage,
        agent.usage_mut(),
        resolver.now(),
    );
}

fn denied(resolution: &Value) -> Vec<(String, String, String)> {
    resolution["denied_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let text = |member: &str| d[member].as_str().unwrap().to_owned();
            (text("action_id"), text("policy_id"), text("reason"))
        })
        .collect()
}

#[test]
fn rate_limits_and_budgets_follow_the_injected_clock() {
    let clock = ManualClock::new(NOW);
    let resolver = Resolver::builder(Config::default())
        .clock(clock.clone())
        .build()
        .unwrap();
    resolver.load_atlas(&atlas()).unwrap();
    let session = resolver.begin_session("a", "limits").unwrap();

    let fresh = resolve_at(&resolver, &clock, session, "r1");
    assert_eq!(fresh["decision"]["type"], "allow");
    // A resolve only reads usage: resolving again changes nothing.
    assert_eq!(
        resolve_at(&resolver, &clock, session, "r2")["decision"]["type"],
        "allow"
    );

    record_call(&resolver, session, "report.export");
    clock.advance_micros(10 * SECOND);
    record_call(&resolver, session, "report.export");
    record_call(&resolver, session, "invoice.create");
    let limited = resolve_at(&resolver, &clock, session, "r3");
    assert_eq!(limited["decision"]["type"], "deny");
    assert_eq!(
        denied(&limited),
        [
            (
                "report.export".into(),
                "export-rate".into(),
                "Rate limit exceeded".into()
            ),
            (
                "invoice.create".into(),
                "invoice-budget".into(),
                "Budget exhausted".into()
            ),
        ]
    );

    // The first export call leaves the 60 s window; the budget never refills.
    clock.advance_micros(50 * SECOND);
    let later = resolve_at(&resolver, &clock, session, "r4");
    assert_eq!(later["decision"]["type"], "partial");
    assert_eq!(denied(&later).len(), 1);
    assert_eq!(denied(&later)[0].1, "invoice-budget");

    let jsonl = resolver.trace_jsonl(session, TraceRead::Partial).unwrap();
    let results: Vec<String> = jsonl
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["event_type"] == "policy.evaluated")
        .map(|event| event["payload"]["result"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        results,
        [
            "allow",
            "allow",
            "allow",
            "allow",
            "rate_limited",
            "rate_limited",
            "allow",
            "rate_limited"
        ]
    );
}

#[test]
fn session_duration_comes_from_the_clock() {
    let clock = ManualClock::new(NOW);
    let resolver = Resolver::builder(Config::default())
        .clock(clock.clone())
        .build()
        .unwrap();
    let session = resolver.begin_session("a", "timed").unwrap();
    clock.advance_micros(1_234_567);
    resolver.end_session(session, "done").unwrap();
    let jsonl = resolver.trace_jsonl(session, TraceRead::Partial).unwrap();
    let ended: Value = serde_json::from_str(jsonl.lines().last().unwrap()).unwrap();
    assert_eq!(ended["payload"]["duration_ms"], 1234);
    assert_eq!(ended["timestamp"], "2026-11-28T12:00:01.234567Z");
}

#[test]
fn a_shut_down_resolver_refuses_work_but_serves_reads() {
    let resolver = Resolver::new(Config::default()).unwrap();
    let session = resolver.begin_session("a", "x").unwrap();
    assert_eq!(resolver.shutdown().undrained_events, 0);
    assert_eq!(
        resolver.begin_session("a", "y").unwrap_err().kind(),
        ErrorKind::Shutdown
    );
    assert_eq!(
        resolver.end_session(session, "z").unwrap_err().kind(),
        ErrorKind::Shutdown
    );
    assert!(resolver.verify_chain(session).unwrap().failure.is_none());
}
