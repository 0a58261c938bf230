//! Deferred processor throughput under saturation: how many events a second
//! the background thread formats, hashes, chains and stores when it never
//! waits for work.
//!
//! The processor is held while a burst of resolves fills the buffer
//! (untimed), then released; the clock runs from the release until the
//! counters show every event stored (not `flush_traces`, which could seal
//! on the bench's thread). One iteration is one burst.

mod common;

use common::{Atlas, Rig, RESOLVES_PER_RIG};
use cra::TraceMode;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::{Duration, Instant};

/// Resolves a burst: 16 000 events with atlas A, far beyond any batching
/// effect at the start and end of a drain.
const BURST: u64 = 2_000;

fn processor(c: &mut Criterion) {
    let mut group = c.benchmark_group("processor");
    for atlas in [Atlas::A, Atlas::B] {
        group.throughput(Throughput::Elements(BURST * atlas.events_per_resolve()));
        group.bench_function(BenchmarkId::new("drain", atlas.name()), |b| {
            b.iter_custom(|iters| {
                let bursts_per_rig = RESOLVES_PER_RIG / BURST;
                let mut total = Duration::ZERO;
                let mut rig = Rig::for_resolves(TraceMode::Deferred, atlas, RESOLVES_PER_RIG);
                for i in 0..iters {
                    if i > 0 && i % bursts_per_rig == 0 {
                        // Bound the store (see RESOLVES_PER_RIG); untimed.
                        rig = Rig::for_resolves(TraceMode::Deferred, atlas, RESOLVES_PER_RIG);
                    }
                    let requests = rig.requests(BURST);
                    rig.resolver.hold_trace_processor(true);
                    for request in &requests {
                        rig.resolver.resolve(request).expect("resolves");
                    }
                    let start = Instant::now();
                    rig.resolver.hold_trace_processor(false);
                    rig.wait_for_processor();
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = processor
}
criterion_main!(benches);
