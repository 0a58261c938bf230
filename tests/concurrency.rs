//! One resolver, many threads: every session's chain stays gapless and valid.

mod common;

use common::*;
use cra::{Config, ErrorKind, TraceRead};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const THREADS: usize = 8;

fn deferred(buffer_capacity: u32) -> Config {
    Config {
        buffer_capacity,
        ..Config::deferred()
    }
}

/// How often the swarm's threads call a sync point.
#[derive(Clone, Copy)]
enum Syncs {
    /// Only once, after the swarm.
    AtTheEnd,
    /// After every `n`-th resolve: thread 0 flushes, the others await
    /// their session.
    Every(usize),
}

/// Resolves `requests` times in each of `sessions` sessions per thread,
/// retrying on backpressure; returns every trace as one JSONL text and the
/// number of events refused along the way.
fn swarm(
    resolver: &Arc<TestResolver>,
    sessions: usize,
    requests: usize,
    syncs: Syncs,
) -> (String, u64) {
    let refused_events = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (resolver, refused_events) = (resolver.clone(), refused_events.clone());
            std::thread::spawn(move || {
                let mut ids = Vec::new();
                for s in 0..sessions {
                    let session = retry(&refused_events, 1, || {
                        resolver.begin_session(AGENT, "swarm")
                    });
                    for n in 0..requests {
                        let request =
                            request(session, &format!("{thread}-{s}-{n}"), "Export", "low");
                        retry(&refused_events, 8, || {
                            resolver.resolve(&request.to_string())
                        });
                        if let Syncs::Every(every) = syncs {
                            if n % every == every - 1 {
                                let timeout = Duration::from_secs(60);
                                match thread {
                                    0 => resolver.flush_traces(timeout),
                                    _ => resolver.await_trace_ready(session, timeout),
                                }
                                .unwrap();
                            }
                        }
                    }
                    ids.push(session);
                }
                ids
            })
        })
        .collect();
    let sessions: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    resolver.flush_traces(Duration::from_secs(120)).unwrap();
    let mut all = String::new();
    for &session in &sessions {
        let report = resolver.verify_chain(session).unwrap();
        assert!(report.failure.is_none(), "{report:?}");
        assert_eq!(report.events as usize, 1 + requests * 8);
        let trace = resolver.trace_jsonl(session, TraceRead::Partial).unwrap();
        assert_requests_in_call_order(&trace, requests);
        all.push_str(&trace);
    }
    (all, refused_events.load(Ordering::SeqCst))
}

/// A valid chain could still hold a session's resolves out of order: the
/// requests must appear as they were made, `{thread}-{session}-{n}` for n
/// counting up.
fn assert_requests_in_call_order(trace: &str, requests: usize) {
    let numbers: Vec<usize> = trace
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|event| event["event_type"] == "carp.request.received")
        .map(|event| {
            let id = event["payload"]["request_id"].as_str().unwrap().to_owned();
            id.rsplit('-').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(numbers, (0..requests).collect::<Vec<_>>());
}

/// Calls `operation` until the buffer takes it, counting refused events.
fn retry<T>(refused: &AtomicU64, events: u64, mut operation: impl FnMut() -> cra::Result<T>) -> T {
    loop {
        match operation() {
            Err(err) if err.kind() == ErrorKind::Backpressure => {
                refused.fetch_add(events, Ordering::SeqCst);
                std::thread::yield_now();
            }
            other => return other.unwrap(),
        }
    }
}

fn check_with_python(jsonl: &str, sessions: usize, events_per_session: usize, name: &str) {
    let (code, report) = python_verify(jsonl, name);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["sessions"], sessions);
    assert_eq!(report["events"], sessions * events_per_session);
}

#[test]
fn immediate_mode_keeps_every_chain_gapless_under_eight_threads() {
    let resolver = Arc::new(loaded_resolver(Config::default()));
    let (jsonl, refused) = swarm(&resolver, 100, 20, Syncs::AtTheEnd);
    // Immediate mode has no buffer to fill; only a database can fall behind.
    if !durable_store() {
        assert_eq!(refused, 0);
    }
    check_with_python(&jsonl, THREADS * 100, 1 + 20 * 8, "immediate-swarm");
    let stats = resolver.stats().trace;
    assert_eq!(stats.events_emitted, stats.events_processed);
}

#[test]
fn deferred_mode_loses_nothing_under_backpressure() {
    let resolver = Arc::new(loaded_resolver(deferred(256)));
    let (jsonl, refused) = swarm(&resolver, 200, 50, Syncs::AtTheEnd);
    check_with_python(&jsonl, THREADS * 200, 1 + 50 * 8, "deferred-swarm");
    let stats = resolver.stats().trace;
    assert_eq!(stats.events_emitted, stats.events_processed);
    assert_eq!(stats.events_emitted, (THREADS * 200 * (1 + 50 * 8)) as u64);
    assert_eq!(
        stats.events_rejected, refused,
        "every refusal was reported to a caller"
    );
    assert_eq!(stats.queue_depth, 0);
    assert!(stats.queue_high_water <= 256);
}

/// Sync points seal on their own threads beside the processor (the default
/// store appends promptly): every thread's calls race it for the queue.
#[test]
fn deferred_mode_loses_nothing_while_sync_points_seal_beside_the_processor() {
    let resolver = Arc::new(loaded_resolver(deferred(256)));
    let (jsonl, _) = swarm(&resolver, 50, 30, Syncs::Every(3));
    check_with_python(&jsonl, THREADS * 50, 1 + 30 * 8, "deferred-syncs");
    let stats = resolver.stats().trace;
    assert_eq!(stats.events_emitted, stats.events_processed);
    assert_eq!(stats.events_emitted, (THREADS * 50 * (1 + 30 * 8)) as u64);
    assert_eq!(stats.queue_depth, 0);
}
