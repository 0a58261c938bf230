//! `Resolver::check_action` as the caller pays for it, in both trace modes,
//! beside the resolve it follows (CARP.md: a check costs no more than a
//! resolve of the same atlas in the same mode), and the parameters schema
//! check alone.
//!
//! Each check names the `support.ticket.read` action of a resolution of
//! its session, with parameters that pass the action's small schema, so
//! every check runs all seven rules and is approved (two events).

mod common;

use common::{now_rfc3339, time_in_rigs, Atlas, Rig, AGENT, RESOLVES_PER_RIG};
use cra::TraceMode;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::Value;
use std::hint::black_box;

const ACTION: &str = "support.ticket.read";

/// `count` check requests over the rig's sessions, each naming a
/// resolution of its session (resolved here, untimed).
fn checks(rig: &mut Rig, count: u64) -> Vec<String> {
    let timestamp = now_rfc3339();
    let resolution_ids: Vec<String> = rig
        .requests(rig.sessions.len() as u64)
        .iter()
        .map(|request| {
            let resolution: Value =
                serde_json::from_str(&rig.resolver.resolve(request).expect("resolves"))
                    .expect("JSON");
            resolution["resolution_id"]
                .as_str()
                .expect("an id")
                .to_owned()
        })
        .collect();
    (0..count)
        .map(|n| {
            let index = (n as usize) % rig.sessions.len();
            format!(
                "{{\"carp_version\":\"1.0\",\"operation\":\"check_action\",\"request_id\":\"chk-{n}\",\
                 \"timestamp\":\"{timestamp}\",\
                 \"requester\":{{\"agent_id\":\"{AGENT}\",\"session_id\":\"{}\"}},\
                 \"resolution_id\":\"{}\",\"action_id\":\"{ACTION}\",\
                 \"parameters\":{{\"ticket_id\":\"T-{n}\"}}}}",
                rig.sessions[index], resolution_ids[index]
            )
        })
        .collect()
}

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    for (mode, name) in [
        (TraceMode::Immediate, "immediate"),
        (TraceMode::Deferred, "deferred_hot_path"),
    ] {
        group.bench_function(BenchmarkId::new(name, Atlas::A.name()), |b| {
            b.iter_custom(|iters| {
                time_in_rigs(
                    iters,
                    RESOLVES_PER_RIG,
                    |n| {
                        let mut rig = Rig::for_resolves(mode, Atlas::A, n);
                        let checks = checks(&mut rig, n);
                        (rig, checks)
                    },
                    |rig, checks| {
                        for check in &checks {
                            black_box(rig.resolver.check_action(check).expect("checks"));
                        }
                    },
                )
            })
        });
    }
    group.finish();

    let schema = cra::internals::ParametersSchema::compile(
        r#"{"type": "object", "properties": {"ticket_id": {"type": "string"}}, "required": ["ticket_id"]}"#,
    )
    .expect("compiles");
    let parameters = serde_json::json!({"ticket_id": "T-1"});
    c.bench_function("check/parameters_schema", |b| {
        b.iter(|| black_box(schema.check(black_box(&parameters))))
    });
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = check
}
criterion_main!(benches);
