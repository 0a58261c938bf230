//! The SQLite store (`sqlite:PATH`): what survives the resolver, a crash
//! and a damaged file, and what a second resolver on the same file gets.

mod common;

use common::*;
use cra::{Config, ErrorKind, FailureKind, Resolver, SessionId, TraceRead, VerifyOptions};
use rusqlite::Connection;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn url(path: &Path) -> String {
    format!("sqlite:{}", path.display())
}

fn open(path: &Path, config: Config) -> Resolver {
    let resolver = Resolver::open(config, &url(path)).unwrap();
    resolver.load_atlas(&billing_atlas().to_string()).unwrap();
    resolver
}

fn store_path(name: &str) -> PathBuf {
    scratch_dir(name).join("trace.db")
}

fn resolve_once(resolver: &Resolver, session: SessionId, request_id: &str) {
    resolve(
        resolver,
        &request(session, request_id, "Monthly close", "low"),
    )
    .unwrap();
}

#[test]
fn a_reopened_file_brings_back_every_session() {
    let path = store_path("reopen");
    let (ended, open_session, text, head) = {
        let resolver = open(&path, Config::default());
        let ended = resolver.begin_session(AGENT, "Monthly close").unwrap();
        resolve_once(&resolver, ended, "r1");
        resolver.end_session(ended, "done").unwrap();
        let open_session = resolver.begin_session(AGENT, "left open").unwrap();
        resolve_once(&resolver, open_session, "r1");
        resolver.await_trace_durable(None, WAIT).unwrap();
        let text = resolver.trace_jsonl(ended, TraceRead::Partial).unwrap();
        (
            ended,
            open_session,
            text,
            resolver.session_head(ended).unwrap(),
        )
    };

    let resolver = open(&path, Config::default());
    assert_eq!(
        resolver.trace_jsonl(ended, TraceRead::Partial).unwrap(),
        text
    );
    assert_eq!(resolver.session_head(ended).unwrap(), head);
    let report = resolver.verify_chain(ended).unwrap();
    assert_eq!((report.events, report.failure), (head.events, None));
    assert_eq!(python_verify(&text, "reopen-verify").0, 0);

    // The open session is readable, then resumable, and its chain goes on.
    let before = resolver.session_head(open_session).unwrap().events;
    let err = resolve(&resolver, &request(open_session, "r2", "g", "low")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    resolver
        .resume_session(open_session, "host restarted")
        .unwrap();
    resolve_once(&resolver, open_session, "r2");
    resolver
        .await_trace_durable(Some(open_session), WAIT)
        .unwrap();
    let events = events(&resolver, open_session);
    assert_eq!(events[before as usize]["event_type"], "session.resumed");
    assert_eq!(events[before as usize]["payload"]["events_before"], before);
    let jsonl = resolver
        .trace_jsonl(open_session, TraceRead::Partial)
        .unwrap();
    assert_eq!(python_verify(&jsonl, "resumed-verify").0, 0);
    assert_eq!(resolver.verify_chain(open_session).unwrap().failure, None);
}

#[test]
fn one_resolver_per_file() {
    let path = store_path("exclusive");
    let _first = open(&path, Config::default());
    let err = Resolver::open(Config::default(), &url(&path))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains("another resolver"), "{err}");
}

#[test]
fn files_that_are_not_trace_stores_are_refused() {
    let foreign = store_path("foreign");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT);")
        .unwrap();
    let err = Resolver::open(Config::default(), &url(&foreign))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains("not a libcra trace store"), "{err}");

    let newer = store_path("newer");
    drop(open(&newer, Config::default()));
    Connection::open(&newer)
        .unwrap()
        .execute(
            "UPDATE cra_meta SET value = '99' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    let err = Resolver::open(Config::default(), &url(&newer))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains("version 99"), "{err}");

    let missing = scratch_dir("missing").join("no/such/folder/trace.db");
    let err = Resolver::open(Config::default(), &url(&missing))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains("no/such/folder"), "{err}");
}

#[test]
fn a_tail_cut_off_the_file_is_truncated() {
    let path = store_path("truncated");
    let session = {
        let resolver = open(&path, Config::default());
        let session = resolver.begin_session(AGENT, "Monthly close").unwrap();
        resolve_once(&resolver, session, "r1");
        resolve_once(&resolver, session, "r2");
        resolver.await_trace_durable(None, WAIT).unwrap();
        session
    };
    let head_before = {
        let resolver = open(&path, Config::default());
        resolver.session_head(session).unwrap()
    };
    let deleted = Connection::open(&path)
        .unwrap()
        .execute(
            "DELETE FROM operations WHERE session_id = ?1 AND first_sequence =
               (SELECT max(first_sequence) FROM operations WHERE session_id = ?1)",
            [session.to_string()],
        )
        .unwrap();
    assert_eq!(deleted, 1);

    let resolver = open(&path, Config::default());
    let report = resolver.verify_chain(session).unwrap();
    let failure = report.failure.expect("a cut tail is a failure");
    assert_eq!(failure.kind, FailureKind::Truncated);
    assert!(failure.index < head_before.events);
    let err = resolver.resume_session(session, "x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);

    // The same with an exported trace and its head.
    let text = resolver.trace_jsonl(session, TraceRead::Partial).unwrap();
    let report = cra::verify_jsonl_head(&text, &head_before, VerifyOptions::default()).unwrap();
    assert_eq!(report.failure.unwrap().kind, FailureKind::Truncated);
}

#[test]
fn ended_sessions_leave_memory_and_are_read_back() {
    let path = store_path("evict");
    let resolver = open(&path, Config::deferred());
    let mut sessions = Vec::new();
    for n in 0..200 {
        let session = resolver.begin_session(AGENT, "Monthly close").unwrap();
        resolve_once(&resolver, session, &format!("r{n}"));
        resolver.end_session(session, "done").unwrap();
        sessions.push(session);
    }
    resolver.await_trace_durable(None, WAIT).unwrap();
    let stats = resolver.store_stats();
    assert_eq!(stats.sessions_evicted, 200, "{stats:?}");
    assert_eq!(stats.sessions_in_memory, 0, "{stats:?}");
    assert_eq!((stats.events_waiting, stats.resident_event_bytes), (0, 0));
    assert!(stats.commits >= 1 && stats.commits <= stats.events_durable);
    for session in [sessions[0], sessions[199]] {
        let report = resolver.verify_chain(session).unwrap();
        assert_eq!(report.failure, None);
        assert!(resolver.is_trace_ready(session).unwrap());
    }
}

/// The child of [`a_crash_loses_nothing_acknowledged`]: resolves in a loop
/// against the file and prints, after each durable wait, what it covers.
#[test]
#[ignore = "run by a_crash_loses_nothing_acknowledged as a child process"]
fn crash_child() {
    let Ok(path) = std::env::var("CRA_CRASH_STORE") else {
        return;
    };
    let resolver = open(Path::new(&path), Config::deferred());
    let sessions: Vec<SessionId> = (0..8)
        .map(|_| resolver.begin_session(AGENT, "Monthly close").unwrap())
        .collect();
    for round in 0.. {
        for &session in &sessions {
            let _ = resolve(
                &resolver,
                &request(session, &format!("r{round}"), "Close", "low"),
            );
        }
        if round % 5 == 4 {
            resolver.await_trace_durable(None, WAIT).unwrap();
            for &session in &sessions {
                let head = resolver.session_head(session).unwrap();
                println!("durable {session} {}", head.events);
            }
        }
    }
}

#[test]
fn a_crash_loses_nothing_acknowledged() {
    for (run, kill_after) in [(0, 1), (1, 3), (2, 8)] {
        let path = store_path(&format!("crash-{run}"));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "crash_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CRA_CRASH_STORE", &path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut acknowledged = std::collections::HashMap::new();
        let mut reports = 0;
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            let mut words = line.split(' ');
            if words.next() != Some("durable") {
                continue;
            }
            let session = SessionId::parse(words.next().unwrap()).unwrap();
            acknowledged.insert(session, words.next().unwrap().parse::<u64>().unwrap());
            reports += 1;
            if reports >= kill_after * 8 {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(!acknowledged.is_empty(), "the child acknowledged nothing");

        let resolver = open(&path, Config::default());
        let mut stored = String::new();
        for (&session, &events) in &acknowledged {
            let head = resolver.session_head(session).unwrap();
            assert!(
                head.events >= events,
                "{session}: {} < {events}",
                head.events
            );
            // Whole operations only: the stored chain ends at its head.
            let report = resolver.verify_chain(session).unwrap();
            assert_eq!(report.failure, None, "{session}");
            assert_eq!(report.events, head.events);
            stored.push_str(&resolver.trace_jsonl(session, TraceRead::Partial).unwrap());
            resolver.resume_session(session, "after the crash").unwrap();
            resolve_once(&resolver, session, "after-crash");
            assert_eq!(resolver.verify_chain(session).unwrap().failure, None);
        }
        // Every stored chain, from genesis, by the independent verifiers too.
        let (code, report) = python_verify(&stored, &format!("crash-{run}"));
        assert_eq!(code, 0, "{report}");
        assert_eq!(report["sessions"], acknowledged.len());
    }
}
