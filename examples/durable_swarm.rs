//! Durable swarm: producers resolving in deferred mode while a store takes
//! every event, run side by side for a SQLite file, a PostgreSQL database
//! and the memory store.
//!
//! Each producer begins a session, resolves in it, ends it and begins the
//! next, for a set time; then the run waits until every event is durable,
//! verifies a sample of sessions, and measures more on each durable store:
//! the latency of `await_trace_durable` after one resolve, the bytes
//! stored per event, reading a stored 10 000-event session back, and for
//! SQLite the bytes this process wrote to disk per event (WAL and
//! checkpoints included, from /proc/self/io; PostgreSQL's server writes
//! its own).
//!
//!     cargo run --release --example durable_swarm -- [--seconds N] [--producers P]
//!         [--stores sqlite,postgres,memory] [--postgres-url URL] [--json FILE] [--check-flat]
//!
//! The PostgreSQL run uses a schema of its own, `cra_swarm`, dropped and
//! created again first, in the database of `--postgres-url` (default: the
//! environment's `CRA_TEST_POSTGRES_URL`, which `scripts/postgres.sh` sets).
//! `--check-flat` exits 1 when a durable store's run grew its resident
//! memory more than 25 % from its warm-up to its end (the test command runs
//! it briefly). Figures go to stderr, and as JSON (the bench host's format)
//! to FILE.

use cra::{Config, ErrorKind, Resolver, SessionId, TraceMode, TraceRead};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ATLAS: &str = "bench/data/atlas-a.json";
const RESOLVES_PER_SESSION: u64 = 100;
const WAIT: Duration = Duration::from_secs(120);
/// The most resident memory may grow from warm-up to the end of a durable
/// store's run and still count as flat. Medians of a quarter of the run
/// each still move by up to a sixth between runs as the allocator keeps
/// and returns memory; a store that kept its events would grow by its
/// event rate times their size, far more in a few seconds.
const FLAT_GROWTH: f64 = 1.25;

struct Settings {
    seconds: f64,
    producers: usize,
    stores: Vec<String>,
    postgres_url: Option<String>,
    json: Option<String>,
    check_flat: bool,
}

fn settings() -> Settings {
    let mut settings = Settings {
        seconds: 30.0,
        producers: 2,
        stores: vec!["sqlite".into(), "memory".into()],
        postgres_url: std::env::var("CRA_TEST_POSTGRES_URL").ok(),
        json: None,
        check_flat: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--seconds" => settings.seconds = value().parse().unwrap_or_else(|_| usage()),
            "--producers" => settings.producers = value().parse().unwrap_or_else(|_| usage()),
            "--stores" => settings.stores = value().split(',').map(str::to_owned).collect(),
            "--postgres-url" => settings.postgres_url = Some(value()),
            "--json" => settings.json = Some(value()),
            "--check-flat" => settings.check_flat = true,
            _ => usage(),
        }
    }
    settings
}

fn usage() -> ! {
    eprintln!(
        "usage: durable_swarm [--seconds N] [--producers P] [--stores sqlite,postgres,memory] \
         [--postgres-url URL] [--json FILE] [--check-flat]"
    );
    std::process::exit(2)
}

fn request(session: SessionId, number: u64) -> String {
    format!(
        "{{\"carp_version\":\"1.0\",\"request_id\":\"req-{number}\",\
         \"timestamp\":\"2026-12-07T12:00:00Z\",\"operation\":\"resolve\",\
         \"requester\":{{\"agent_id\":\"bench-agent\",\"session_id\":\"{session}\"}},\
         \"task\":{{\"goal\":\"Swarm\",\"risk_tier\":\"low\"}}}}"
    )
}

/// Resolves `request` until the trace takes it (backpressure is retried).
fn resolve(resolver: &Resolver, request: &str) {
    loop {
        match resolver.resolve(request) {
            Ok(_) => return,
            Err(err) if err.kind() == ErrorKind::Backpressure => std::thread::yield_now(),
            Err(err) => panic!("resolve: {err}"),
        }
    }
}

fn retry<T>(mut call: impl FnMut() -> cra::Result<T>) -> T {
    loop {
        match call() {
            Ok(value) => return value,
            Err(err) if err.kind() == ErrorKind::Backpressure => std::thread::yield_now(),
            Err(err) => panic!("{err}"),
        }
    }
}

/// Removes a SQLite store's files.
fn remove_store(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// The schema the PostgreSQL run writes into.
const POSTGRES_SCHEMA: &str = "cra_swarm";

/// `url` with its own schema, emptied first, as the search path.
fn fresh_postgres_schema(url: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|err| panic!("PostgreSQL at {url}: {err}"));
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE; CREATE SCHEMA {POSTGRES_SCHEMA}"
        ))
        .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{POSTGRES_SCHEMA}")
}

/// Bytes the PostgreSQL run's tables take (indexes and TOAST included).
fn postgres_bytes(url: &str) -> u64 {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let row = client
        .query_one(
            &format!(
                "SELECT pg_total_relation_size('{POSTGRES_SCHEMA}.operations') \
                 + pg_total_relation_size('{POSTGRES_SCHEMA}.sessions')"
            ),
            &[],
        )
        .unwrap();
    u64::try_from(row.get::<_, i64>(0)).unwrap_or(0)
}

/// Bytes a durable store holds, for `url` as `open` made it.
fn stored_bytes(store: &str, url: &str, dir: &std::path::Path) -> u64 {
    match store {
        "sqlite" => ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                std::fs::metadata(format!("{}{suffix}", dir.join("swarm.db").display())).ok()
            })
            .map(|meta| meta.len())
            .sum(),
        _ => postgres_bytes(url),
    }
}

/// The store URL of `store`, with an empty store behind it.
fn store_url(store: &str, dir: &std::path::Path, settings: &Settings) -> String {
    match store {
        "memory" => "memory:".to_owned(),
        "sqlite" => {
            let path = dir.join("swarm.db");
            remove_store(&path);
            format!("sqlite:{}", path.display())
        }
        "postgres" => {
            let url = settings.postgres_url.as_deref().unwrap_or_else(|| {
                eprintln!("--stores postgres needs --postgres-url or CRA_TEST_POSTGRES_URL");
                std::process::exit(2)
            });
            fresh_postgres_schema(url)
        }
        other => panic!("unknown store {other}: memory, sqlite or postgres"),
    }
}

fn open(url: &str) -> Resolver {
    let config = Config {
        trace_mode: TraceMode::Deferred,
        buffer_capacity: 1 << 16,
        clock_skew_seconds: 0,
        ..Config::default()
    };
    let resolver = Resolver::open(config, url).unwrap_or_else(|err| panic!("{url}: {err}"));
    resolver.load_atlas_file(ATLAS.as_ref()).unwrap();
    resolver
}

/// Resident set size of this process, in bytes.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split(' ')
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Bytes this process caused to be written to storage so far.
fn written_bytes() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines()
        .find_map(|line| line.strip_prefix("write_bytes: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

struct SwarmRun {
    resolves: u64,
    seconds: f64,
    events: u64,
    lost: u64,
    chains: u64,
    chains_verified: u64,
    rss_warm: u64,
    rss_end: u64,
    written: u64,
}

/// Producers begin, resolve in and end sessions until `seconds` pass.
fn swarm(resolver: &Arc<Resolver>, producers: usize, seconds: f64) -> SwarmRun {
    let stop = Arc::new(AtomicBool::new(false));
    let resolves = Arc::new(AtomicU64::new(0));
    let written_start = written_bytes();
    let started = Instant::now();
    let threads: Vec<_> = (0..producers)
        .map(|_| {
            let (resolver, stop, resolves) = (resolver.clone(), stop.clone(), resolves.clone());
            std::thread::spawn(move || {
                let mut sample = Vec::new();
                let mut sessions = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let session = retry(|| resolver.begin_session("bench-agent", "Swarm"));
                    for n in 0..RESOLVES_PER_SESSION {
                        resolve(&resolver, &request(session, n));
                    }
                    resolves.fetch_add(RESOLVES_PER_SESSION, Ordering::Relaxed);
                    retry(|| resolver.end_session(session, "done"));
                    if sessions.is_multiple_of(50) {
                        sample.push(session);
                    }
                    sessions += 1;
                }
                sample
            })
        })
        .collect();
    // Resident memory, sampled; warm is the second quarter's median, end the
    // last quarter's (medians: the allocator's ups and downs are not growth).
    let mut samples = Vec::new();
    while started.elapsed().as_secs_f64() < seconds {
        std::thread::sleep(Duration::from_millis(250));
        samples.push((started.elapsed().as_secs_f64(), rss_bytes()));
    }
    stop.store(true, Ordering::Relaxed);
    let sample: Vec<SessionId> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let produced = started.elapsed().as_secs_f64();
    resolver.await_trace_durable(None, WAIT).unwrap();
    let stats = resolver.stats().trace;
    let store = resolver.store_stats();
    eprintln!(
        "store: {} commits, {:.0} events per commit, {} write errors",
        store.commits,
        store.events_durable as f64 / store.commits.max(1) as f64,
        store.write_errors
    );
    let median = |from: f64, to: f64| {
        let mut quarter: Vec<u64> = samples
            .iter()
            .filter(|(at, _)| *at >= from * seconds && *at <= to * seconds)
            .map(|&(_, rss)| rss)
            .collect();
        quarter.sort_unstable();
        quarter.get(quarter.len() / 2).copied().unwrap_or(0)
    };
    let chains_verified = sample
        .iter()
        .filter(|&&session| {
            let report = resolver.verify_chain(session).unwrap();
            report.failure.is_none() && report.events == 2 + RESOLVES_PER_SESSION * 8
        })
        .count() as u64;
    SwarmRun {
        resolves: resolves.load(Ordering::Relaxed),
        seconds: produced,
        events: stats.events_processed,
        lost: stats.events_emitted - stats.events_processed,
        chains: sample.len() as u64,
        chains_verified,
        rss_warm: median(0.25, 0.5),
        rss_end: median(0.75, 1.0),
        written: written_bytes() - written_start,
    }
}

/// `await_trace_durable` after one resolve, `rounds` times: sorted nanoseconds.
fn durable_latency(resolver: &Resolver, rounds: u64) -> Vec<u64> {
    let session = resolver.begin_session("bench-agent", "Latency").unwrap();
    let mut samples: Vec<u64> = (0..rounds)
        .map(|n| {
            resolve(resolver, &request(session, n));
            let start = Instant::now();
            resolver.await_trace_durable(Some(session), WAIT).unwrap();
            start.elapsed().as_nanos() as u64
        })
        .collect();
    samples.sort_unstable();
    samples
}

/// Reading a stored, evicted session of 10 001 events back as JSONL: events/s per run.
fn read_back(resolver: &Resolver, runs: usize) -> Vec<f64> {
    let session = resolver.begin_session("bench-agent", "Read back").unwrap();
    for n in 0..1250 {
        resolve(resolver, &request(session, n));
    }
    resolver.end_session(session, "done").unwrap();
    resolver.await_trace_durable(None, WAIT).unwrap();
    let mut rates: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let text = resolver.trace_jsonl(session, TraceRead::Partial).unwrap();
            let seconds = start.elapsed().as_secs_f64();
            assert_eq!(text.lines().count(), 10_001 + 1);
            10_002.0 / seconds
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let settings = settings();
    let dir = std::path::PathBuf::from("target/bench/durable");
    std::fs::create_dir_all(&dir).unwrap();
    let mut figures = Vec::new();
    let mut flat = true;
    for store in &settings.stores {
        let url = store_url(store, &dir, &settings);
        let resolver = Arc::new(open(&url));
        let run = swarm(&resolver, settings.producers, settings.seconds);
        let rate = run.resolves as f64 / run.seconds;
        let grew = run.rss_end as f64 / run.rss_warm.max(1) as f64;
        eprintln!(
            "{store:>8}: {rate:9.0} resolves/s over {:.1} s, {} events, lost {}, {}/{} sampled chains \
             verified, resident {:.1} MiB warm -> {:.1} MiB end (x{grew:.2}), {:.0} B written per event",
            run.seconds,
            run.events,
            run.lost,
            run.chains_verified,
            run.chains,
            run.rss_warm as f64 / 1048576.0,
            run.rss_end as f64 / 1048576.0,
            run.written as f64 / run.events.max(1) as f64,
        );
        figures.push(serde_json::json!({
            "id": format!("d.durable_swarm.{store}.{}", settings.producers),
            "kind": "throughput", "unit": "resolves/s",
            "what": format!("{} producers, deferred, sessions of {RESOLVES_PER_SESSION} resolves begun and ended continuously, {store} store, sustained until every event is durable", settings.producers),
            "median": rate, "seconds": run.seconds, "resolves": run.resolves, "events_processed": run.events,
            "events_lost": run.lost, "chains": run.chains, "chains_verified": run.chains_verified,
            "rss_warm_bytes": run.rss_warm, "rss_end_bytes": run.rss_end,
            "written_bytes_per_event": run.written as f64 / run.events.max(1) as f64,
        }));
        if store == "memory" {
            continue;
        }
        flat &= grew <= FLAT_GROWTH;
        if store == "sqlite" {
            figures.push(serde_json::json!({
                "id": "d.written_per_event.sqlite", "kind": "size", "unit": "bytes/event",
                "what": "bytes written to disk per event during the durable swarm (WAL and checkpoints included)",
                "median": run.written as f64 / run.events.max(1) as f64,
            }));
        }
        let latency = durable_latency(&resolver, 500);
        eprintln!(
            "{store}: await_trace_durable after one resolve: median {:.1} µs, p99 {:.1} µs",
            percentile(&latency, 0.5) as f64 / 1e3,
            percentile(&latency, 0.99) as f64 / 1e3
        );
        figures.push(serde_json::json!({
            "id": format!("d.await_durable.{store}"), "kind": "latency", "unit": "ns",
            "what": format!("await_trace_durable on a session right after one resolve (deferred, {store} store): the commit latency"),
            "samples": latency.len(), "median": percentile(&latency, 0.5),
            "p99": percentile(&latency, 0.99), "p999": percentile(&latency, 0.999),
        }));
        let rates = read_back(&resolver, 7);
        eprintln!(
            "{store}: reading a stored 10 001-event session back: median {:.2} M events/s",
            rates[3] / 1e6
        );
        let stored = stored_bytes(store, &url, &dir) as f64
            / resolver.store_stats().events_durable.max(1) as f64;
        eprintln!("{store}: {stored:.0} B stored per event");
        figures.push(serde_json::json!({
            "id": format!("d.stored_per_event.{store}"), "kind": "size", "unit": "bytes/event",
            "what": format!("what the {store} store takes per event stored (SQLite: the file and its WAL; PostgreSQL: the tables with their indexes)"),
            "median": stored,
        }));
        figures.push(serde_json::json!({
            "id": format!("d.read_back.{store}"), "kind": "throughput", "unit": "events/s",
            "what": format!("trace_jsonl of a stored (evicted) 10 001-event session, read from the {store} store"),
            "runs": rates.len(), "median": rates[rates.len() / 2], "min": rates[0], "max": rates[rates.len() - 1],
        }));
    }
    // The SQLite run leaves gigabytes behind: not kept.
    remove_store(&dir.join("swarm.db"));
    if let Some(path) = &settings.json {
        let report = serde_json::json!({"host": "examples/durable_swarm.rs", "figures": figures});
        std::fs::write(path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    }
    if settings.check_flat && !flat {
        eprintln!(
            "resident memory grew more than {FLAT_GROWTH}x after warm-up with a durable store"
        );
        std::process::exit(1);
    }
}
