//! Many hosts, one PostgreSQL database, against a real server: host
//! processes (children of this test binary, see [`host_child`]) resolve in
//! deferred mode into one database at once; then every chain is read back
//! from the database and verified by libcra and by the independent Python
//! verifiers, on a `psql` export of each session. Also: a host SIGKILLed in
//! the middle loses nothing it acknowledged as durable and its sessions are
//! resumed elsewhere; a server restart in the middle loses and duplicates
//! nothing.
//!
//! Needs `CRA_TEST_POSTGRES_URL` (a superuser's URL; each test creates a
//! database of its own on that server) and, for the restart,
//! `CRA_TEST_PG_CTL`; `scripts/postgres.sh`'s `pg_start` sets both. Without
//! them the tests say they were skipped, unless `CRA_REQUIRE_POSTGRES=1`.
//!
//!     source scripts/postgres.sh && pg_start
//!     cargo test --release --test postgres_hosts

mod common;

use common::*;
use cra::{Config, ErrorKind, Resolver, SessionId, TraceRead};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// What a host prints before each of its JSON report lines (libtest may put
/// its own text in front of a child's first line).
const MARK: &str = "@@cra-host ";
/// How long a host keeps retrying one operation or durable wait that fails.
const HOST_DEADLINE: Duration = Duration::from_secs(180);
/// How long the parent waits for a host's next report.
const REPORT_TIMEOUT: Duration = Duration::from_secs(300);

/// The restart test takes the server away: it runs alone, the other tests
/// side by side.
static SERVER: RwLock<()> = RwLock::new(());

// ---------------------------------------------------------------------------
// A host: a child process of this test binary

/// Events a host acknowledged for a session: its head after a durable wait.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ack {
    events: u64,
    hash: String,
}

fn heads_json(resolver: &Resolver, sessions: &[SessionId]) -> Value {
    let mut heads = serde_json::Map::new();
    for &session in sessions {
        let head = resolver.session_head(session).unwrap();
        heads.insert(
            session.to_string(),
            json!({"events": head.events, "hash": head.hash_hex()}),
        );
    }
    Value::Object(heads)
}

fn parse_heads(value: &Value) -> BTreeMap<String, Ack> {
    value
        .as_object()
        .expect("heads")
        .iter()
        .map(|(session, head)| {
            let ack = Ack {
                events: head["events"].as_u64().unwrap(),
                hash: head["hash"].as_str().unwrap().to_owned(),
            };
            (session.clone(), ack)
        })
        .collect()
}

fn report(message: Value) {
    println!("{MARK}{message}");
}

/// Failures a host retried, by kind.
#[derive(Default)]
struct Retries {
    backpressure: u64,
    io: u64,
    timeout: u64,
}

impl Retries {
    /// Calls `call` until it succeeds, retrying backpressure, I/O errors and
    /// timeouts for up to [`HOST_DEADLINE`]; other errors fail the host.
    fn until_ok<T>(&mut self, what: &str, mut call: impl FnMut() -> cra::Result<T>) -> T {
        let start = Instant::now();
        loop {
            let err = match call() {
                Ok(value) => return value,
                Err(err) => err,
            };
            let pause = match err.kind() {
                ErrorKind::Backpressure => {
                    self.backpressure += 1;
                    Duration::from_millis(1)
                }
                ErrorKind::Io => {
                    self.io += 1;
                    Duration::from_millis(50)
                }
                ErrorKind::Timeout => {
                    self.timeout += 1;
                    Duration::ZERO
                }
                _ => panic!("{what}: {err}"),
            };
            assert!(
                start.elapsed() < HOST_DEADLINE,
                "{what}: still failing after {HOST_DEADLINE:?}: {err}"
            );
            std::thread::sleep(pause);
        }
    }

    fn durable(&mut self, resolver: &Resolver) {
        self.until_ok("await_trace_durable", || {
            resolver.await_trace_durable(None, Duration::from_secs(5))
        });
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |value| value.parse().unwrap())
}

/// A host process of the tests below (`CRA_HOST_URL` names its database):
/// begins `CRA_HOST_SESSIONS` deferred sessions and resolves in each, round
/// after round, `CRA_HOST_ROUNDS` times (0: until a line `stop` or the end
/// of stdin), pausing `CRA_HOST_PAUSE_MS` after each round; every `CRA_HOST_ACK_EVERY` rounds (0: never) it waits until
/// everything is durable and reports each session's head. Then it ends its
/// sessions, waits until everything is durable, and reports its heads and
/// counters. Reports are JSON lines after [`MARK`] on stdout.
#[test]
#[ignore = "a host process of the tests below, run by them"]
fn host_child() {
    let Ok(url) = std::env::var("CRA_HOST_URL") else {
        return;
    };
    let host = env_u64("CRA_HOST_ID", 0);
    let session_count = env_u64("CRA_HOST_SESSIONS", 10);
    let rounds = env_u64("CRA_HOST_ROUNDS", 10);
    let ack_every = env_u64("CRA_HOST_ACK_EVERY", 0);
    let pause = Duration::from_millis(env_u64("CRA_HOST_PAUSE_MS", 0));
    let start = Instant::now();

    let stop = Arc::new(AtomicBool::new(false));
    if rounds == 0 {
        let stop = stop.clone();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                match line {
                    Ok(line) if line.trim() != "stop" => continue,
                    _ => break,
                }
            }
            stop.store(true, Ordering::SeqCst);
        });
    }

    let resolver = open_loaded(&url, Config::deferred());
    let mut retries = Retries::default();
    let sessions: Vec<SessionId> = (0..session_count)
        .map(|n| {
            retries.until_ok("begin_session", || {
                resolver.begin_session(AGENT, &format!("Host {host}, session {n}"))
            })
        })
        .collect();
    report(json!({
        "event": "started",
        "host": host,
        "sessions": sessions.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }));

    let mut round = 0u64;
    while if rounds == 0 {
        !stop.load(Ordering::SeqCst)
    } else {
        round < rounds
    } {
        for &session in &sessions {
            let request = request(session, &format!("r{round}"), "Monthly close", "low");
            retries.until_ok("resolve", || resolve(&resolver, &request));
        }
        round += 1;
        std::thread::sleep(pause);
        if round == 1 {
            report(json!({"event": "running", "host": host}));
        }
        if ack_every > 0 && round.is_multiple_of(ack_every) {
            retries.durable(&resolver);
            report(json!({
                "event": "acked",
                "host": host,
                "round": round,
                "heads": heads_json(&resolver, &sessions),
            }));
        }
    }

    for &session in &sessions {
        retries.until_ok("end_session", || resolver.end_session(session, "done"));
    }
    retries.durable(&resolver);
    let stats = resolver.store_stats();
    report(json!({
        "event": "done",
        "host": host,
        "rounds": round,
        "seconds": start.elapsed().as_secs_f64(),
        "emitted": resolver.stats().trace.events_emitted,
        "durable": stats.events_durable,
        "waiting": stats.events_waiting,
        "commits": stats.commits,
        "write_errors": stats.write_errors,
        "backpressure_retries": retries.backpressure,
        "io_retries": retries.io,
        "timeout_retries": retries.timeout,
        "heads": heads_json(&resolver, &sessions),
    }));
}

/// A running host, SIGKILLed when dropped unless it finished.
struct Host {
    id: u64,
    child: Child,
    stdin: Option<ChildStdin>,
    reports: Receiver<Value>,
}

#[derive(Clone, Copy)]
struct HostSettings {
    sessions: u64,
    /// 0: until [`Host::stop`].
    rounds: u64,
    ack_every: u64,
    /// Milliseconds of rest after each round (bounds what a host that runs
    /// until stopped writes).
    pause_ms: u64,
}

impl Host {
    /// Hosts `0..count`, each with `settings`.
    fn spawn_many(url: &str, count: u64, settings: HostSettings) -> Vec<Host> {
        (0..count)
            .map(|id| Host::spawn(url, id, settings))
            .collect()
    }

    fn spawn(url: &str, id: u64, settings: HostSettings) -> Host {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "host_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CRA_HOST_URL", url)
            .env("CRA_HOST_ID", id.to_string())
            .env("CRA_HOST_SESSIONS", settings.sessions.to_string())
            .env("CRA_HOST_ROUNDS", settings.rounds.to_string())
            .env("CRA_HOST_ACK_EVERY", settings.ack_every.to_string())
            .env("CRA_HOST_PAUSE_MS", settings.pause_ms.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, reports) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Some(at) = line.find(MARK) else { continue };
                match serde_json::from_str::<Value>(&line[at + MARK.len()..]) {
                    Ok(value) => {
                        if sender.send(value).is_err() {
                            break;
                        }
                    }
                    // A line cut short by a SIGKILL.
                    Err(err) => eprintln!("host {id}: unreadable report ({err}): {line}"),
                }
            }
        });
        let stdin = child.stdin.take();
        Host {
            id,
            child,
            stdin,
            reports,
        }
    }

    /// The host's next report of kind `event` (earlier ones of other kinds
    /// are skipped).
    fn expect(&self, event: &str) -> Value {
        let deadline = Instant::now() + REPORT_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.reports.recv_timeout(left) {
                Ok(report) if report["event"] == event => return report,
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("host {}: no '{event}' within {REPORT_TIMEOUT:?}", self.id)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("host {}: exited before '{event}'", self.id)
                }
            }
        }
    }

    /// The sessions of its `started` report.
    fn sessions(&self) -> Vec<String> {
        self.expect("started")["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    }

    /// Tells a host started with `rounds: 0` to finish.
    fn stop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"stop\n");
        }
    }

    /// Its final report, once it exited successfully.
    fn finish(mut self) -> Value {
        self.stop();
        let done = self.expect("done");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "host {}: {status}", self.id);
        done
    }

    fn kill(&mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------
// Checking a database

/// What a session's stored chain must hold.
#[derive(Clone, Debug)]
struct Expect {
    /// Event `events - 1` has hash `hash`.
    ack: Ack,
    /// The chain has exactly `events` events; otherwise at least (a host
    /// killed after it acknowledged them).
    exact: bool,
}

/// The per-session rows of `trace_lines`: count, distinct sequences, min
/// and max sequence.
fn stored_counts(url: &str) -> BTreeMap<String, [u64; 4]> {
    psql(
        url,
        "SELECT session_id, count(*), count(DISTINCT sequence), min(sequence), max(sequence) \
         FROM trace_lines GROUP BY session_id",
    )
    .lines()
    .map(|row| {
        let mut fields = row.split('|');
        let session = fields.next().unwrap().to_owned();
        let numbers: Vec<u64> = fields.map(|field| field.parse().unwrap()).collect();
        (session, numbers.try_into().unwrap())
    })
    .collect()
}

fn duplicate_rows(url: &str) -> u64 {
    psql(
        url,
        "SELECT count(*) FROM (SELECT session_id, sequence FROM trace_lines \
         GROUP BY session_id, sequence HAVING count(*) > 1) AS duplicates",
    )
    .trim()
    .parse()
    .unwrap()
}

/// Each session's JSON Lines as `psql` exports them from `trace_lines`,
/// one query per session (`SELECT line FROM trace_lines WHERE session_id =
/// '…' ORDER BY sequence`). The queries go to a few `psql` processes at
/// once, many to each, with a marker line echoed before each session.
fn psql_exports(url: &str, sessions: &[String]) -> BTreeMap<String, String> {
    const SESSION: &str = "@@session ";
    static EXPORTS: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch_dir(&format!(
        "exports-{}",
        EXPORTS.fetch_add(1, Ordering::SeqCst)
    ));
    let chunk = sessions.len().div_ceil(4).max(1);
    let exports = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for (n, part) in sessions.chunks(chunk).enumerate() {
            let (dir, exports) = (&dir, &exports);
            scope.spawn(move || {
                let mut script = String::new();
                for session in part {
                    script.push_str(&format!(
                        "\\echo {SESSION}{session}\n\
                         SELECT line FROM trace_lines WHERE session_id = '{session}' \
                         ORDER BY sequence;\n"
                    ));
                }
                let file = dir.join(format!("export-{n}.sql"));
                std::fs::write(&file, script).unwrap();
                let text = psql_file(url, &file);
                let mut exports = exports.lock().unwrap();
                let mut current: Option<&mut String> = None;
                for line in text.lines() {
                    if let Some(session) = line.strip_prefix(SESSION) {
                        current = Some(exports.entry(session.to_owned()).or_default());
                    } else {
                        let export = current.as_mut().expect("a session's marker first");
                        export.push_str(line);
                        export.push('\n');
                    }
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    let exports = exports.into_inner().unwrap();
    assert_eq!(exports.len(), sessions.len(), "sessions exported");
    exports
}

/// Runs every independent verifier on `path` (optionally against a head),
/// side by side, and checks each finds it valid; returns the first one's
/// report.
fn verify_with_tools(path: &Path, head: Option<&Ack>) -> Value {
    let runs: Vec<(Vec<String>, std::process::Child)> = verifier_commands()
        .into_iter()
        .map(|command| {
            let mut args: Vec<String> = vec![command[0].display().to_string()];
            match head {
                Some(ack) => {
                    args.extend(["--head".to_owned(), format!("{}:{}", ack.events, ack.hash)])
                }
                None => args.extend(command[1..].iter().map(|arg| arg.display().to_string())),
            }
            let child = Command::new("python3")
                .args(&args)
                .arg(path)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("python3 runs");
            (args, child)
        })
        .collect();
    let mut first = None;
    for (args, child) in runs {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{args:?} {}: {stdout}{}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let verdict: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(verdict["valid"], true, "{args:?}: {verdict}");
        first.get_or_insert(verdict);
    }
    first.unwrap()
}

/// Checks the database at `url` against what the hosts said: no duplicate
/// rows; each session's chain complete (sequences 0..n) with the events
/// expected and its head hash; libcra verifies every chain and exports the
/// same text as `psql`; the independent verifiers find every exported
/// chain valid. With `only`, the database holds no other session. Returns
/// the exports.
fn check_database(
    url: &str,
    expected: &BTreeMap<String, Expect>,
    only: bool,
    name: &str,
) -> BTreeMap<String, String> {
    let started = Instant::now();
    // Statistics of the rows the hosts just wrote (autovacuum may not have
    // run yet): without them the planner expects a hundred times the rows
    // of a session and JIT-compiles each export's query.
    psql(url, "ANALYZE");
    assert_eq!(
        duplicate_rows(url),
        0,
        "duplicate (session_id, sequence) rows"
    );
    let counts = stored_counts(url);
    if only {
        let stored: BTreeSet<&String> = counts.keys().collect();
        let reported: BTreeSet<&String> = expected.keys().collect();
        assert_eq!(stored, reported, "the sessions in the database");
    }
    for (session, expect) in expected {
        let [count, distinct, min, max] = *counts
            .get(session)
            .unwrap_or_else(|| panic!("{session}: not in the database"));
        assert_eq!(
            (distinct, min, max),
            (count, 0, count - 1),
            "{session}: sequences"
        );
        if expect.exact {
            assert_eq!(count, expect.ack.events, "{session}: stored events");
        } else {
            assert!(
                count >= expect.ack.events,
                "{session}: {count} stored < {} acknowledged",
                expect.ack.events
            );
        }
    }

    let sessions: Vec<String> = expected.keys().cloned().collect();
    let mut phases = vec![("counts", started.elapsed())];
    let exports = psql_exports(url, &sessions);
    phases.push(("psql exports", started.elapsed()));
    let resolver = Resolver::open(Config::default(), url).unwrap();
    let all_path = scratch_dir(&format!("all-{}", name.replace(' ', "-"))).join("all.jsonl");
    let mut all = std::io::BufWriter::new(std::fs::File::create(&all_path).unwrap());
    let mut total = 0;
    for (session, expect) in expected {
        let id = SessionId::parse(session).unwrap();
        let text = &exports[session];
        let count = counts[session][0];
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u64, count, "{session}: exported lines");
        let acked: Value = serde_json::from_str(lines[expect.ack.events as usize - 1]).unwrap();
        assert_eq!(
            acked["event_hash"],
            expect.ack.hash,
            "{session}: the hash of event {}",
            expect.ack.events - 1
        );
        let report = resolver.verify_chain(id).unwrap();
        assert_eq!(report.failure, None, "{session}");
        assert_eq!(report.events, count, "{session}: verified events");
        let head = resolver.session_head(id).unwrap();
        assert_eq!(head.events, count, "{session}: head");
        assert_eq!(
            resolver.trace_jsonl(id, TraceRead::Partial).unwrap(),
            *text,
            "{session}: libcra's export and psql's"
        );
        all.write_all(text.as_bytes()).unwrap();
        total += count;
    }
    phases.push(("libcra", started.elapsed()));
    drop(all.into_inner().unwrap());
    let verdict = verify_with_tools(&all_path, None);
    let _ = std::fs::remove_dir_all(all_path.parent().unwrap());
    phases.push(("python verifiers", started.elapsed()));
    assert_eq!(verdict["sessions"], expected.len(), "{verdict}");
    assert_eq!(verdict["events"], total, "{verdict}");
    eprintln!(
        "{name}: {} sessions, {total} events verified by libcra and {} verifiers in {:.1} s \
         (cumulative: {})",
        expected.len(),
        verifier_commands().len(),
        started.elapsed().as_secs_f64(),
        phases
            .iter()
            .map(|(phase, at)| format!("{phase} {:.1} s", at.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    exports
}

/// The expectations of a finished host: exactly its reported heads.
fn finished_host(done: &Value, expected: &mut BTreeMap<String, Expect>) {
    let heads = parse_heads(&done["heads"]);
    let events: u64 = heads.values().map(|ack| ack.events).sum();
    assert_eq!(done["durable"], events, "durable events of host {done}");
    assert_eq!(
        done["emitted"], events,
        "emitted events of host {}",
        done["host"]
    );
    assert_eq!(done["waiting"], 0);
    for (session, ack) in heads {
        expected.insert(session, Expect { ack, exact: true });
    }
}

fn summary(done: &Value) -> Value {
    let mut summary = done.clone();
    summary.as_object_mut().unwrap().remove("heads");
    summary
}

/// Stops `hosts`, and once each finished, expects exactly its reported
/// heads (see [`finished_host`]). Their final reports.
fn finish_hosts(
    mut hosts: Vec<Host>,
    what: &str,
    expected: &mut BTreeMap<String, Expect>,
) -> Vec<Value> {
    for host in &mut hosts {
        host.stop();
    }
    hosts
        .into_iter()
        .map(|host| {
            let done = host.finish();
            eprintln!("{what}: {}", summary(&done));
            finished_host(&done, expected);
            done
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn four_hosts_share_one_database() {
    let Some(server) = postgres_server("four_hosts_share_one_database") else {
        return;
    };
    let _shared = SERVER.read().unwrap_or_else(|e| e.into_inner());
    let database = PgDatabase::new(&server, "hosts_four");
    let url = database.url();
    let started = Instant::now();
    let settings = HostSettings {
        sessions: 200,
        rounds: 50,
        ack_every: 0,
        pause_ms: 0,
    };
    let hosts = Host::spawn_many(&url, 4, settings);
    let sessions: Vec<BTreeSet<String>> = hosts
        .iter()
        .map(|host| host.sessions().into_iter().collect())
        .collect();
    let mut expected = BTreeMap::new();
    let done = finish_hosts(hosts, "host", &mut expected);
    for (sessions, done) in sessions.iter().zip(&done) {
        let reported: BTreeSet<String> =
            done["heads"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(*sessions, reported);
    }
    let total: u64 = expected.values().map(|expect| expect.ack.events).sum();
    eprintln!(
        "four hosts: {total} events durable in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(expected.len(), 800);
    check_database(&url, &expected, true, "four hosts");
}

#[test]
fn a_killed_host_loses_nothing_it_acknowledged() {
    let Some(server) = postgres_server("a_killed_host_loses_nothing_it_acknowledged") else {
        return;
    };
    let _shared = SERVER.read().unwrap_or_else(|e| e.into_inner());
    let database = PgDatabase::new(&server, "hosts_killed");
    let url = database.url();
    // The survivors run until told to stop: they are busy before, while and
    // after the victim is killed.
    let survivor_settings = HostSettings {
        sessions: 40,
        rounds: 0,
        ack_every: 10,
        pause_ms: 50,
    };
    let survivors = Host::spawn_many(&url, 2, survivor_settings);
    let victim_settings = HostSettings {
        sessions: 50,
        rounds: 0,
        ack_every: 3,
        pause_ms: 20,
    };
    for survivor in &survivors {
        survivor.expect("running");
    }
    let mut victim = Host::spawn(&url, 2, victim_settings);
    let victim_sessions = victim.sessions();

    // Every acknowledgement counts; a later one covers more.
    let mut acknowledged: BTreeMap<String, Ack> = BTreeMap::new();
    for _ in 0..2 {
        let acked = victim.expect("acked");
        for (session, ack) in parse_heads(&acked["heads"]) {
            if let Some(earlier) = acknowledged.get(&session) {
                assert!(ack.events >= earlier.events);
            }
            acknowledged.insert(session, ack);
        }
    }
    victim.kill();
    // What the pipe still held may include a later acknowledgement.
    while let Ok(report) = victim.reports.recv_timeout(Duration::from_millis(200)) {
        if report["event"] == "acked" {
            acknowledged.extend(parse_heads(&report["heads"]));
        }
    }
    assert_eq!(acknowledged.len(), victim_sessions.len());
    eprintln!(
        "killed host 2 after it acknowledged {} events",
        acknowledged.values().map(|a| a.events).sum::<u64>()
    );

    std::thread::sleep(Duration::from_secs(1));
    let mut expected = BTreeMap::new();
    finish_hosts(survivors, "survivor", &mut expected);
    for (session, ack) in &acknowledged {
        let expect = Expect {
            ack: ack.clone(),
            exact: false,
        };
        expected.insert(session.clone(), expect);
    }
    let exports = check_database(&url, &expected, true, "killed host");

    // Each of the killed host's exports, held against the head it
    // acknowledged, by the independent verifiers.
    let acks: Vec<(&String, &Ack)> = acknowledged.iter().collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while let Some((session, ack)) = acks.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let file = TempTrace::new(&exports[*session]);
                    verify_with_tools(&file.0, Some(ack));
                }
            });
        }
    });

    // Another resolver takes the killed host's open sessions over and goes on.
    let resolver = open_loaded(&url, Config::deferred());
    let mut resumed = BTreeMap::new();
    for session in &victim_sessions {
        let id = SessionId::parse(session).unwrap();
        let before = resolver.session_head(id).unwrap().events;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match resolver.resume_session(id, "its host was killed") {
                Ok(()) => break,
                // The server may not yet have seen the killed host go.
                Err(err) if err.kind() == ErrorKind::Conflict && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200))
                }
                Err(err) => panic!("resume {session}: {err}"),
            }
        }
        resolve(
            &resolver,
            &request(id, "after-the-kill", "Monthly close", "low"),
        )
        .unwrap();
        resolver.end_session(id, "done").unwrap();
        resumed.insert(session.clone(), (id, before));
    }
    resolver
        .await_trace_durable(None, Duration::from_secs(120))
        .unwrap();
    let mut expected = BTreeMap::new();
    for (session, &(id, before)) in &resumed {
        let head = resolver.session_head(id).unwrap();
        assert!(head.events > before + 1, "{session}");
        let events = events(&resolver, id);
        assert_eq!(events[before as usize]["event_type"], "session.resumed");
        assert_eq!(events[before as usize]["payload"]["events_before"], before);
        let ack = Ack {
            events: head.events,
            hash: head.hash_hex(),
        };
        expected.insert(session.clone(), Expect { ack, exact: true });
    }
    drop(resolver);
    check_database(&url, &expected, false, "resumed sessions");
}

#[test]
fn a_server_restart_loses_and_repeats_nothing() {
    let Some(server) = postgres_server("a_server_restart_loses_and_repeats_nothing") else {
        return;
    };
    let Ok(pg_ctl) = std::env::var("CRA_TEST_PG_CTL") else {
        skip(
            "a_server_restart_loses_and_repeats_nothing",
            "CRA_TEST_PG_CTL is unset",
        );
        return;
    };
    let _alone = SERVER.write().unwrap_or_else(|e| e.into_inner());
    let database = PgDatabase::new(&server, "hosts_restart");
    let url = database.url();
    let settings = HostSettings {
        sessions: 30,
        rounds: 0,
        // Durable waits during the outage too.
        ack_every: 5,
        pause_ms: 50,
    };
    let hosts = Host::spawn_many(&url, 3, settings);
    for host in &hosts {
        host.expect("running");
    }
    std::thread::sleep(Duration::from_secs(1));
    let restart_started = Instant::now();
    let status = Command::new("sh")
        .args(["-c", &format!("{pg_ctl} restart -m fast -w")])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctl restart: {status}");
    eprintln!(
        "server restarted in {:.1} s",
        restart_started.elapsed().as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(2));

    let mut expected = BTreeMap::new();
    let done = finish_hosts(hosts, "host", &mut expected);
    let write_errors: u64 = done
        .iter()
        .map(|done| done["write_errors"].as_u64().unwrap())
        .sum();
    assert!(write_errors > 0, "no host saw the server go away");
    check_database(&url, &expected, true, "server restart");
}

#[test]
fn database_urls() {
    assert_eq!(
        database_url("postgres://cra@127.0.0.1:5432/cra", "x"),
        "postgres://cra@127.0.0.1:5432/x"
    );
    assert_eq!(
        database_url("postgresql://u@h/db?sslmode=disable", "x"),
        "postgresql://u@h/x?sslmode=disable"
    );
    assert_eq!(database_url("postgres://u@h:1", "x"), "postgres://u@h:1/x");
}
