//! Shared fixtures of the integration tests: a billing atlas, request
//! builders, trace parsing, the independent Python verifier, and the
//! PostgreSQL server (`postgres.rs`).
//!
//! Every integration test compiles this module and uses only part of it.
#![allow(dead_code)]

mod postgres;

pub use self::postgres::*;

use cra::{Resolver, SessionId};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const AGENT: &str = "agent-7";

/// Five actions over four risk tiers; a deny, an approval, two allows and
/// a rate limit and budget; three context packs; one capability.
pub fn billing_atlas() -> Value {
    json!({
        "atlas_version": "1.0",
        "atlas_id": "com.example.billing",
        "version": "1.2.0",
        "name": "Billing",
        "description": "Invoices, refunds and reports",
        "domains": ["billing"],
        "actions": [
            {"action_id": "billing.invoice.read", "name": "Read invoice", "description": "Read one invoice",
             "parameters_schema": {"type": "object", "properties": {"invoice_id": {"type": "string"}}}},
            {"action_id": "billing.invoice.create", "name": "Create invoice", "description": "Issue an invoice",
             "risk_tier": "medium"},
            {"action_id": "billing.refund.issue", "name": "Issue refund", "description": "Refund a payment",
             "risk_tier": "high", "idempotent": false},
            {"action_id": "billing.account.delete", "name": "Delete account", "description": "Close an account",
             "risk_tier": "critical"},
            {"action_id": "billing.report.export", "name": "Export report", "description": "Monthly report",
             "idempotent": true}
        ],
        "capabilities": [
            {"capability_id": "invoicing", "name": "Invoicing", "description": "Read and create invoices",
             "actions": ["billing.invoice.read", "billing.invoice.create"]}
        ],
        "policies": [
            {"policy_id": "no-deletes", "type": "deny", "actions": ["*.delete"],
             "parameters": {"reason": "Deleting accounts is never automated"}},
            {"policy_id": "refunds-need-approval", "type": "require_approval",
             "actions": ["billing.refund.issue"], "conditions": {"risk_tiers": ["high", "critical"]}},
            {"policy_id": "allow-billing", "type": "allow", "actions": ["billing.*"]},
            {"policy_id": "export-rate", "type": "rate_limit", "actions": ["billing.report.export"],
             "parameters": {"max_calls": 2, "window_seconds": 60}},
            {"policy_id": "invoice-budget", "type": "budget", "actions": ["billing.invoice.create"],
             "parameters": {"max_calls": 3}}
        ],
        "context_packs": [
            {"pack_id": "billing-basics", "name": "Basics", "priority": 5,
             "content": "Invoices are immutable once sent."},
            {"pack_id": "refund-guide", "name": "Refunds", "priority": 10,
             "content": "Refunds over 100 EUR need a reason.", "conditions": {"keywords": ["REFUND"]}},
            {"pack_id": "high-risk-checklist", "name": "Checklist", "priority": 20,
             "content_type": "text/markdown", "content": "- double check\n- ask a human",
             "conditions": {"risk_tiers": ["high", "critical"]}}
        ]
    })
}

/// A second atlas whose policies reach into the billing atlas's actions.
pub fn security_atlas() -> Value {
    json!({
        "atlas_version": "1.0",
        "atlas_id": "com.example.security",
        "version": "0.1.0-beta+7",
        "name": "Security",
        "description": "Cross-cutting rules",
        "actions": [
            {"action_id": "security.audit.read", "name": "Read audit log", "description": "Read the audit log"}
        ],
        "policies": [
            {"policy_id": "allow-audit", "type": "allow", "actions": ["security.audit.read"]},
            {"policy_id": "freeze-exports", "type": "deny", "actions": ["billing.report.export"], "priority": 5,
             "conditions": {"risk_tiers": ["critical"]}}
        ]
    })
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A CARP request with the given goal and risk tier; tweak the rest with `extra`.
pub fn request(session: SessionId, request_id: &str, goal: &str, risk_tier: &str) -> Value {
    json!({
        "carp_version": "1.0",
        "request_id": request_id,
        "timestamp": now_rfc3339(),
        "operation": "resolve",
        "requester": {"agent_id": AGENT, "session_id": session.to_string(), "parent_session_id": null},
        "task": {"goal": goal, "risk_tier": risk_tier, "context_hints": [], "required_capabilities": []},
        "context": {}
    })
}

pub fn resolve(resolver: &Resolver, request: &Value) -> cra::Result<Value> {
    resolver
        .resolve(&request.to_string())
        .map(|text| serde_json::from_str(&text).expect("resolution is JSON"))
}

/// A resolver on the store the tests run against: memory, or with
/// `CRA_TEST_STORE=sqlite` a SQLite file of its own, removed when the
/// resolver is dropped, or with `CRA_TEST_STORE=postgres` a schema of its
/// own on the server of `CRA_TEST_POSTGRES_URL`, dropped with it.
/// `scripts/test.sh` runs the scenario, deferred and concurrency tests all
/// three ways.
pub struct TestResolver {
    resolver: Option<Resolver>,
    file: Option<PathBuf>,
    schema: Option<PgSchema>,
}

impl std::ops::Deref for TestResolver {
    type Target = Resolver;
    fn deref(&self) -> &Resolver {
        self.resolver.as_ref().expect("dropped only at the end")
    }
}

impl Drop for TestResolver {
    fn drop(&mut self) {
        drop(self.resolver.take());
        drop(self.schema.take());
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// Whether the tests run against a durable store, where what waits for the
/// database is bounded: even immediate mode may then refuse an operation.
pub fn durable_store() -> bool {
    matches!(
        std::env::var("CRA_TEST_STORE").as_deref(),
        Ok("sqlite" | "postgres")
    )
}

/// A new resolver with `config` on the tests' store (see [`TestResolver`]).
pub fn new_resolver(config: cra::Config) -> TestResolver {
    static FILES: AtomicUsize = AtomicUsize::new(0);
    match std::env::var("CRA_TEST_STORE").as_deref() {
        Ok("sqlite") => {
            let n = FILES.fetch_add(1, Ordering::SeqCst);
            let file =
                std::env::temp_dir().join(format!("cra-test-{}-store-{n}.db", std::process::id()));
            let resolver = Resolver::open(config, &format!("sqlite:{}", file.display())).unwrap();
            TestResolver {
                resolver: Some(resolver),
                file: Some(file),
                schema: None,
            }
        }
        Ok("postgres") => {
            let server = postgres_url().expect(
                "CRA_TEST_STORE=postgres needs CRA_TEST_POSTGRES_URL (scripts/postgres.sh)",
            );
            let schema = PgSchema::new(&server);
            let resolver = Resolver::open(config, &schema.url()).unwrap();
            TestResolver {
                resolver: Some(resolver),
                file: None,
                schema: Some(schema),
            }
        }
        Ok("memory") | Err(_) => TestResolver {
            resolver: Some(Resolver::new(config).unwrap()),
            file: None,
            schema: None,
        },
        Ok(other) => panic!("CRA_TEST_STORE={other}: use memory, sqlite or postgres"),
    }
}

pub fn loaded_resolver(config: cra::Config) -> TestResolver {
    let resolver = new_resolver(config);
    resolver.load_atlas(&billing_atlas().to_string()).unwrap();
    resolver
}

/// A resolver on the store at `url` with the billing atlas loaded.
pub fn open_loaded(url: &str, config: cra::Config) -> Resolver {
    let resolver = Resolver::open(config, url).unwrap_or_else(|err| panic!("open {url}: {err}"));
    resolver.load_atlas(&billing_atlas().to_string()).unwrap();
    resolver
}

/// The session's events, parsed.
pub fn events(resolver: &Resolver, session: SessionId) -> Vec<Value> {
    let jsonl = resolver
        .trace_jsonl(
            session,
            cra::TraceRead::Wait(std::time::Duration::from_secs(10)),
        )
        .unwrap();
    jsonl
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

pub fn event_types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_owned())
        .collect()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The verifiers that check libcra's traces independently of it: the
/// repository's own `tools/cra-verify`, and `trace_verify.py` of the shared
/// specification when it sits beside the repository (as it does in CI).
pub fn verifier_commands() -> Vec<Vec<PathBuf>> {
    let mut commands = vec![vec![repo_root().join("tools/cra-verify")]];
    let shared = repo_root().join("../shared/tools/trace_verify.py");
    if shared.is_file() {
        commands.push(vec![shared, PathBuf::from("--multi")]);
    }
    commands
}

/// A file in the temp dir, removed when dropped.
pub struct TempTrace(pub PathBuf);

impl TempTrace {
    pub fn new(bytes: impl AsRef<[u8]>) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "cra-test-trace-{}-{}.jsonl",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes).expect("write temp trace");
        TempTrace(path)
    }
}

impl Drop for TempTrace {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A fresh scratch folder for one test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cra-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the independent verifier on `jsonl` (`--multi`): its exit code and output.
pub fn python_verify(jsonl: &str, name: &str) -> (i32, Value) {
    let path = scratch_dir(name).join("trace.jsonl");
    std::fs::write(&path, jsonl).unwrap();
    run_verifier(&path)
}

/// What one verifier said about a trace: which verifier, its exit code and
/// its JSON line.
pub struct Verdict {
    pub verifier: String,
    pub status: i32,
    pub output: Value,
}

/// What each verifier of [`verifier_commands`] says about the trace at `path`.
pub fn verdicts(path: &Path) -> Vec<Verdict> {
    verifier_commands()
        .iter()
        .map(|command| {
            let output = Command::new("python3")
                .args(command)
                .arg(path)
                .output()
                .expect("python3 runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            Verdict {
                verifier: command[0].display().to_string(),
                status: output.status.code().unwrap_or(-1),
                output: serde_json::from_str(stdout.trim()).unwrap_or(Value::Null),
            }
        })
        .collect()
}

/// Runs every verifier on the trace at `path`, checks that they agree, and
/// returns the first one's exit code and output.
pub fn run_verifier(path: &Path) -> (i32, Value) {
    let verdicts = verdicts(path);
    let first = &verdicts[0];
    for other in &verdicts[1..] {
        assert_eq!(
            other.status, first.status,
            "{} / {}",
            other.output, first.output
        );
        assert_eq!(
            other.output["kind"], first.output["kind"],
            "the verifiers disagree"
        );
    }
    (first.status, first.output.clone())
}
