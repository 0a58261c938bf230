//! Whole scenarios in immediate mode: load, begin, resolve at several risk
//! tiers and with capabilities, end; the resolutions and the exact events.

mod common;

use common::*;
use cra::{Config, ErrorKind, Resolver, SessionId};
use serde_json::{json, Value};

fn ids(list: &Value, member: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[member].as_str().unwrap().to_owned())
        .collect()
}

fn payload_keys(event: &Value) -> Vec<String> {
    event["payload"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn low_risk_request_is_partial_with_the_delete_denied() {
    let resolver = loaded_resolver(Config::default());
    let session = resolver.begin_session(AGENT, "Monthly close").unwrap();
    let resolution = resolve(
        &resolver,
        &request(session, "r1", "Export the monthly report", "low"),
    )
    .unwrap();

    assert_eq!(resolution["carp_version"], "1.0");
    assert_eq!(resolution["request_id"], "r1");
    assert_eq!(resolution["decision"]["type"], "partial");
    assert_eq!(
        resolution["decision"]["reason"],
        "Some actions are denied by policy"
    );
    assert_eq!(resolution["decision"]["approval_id"], Value::Null);
    assert_eq!(
        ids(&resolution["allowed_actions"], "action_id"),
        [
            "billing.invoice.read",
            "billing.invoice.create",
            "billing.refund.issue",
            "billing.report.export"
        ]
    );
    let denied = &resolution["denied_actions"][0];
    assert_eq!(
        denied,
        &json!({"action_id": "billing.account.delete", "reason": "Deleting accounts is never automated",
                "policy_id": "no-deletes"})
    );
    let read = &resolution["allowed_actions"][0];
    assert_eq!(
        read["parameters_schema"]["properties"]["invoice_id"]["type"],
        "string"
    );
    assert_eq!(read["returns_schema"], Value::Null);
    assert_eq!(read["risk_tier"], "low");
    assert_eq!(read["requires_confirmation"], false);
    assert_eq!(resolution["allowed_actions"][3]["idempotent"], true);
    // Only the unconditional pack applies to this goal and tier.
    assert_eq!(
        ids(&resolution["context_blocks"], "block_id"),
        ["billing-basics"]
    );
    let block = &resolution["context_blocks"][0];
    assert_eq!(block["source"], "com.example.billing");
    assert_eq!(block["content_type"], "text/plain");
    assert_eq!(block["token_estimate"], 9); // 33 characters / 4, rounded up
                                            // Constraints: one per limit policy on an allowed action.
    assert_eq!(
        ids(&resolution["constraints"], "constraint_id"),
        ["invoice-budget", "export-rate"]
    );
    assert_eq!(resolution["constraints"][1]["type"], "rate_limit");
    assert_eq!(
        resolution["constraints"][1]["parameters"],
        json!({"max_calls": 2, "window_seconds": 60})
    );
    assert_eq!(resolution["ttl_seconds"], 3600);

    let events = events(&resolver, session);
    assert_eq!(resolution["trace_id"], events[0]["trace_id"]);
    let issued = cra::internals::parse_rfc3339(resolution["timestamp"].as_str().unwrap()).unwrap();
    let expires =
        cra::internals::parse_rfc3339(resolution["decision"]["expires_at"].as_str().unwrap())
            .unwrap();
    assert_eq!(expires - issued, 3600 * 1_000_000);
}

#[test]
fn high_risk_refund_requires_approval_with_ranked_context() {
    let resolver = loaded_resolver(Config::default());
    let session = resolver.begin_session(AGENT, "Refunds").unwrap();
    let resolution = resolve(
        &resolver,
        &request(session, "r1", "Refund invoice 42", "high"),
    )
    .unwrap();
    assert_eq!(resolution["decision"]["type"], "requires_approval");
    let approval_id = resolution["decision"]["approval_id"].as_str().unwrap();
    assert!(cra::internals::parse_uuid(approval_id).is_some());
    let refund = resolution["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action_id"] == "billing.refund.issue")
        .unwrap();
    assert_eq!(refund["requires_confirmation"], true);
    assert_eq!(
        ids(&resolution["context_blocks"], "block_id"),
        ["high-risk-checklist", "refund-guide", "billing-basics"],
        "highest priority first; the keyword matches case-insensitively"
    );
}

#[test]
fn capabilities_and_atlas_ids_narrow_what_is_considered() {
    let resolver = loaded_resolver(Config::default());
    resolver.load_atlas(&security_atlas().to_string()).unwrap();
    let session = resolver.begin_session(AGENT, "Invoices").unwrap();

    let mut only_invoicing = request(session, "r1", "Create an invoice", "medium");
    only_invoicing["task"]["required_capabilities"] = json!(["invoicing"]);
    let resolution = resolve(&resolver, &only_invoicing).unwrap();
    assert_eq!(resolution["decision"]["type"], "allow");
    assert_eq!(resolution["decision"]["reason"], Value::Null);
    assert_eq!(
        ids(&resolution["allowed_actions"], "action_id"),
        ["billing.invoice.read", "billing.invoice.create"]
    );
    assert_eq!(
        ids(&resolution["constraints"], "constraint_id"),
        ["invoice-budget"]
    );

    // An empty list, as in CARP.md's request template, names no atlas: all count.
    let mut empty_list = request(session, "r0", "Create an invoice", "low");
    empty_list["atlas_ids"] = json!([]);
    let resolution = resolve(&resolver, &empty_list).unwrap();
    assert_eq!(resolution["allowed_actions"].as_array().unwrap().len(), 5);

    let mut only_security = request(session, "r2", "Read the audit log", "low");
    only_security["atlas_ids"] = json!(["com.example.security"]);
    let resolution = resolve(&resolver, &only_security).unwrap();
    assert_eq!(
        ids(&resolution["allowed_actions"], "action_id"),
        ["security.audit.read"]
    );
    assert_eq!(resolution["context_blocks"], json!([]));

    // A policy of one atlas governs the actions of another.
    let critical = resolve(
        &resolver,
        &request(session, "r3", "Export everything", "critical"),
    )
    .unwrap();
    let export = critical["denied_actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action_id"] == "billing.report.export")
        .unwrap();
    assert_eq!(export["policy_id"], "freeze-exports");
    assert_eq!(export["reason"], "Denied by policy");

    let events = events(&resolver, session);
    let received: Vec<&Value> = events
        .iter()
        .filter(|e| e["event_type"] == "carp.request.received")
        .collect();
    let all = json!(["com.example.billing", "com.example.security"]);
    assert_eq!(received[0]["payload"]["atlas_ids"], all);
    assert_eq!(received[1]["payload"]["atlas_ids"], all);
    assert_eq!(
        received[2]["payload"]["atlas_ids"],
        json!(["com.example.security"])
    );
    // Each resolve refills the record the one before it left behind:
    // nothing of r2 carries over into r3.
    assert_eq!(received[3]["payload"]["atlas_ids"], all);
    assert_eq!(received[3]["payload"]["goal"], "Export everything");
    assert_eq!(received[3]["payload"]["request_id"], "r3");
    let evaluated_in_r3 = events
        .iter()
        .filter(|e| e["event_type"] == "policy.evaluated")
        .filter(|e| e["parent_span_id"] == received[3]["span_id"])
        .count();
    assert_eq!(evaluated_in_r3, 6, "every action of both atlases");
}

#[test]
fn nothing_allowed_is_deny() {
    let resolver = new_resolver(Config::default());
    let mut atlas = security_atlas();
    atlas["policies"] = json!([]);
    resolver.load_atlas(&atlas.to_string()).unwrap();
    let session = resolver.begin_session(AGENT, "Anything").unwrap();
    let resolution = resolve(
        &resolver,
        &request(session, "r1", "Read the audit log", "low"),
    )
    .unwrap();
    assert_eq!(resolution["decision"]["type"], "deny");
    assert!(resolution["decision"]["reason"].is_string());
    assert_eq!(
        resolution["denied_actions"],
        json!([{"action_id": "security.audit.read", "reason": "No policy allows this action",
                "policy_id": "default-deny"}])
    );
}

#[test]
fn a_session_records_exactly_the_events_of_trace_md() {
    let resolver = loaded_resolver(Config::default());
    let session = resolver.begin_session(AGENT, "Refunds").unwrap();
    let resolution = resolve(
        &resolver,
        &request(session, "r1", "Refund invoice 42", "high"),
    )
    .unwrap();
    resolver.end_session(session, "done").unwrap();
    let events = events(&resolver, session);

    let mut expected = vec!["session.started", "carp.request.received"];
    expected.extend(["policy.evaluated"; 5]);
    expected.extend(["context.injected"; 3]);
    expected.extend(["carp.resolution.completed", "session.ended"]);
    assert_eq!(event_types(&events), expected);

    for (sequence, event) in events.iter().enumerate() {
        assert_eq!(event["sequence"], sequence as u64);
        assert_eq!(event["session_id"], session.to_string());
        assert_eq!(event["trace_id"], events[0]["trace_id"]);
        assert_eq!(event["trace_version"], "1.0");
        assert_eq!(event["timestamp"].as_str().unwrap().len(), 27);
    }
    // Spans: root, then one operation span, then children of it.
    let root = events[0]["span_id"].clone();
    assert_eq!(events[0]["parent_span_id"], Value::Null);
    let operation = events[1]["span_id"].clone();
    assert_eq!(events[1]["parent_span_id"], root);
    for child in &events[2..11] {
        assert_eq!(child["parent_span_id"], operation);
        assert_ne!(child["span_id"], operation);
    }
    assert_eq!(events[11]["parent_span_id"], root);

    assert_eq!(
        events[0]["payload"],
        json!({"agent_id": AGENT, "goal": "Refunds"})
    );
    assert_eq!(
        events[1]["payload"],
        json!({"request_id": "r1", "operation": "resolve", "goal": "Refund invoice 42",
               "atlas_ids": ["com.example.billing"]})
    );
    let evaluated: Vec<Value> = events[2..7].iter().map(|e| e["payload"].clone()).collect();
    assert_eq!(
        evaluated,
        vec![
            json!({"action_id": "billing.invoice.read", "policy_id": "allow-billing", "result": "allow"}),
            json!({"action_id": "billing.invoice.create", "policy_id": "allow-billing", "result": "allow"}),
            json!({"action_id": "billing.refund.issue", "policy_id": "refunds-need-approval",
                   "result": "requires_approval"}),
            json!({"action_id": "billing.account.delete", "policy_id": "no-deletes", "result": "deny"}),
            json!({"action_id": "billing.report.export", "policy_id": "allow-billing", "result": "allow"}),
        ]
    );
    assert_eq!(
        events[7]["payload"],
        json!({"block_id": "high-risk-checklist", "source": "com.example.billing", "token_count": 7})
    );
    assert_eq!(
        events[10]["payload"],
        json!({"resolution_id": resolution["resolution_id"], "request_id": "r1",
               "decision_type": "requires_approval", "allowed_count": 4, "denied_count": 1,
               "context_block_count": 3, "ttl_seconds": 3600})
    );
    assert_eq!(payload_keys(&events[11]), ["duration_ms", "reason"]);
    assert_eq!(events[11]["payload"]["reason"], "done");

    let jsonl = resolver
        .trace_jsonl(session, cra::TraceRead::Partial)
        .unwrap();
    let (code, report) = python_verify(&jsonl, "scenario");
    assert_eq!(code, 0, "{report}");
    let report = resolver.verify_chain(session).unwrap();
    assert!(report.failure.is_none());
    assert_eq!(report.events, 12);
    assert_eq!(
        report.head_hash.as_deref(),
        events[11]["event_hash"].as_str()
    );
}

#[test]
fn rejected_requests_record_nothing_and_name_the_rule() {
    let resolver = loaded_resolver(Config::default());
    let session = resolver.begin_session(AGENT, "Refunds").unwrap();
    resolve(&resolver, &request(session, "r1", "Refund", "low")).unwrap();
    let before = resolver.verify_chain(session).unwrap().events;

    let check = |request: Value, kind: ErrorKind, message: &str| {
        let err = resolver.resolve(&request.to_string()).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.message().contains(message), "{err} lacks {message}");
    };
    check(
        request(session, "r1", "Again", "low"),
        ErrorKind::Conflict,
        "/request_id: request 'r1' was already used",
    );
    let mut stranger = request(session, "r2", "Refund", "low");
    stranger["requester"]["agent_id"] = json!("agent-9");
    check(
        stranger,
        ErrorKind::Permission,
        "/requester/agent_id: agent 'agent-9' does not own session",
    );
    let mut unknown_atlas = request(session, "r3", "Refund", "low");
    unknown_atlas["atlas_ids"] = json!(["com.example.billing", "com.example.nope"]);
    check(
        unknown_atlas,
        ErrorKind::NotFound,
        "/atlas_ids/1: atlas 'com.example.nope' is not loaded",
    );
    let mut unknown_capability = request(session, "r4", "Refund", "low");
    unknown_capability["task"]["required_capabilities"] = json!(["teleport"]);
    check(
        unknown_capability,
        ErrorKind::NotFound,
        "/task/required_capabilities/0: capability 'teleport'",
    );
    let unknown_session = request(
        SessionId::parse("01936f2a-7c00-7000-8000-000000000001").unwrap(),
        "r5",
        "x",
        "low",
    );
    check(
        unknown_session,
        ErrorKind::NotFound,
        "/requester/session_id: session",
    );
    let mut skewed = request(session, "r6", "Refund", "low");
    skewed["timestamp"] = json!("2001-01-01T00:00:00Z");
    check(skewed, ErrorKind::InvalidRequest, "/timestamp:");
    check(
        json!({"carp_version": "1.0"}),
        ErrorKind::InvalidRequest,
        "missing member",
    );
    let err = resolver.resolve("{\"carp_version\": NaN}").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidJson);

    assert_eq!(resolver.verify_chain(session).unwrap().events, before);
    // The ids of rejected requests are still free.
    resolve(&resolver, &request(session, "r2", "Refund", "low")).unwrap();
}

#[test]
fn ended_sessions_refuse_new_work_but_keep_their_trace() {
    let resolver = loaded_resolver(Config::default());
    let session = resolver.begin_session(AGENT, "Short").unwrap();
    assert_eq!(resolver.stats().sessions_active, 1);
    resolver.end_session(session, "finished").unwrap();
    assert_eq!(resolver.stats().sessions_active, 0);
    let err = resolver
        .resolve(&request(session, "r1", "More", "low").to_string())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionEnded);
    assert_eq!(
        resolver.end_session(session, "again").unwrap_err().kind(),
        ErrorKind::SessionEnded
    );
    assert_eq!(
        event_types(&events(&resolver, session)),
        ["session.started", "session.ended"]
    );
}

#[test]
fn unloading_removes_everything_the_atlas_brought() {
    let resolver = loaded_resolver(Config::default());
    resolver.load_atlas(&security_atlas().to_string()).unwrap();
    resolver.unload_atlas("com.example.billing").unwrap();
    let session = resolver.begin_session(AGENT, "After unload").unwrap();
    let resolution = resolve(&resolver, &request(session, "r1", "Refund invoice", "high")).unwrap();
    assert_eq!(
        ids(&resolution["allowed_actions"], "action_id"),
        ["security.audit.read"]
    );
    assert_eq!(resolution["context_blocks"], json!([]));
    let mut capability = request(session, "r2", "Invoices", "low");
    capability["task"]["required_capabilities"] = json!(["invoicing"]);
    assert_eq!(
        resolve(&resolver, &capability).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        resolver
            .unload_atlas("com.example.billing")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    // The ids are free again.
    resolver.load_atlas(&billing_atlas().to_string()).unwrap();
}

#[test]
fn atlas_and_action_ids_are_unique_across_atlases() {
    let resolver = loaded_resolver(Config::default());
    let err = resolver
        .load_atlas(&billing_atlas().to_string())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(
        err.message()
            .contains("atlas 'com.example.billing' is already loaded"),
        "{err}"
    );

    let mut thief = security_atlas();
    thief["actions"][0]["action_id"] = json!("billing.refund.issue");
    thief["policies"] = json!([]);
    let err = resolver.load_atlas(&thief.to_string()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(
        err.message(),
        "/actions/0/action_id: action 'billing.refund.issue' is already loaded by atlas 'com.example.billing'"
    );
    // The failed load changed nothing.
    let session = resolver.begin_session(AGENT, "Check").unwrap();
    let mut only_security = request(session, "r1", "x", "low");
    only_security["atlas_ids"] = json!(["com.example.security"]);
    assert_eq!(
        resolve(&resolver, &only_security).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn bad_session_arguments_are_refused() {
    let resolver = loaded_resolver(Config::default());
    assert_eq!(
        resolver.begin_session("", "goal").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let long = "a".repeat(cra::limits::MAX_ID_LEN + 1);
    assert_eq!(
        resolver.begin_session(&long, "goal").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let goal = "g".repeat(cra::limits::MAX_TEXT_LEN + 1);
    assert_eq!(
        resolver.begin_session(AGENT, &goal).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(resolver.stats().sessions_active, 0);
    assert_eq!(resolver.stats().trace.events_emitted, 0);
}

#[test]
fn resolving_with_no_atlas_loaded_is_a_valid_deny() {
    let resolver = new_resolver(Config::default());
    let session = resolver.begin_session(AGENT, "Nothing loaded").unwrap();
    let resolution = resolve(&resolver, &request(session, "r1", "Anything", "low")).unwrap();
    assert_eq!(resolution["decision"]["type"], "deny");
    let events = events(&resolver, session);
    assert_eq!(events[1]["payload"]["atlas_ids"], json!([]));
    let jsonl = resolver
        .trace_jsonl(session, cra::TraceRead::Partial)
        .unwrap();
    assert!(cra::verify_jsonl(&jsonl).failure.is_none());
    assert_eq!(python_verify(&jsonl, "no-atlas").0, 0);
}

#[test]
fn hostile_documents_get_typed_errors_and_change_nothing() {
    let resolver = loaded_resolver(Config::default());
    let session = resolver.begin_session(AGENT, "Hostile").unwrap();
    let before = resolver.verify_chain(session).unwrap().events;

    // Deep nesting is well-formed JSON but no request; an atlas check
    // stops at serde_json's nesting limit.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let err = resolver.resolve(&deep).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
    let mut nested_goal = request(session, "r0", "x", "low");
    nested_goal["task"]["goal"] = json!([[[[[[[[1]]]]]]]]);
    let err = resolver.resolve(&nested_goal.to_string()).unwrap_err();
    assert!(
        err.message()
            .starts_with("/task/goal: invalid type: sequence"),
        "{err}"
    );
    assert_eq!(
        resolver.load_atlas(&deep).unwrap_err().kind(),
        ErrorKind::InvalidJson
    );

    let mut huge = request(session, "r1", "x", "low");
    huge["task"]["goal"] = json!("g".repeat(10 * 1024 * 1024));
    let err = resolver.resolve(&huge.to_string()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");

    let mut big_number = billing_atlas();
    big_number["atlas_id"] = json!("com.example.other");
    big_number["actions"] = json!([]);
    big_number["capabilities"] = json!([]);
    big_number["policies"] = json!([{"policy_id": "p", "type": "allow", "actions": ["*"]}]);
    let text = big_number.to_string().replace(
        "\"type\":\"allow\"",
        "\"type\":\"allow\",\"priority\":123456789012345678901234567890",
    );
    let err = resolver.load_atlas(&text).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidAtlas);
    assert!(err.message().starts_with("/policies/0/priority:"), "{err}");

    let dir = scratch_dir("bad-files");
    let not_utf8 = dir.join("atlas.json");
    std::fs::write(&not_utf8, b"{\"atlas_version\": \"1.0\xff\"}").unwrap();
    let err = resolver.load_atlas_file(&not_utf8).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidJson);
    assert!(err.message().contains("not UTF-8"), "{err}");
    let err = resolver
        .load_atlas_file(&dir.join("missing.json"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains("missing.json"), "{err}");

    assert_eq!(resolver.verify_chain(session).unwrap().events, before);
    resolve(&resolver, &request(session, "r1", "Still works", "low")).unwrap();
}

/// RFC 3339 allows a leap second; a host whose clock reports one sends
/// `23:59:60`, which reads as the second after it.
#[test]
fn a_request_stamped_in_a_leap_second_is_accepted() {
    // 2016-12-31T23:59:60.5Z, as the second after it: 2017-01-01T00:00:00.5Z.
    let clock = cra::ManualClock::new(1_483_228_800_500_000);
    let resolver = Resolver::builder(Config::default())
        .clock(clock)
        .build()
        .unwrap();
    resolver.load_atlas(&billing_atlas().to_string()).unwrap();
    let session = resolver.begin_session(AGENT, "Refund").unwrap();
    let mut leap = request(session, "r-leap", "Refund", "low");
    leap["timestamp"] = json!("2016-12-31T23:59:60.5Z");
    let resolution = resolve(&resolver, &leap).expect("a leap second is a valid timestamp");
    assert_eq!(resolution["request_id"], json!("r-leap"));
}
