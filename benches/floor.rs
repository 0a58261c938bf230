//! The physical floor: SHA-256 over exactly the bytes that events hash.
//!
//! Every trace event costs at least its share of SHA-256, whatever the
//! mode, so these are the figures the hot paths are compared with: one
//! event alone (`event_hash`) and a resolve's events one after the other
//! (`resolve_hashes`, the floor the ratios use), hashed from texts built
//! beforehand. Beside them, the same events hashed from their members by
//! the library's `EventHasher`, as sealing and verification do
//! (`resolve_event_hash`): the floor plus laying the members out in one text.
//! The inputs are not made up: they are read back from the trace of a real
//! resolve of the benchmark request, so their lengths (UUIDs, timestamps,
//! canonical payloads) are the real ones.

mod common;

use common::{Atlas, Rig};
use cra::internals::{canonical_json, hex_lower, write_hashed_text, EventFields, EventHasher};
use cra::{TraceMode, TraceRead};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::hint::black_box;

/// The hashed fields of one event, owned.
struct HashedFields {
    texts: [String; 7],
    parent_span_id: Option<String>,
    sequence: u64,
    canonical_payload: String,
    previous_event_hash: String,
    event_hash: String,
}

impl HashedFields {
    fn from_line(line: &str) -> HashedFields {
        let event: Value = serde_json::from_str(line).expect("trace line is JSON");
        let text = |name: &str| event[name].as_str().expect(name).to_owned();
        HashedFields {
            texts: [
                text("trace_version"),
                text("event_id"),
                text("trace_id"),
                text("span_id"),
                text("session_id"),
                text("timestamp"),
                text("event_type"),
            ],
            parent_span_id: event["parent_span_id"].as_str().map(str::to_owned),
            sequence: event["sequence"].as_u64().expect("sequence"),
            canonical_payload: canonical_json(&event["payload"]).expect("finite payload"),
            previous_event_hash: text("previous_event_hash"),
            event_hash: text("event_hash"),
        }
    }

    /// The bytes the event's hash covers.
    fn text(&self) -> Vec<u8> {
        let mut text = Vec::new();
        write_hashed_text(&mut text, &self.fields());
        assert_eq!(
            hex_lower(&Sha256::digest(&text).into()),
            self.event_hash,
            "the text is what the event hashed"
        );
        text
    }

    fn fields(&self) -> EventFields<'_> {
        let [trace_version, event_id, trace_id, span_id, session_id, timestamp, event_type] =
            &self.texts;
        EventFields {
            trace_version,
            event_id,
            trace_id,
            span_id,
            parent_span_id: self.parent_span_id.as_deref(),
            session_id,
            sequence: self.sequence,
            timestamp,
            event_type,
            canonical_payload: &self.canonical_payload,
            previous_event_hash: &self.previous_event_hash,
        }
    }
}

/// The events of one resolve of the benchmark request against `atlas`.
fn resolve_events(atlas: Atlas) -> Vec<HashedFields> {
    let mut rig = Rig::new(TraceMode::Immediate, atlas, 1);
    let session = rig.sessions[0];
    let request = rig.requests_for(session, 1).remove(0);
    rig.resolver.resolve(&request).expect("resolves");
    let jsonl = rig
        .resolver
        .trace_jsonl(session, TraceRead::Partial)
        .expect("trace");
    let events: Vec<HashedFields> = jsonl
        .lines()
        .skip(1) // session.started belongs to the session, not the resolve
        .map(HashedFields::from_line)
        .collect();
    assert_eq!(events.len() as u64, atlas.events_per_resolve());
    events
}

fn floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor");
    let a = resolve_events(Atlas::A);
    // One `policy.evaluated` event: the most common event of a resolve.
    let one = a
        .iter()
        .find(|e| e.texts[6] == "policy.evaluated")
        .expect("a policy.evaluated event")
        .text();
    group.throughput(Throughput::Elements(1));
    group.bench_function("event_hash", |b| b.iter(|| Sha256::digest(black_box(&one))));

    for (atlas, events) in [(Atlas::A, a), (Atlas::B, resolve_events(Atlas::B))] {
        let texts: Vec<Vec<u8>> = events.iter().map(HashedFields::text).collect();
        group.throughput(Throughput::Elements(texts.len() as u64));
        group.bench_function(BenchmarkId::new("resolve_hashes", atlas.name()), |b| {
            b.iter(|| {
                for text in &texts {
                    black_box(Sha256::digest(black_box(text)));
                }
            })
        });
        let fields: Vec<EventFields<'_>> = events.iter().map(HashedFields::fields).collect();
        let mut hasher = EventHasher::default();
        group.bench_function(BenchmarkId::new("resolve_event_hash", atlas.name()), |b| {
            b.iter(|| {
                for event in &fields {
                    black_box(hasher.hash(black_box(event)));
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = floor
}
criterion_main!(benches);
