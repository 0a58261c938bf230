//! Soak: the deferred pipeline under a steady mixed load for a set time.
//!
//! Agent threads begin sessions, resolve, wait on their traces now and
//! then, and end their sessions, over and over; another thread unloads and
//! reloads an atlas all the while; the main thread flushes every so often.
//! At the end it checks that nothing was lost (every event accepted was
//! stored) and that every session's chain verifies, and writes every trace
//! to one JSONL file for an independent verifier (`scripts/soak.sh` runs
//! one on it).
//!
//!     cargo run --release --example soak -- [SECONDS [THREADS [RESOLVES_PER_SECOND]]] [--out FILE]
//!
//! Defaults: 600 s, 4 agent threads, 500 resolves a second in all (the
//! in-memory store keeps every event, so the rate bounds the memory the
//! run takes). Exits 1 on any failure.

use cra::{Backpressure, Config, ErrorKind, Resolver, SessionId, TraceMode, TraceRead};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const BILLING: &str = "examples/data/billing.atlas.json";
const RELOADED_ATLAS: &str = r#"{"atlas_version":"1.0","atlas_id":"com.example.soak","version":"1.0.0",
  "name":"Soak","description":"Loaded and unloaded during the soak",
  "actions":[{"action_id":"soak.ping","name":"Ping","description":"Does nothing"}],
  "policies":[{"policy_id":"soak-allow","type":"allow","actions":["soak.*"]}]}"#;
const WAIT: Duration = Duration::from_secs(30);

struct Settings {
    seconds: u64,
    threads: u64,
    resolves_per_second: u64,
    out: String,
}

fn settings() -> Settings {
    let mut numbers = Vec::new();
    let mut out = "target/soak/soak.trace.jsonl".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = args.next().unwrap_or(out),
            number => numbers.push(number.parse().unwrap_or_else(|_| {
                eprintln!("usage: soak [SECONDS [THREADS [RESOLVES_PER_SECOND]]] [--out FILE]");
                std::process::exit(2)
            })),
        }
    }
    let number = |index: usize, default: u64| numbers.get(index).copied().unwrap_or(default);
    Settings {
        seconds: number(0, 600),
        threads: number(1, 4).max(1),
        resolves_per_second: number(2, 500).max(1),
        out,
    }
}

/// What the agents share and report.
struct Run {
    resolver: Resolver,
    until: Instant,
    sessions: Mutex<Vec<SessionId>>,
    resolves: AtomicU64,
    failures: AtomicU64,
}

fn request(session: SessionId, n: u64) -> String {
    let now = now_rfc3339();
    format!(
        r#"{{"carp_version":"1.0","request_id":"req-{n}","timestamp":"{now}","operation":"resolve",
        "requester":{{"agent_id":"soak-agent","session_id":"{session}"}},
        "task":{{"goal":"Refund a charge","risk_tier":"low"}}}}"#
    )
}

/// Now as RFC 3339, from the library's own formatter.
fn now_rfc3339() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_micros() as i64);
    String::from_utf8(cra::internals::format_timestamp(micros).to_vec()).unwrap_or_default()
}

fn fail(run: &Run, what: &str, err: impl std::fmt::Display) {
    eprintln!("soak: {what}: {err}");
    run.failures.fetch_add(1, Ordering::SeqCst);
}

/// One agent: sessions of 1 to 40 resolves, paced to its share of the rate.
fn agent(run: &Run, index: u64, interval: Duration) {
    let mut n = 0u64;
    let mut next = Instant::now();
    while Instant::now() < run.until {
        let session = match run.resolver.begin_session("soak-agent", "Refund a charge") {
            Ok(session) => session,
            Err(err) => return fail(run, "begin_session", err),
        };
        run.sessions.lock().unwrap().push(session);
        for _ in 0..(1 + (index + n) % 40) {
            n += 1;
            thread::sleep(next.saturating_duration_since(Instant::now()));
            next += interval;
            match run.resolver.resolve(&request(session, n)) {
                Ok(_) => {
                    run.resolves.fetch_add(1, Ordering::Relaxed);
                }
                // Block mode waits for room; a refusal after that is load, not loss.
                Err(err) if err.kind() == ErrorKind::Backpressure => {}
                Err(err) => fail(run, "resolve", err),
            }
            if n.is_multiple_of(25) {
                if let Err(err) = run.resolver.await_trace_ready(session, WAIT) {
                    fail(run, "await_trace_ready", err);
                }
            }
        }
        if let Err(err) = run.resolver.end_session(session, "done") {
            fail(run, "end_session", err);
        }
    }
}

/// Unloads and reloads an atlas all the while.
fn reloader(run: &Run, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        if let Err(err) = run.resolver.load_atlas(RELOADED_ATLAS) {
            fail(run, "load_atlas", err);
        }
        thread::sleep(Duration::from_millis(20));
        if let Err(err) = run.resolver.unload_atlas("com.example.soak") {
            fail(run, "unload_atlas", err);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn resident_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

fn main() {
    let settings = settings();
    let config = Config {
        trace_mode: TraceMode::Deferred,
        backpressure: Backpressure::Block,
        block_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let resolver = Resolver::new(config).expect("a resolver");
    resolver
        .load_atlas_file(BILLING.as_ref())
        .expect("the example atlas");
    let run = Arc::new(Run {
        resolver,
        until: Instant::now() + Duration::from_secs(settings.seconds),
        sessions: Mutex::new(Vec::new()),
        resolves: AtomicU64::new(0),
        failures: AtomicU64::new(0),
    });
    let interval =
        Duration::from_secs_f64(settings.threads as f64 / settings.resolves_per_second as f64);
    println!(
        "soak: {} s, {} agents, {} resolves/s, deferred mode",
        settings.seconds, settings.threads, settings.resolves_per_second
    );
    let stop = Arc::new(AtomicBool::new(false));
    let agents: Vec<_> = (0..settings.threads)
        .map(|index| {
            let run = run.clone();
            thread::spawn(move || agent(&run, index, interval))
        })
        .collect();
    let reload = {
        let (run, stop) = (run.clone(), stop.clone());
        thread::spawn(move || reloader(&run, &stop))
    };
    while Instant::now() < run.until {
        thread::sleep(
            Duration::from_secs(10).min(run.until.saturating_duration_since(Instant::now())),
        );
        if let Err(err) = run.resolver.flush_traces(WAIT) {
            fail(&run, "flush_traces", err);
        }
        let stats = run.resolver.stats().trace;
        println!(
            "soak: {} resolves, {} events stored, resident {} MiB",
            run.resolves.load(Ordering::Relaxed),
            stats.events_processed,
            resident_mib()
        );
    }
    for agent in agents {
        agent.join().expect("an agent thread");
    }
    stop.store(true, Ordering::SeqCst);
    reload.join().expect("the reloader");
    check_and_export(&run, &settings.out);
}

/// Nothing lost, every chain valid, every trace written to `out`.
fn check_and_export(run: &Run, out: &str) {
    if let Err(err) = run.resolver.flush_traces(WAIT) {
        fail(run, "final flush_traces", err);
    }
    let stats = run.resolver.stats().trace;
    if stats.events_emitted != stats.events_processed {
        fail(
            run,
            "events lost",
            format!(
                "{} emitted, {} stored",
                stats.events_emitted, stats.events_processed
            ),
        );
    }
    if let Some(folder) = std::path::Path::new(out).parent() {
        std::fs::create_dir_all(folder).expect("the output folder");
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).expect("the output file"));
    let sessions = run.sessions.lock().unwrap().clone();
    for &session in &sessions {
        match run.resolver.verify_chain(session) {
            Ok(report) if report.failure.is_none() => {}
            Ok(report) => fail(
                run,
                "verify_chain",
                format!("{session}: {:?}", report.failure),
            ),
            Err(err) => fail(run, "verify_chain", err),
        }
        match run.resolver.trace_jsonl(session, TraceRead::Partial) {
            Ok(trace) => file.write_all(trace.as_bytes()).expect("writing the trace"),
            Err(err) => fail(run, "trace_jsonl", err),
        }
    }
    file.flush().expect("writing the trace");
    let failures = run.failures.load(Ordering::SeqCst);
    println!(
        "soak: {} sessions, {} resolves, {} events, all stored: {}, chains verified; traces in {out}; {failures} failure(s)",
        sessions.len(),
        run.resolves.load(Ordering::Relaxed),
        stats.events_processed,
        stats.events_emitted == stats.events_processed,
    );
    if failures > 0 {
        std::process::exit(1);
    }
}
