//! Verification throughput (events a second): re-hashing a stored chain
//! (`verify_chain`) and checking exported JSON Lines (`verify_jsonl`, which
//! also parses each line and re-canonicalizes its payload, as an
//! independent verifier must).

mod common;

use common::{Atlas, Rig};
use cra::{verify_jsonl, TraceMode, TraceRead};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

/// One session of 1 000 resolves: 8 001 events with atlas A.
const RESOLVES: u64 = 1_000;

fn verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    let atlas = Atlas::A;
    let mut rig = Rig::new(TraceMode::Immediate, atlas, 1);
    let session = rig.sessions[0];
    for request in rig.requests_for(session, RESOLVES) {
        rig.resolver.resolve(&request).expect("resolves");
    }
    let events = 1 + RESOLVES * atlas.events_per_resolve();
    group.throughput(Throughput::Elements(events));

    group.bench_function(BenchmarkId::new("chain", atlas.name()), |b| {
        b.iter(|| {
            let report = rig.resolver.verify_chain(session).expect("session");
            assert!(report.failure.is_none());
            black_box(report)
        })
    });

    let jsonl = rig
        .resolver
        .trace_jsonl(session, TraceRead::Partial)
        .expect("trace");
    group.bench_function(BenchmarkId::new("jsonl", atlas.name()), |b| {
        b.iter(|| {
            let report = verify_jsonl(black_box(&jsonl));
            assert_eq!(report.events, events);
            report
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = verify
}
criterion_main!(benches);
