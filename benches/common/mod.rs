//! What every Rust benchmark shares: the fixed workloads (atlases A and B in
//! `bench/data/`, one short-goal request), a resolver "rig" that owns a few
//! sessions, and the criterion settings.
//!
//! The request and the atlases are the same ones `examples/bench.c` uses, so
//! the Rust API figures and the C ABI figures measure the same work.
#![allow(dead_code)] // each bench file uses its own part of this module

use cra::{Config, Resolver, SessionId, TraceMode};
use criterion::Criterion;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

pub const AGENT: &str = "bench-agent";
/// Short, and holds the keyword that selects atlas B's "ticket-etiquette" pack.
pub const GOAL: &str = "Reply to the customer's ticket";

/// A resolver never keeps more than this many resolves' events while a
/// benchmark loops: the in-memory store keeps every event, so an unbounded
/// loop would measure a growing heap (and fill the machine) instead of
/// resolves. Rigs are rebuilt outside the timed region.
pub const RESOLVES_PER_RIG: u64 = 10_000;
/// A realistic session handles a bounded number of requests; each session's
/// request-id set grows with them.
pub const RESOLVES_PER_SESSION: u64 = 1_000;

/// The two fixed workloads of `bench/data/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Atlas {
    /// 5 actions, 3 policies (one deny, two allow), 1 context pack:
    /// a resolve emits 8 events.
    A,
    /// 50 actions, 20 policies with wildcards, 3 context packs (2 match the
    /// goal): a resolve emits 54 events.
    B,
}

impl Atlas {
    pub fn name(self) -> &'static str {
        match self {
            Atlas::A => "A",
            Atlas::B => "B",
        }
    }

    pub fn json(self) -> String {
        let file = match self {
            Atlas::A => "atlas-a.json",
            Atlas::B => "atlas-b.json",
        };
        let path = format!("{}/bench/data/{file}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    /// Events one resolve of the benchmark request emits.
    pub fn events_per_resolve(self) -> u64 {
        match self {
            Atlas::A => 8,
            Atlas::B => 54,
        }
    }
}

/// The configuration of a mode's benchmarks. The deferred buffer is big
/// enough for a whole rig, so the hot path never meets backpressure and
/// its figure is the caller's cost only.
pub fn config(mode: TraceMode) -> Config {
    Config {
        trace_mode: mode,
        buffer_capacity: 1 << 20,
        ..Config::default()
    }
}

/// An RFC 3339 "now" for request timestamps (checked against a 300 s skew,
/// so requests made up front stay valid for the whole benchmark).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
}

/// Writes the benchmark request into `out` (cleared first). `examples/bench.c`
/// writes the same bytes.
pub fn write_request(out: &mut String, session: SessionId, request_number: u64, timestamp: &str) {
    out.clear();
    write!(
        out,
        "{{\"carp_version\":\"1.0\",\"request_id\":\"req-{request_number}\",\
         \"timestamp\":\"{timestamp}\",\"operation\":\"resolve\",\
         \"requester\":{{\"agent_id\":\"{AGENT}\",\"session_id\":\"{session}\"}},\
         \"task\":{{\"goal\":\"{GOAL}\",\"risk_tier\":\"low\"}}}}"
    )
    .expect("writing to a String");
}

/// A resolver with one atlas loaded and some sessions begun.
pub struct Rig {
    pub resolver: Resolver,
    pub sessions: Vec<SessionId>,
    next_request: u64,
}

impl Rig {
    pub fn new(mode: TraceMode, atlas: Atlas, sessions: usize) -> Rig {
        let resolver = Resolver::new(config(mode)).expect("valid config");
        resolver.load_atlas(&atlas.json()).expect("valid atlas");
        let sessions = (0..sessions)
            .map(|_| resolver.begin_session(AGENT, GOAL).expect("session"))
            .collect();
        Rig {
            resolver,
            sessions,
            next_request: 0,
        }
    }

    /// Enough sessions for `resolves` resolves of at most
    /// [`RESOLVES_PER_SESSION`] each.
    pub fn for_resolves(mode: TraceMode, atlas: Atlas, resolves: u64) -> Rig {
        Rig::new(
            mode,
            atlas,
            resolves.div_ceil(RESOLVES_PER_SESSION) as usize,
        )
    }

    /// `count` fresh requests, [`RESOLVES_PER_SESSION`] per session in
    /// turn, made before any clock starts.
    pub fn requests(&mut self, count: u64) -> Vec<String> {
        let timestamp = now_rfc3339();
        (0..count)
            .map(|i| {
                let session =
                    self.sessions[(i / RESOLVES_PER_SESSION) as usize % self.sessions.len()];
                let mut request = String::with_capacity(320);
                write_request(&mut request, session, self.next_request, &timestamp);
                self.next_request += 1;
                request
            })
            .collect()
    }

    /// Requests for one session only.
    pub fn requests_for(&mut self, session: SessionId, count: u64) -> Vec<String> {
        let timestamp = now_rfc3339();
        (0..count)
            .map(|_| {
                let mut request = String::with_capacity(320);
                write_request(&mut request, session, self.next_request, &timestamp);
                self.next_request += 1;
                request
            })
            .collect()
    }

    /// Waits (untimed, generously) until the processor has stored everything.
    pub fn flush(&self) {
        self.resolver
            .flush_traces(Duration::from_secs(60))
            .expect("trace flushes");
    }

    /// Waits until the processor thread has stored every event emitted,
    /// watching the counters: a sync point would seal what is left on
    /// this thread if it found the processor idle, and then the time
    /// measured would not be the processor's alone.
    pub fn wait_for_processor(&self) {
        loop {
            let trace = self.resolver.stats().trace;
            if trace.events_processed >= trace.events_emitted {
                return;
            }
            for _ in 0..64 {
                std::hint::spin_loop();
            }
        }
    }
}

/// Runs `iters` units of work in rigs of at most `units_per_rig` units,
/// timing only `timed` (rig building, request making and flushing the
/// deferred processor stay outside the clock).
///
/// `prepare` makes a fresh rig and its inputs for `n` units; `timed` runs
/// them; the rig is flushed and dropped untimed.
pub fn time_in_rigs<I>(
    iters: u64,
    units_per_rig: u64,
    mut prepare: impl FnMut(u64) -> (Rig, I),
    mut timed: impl FnMut(&Rig, I),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(units_per_rig);
        let (rig, input) = prepare(n);
        let start = Instant::now();
        timed(&rig, input);
        total += start.elapsed();
        rig.flush();
        left -= n;
    }
    total
}

/// Criterion settings that keep `scripts/bench.sh` within its time budget.
/// `CRA_BENCH_SECONDS` shortens (or lengthens) the measurement for quick
/// development runs.
pub fn criterion() -> Criterion {
    let seconds: f64 = std::env::var("CRA_BENCH_SECONDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(3.0);
    Criterion::default()
        .warm_up_time(Duration::from_secs_f64((seconds / 3.0).max(0.2)))
        .measurement_time(Duration::from_secs_f64(seconds))
        .sample_size(30)
        .without_plots()
}
