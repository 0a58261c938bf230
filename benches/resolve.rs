//! `Resolver::resolve` as the caller pays for it, in both trace modes.
//!
//! - immediate: parse, decide, write the resolution, and seal (format,
//!   hash, chain, store) every event on the caller's thread;
//! - deferred hot path: the same minus sealing, which the processor thread
//!   does. The buffer holds a whole rig's events and is flushed outside the
//!   timed region, so this is the caller's cost only; the processor still
//!   runs meanwhile, as it does in production.
//!
//! Atlas A (8 events a resolve) is the target workload; atlas B (54 events)
//! shows how the cost grows with the atlas.

mod common;

use common::{time_in_rigs, Atlas, Rig, RESOLVES_PER_RIG};
use cra::TraceMode;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

fn resolve(c: &mut Criterion) {
    let mut group = c.benchmark_group("resolve");
    for (mode, name) in [
        (TraceMode::Immediate, "immediate"),
        (TraceMode::Deferred, "deferred_hot_path"),
    ] {
        for atlas in [Atlas::A, Atlas::B] {
            group.bench_function(BenchmarkId::new(name, atlas.name()), |b| {
                b.iter_custom(|iters| {
                    time_in_rigs(
                        iters,
                        RESOLVES_PER_RIG,
                        |n| {
                            let mut rig = Rig::for_resolves(mode, atlas, n);
                            let requests = rig.requests(n);
                            (rig, requests)
                        },
                        |rig, requests| {
                            for request in &requests {
                                // Dropping the resolution is part of the cost,
                                // as `cra_buf_free` is for a C host.
                                black_box(rig.resolver.resolve(request).expect("resolves"));
                            }
                        },
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = resolve
}
criterion_main!(benches);
