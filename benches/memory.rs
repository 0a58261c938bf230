//! Resident memory per stored event: the heap a host pays to keep a trace
//! in the default in-memory store, beyond the payload text itself.
//!
//! Not a criterion benchmark (it measures bytes, once): it stores 1 M
//! events (125 sessions of 1 000 resolves of atlas A, 8 events each),
//! reads the process's resident set before and after, subtracts the bytes
//! of the canonical payloads the store holds, and divides by the events.
//! Everything else the trace keeps alive counts: the event records, the
//! allocator's per-allocation overhead and rounding, the per-session
//! vectors' spare capacity once touched, and the sessions' request-id sets.
//! Writes `memory.json` into `$CRA_BENCH_OUT_DIR` (default `target/bench`).

mod common;

use common::{now_rfc3339, write_request, Atlas, AGENT, GOAL};
use cra::{MemoryStore, SealedEvent};
use cra::{Resolver, TraceMode};
use std::sync::Arc;

const SESSIONS: u64 = 125;
const RESOLVES_PER_SESSION: u64 = 1_000;

/// The resident set size of this process, from /proc/self/status.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

fn main() {
    // `cargo bench -- FILTER` passes FILTER here too: run only when it matches.
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    if filter.is_some_and(|filter| !"memory".contains(filter.as_str())) {
        return;
    }
    let atlas = Atlas::A;
    let store = Arc::new(MemoryStore::new());
    let resolver = Resolver::builder(common::config(TraceMode::Immediate))
        .store(store.clone())
        .build()
        .expect("valid config");
    resolver.load_atlas(&atlas.json()).expect("valid atlas");
    let timestamp = now_rfc3339();
    let mut request = String::with_capacity(320);
    // Warm the allocator and the code paths so the baseline holds them.
    let warm = resolver.begin_session(AGENT, GOAL).expect("session");
    write_request(&mut request, warm, u64::MAX, &timestamp);
    resolver.resolve(&request).expect("resolves");

    let before = resident_bytes();
    let before_events = store.total_len();
    let mut sessions = Vec::new();
    let mut number = 0;
    for _ in 0..SESSIONS {
        let session = resolver.begin_session(AGENT, GOAL).expect("session");
        for _ in 0..RESOLVES_PER_SESSION {
            write_request(&mut request, session, number, &timestamp);
            number += 1;
            std::hint::black_box(resolver.resolve(&request).expect("resolves"));
        }
        sessions.push(session);
    }
    let after = resident_bytes();

    let events = (store.total_len() - before_events) as u64;
    let mut payload_bytes = 0u64;
    for session in &sessions {
        store.read(session.0, 0, &mut |stored| {
            payload_bytes += stored.payload_bytes() as u64;
        });
    }
    let growth = after.saturating_sub(before);
    let per_event = growth as f64 / events as f64;
    let payload_per_event = payload_bytes as f64 / events as f64;
    let beyond_payload = (growth.saturating_sub(payload_bytes)) as f64 / events as f64;
    let report = serde_json::json!({
        "events": events,
        "resolves": SESSIONS * RESOLVES_PER_SESSION,
        "sessions": SESSIONS,
        "resident_before_bytes": before,
        "resident_after_bytes": after,
        "payload_bytes": payload_bytes,
        "resident_bytes_per_event": per_event,
        "payload_bytes_per_event": payload_per_event,
        "beyond_payload_bytes_per_event": beyond_payload,
        "sealed_event_struct_bytes": std::mem::size_of::<SealedEvent>(),
    });
    println!(
        "memory: {events} events, {per_event:.1} resident bytes/event, \
         {payload_per_event:.1} of them payload text, {beyond_payload:.1} beyond it \
         (SealedEvent is {} bytes)",
        std::mem::size_of::<SealedEvent>()
    );
    let dir = std::env::var("CRA_BENCH_OUT_DIR")
        .unwrap_or_else(|_| format!("{}/target/bench", env!("CARGO_MANIFEST_DIR")));
    std::fs::create_dir_all(&dir).expect("output folder");
    let path = format!("{dir}/memory.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&report).expect("JSON") + "\n",
    )
    .unwrap_or_else(|err| panic!("{path}: {err}"));
}
