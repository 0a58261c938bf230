//! A resolver over a durable store whose database fails on command: what
//! hosts rely on when the disk fills or turns read-only.

use super::*;
use crate::trace::store::durable::test_backend::TestDatabase;
use crate::trace::verify::FailureKind;
use std::sync::atomic::Ordering;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn resolver_over(database: &Arc<TestDatabase>, max_waiting_bytes: usize) -> Resolver {
    let store = Arc::new(database.store(max_waiting_bytes));
    Resolver::builder(Config::default())
        .durable_store(store)
        .build()
        .unwrap()
}

#[test]
fn events_are_committed_and_ended_sessions_leave_memory() {
    let database = Arc::new(TestDatabase::default());
    let resolver = resolver_over(&database, 1 << 20);
    let open = resolver.begin_session("agent-1", "stays open").unwrap();
    let ended = resolver.begin_session("agent-2", "ends").unwrap();
    resolver.end_session(ended, "done").unwrap();
    resolver.await_trace_durable(None, WAIT).unwrap();

    assert_eq!(database.committed_events(open.0), 1);
    assert_eq!(database.committed_events(ended.0), 2);
    let stats = resolver.store_stats();
    assert_eq!((stats.events_durable, stats.events_waiting), (3, 0));
    assert_eq!((stats.sessions_in_memory, stats.sessions_evicted), (1, 1));
    assert_eq!(stats.resident_event_bytes, 0);

    // The ended session is read back from the database, whole.
    let text = resolver.trace_jsonl(ended, TraceRead::Partial).unwrap();
    assert_eq!(text.lines().count(), 2);
    let report = resolver.verify_chain(ended).unwrap();
    assert_eq!((report.events, report.failure), (2, None));
    assert_eq!(resolver.session_head(ended).unwrap().events, 2);
    assert!(resolver.is_trace_ready(ended).unwrap());
    resolver.await_trace_durable(Some(ended), WAIT).unwrap();
}

#[test]
fn a_failing_database_is_retried_reported_and_caught_up_in_order() {
    let database = Arc::new(TestDatabase::default());
    // Room for a few operations' text only.
    let resolver = resolver_over(&database, 2000);
    let session = resolver
        .begin_session("agent-1", "survive a full disk")
        .unwrap();
    resolver.await_trace_durable(Some(session), WAIT).unwrap();

    database.failing.store(true, Ordering::SeqCst);
    resolver
        .begin_session("agent-1", "first on a full disk")
        .unwrap();
    let mut accepted = 2;
    while resolver.store_stats().write_errors == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let refused = loop {
        match resolver.begin_session("agent-1", "more") {
            Ok(_) => accepted += 1,
            Err(err) => break err,
        }
        assert!(accepted < 100, "the bound never refused an operation");
    };
    assert_eq!(refused.kind(), ErrorKind::Backpressure);
    assert!(refused.message().contains("disk full"), "{refused}");

    // Waits run out with the database's error, not a bare timeout.
    let err = resolver
        .await_trace_durable(None, Duration::from_millis(50))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.message().contains("disk full"), "{err}");
    let stats = resolver.store_stats();
    assert!(stats.write_errors >= 1, "{stats:?}");
    assert_eq!(stats.events_waiting, accepted - 1);

    // Nothing accepted was dropped: once the disk recovers, all of it lands.
    database.failing.store(false, Ordering::SeqCst);
    resolver.await_trace_durable(None, WAIT).unwrap();
    let stats = resolver.store_stats();
    assert_eq!((stats.events_durable, stats.events_waiting), (accepted, 0));
    resolver.begin_session("agent-1", "room again").unwrap();
}

#[test]
fn a_session_left_open_resumes_and_its_chain_goes_on() {
    let database = Arc::new(TestDatabase::default());
    let session = {
        let resolver = resolver_over(&database, 1 << 20);
        let session = resolver
            .begin_session("agent-1", "outlive a restart")
            .unwrap();
        resolver.await_trace_durable(Some(session), WAIT).unwrap();
        session
    };
    let resolver = resolver_over(&database, 1 << 20);
    // Readable before it is resumed.
    assert_eq!(resolver.session_head(session).unwrap().events, 1);
    resolver.resume_session(session, "host restarted").unwrap();
    let err = resolver.resume_session(session, "again").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    resolver.end_session(session, "done").unwrap();
    resolver.await_trace_durable(Some(session), WAIT).unwrap();

    let text = resolver.trace_jsonl(session, TraceRead::Partial).unwrap();
    let types: Vec<&str> = text
        .lines()
        .map(|line| {
            let start = line.find("\"event_type\":\"").unwrap() + 14;
            &line[start..start + line[start..].find('"').unwrap()]
        })
        .collect();
    assert_eq!(
        types,
        ["session.started", "session.resumed", "session.ended"]
    );
    assert!(text.contains("\"payload\":{\"events_before\":1,\"reason\":\"host restarted\"}"));
    let report = resolver.verify_chain(session).unwrap();
    assert_eq!((report.events, report.failure), (3, None));

    let err = resolver.resume_session(session, "once more").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionEnded);
    let unknown = SessionId(uuid::Uuid::from_u128(7));
    assert_eq!(
        resolver.resume_session(unknown, "x").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn a_stored_head_ahead_of_the_events_is_a_truncated_chain() {
    let database = Arc::new(TestDatabase::default());
    let resolver = resolver_over(&database, 1 << 20);
    let session = resolver.begin_session("agent-1", "lose a tail").unwrap();
    resolver.end_session(session, "done").unwrap();
    resolver.await_trace_durable(None, WAIT).unwrap();
    database.cut_last_operation(session.0);
    let report = resolver.verify_chain(session).unwrap();
    let failure = report.failure.unwrap();
    assert_eq!((failure.kind, failure.index), (FailureKind::Truncated, 1));
}

#[test]
fn memory_store_durability_is_readiness() {
    let resolver = Resolver::new(Config::deferred()).unwrap();
    let session = resolver.begin_session("agent-1", "in memory").unwrap();
    resolver.await_trace_durable(Some(session), WAIT).unwrap();
    resolver.await_trace_durable(None, WAIT).unwrap();
    let stats = resolver.store_stats();
    assert_eq!((stats.events_durable, stats.commits), (1, 0));
    assert_eq!(resolver.session_head(session).unwrap().events, 1);
    let err = resolver.resume_session(session, "x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
}
