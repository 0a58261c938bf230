//! Deferred mode: the same decisions and events as immediate mode, plus
//! backpressure, waiting, shutdown and a failing processor.

mod common;

use common::*;
use cra::{AppendedRun, ChainIds, MemoryStore, TraceStore};
use cra::{Backpressure, Config, ErrorKind, Resolver, SessionId, TraceRead};
use parking_lot::{Condvar, Mutex};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A store that lets only a set number of appends through; the rest wait.
/// It holds the processor back exactly where a slow disk would.
struct GatedStore {
    inner: MemoryStore,
    allowed: Mutex<usize>,
    opened: Condvar,
}

impl GatedStore {
    fn closed() -> Arc<GatedStore> {
        Arc::new(GatedStore {
            inner: MemoryStore::new(),
            allowed: Mutex::new(0),
            opened: Condvar::new(),
        })
    }

    /// Lets `appends` more appends through.
    fn allow(&self, appends: usize) {
        *self.allowed.lock() += appends;
        self.opened.notify_all();
    }

    fn open(&self) {
        self.allow(usize::MAX / 2);
    }
}

impl TraceStore for GatedStore {
    fn append(&self, run: AppendedRun<'_>) {
        let mut allowed = self.allowed.lock();
        while *allowed == 0 {
            self.opened.wait(&mut allowed);
        }
        *allowed -= 1;
        drop(allowed);
        self.inner.append(run);
    }

    fn write_jsonl(&self, ids: ChainIds, out: &mut String) -> cra::Result<bool> {
        self.inner.write_jsonl(ids, out)
    }
}

fn deferred(capacity: u32) -> Config {
    Config {
        buffer_capacity: capacity,
        ..Config::deferred()
    }
}

/// A test's handle on its [`GatedStore`], which opens the store when
/// dropped. `let (resolver, store) = gated_resolver(..)` drops `store`
/// first, so a test that fails while the store is closed unwinds instead
/// of hanging: the resolver's shutdown then drains through an open store.
struct Gate(Arc<GatedStore>);

impl std::ops::Deref for Gate {
    type Target = Arc<GatedStore>;

    fn deref(&self) -> &Arc<GatedStore> {
        &self.0
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// A resolver over `store` with the billing atlas loaded.
fn resolver_with_store(config: Config, store: Arc<dyn TraceStore>) -> Resolver {
    let resolver = Resolver::builder(config).store(store).build().unwrap();
    resolver.load_atlas(&billing_atlas().to_string()).unwrap();
    resolver
}

/// Resolves requests `r0`, `r1`, … in `session`, calling `after_each`
/// after every one.
fn resolve_numbered(
    resolver: &Resolver,
    session: SessionId,
    count: usize,
    mut after_each: impl FnMut(),
) {
    for n in 0..count {
        resolve(
            resolver,
            &request(session, &format!("r{n}"), "Export", "low"),
        )
        .unwrap();
        after_each();
    }
}

fn gated_resolver(config: Config) -> (Resolver, Gate) {
    let store = GatedStore::closed();
    let resolver = resolver_with_store(config, store.clone());
    (resolver, Gate(store))
}

const LONG: Duration = Duration::from_secs(20);

/// Events without the members that differ run to run.
fn comparable(events: &[Value]) -> Vec<(String, Value)> {
    events
        .iter()
        .map(|event| {
            let mut payload = event["payload"].clone();
            let object = payload.as_object_mut().unwrap();
            object.remove("resolution_id");
            object.remove("duration_ms");
            (event["event_type"].as_str().unwrap().to_owned(), payload)
        })
        .collect()
}

fn run_scenario(resolver: &Resolver) -> SessionId {
    let session = resolver.begin_session(AGENT, "Refunds ✓ 𝄞").unwrap();
    for (n, tier) in ["low", "high", "critical"].iter().enumerate() {
        resolve(
            resolver,
            &request(session, &format!("r{n}"), "Refund invoice 42", tier),
        )
        .unwrap();
    }
    resolver.end_session(session, "done").unwrap();
    session
}

#[test]
fn deferred_mode_records_what_immediate_mode_records() {
    let immediate = loaded_resolver(Config::default());
    let deferred = loaded_resolver(Config::deferred());
    let a = run_scenario(&immediate);
    let b = run_scenario(&deferred);
    deferred.await_trace_ready(b, LONG).unwrap();
    assert!(deferred.is_trace_ready(b).unwrap());
    let (immediate_events, deferred_events) = (events(&immediate, a), events(&deferred, b));
    assert_eq!(comparable(&immediate_events), comparable(&deferred_events));
    assert!(deferred.verify_chain(b).unwrap().failure.is_none());
    let jsonl = deferred.trace_jsonl(b, TraceRead::Partial).unwrap();
    assert_eq!(python_verify(&jsonl, "deferred-scenario").0, 0);
    let stats = deferred.stats().trace;
    assert_eq!(stats.events_emitted, stats.events_processed);
    assert_eq!(stats.queue_capacity, 4096);
    assert_eq!(stats.queue_depth, 0);
    assert!(stats.queue_high_water >= 1);
}

#[test]
fn a_full_buffer_refuses_the_whole_operation_and_records_nothing() {
    let (resolver, store) = gated_resolver(deferred(16));
    let session = resolver.begin_session(AGENT, "Backpressure").unwrap();
    // 1 + 8 events are in flight; the next 8 do not fit in 16.
    resolve(
        &resolver,
        &request(session, "r1", "Export the report", "low"),
    )
    .unwrap();
    let refused = request(session, "r2", "Export the report", "low");
    let err = resolver.resolve(&refused.to_string()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backpressure, "{err}");
    assert!(err.message().contains("nothing was recorded"), "{err}");
    let stats = resolver.stats().trace;
    assert_eq!(stats.events_rejected, 8);
    assert_eq!(stats.events_emitted, 9);
    assert_eq!(stats.queue_depth, 9);
    assert_eq!(stats.queue_high_water, 9);

    store.open();
    resolver.await_trace_ready(session, LONG).unwrap();
    let report = resolver.verify_chain(session).unwrap();
    assert!(report.failure.is_none());
    assert_eq!(report.events, 9, "none of the refused request's events");
    // The refused request id was not used up: the same request now succeeds.
    resolve(&resolver, &refused).unwrap();
    resolver.flush_traces(LONG).unwrap();
    assert_eq!(resolver.verify_chain(session).unwrap().events, 17);
}

#[test]
fn block_policy_waits_for_room_then_succeeds_or_times_out() {
    let config = Config {
        backpressure: Backpressure::Block,
        block_timeout: Duration::from_millis(60),
        ..deferred(16)
    };
    let (resolver, store) = gated_resolver(config);
    let session = resolver.begin_session(AGENT, "Blocking").unwrap();
    resolve(&resolver, &request(session, "r1", "Export", "low")).unwrap();

    let started = Instant::now();
    let err = resolver
        .resolve(&request(session, "r2", "Export", "low").to_string())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backpressure);
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "waited the block timeout"
    );

    let opener = {
        let store = store.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            store.open();
        })
    };
    // Room frees up while this call waits (20 ms into its 60 ms).
    resolve(&resolver, &request(session, "r2", "Export", "low")).unwrap();
    opener.join().unwrap();
    resolver.flush_traces(LONG).unwrap();
    assert!(resolver.verify_chain(session).unwrap().failure.is_none());
}

#[test]
fn a_call_waiting_for_room_holds_up_no_other_call_on_its_session() {
    const WAIT: Duration = Duration::from_millis(600);
    let config = Config {
        backpressure: Backpressure::Block,
        block_timeout: WAIT,
        ..deferred(16)
    };
    let (resolver, store) = gated_resolver(config);
    let resolver = Arc::new(resolver);
    let session = resolver.begin_session(AGENT, "Crowded").unwrap();
    resolve(&resolver, &request(session, "r1", "Export", "low")).unwrap();
    // 9 of 16 events are taken: a resolve (8) waits out its block timeout...
    let waiting = {
        let resolver = resolver.clone();
        std::thread::spawn(move || {
            resolver
                .resolve(&request(session, "r2", "Export", "low").to_string())
                .unwrap_err()
                .kind()
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    // ...while ending the session (1 event) fits and does not wait for it.
    let started = Instant::now();
    resolver.end_session(session, "done").unwrap();
    let ending_took = started.elapsed();
    assert_eq!(waiting.join().unwrap(), ErrorKind::Backpressure);

    // Checked once the store is open: a failing test must not leave the
    // processor stuck in it, or dropping the resolver would never return.
    store.open();
    resolver.flush_traces(LONG).unwrap();
    let report = resolver.verify_chain(session).unwrap();
    assert_eq!((report.events, report.failure), (10, None));
    assert_eq!(resolver.stats().trace.queue_depth, 0);
    assert!(
        ending_took < WAIT / 3,
        "end_session waited {ending_took:?} behind the blocked resolve"
    );
}

#[test]
fn a_refused_call_gives_back_the_room_it_took() {
    // Room for the session, one resolve (8) and exactly one more.
    let (resolver, store) = gated_resolver(deferred(17));
    let session = resolver.begin_session(AGENT, "Refused").unwrap();
    let first = resolver.resolve(&request(session, "r1", "Export", "low").to_string());
    let reused = resolver.resolve(&request(session, "r1", "Export", "low").to_string());
    let second = resolver.resolve(&request(session, "r2", "Export", "low").to_string());

    // Checked once the store is open (see the test above).
    store.open();
    resolver.flush_traces(LONG).unwrap();
    assert!(first.is_ok());
    assert_eq!(reused.unwrap_err().kind(), ErrorKind::Conflict);
    assert!(
        second.is_ok(),
        "the conflicting call kept its room: {second:?}"
    );
    assert_eq!(resolver.verify_chain(session).unwrap().events, 17);
}

#[test]
fn awaiting_times_out_while_held_back_and_returns_once_processed() {
    let (resolver, store) = gated_resolver(deferred(64));
    let session = resolver.begin_session(AGENT, "Waiting").unwrap();
    resolve(&resolver, &request(session, "r1", "Export", "low")).unwrap();
    assert!(!resolver.is_trace_ready(session).unwrap());

    let err = resolver
        .await_trace_ready(session, Duration::from_millis(30))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(
        resolver
            .await_trace_ready(session, Duration::ZERO)
            .unwrap_err()
            .kind(),
        ErrorKind::Timeout
    );
    assert_eq!(
        resolver
            .flush_traces(Duration::from_millis(5))
            .unwrap_err()
            .kind(),
        ErrorKind::Timeout
    );
    let err = resolver
        .trace_jsonl(session, TraceRead::Wait(Duration::from_millis(5)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(
        resolver.trace_jsonl(session, TraceRead::Partial).unwrap(),
        ""
    );
    let report = resolver.verify_chain(session).unwrap();
    assert_eq!((report.events, report.pending), (0, 9));

    let started = Instant::now();
    let opener = {
        let store = store.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            store.open();
        })
    };
    resolver.await_trace_ready(session, LONG).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "returned promptly"
    );
    opener.join().unwrap();
    let report = resolver.verify_chain(session).unwrap();
    assert_eq!((report.events, report.pending), (9, 0));
}

#[test]
fn later_emissions_do_not_extend_a_wait() {
    let (resolver, store) = gated_resolver(deferred(64));
    let resolver = Arc::new(resolver);
    let session = resolver.begin_session(AGENT, "Moving target").unwrap();
    resolve(&resolver, &request(session, "r1", "Export", "low")).unwrap();
    let waiter = {
        let resolver = resolver.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            resolver
                .await_trace_ready(session, LONG)
                .map(|()| started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    // Emitted after the wait began: the waiter must not wait for these.
    resolve(&resolver, &request(session, "r2", "Export", "low")).unwrap();
    store.allow(2); // session.started and r1 only
    let waited = waiter.join().unwrap().unwrap();
    assert!(
        waited < LONG / 2,
        "woken when its events were stored, not at the timeout"
    );
    assert!(
        !resolver.is_trace_ready(session).unwrap(),
        "r2 is still held back"
    );
    assert_eq!(resolver.verify_chain(session).unwrap().pending, 8);
    store.open();
    resolver.flush_traces(LONG).unwrap();
}

#[test]
fn many_threads_await_their_own_sessions() {
    let resolver = Arc::new(loaded_resolver(deferred(1024)));
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let resolver = resolver.clone();
            std::thread::spawn(move || {
                let session = resolver.begin_session(AGENT, "own").unwrap();
                for n in 0..20 {
                    let request = request(session, &format!("t{thread}-{n}"), "Refund", "medium");
                    loop {
                        match resolver.resolve(&request.to_string()) {
                            Err(err) if err.kind() == ErrorKind::Backpressure => {
                                std::thread::yield_now()
                            }
                            other => break other.map(drop).unwrap(),
                        };
                    }
                    resolver.await_trace_ready(session, LONG).unwrap();
                    assert!(resolver.is_trace_ready(session).unwrap());
                }
                assert!(resolver.verify_chain(session).unwrap().failure.is_none());
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn dropping_the_resolver_drains_every_accepted_event() {
    let store = Arc::new(MemoryStore::new());
    let resolver = resolver_with_store(deferred(4096), store.clone());
    let session = resolver.begin_session(AGENT, "Queued").unwrap();
    resolve_numbered(&resolver, session, 200, || {});
    let emitted = resolver.stats().trace.events_emitted;
    let report = resolver.shutdown();
    assert_eq!(report.undrained_events, 0);
    assert_eq!(store.len(session.0) as u64, emitted);
    assert_eq!(emitted, 1 + 200 * 8);
}

#[test]
fn shutdown_reports_what_it_could_not_drain() {
    let store = GatedStore::closed();
    let config = Config {
        shutdown_timeout: Duration::from_millis(50),
        ..deferred(64)
    };
    let resolver = resolver_with_store(config, store.clone());
    let session = resolver.begin_session(AGENT, "Stuck").unwrap();
    resolve(&resolver, &request(session, "r1", "Export", "low")).unwrap();
    // Let the first append through only after shutdown has begun, so the
    // processor is stuck at its deadline with r1 still queued.
    let opener = {
        let store = store.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            store.allow(1);
        })
    };
    let report = resolver.shutdown();
    opener.join().unwrap();
    assert_eq!(report.undrained_events, 8);
}

/// A store that fails like a bug would. A prompt one is called on a sync
/// point's thread too, so the panic may happen there.
struct PanickingStore {
    prompt: bool,
}

impl TraceStore for PanickingStore {
    fn append(&self, _: AppendedRun<'_>) {
        panic!("disk on fire");
    }

    fn write_jsonl(&self, _: ChainIds, _: &mut String) -> cra::Result<bool> {
        Ok(false)
    }

    fn appends_promptly(&self) -> bool {
        self.prompt
    }
}

#[test]
fn a_panicking_store_turns_into_shutdown_errors_not_hangs() {
    for prompt in [false, true] {
        let store = Arc::new(PanickingStore { prompt });
        let resolver = resolver_with_store(Config::deferred(), store);
        let session = resolver.begin_session(AGENT, "Doomed").unwrap();
        let err = resolver.await_trace_ready(session, LONG).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Shutdown);
        assert!(err.message().contains("disk on fire"), "{err}");
        let err = resolver
            .resolve(&request(session, "r1", "x", "low").to_string())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Shutdown);
        assert_eq!(
            resolver.flush_traces(LONG).unwrap_err().kind(),
            ErrorKind::Shutdown
        );
        assert_eq!(
            resolver.begin_session(AGENT, "x").unwrap_err().kind(),
            ErrorKind::Shutdown
        );
        // Shutting down does not hang, and reports `session.started`, whose
        // append panicked, as not stored.
        assert_eq!(resolver.shutdown().undrained_events, 1);
    }
}

/// A memory store that notes the thread of every append.
struct ThreadNotingStore {
    inner: MemoryStore,
    prompt: bool,
    threads: Mutex<Vec<std::thread::ThreadId>>,
}

impl TraceStore for ThreadNotingStore {
    fn append(&self, run: AppendedRun<'_>) {
        self.threads.lock().push(std::thread::current().id());
        self.inner.append(run);
    }

    fn write_jsonl(&self, ids: ChainIds, out: &mut String) -> cra::Result<bool> {
        self.inner.write_jsonl(ids, out)
    }

    fn appends_promptly(&self) -> bool {
        self.prompt
    }
}

#[test]
fn a_sync_point_seals_on_its_own_thread_only_with_a_prompt_store() {
    for prompt in [true, false] {
        let store = Arc::new(ThreadNotingStore {
            inner: MemoryStore::new(),
            prompt,
            threads: Mutex::new(Vec::new()),
        });
        let resolver = resolver_with_store(Config::deferred(), store.clone());
        let session = resolver.begin_session(AGENT, "Awaited").unwrap();
        resolve_numbered(&resolver, session, 100, || {
            resolver.await_trace_ready(session, LONG).unwrap()
        });
        let report = resolver.verify_chain(session).unwrap();
        assert_eq!((report.events, report.failure), (1 + 100 * 8, None));
        // The processor is parked when a resolve publishes, and waking it
        // takes longer than getting from the resolve to the wait: a prompt
        // store sees nearly every append from this thread. Any one is proof.
        let here = std::thread::current().id();
        let appends = store.threads.lock();
        let on_this_thread = appends.iter().filter(|&&thread| thread == here).count();
        assert_eq!(
            on_this_thread > 0,
            prompt,
            "{on_this_thread} of {}",
            appends.len()
        );
    }
}

#[test]
fn a_held_processor_stores_nothing_until_released() {
    let resolver = loaded_resolver(deferred(16));
    resolver.hold_trace_processor(true);
    let session = resolver.begin_session(AGENT, "Held").unwrap();
    resolve(&resolver, &request(session, "r1", "Export", "low")).unwrap();
    let err = resolver
        .resolve(&request(session, "r2", "Export", "low").to_string())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backpressure);
    let err = resolver
        .await_trace_ready(session, Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(resolver.stats().trace.events_processed, 0);
    resolver.hold_trace_processor(false);
    resolver.await_trace_ready(session, LONG).unwrap();
    assert_eq!(resolver.stats().trace.events_processed, 9);
}
