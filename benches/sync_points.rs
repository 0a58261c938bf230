//! What the deferred mode's sync points cost, end to end: the time from the
//! first resolve until its trace is stored and hashed.
//!
//! - `resolve_then_await`: one resolve, then `await_trace_ready` on its
//!   session: the latency of a host that needs each trace at once (it pays
//!   the processor's wake-up and a condition-variable hand-off);
//! - `100_resolves_then_flush`: a burst of 100 resolves, then one
//!   `flush_traces`: a host that syncs once per batch;
//! - `immediate/100_resolves` does the same burst in immediate mode, where
//!   the trace is complete when each call returns: the comparison that
//!   tells when deferred pays off.

mod common;

use common::{time_in_rigs, Atlas, Rig, RESOLVES_PER_SESSION};
use cra::TraceMode;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;

const BATCH: u64 = 100;
const WAIT: Duration = Duration::from_secs(10);

fn sync_points(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync");
    let atlas = Atlas::A;

    group.bench_function(
        BenchmarkId::new("deferred/resolve_then_await", atlas.name()),
        |b| {
            b.iter_custom(|iters| {
                time_in_rigs(
                    iters,
                    RESOLVES_PER_SESSION,
                    |n| {
                        let mut rig = Rig::new(TraceMode::Deferred, atlas, 1);
                        let requests = rig.requests(n);
                        (rig, requests)
                    },
                    |rig, requests| {
                        let session = rig.sessions[0];
                        for request in &requests {
                            black_box(rig.resolver.resolve(request).expect("resolves"));
                            rig.resolver
                                .await_trace_ready(session, WAIT)
                                .expect("trace ready");
                        }
                    },
                )
            })
        },
    );

    for (mode, name) in [
        (TraceMode::Deferred, "deferred/100_resolves_then_flush"),
        (TraceMode::Immediate, "immediate/100_resolves"),
    ] {
        group.bench_function(BenchmarkId::new(name, atlas.name()), |b| {
            // One iteration is one burst of 100 resolves and its flush.
            b.iter_custom(|iters| {
                let bursts_per_rig = RESOLVES_PER_SESSION / BATCH;
                time_in_rigs(
                    iters,
                    bursts_per_rig,
                    |n| {
                        let mut rig = Rig::new(mode, atlas, 1);
                        let requests = rig.requests(n * BATCH);
                        (rig, requests)
                    },
                    |rig, requests| {
                        for burst in requests.chunks(BATCH as usize) {
                            for request in burst {
                                black_box(rig.resolver.resolve(request).expect("resolves"));
                            }
                            // A no-op in immediate mode, kept so both do the same calls.
                            rig.resolver.flush_traces(WAIT).expect("flushed");
                        }
                    },
                )
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = sync_points
}
criterion_main!(benches);
