//! Checking actions, approvals and outcome reports (CARP.md, "Checking an
//! action before running it"): every rule of the table with its reason and
//! policy, counters charged only on approval and exact under concurrency,
//! windows that slide with the resolver's clock, and traces that verify.

mod common;

use common::python_verify;
use cra::{
    Clock, Config, ErrorKind, ManualClock, Resolver, SessionId, SessionOptions, TraceMode,
    TraceRead,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

const AGENT: &str = "agent-7";
const START: i64 = 1_795_867_200_000_000;
const SECOND: i64 = 1_000_000;

fn atlas(rate_limit: u64) -> String {
    json!({
        "atlas_version": "1.0", "atlas_id": "com.example.ops", "version": "1.0.0",
        "name": "Ops", "description": "Actions with limits, a schema and an approval",
        "actions": [
            {"action_id": "billing.refund", "name": "Refund", "description": "Refund a payment",
             "parameters_schema": {"type": "object", "required": ["amount_cents"],
                                   "properties": {"amount_cents": {"type": "integer", "minimum": 1}},
                                   "additionalProperties": false}},
            {"action_id": "report.export", "name": "Export", "description": "Export a report"},
            {"action_id": "invoice.create", "name": "Invoice", "description": "Create an invoice"},
            {"action_id": "account.delete", "name": "Delete", "description": "Delete an account"},
            {"action_id": "ticket.read", "name": "Read", "description": "Read a ticket"}
        ],
        "policies": [
            {"policy_id": "allow-all", "type": "allow", "actions": ["*"]},
            {"policy_id": "no-delete", "type": "deny", "actions": ["account.delete"],
             "parameters": {"reason": "Accounts are closed by people"}},
            {"policy_id": "refund-approval", "type": "require_approval", "actions": ["billing.refund"]},
            {"policy_id": "export-rate", "type": "rate_limit", "actions": ["report.export"],
             "parameters": {"max_calls": rate_limit, "window_seconds": 60}},
            {"policy_id": "invoice-budget", "type": "budget", "actions": ["invoice.create"],
             "parameters": {"max_calls": 2}}
        ]
    })
    .to_string()
}

struct Rig {
    resolver: Resolver,
    clock: Arc<ManualClock>,
    next: std::cell::Cell<u64>,
}

impl Rig {
    fn new(mode: TraceMode, rate_limit: u64) -> Rig {
        let clock = ManualClock::new(START);
        let config = Config {
            trace_mode: mode,
            ..Config::default()
        };
        let resolver = Resolver::builder(config)
            .clock(clock.clone())
            .build()
            .unwrap();
        resolver.load_atlas(&atlas(rate_limit)).unwrap();
        Rig {
            resolver,
            clock,
            next: std::cell::Cell::new(0),
        }
    }

    fn request_id(&self) -> String {
        self.next.set(self.next.get() + 1);
        format!("req-{}", self.next.get())
    }

    fn timestamp(&self) -> String {
        let micros = self.clock.now_micros();
        String::from_utf8(cra::internals::format_timestamp(micros).to_vec()).unwrap()
    }

    fn session(&self) -> SessionId {
        self.resolver.begin_session(AGENT, "Run the ops").unwrap()
    }

    fn resolve(&self, session: SessionId) -> Value {
        let request = json!({
            "carp_version": "1.0", "request_id": self.request_id(), "timestamp": self.timestamp(),
            "operation": "resolve", "requester": {"agent_id": AGENT, "session_id": session.to_string()},
            "task": {"goal": "Run the ops", "risk_tier": "low"}
        });
        serde_json::from_str(&self.resolver.resolve(&request.to_string()).unwrap()).unwrap()
    }

    fn check_json(
        &self,
        session: SessionId,
        resolution_id: &str,
        action_id: &str,
        parameters: Value,
    ) -> String {
        json!({
            "carp_version": "1.0", "operation": "check_action", "request_id": self.request_id(),
            "timestamp": self.timestamp(),
            "requester": {"agent_id": AGENT, "session_id": session.to_string()},
            "resolution_id": resolution_id, "action_id": action_id, "parameters": parameters
        })
        .to_string()
    }

    fn check(
        &self,
        session: SessionId,
        resolution: &Value,
        action_id: &str,
        parameters: Value,
    ) -> Value {
        let id = resolution["resolution_id"].as_str().unwrap();
        let result = self
            .resolver
            .check_action(&self.check_json(session, id, action_id, parameters))
            .unwrap();
        serde_json::from_str(&result).unwrap()
    }

    fn report(&self, session: SessionId, execution_id: &str, extra: Value) -> cra::Result<()> {
        let mut report = json!({
            "carp_version": "1.0", "operation": "report_action", "request_id": self.request_id(),
            "timestamp": self.timestamp(),
            "requester": {"agent_id": AGENT, "session_id": session.to_string()},
            "execution_id": execution_id, "status": "executed", "duration_ms": 12
        });
        report
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.resolver.report_action(&report.to_string())
    }

    fn trace(&self, session: SessionId) -> String {
        self.resolver
            .trace_jsonl(session, TraceRead::Wait(Duration::from_secs(10)))
            .unwrap()
    }
}

fn denial(result: &Value) -> (String, Value) {
    assert_eq!(result["decision"], "denied", "{result}");
    assert_eq!(result["execution_id"], Value::Null);
    (
        result["reason"].as_str().unwrap().to_owned(),
        result["policy_id"].clone(),
    )
}

fn approved(result: &Value) -> String {
    assert_eq!(result["decision"], "approved", "{result}");
    assert_eq!(
        (&result["reason"], &result["policy_id"]),
        (&Value::Null, &Value::Null)
    );
    result["execution_id"].as_str().unwrap().to_owned()
}

fn event_types(trace: &str) -> Vec<String> {
    trace
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["event_type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn every_rule_denies_with_its_reason_and_policy() {
    let rig = Rig::new(TraceMode::Immediate, 3);
    let session = rig.session();
    let resolution = rig.resolve(session);
    let unknown = json!({"resolution_id": "01936f2a-7c00-7000-8000-000000000099"});
    assert_eq!(
        denial(&rig.check(session, &unknown, "ticket.read", json!({}))),
        ("Unknown resolution".into(), Value::Null)
    );
    assert_eq!(
        denial(&rig.check(session, &resolution, "account.delete", json!({}))),
        ("Action not allowed by the resolution".into(), Value::Null)
    );
    let (reason, policy) = denial(&rig.check(
        session,
        &resolution,
        "billing.refund",
        json!({"amount_cents": 0}),
    ));
    assert!(
        reason.starts_with("Parameters do not match the schema: /amount_cents: "),
        "{reason}"
    );
    assert!(reason.ends_with("(minimum)"), "{reason}");
    assert_eq!(policy, Value::Null);
    let (reason, _) = denial(&rig.check(
        session,
        &resolution,
        "billing.refund",
        json!({"amount_cents": 5, "x": 1}),
    ));
    assert!(reason.contains("(additionalProperties)"), "{reason}");
    assert_eq!(
        denial(&rig.check(
            session,
            &resolution,
            "billing.refund",
            json!({"amount_cents": 5})
        )),
        ("Approval required".into(), json!("refund-approval"))
    );
    // Three exports fit in the window; the fourth is over the limit.
    for _ in 0..3 {
        approved(&rig.check(session, &resolution, "report.export", json!({})));
    }
    assert_eq!(
        denial(&rig.check(session, &resolution, "report.export", json!({}))),
        ("Rate limit exceeded".into(), json!("export-rate"))
    );
    for _ in 0..2 {
        approved(&rig.check(session, &resolution, "invoice.create", json!({})));
    }
    assert_eq!(
        denial(&rig.check(session, &resolution, "invoice.create", json!({}))),
        ("Budget exhausted".into(), json!("invoice-budget"))
    );
    // Resolutions expire; actions can be unloaded.
    rig.clock.advance_micros(3601 * SECOND);
    assert_eq!(
        denial(&rig.check(session, &resolution, "ticket.read", json!({}))).0,
        "Resolution expired"
    );
    let fresh = rig.resolve(session);
    rig.resolver.unload_atlas("com.example.ops").unwrap();
    assert_eq!(
        denial(&rig.check(session, &fresh, "ticket.read", json!({}))).0,
        "Action no longer available"
    );
}

#[test]
fn only_approved_checks_charge_and_windows_slide_with_the_clock() {
    let rig = Rig::new(TraceMode::Immediate, 1);
    let session = rig.session();
    let resolution = rig.resolve(session);
    // A denied check charges nothing: the budget is still whole after it.
    denial(&rig.check(session, &resolution, "billing.refund", json!({})));
    let result = rig.check(
        session,
        &resolution,
        "report.export",
        json!({"format": "csv"}),
    );
    approved(&result);
    let canonical = r#"{"format":"csv"}"#;
    let expected: String = Sha256::digest(canonical)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(result["parameters_hash"], expected);
    denial(&rig.check(session, &resolution, "report.export", json!({})));
    // A resolve reads the same counters: the export is rate limited now.
    let limited = rig.resolve(session);
    let denied: Vec<&str> = limited["denied_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["action_id"].as_str().unwrap())
        .collect();
    assert!(denied.contains(&"report.export"), "{limited}");
    // The window slides: 61 s later the first call has left it.
    rig.clock.advance_micros(61 * SECOND);
    let later = rig.resolve(session);
    approved(&rig.check(session, &later, "report.export", json!({})));
}

/// Checks until the deferred buffer takes the check (backpressure records
/// and charges nothing, so a retry is the same check).
fn check_until_taken(resolver: &Resolver, request: &str) -> String {
    loop {
        match resolver.check_action(request) {
            Err(err) if err.kind() == ErrorKind::Backpressure => std::thread::yield_now(),
            result => return result.unwrap(),
        }
    }
}

#[test]
fn concurrent_checks_approve_exactly_the_limit_across_an_agents_sessions() {
    let rig = Rig::new(TraceMode::Deferred, 100);
    let mut work = Vec::new();
    for _ in 0..8 {
        let session = rig.session();
        let resolution = rig.resolve(session);
        let requests: Vec<String> = (0..1000)
            .map(|_| {
                let id = resolution["resolution_id"].as_str().unwrap();
                rig.check_json(session, id, "report.export", json!({}))
            })
            .collect();
        work.push(requests);
    }
    let resolver = &rig.resolver;
    let approved: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = work
            .iter()
            .map(|requests| {
                scope.spawn(move || {
                    requests
                        .iter()
                        .filter(|request| {
                            let result: Value =
                                serde_json::from_str(&check_until_taken(resolver, request))
                                    .unwrap();
                            result["decision"] == "approved"
                        })
                        .count()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    assert_eq!(approved, 100);
}

#[test]
fn approvals_are_answered_once_before_expiry() {
    let rig = Rig::new(TraceMode::Immediate, 3);
    let session = rig.session();
    let resolution = rig.resolve(session);
    assert_eq!(resolution["decision"]["type"], "requires_approval");
    let approval = resolution["decision"]["approval_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = |granted, approver: &str| {
        rig.resolver
            .answer_approval(session, &approval, granted, approver, Some("checked"))
    };
    let unknown = rig.resolver.answer_approval(
        session,
        "01936f2a-7c00-7000-8000-000000000099",
        true,
        "ann",
        None,
    );
    assert_eq!(unknown.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        answer(true, "").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    answer(true, "ann").unwrap();
    assert_eq!(
        answer(false, "bob").unwrap_err().kind(),
        ErrorKind::Conflict
    );
    approved(&rig.check(
        session,
        &resolution,
        "billing.refund",
        json!({"amount_cents": 5}),
    ));

    let rejected = rig.resolve(session);
    let rejected_id = rejected["decision"]["approval_id"]
        .as_str()
        .unwrap()
        .to_owned();
    rig.resolver
        .answer_approval(session, &rejected_id, false, "bob", None)
        .unwrap();
    assert_eq!(
        denial(&rig.check(
            session,
            &rejected,
            "billing.refund",
            json!({"amount_cents": 5})
        )),
        ("Approval rejected".into(), json!("refund-approval"))
    );

    let late = rig.resolve(session);
    let late_id = late["decision"]["approval_id"].as_str().unwrap().to_owned();
    rig.clock.advance_micros(3601 * SECOND);
    let err = rig
        .resolver
        .answer_approval(session, &late_id, true, "ann", None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);

    let types = event_types(&rig.trace(session));
    assert!(
        types.contains(&"approval.granted".to_owned())
            && types.contains(&"approval.rejected".to_owned())
    );
}

#[test]
fn outcomes_are_reported_once_under_the_check() {
    let rig = Rig::new(TraceMode::Immediate, 3);
    let session = rig.session();
    let resolution = rig.resolve(session);
    let executed = approved(&rig.check(session, &resolution, "report.export", json!({})));
    let failed = approved(&rig.check(session, &resolution, "report.export", json!({})));
    let unknown = rig.report(session, "01936f2a-7c00-7000-8000-000000000099", json!({}));
    assert_eq!(unknown.unwrap_err().kind(), ErrorKind::NotFound);
    let without_code = rig.report(session, &failed, json!({"status": "failed"}));
    assert_eq!(without_code.unwrap_err().kind(), ErrorKind::InvalidRequest);
    rig.report(session, &executed, json!({"result": {"rows": 3}}))
        .unwrap();
    let again = rig.report(session, &executed, json!({}));
    assert_eq!(again.unwrap_err().kind(), ErrorKind::Conflict);
    rig.report(
        session,
        &failed,
        json!({"status": "failed", "error_code": "E42", "error_message": "disk full"}),
    )
    .unwrap();

    let events: Vec<Value> = rig
        .trace(session)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let span_of = |execution: &str| {
        let approved = events
            .iter()
            .find(|e| {
                e["event_type"] == "action.approved" && e["payload"]["execution_id"] == execution
            })
            .unwrap();
        approved["parent_span_id"].clone()
    };
    let outcome = |kind: &str| {
        events
            .iter()
            .find(|e| e["event_type"] == kind)
            .unwrap()
            .clone()
    };
    let done = outcome("action.executed");
    assert_eq!(done["parent_span_id"], span_of(&executed));
    assert_eq!(done["payload"]["duration_ms"], 12);
    assert_eq!(done["payload"]["result_hash"].as_str().unwrap().len(), 64);
    let broke = outcome("action.failed");
    assert_eq!(broke["parent_span_id"], span_of(&failed));
    assert_eq!(broke["payload"]["error_code"], "E42");
}

#[test]
fn requests_that_break_the_rules_record_nothing() {
    let rig = Rig::new(TraceMode::Immediate, 3);
    let session = rig.session();
    let resolution = rig.resolve(session);
    let id = resolution["resolution_id"].as_str().unwrap();
    let before = rig.trace(session);
    let other_agent = rig
        .check_json(session, id, "ticket.read", json!({}))
        .replace(AGENT, "agent-8");
    let stale = rig
        .check_json(session, id, "ticket.read", json!({}))
        .replace(&rig.timestamp(), "2020-01-01T00:00:00Z");
    let reused = rig.check_json(session, id, "ticket.read", json!({}));
    rig.resolver.check_action(&reused).unwrap();
    let before_reuse = rig.trace(session);
    assert_eq!(
        rig.resolver.check_action(&reused).unwrap_err().kind(),
        ErrorKind::Conflict
    );
    assert_eq!(rig.trace(session), before_reuse);
    for (request, kind) in [
        ("{".to_owned(), ErrorKind::InvalidJson),
        (other_agent, ErrorKind::Permission),
        (stale, ErrorKind::InvalidRequest),
        (
            rig.check_json(
                SessionId::parse("01936f2a-7c00-7000-8000-000000000001").unwrap(),
                id,
                "ticket.read",
                json!({}),
            ),
            ErrorKind::NotFound,
        ),
        (
            rig.check_json(session, id, "ticket.read", json!([1])),
            ErrorKind::InvalidRequest,
        ),
    ] {
        assert_eq!(
            rig.resolver.check_action(&request).unwrap_err().kind(),
            kind,
            "{request}"
        );
    }
    assert_eq!(rig.trace(session), before_reuse);
    assert_ne!(before, before_reuse);
    rig.resolver.end_session(session, "done").unwrap();
    let ended = rig.check_json(session, id, "ticket.read", json!({}));
    assert_eq!(
        rig.resolver.check_action(&ended).unwrap_err().kind(),
        ErrorKind::SessionEnded
    );
}

/// Resolve, a schema denial, an approval granted, an approved check and
/// its report, then the end: the whole loop, in `session`.
fn run_the_whole_loop(rig: &Rig, session: SessionId) {
    let resolution = rig.resolve(session);
    let approval = resolution["decision"]["approval_id"].as_str().unwrap();
    denial(&rig.check(
        session,
        &resolution,
        "billing.refund",
        json!({"amount_cents": -1}),
    ));
    rig.resolver
        .answer_approval(session, approval, true, "ann", None)
        .unwrap();
    let execution = approved(&rig.check(
        session,
        &resolution,
        "billing.refund",
        json!({"amount_cents": 5}),
    ));
    rig.report(session, &execution, json!({})).unwrap();
    rig.resolver.end_session(session, "done").unwrap();
}

/// The session's trace verifies with libcra and the Python verifiers and
/// holds every kind of enforcement event.
fn assert_loop_trace_verifies(rig: &Rig, session: SessionId, name: &str) {
    let trace = rig.trace(session);
    assert_eq!(rig.resolver.verify_chain(session).unwrap().failure, None);
    let (code, report) = python_verify(&trace, name);
    assert_eq!(code, 0, "{report}");
    let types = event_types(&trace);
    for expected in [
        "action.requested",
        "action.denied",
        "approval.granted",
        "action.approved",
        "action.executed",
        "session.ended",
    ] {
        assert!(types.contains(&expected.to_owned()), "{name}: {types:?}");
    }
}

#[test]
fn traces_of_the_whole_loop_verify_in_both_modes() {
    for mode in [TraceMode::Immediate, TraceMode::Deferred] {
        let rig = Rig::new(mode, 3);
        let session = rig.session();
        run_the_whole_loop(&rig, session);
        assert_loop_trace_verifies(&rig, session, &format!("enforcement-{mode:?}"));
    }
}

#[test]
fn one_resolver_serves_immediate_and_deferred_sessions_together() {
    for default in [TraceMode::Immediate, TraceMode::Deferred] {
        let rig = Rig::new(default, 3);
        let begin = |mode| {
            let options = SessionOptions {
                trace_mode: Some(mode),
            };
            rig.resolver
                .begin_session_with(AGENT, "Run the ops", &options)
                .unwrap()
        };
        let immediate = begin(TraceMode::Immediate);
        let deferred = begin(TraceMode::Deferred);
        let by_default = rig.session();
        // While the processor is held, only the deferred session waits:
        // an immediate session's events are sealed when its calls return.
        rig.resolver.flush_traces(Duration::from_secs(10)).unwrap();
        rig.resolver.hold_trace_processor(true);
        for session in [immediate, deferred, by_default] {
            run_the_whole_loop(&rig, session);
        }
        let ready = |session| rig.resolver.session_head(session).unwrap().events;
        assert!(ready(immediate) > 0 && ready(deferred) == 1, "{default:?}");
        assert_eq!(ready(by_default) > 1, default == TraceMode::Immediate);
        assert_eq!(
            rig.resolver
                .trace_jsonl(deferred, TraceRead::Wait(Duration::from_millis(50)))
                .unwrap_err()
                .kind(),
            ErrorKind::Timeout
        );
        rig.resolver.hold_trace_processor(false);
        rig.resolver.flush_traces(Duration::from_secs(10)).unwrap();
        assert_eq!(ready(deferred), ready(immediate));
        for (session, name) in [(immediate, "immediate"), (deferred, "deferred")] {
            assert_loop_trace_verifies(&rig, session, &format!("mixed-{default:?}-{name}"));
        }
    }
}
