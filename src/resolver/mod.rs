//! The resolver: loaded atlases, sessions, CARP requests and their traces.
//!
//! One [`Resolver`] is shared by any number of threads. Sessions are found
//! without a global lock and each has its own, so different sessions
//! proceed in parallel while one session's operations are serialized (its
//! sequence numbers follow call order). Atlases live in an immutable
//! [`Catalog`] snapshot that loads and unloads replace whole.

mod agents;
mod approval;
mod builder;
mod check;
mod check_request;
mod lookup;
mod report;
mod request;
mod request_ids;
pub mod request_text;
mod resolution;
mod resolutions;
mod resume;
mod scan;
mod session;
mod traces;
mod wire;

#[cfg(test)]
mod durable_tests;

pub use builder::ResolverBuilder;
pub use resolution::DecisionType;
pub use session::SessionId;

use crate::atlas::catalog::Catalog;
use crate::atlas::validate::{parse_manifest, Origin};
use crate::config::{Config, SessionOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::files::read_regular_file;
use crate::limits::{MAX_ATLAS_LEN, MAX_ID_LEN, MAX_TEXT_LEN};
use crate::policy::usage::UsageView;
use crate::time::clock::{Clock, UnixMicros};
use crate::trace::chain::SessionChain;
use crate::trace::deferred::ShutdownReport;
use crate::trace::event::ids::new_v7;
use crate::trace::event::ChainIds;
use crate::trace::record::operation::{
    resolve_event_count, Operation, OperationEvents, ResolveRecord,
};
use crate::trace::recorder::Recorder;
use crate::trace::stats::TraceStats;
use agents::AgentUsage;
use parking_lot::{Mutex, RwLock};
use request::{parse_request, Request};
use resolution::{select_blocks, write_resolution, Decision, ResolutionIds, Scope};
use resolutions::ResolutionRecord;
use session::{Session, SessionTable};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Counters of a resolver's store, as `cra_store_stats` reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Events committed to the store (with the memory store: stored).
    pub events_durable: u64,
    /// Events ready (sealed, readable) and not yet committed.
    pub events_waiting: u64,
    /// Transactions committed.
    pub commits: u64,
    /// Failed commits, each retried.
    pub write_errors: u64,
    /// Sessions held in memory, active or ended.
    pub sessions_in_memory: u64,
    /// Sessions that left memory, their events all committed.
    pub sessions_evicted: u64,
    /// Bytes of event text held in memory until committed.
    pub resident_event_bytes: u64,
}

/// Counters of a resolver, as `cra_stats` reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub trace: TraceStats,
    /// Sessions begun and not yet ended.
    pub sessions_active: u64,
}

/// How [`Resolver::trace_jsonl`] treats events still in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceRead {
    /// Wait up to this long for the session to be ready, else fail with `Timeout`.
    Wait(Duration),
    /// Return the events processed so far, at once.
    Partial,
}

/// Loads atlases, runs sessions and resolves CARP requests.
pub struct Resolver {
    config: Config,
    clock: Arc<dyn Clock>,
    catalog: RwLock<Arc<Catalog>>,
    /// Serializes loads and unloads, so each builds on the one before.
    catalog_writer: Mutex<()>,
    sessions: Arc<SessionTable>,
    /// Rate-limit usage per agent, across its sessions.
    agents: AgentUsage,
    /// Serializes resumes, so two never revive the same session.
    resuming: Mutex<()>,
    recorder: Recorder,
}

impl Resolver {
    /// A resolver with `config`, the system clock and an in-memory store.
    ///
    /// Errors: `InvalidArgument` naming a setting out of range.
    pub fn new(config: Config) -> Result<Resolver> {
        Resolver::builder(config).build()
    }

    /// A resolver with `config`, the system clock and the store `url`
    /// names ([`ResolverBuilder::store_url`]).
    ///
    /// Errors: as [`ResolverBuilder::build`].
    pub fn open(config: Config, url: &str) -> Result<Resolver> {
        Resolver::builder(config).store_url(url).build()
    }

    pub fn builder(config: Config) -> ResolverBuilder {
        ResolverBuilder::new(config)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    // ----- atlases -----

    /// Loads an atlas manifest given as JSON text and returns its id.
    ///
    /// Errors: `InvalidJson`, `InvalidAtlas` (naming the JSON pointer of the
    /// first broken rule), `Conflict` (atlas or action id already loaded),
    /// `InvalidArgument` (document too large). The resolver is unchanged on error.
    pub fn load_atlas(&self, json: &str) -> Result<String> {
        self.install(parse_manifest(json, Origin::Text)?)
    }

    /// Loads an atlas manifest from a file; context pack `files` are read
    /// relative to the file's folder.
    ///
    /// Errors: as [`Self::load_atlas`], plus `Io` when a file cannot be read
    /// or is not a regular file (a directory, FIFO, device or socket), and
    /// `InvalidArgument` when it is larger than an atlas may be (found
    /// without reading it all).
    pub fn load_atlas_file(&self, path: &Path) -> Result<String> {
        let bytes = read_regular_file(path, MAX_ATLAS_LEN)
            .map_err(|err| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot read atlas file '{}': {err}", path.display()),
                )
            })?
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "atlas file '{}' is larger than the limit of {MAX_ATLAS_LEN} bytes",
                        path.display()
                    ),
                )
            })?;
        let json = String::from_utf8(bytes).map_err(|err| {
            Error::new(
                ErrorKind::InvalidJson,
                format!(
                    "atlas file '{}' is not UTF-8 (invalid byte at offset {})",
                    path.display(),
                    err.utf8_error().valid_up_to()
                ),
            )
        })?;
        let folder = path.parent().unwrap_or(Path::new("."));
        self.install(parse_manifest(&json, Origin::File { folder })?)
    }

    fn install(&self, manifest: crate::atlas::Manifest) -> Result<String> {
        let atlas_id = manifest.atlas_id.clone();
        let _writer = self.catalog_writer.lock();
        let next = self.catalog.read().with_atlas(manifest)?;
        *self.catalog.write() = Arc::new(next);
        Ok(atlas_id)
    }

    /// Unloads an atlas with its actions, policies and context packs.
    ///
    /// Errors: `NotFound`. Usage counters of its policies are forgotten.
    pub fn unload_atlas(&self, atlas_id: &str) -> Result<()> {
        let _writer = self.catalog_writer.lock();
        let next = self.catalog.read().without_atlas(atlas_id)?;
        *self.catalog.write() = Arc::new(next);
        Ok(())
    }

    fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().clone()
    }

    // ----- sessions -----

    /// Begins a session for `agent_id` and records `session.started`, in
    /// the resolver's trace mode.
    ///
    /// Errors: `InvalidArgument` (empty or over-long agent id, over-long
    /// goal), `Backpressure` and `Shutdown` in deferred mode.
    pub fn begin_session(&self, agent_id: &str, goal: &str) -> Result<SessionId> {
        self.begin_session_with(agent_id, goal, &SessionOptions::default())
    }

    /// [`Self::begin_session`] with options: a trace mode of the session's
    /// own, fixed for its life, so one resolver can serve a session a
    /// person watches live (immediate) beside a swarm's (deferred).
    ///
    /// Errors: as [`Self::begin_session`]; `Internal` when the first
    /// deferred session of an immediate resolver cannot start the trace
    /// processor.
    pub fn begin_session_with(
        &self,
        agent_id: &str,
        goal: &str,
        options: &SessionOptions,
    ) -> Result<SessionId> {
        check_argument("agent_id", agent_id, MAX_ID_LEN, false)?;
        check_argument("goal", goal, MAX_TEXT_LEN, true)?;
        self.recorder.check_open()?;
        let now = self.now();
        let ids = ChainIds {
            session_id: new_v7(now),
            trace_id: new_v7(now),
        };
        let mode = options
            .trace_mode
            .unwrap_or_else(|| self.recorder.default_mode());
        let chain = SessionChain::new(ids, new_v7(now), mode);
        let session = Arc::new(Session::new(chain.clone(), agent_id, now));
        let room = self.recorder.reserve(&chain, 1)?;
        // Nobody else can see the session yet, so its lock is not needed.
        self.recorder.record(
            room,
            Operation {
                chain,
                at: now,
                events: OperationEvents::SessionStarted {
                    agent_id: agent_id.into(),
                    goal: goal.into(),
                },
            },
        )?;
        let id = session.id();
        self.sessions.insert(session);
        Ok(id)
    }

    /// Ends a session and records `session.ended` with its duration.
    ///
    /// Errors: `InvalidArgument` (over-long reason), `NotFound`,
    /// `SessionEnded`, `Backpressure`, `Shutdown`.
    pub fn end_session(&self, session_id: SessionId, reason: &str) -> Result<()> {
        check_argument("reason", reason, MAX_TEXT_LEN, true)?;
        self.recorder.check_open()?;
        let session = self.active_session(session_id)?;
        // Before the lock: see `resolve_into`.
        let room = self.recorder.reserve(&session.chain, 1)?;
        let mut state = session.lock();
        if state.ended {
            return Err(ended(session_id));
        }
        let now = self.now();
        self.recorder.record(
            room,
            Operation {
                chain: session.chain.clone(),
                at: now,
                events: OperationEvents::SessionEnded {
                    reason: reason.into(),
                    duration_ms: u64::try_from(now.saturating_sub(session.started_at) / 1000)
                        .unwrap_or(0),
                },
            },
        )?;
        state.ended = true;
        self.sessions.mark_ended();
        Ok(())
    }

    // ----- resolve -----

    /// Resolves a CARP request (JSON) and returns the resolution (JSON).
    ///
    /// ```
    /// use cra::{Config, Resolver};
    ///
    /// // The request's fixed timestamp is far from now: skip the skew check.
    /// let config = Config { clock_skew_seconds: 0, ..Config::default() };
    /// let resolver = Resolver::new(config)?;
    /// resolver.load_atlas_file("examples/data/billing.atlas.json".as_ref())?;
    /// let session = resolver.begin_session("agent-7", "Refund a charge")?;
    /// let request = serde_json::json!({
    ///     "carp_version": "1.0",
    ///     "request_id": "req-1",
    ///     "timestamp": "2026-12-07T12:00:00Z",
    ///     "operation": "resolve",
    ///     "requester": {"agent_id": "agent-7", "session_id": session.to_string()},
    ///     "task": {"goal": "Refund a charge", "risk_tier": "low"},
    /// });
    /// let resolution: serde_json::Value = serde_json::from_str(&resolver.resolve(&request.to_string())?)?;
    /// assert!(resolution["allowed_actions"].is_array());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Errors: `InvalidArgument` (document too large), `InvalidJson`,
    /// `InvalidRequest` (naming the JSON pointer and the rule), `NotFound`
    /// (session, atlas or capability), `Permission` (the agent does not own
    /// the session), `SessionEnded`, `Conflict` (request id reused in the
    /// session), `Backpressure`, `Shutdown`. A failed request records nothing.
    /// Room in the trace is taken before the session's state is looked at,
    /// so a full buffer reports `Backpressure` ahead of `Permission`,
    /// `SessionEnded` and `Conflict`.
    pub fn resolve(&self, request_json: &str) -> Result<String> {
        let mut resolution = String::new();
        self.resolve_into(request_json, &mut resolution)?;
        Ok(resolution)
    }

    /// [`Self::resolve`], appending the resolution to `resolution` (left
    /// as it was on error), so a caller can reuse one buffer.
    pub(crate) fn resolve_into(&self, request_json: &str, resolution: &mut String) -> Result<()> {
        self.recorder.check_open()?;
        let now = self.now();
        let request = parse_request(request_json, now, self.config.clock_skew_seconds)?;
        let session = self.session_for(request.session_id)?;
        let catalog = self.catalog();
        let scope = Scope::of(&catalog, &request)?;
        let mut record = self.recorder.spare_record();
        select_blocks(&catalog, &scope, &request, &mut record.blocks);
        // Room for the events is taken before the session's lock: waiting for
        // it (block mode) then holds up no other call on the session, so each
        // waits at most its own block timeout. So a full buffer is reported
        // before what the session's state would refuse (ownership, an ended
        // session, a reused request id).
        let events = resolve_event_count(scope.action_count(&catalog), record.blocks.len());
        let room = self.recorder.reserve(&session.chain, events)?;
        let mut state = session.lock();
        check_ownership(&session, &request)?;
        if state.ended {
            return Err(ended(request.session_id));
        }
        // Claimed before deciding, so the id is hashed once; given back
        // below if the trace refuses the operation.
        if !state.request_ids.claim(&request.request_id) {
            return Err(Error::at(
                ErrorKind::Conflict,
                "/request_id",
                format!(
                    "request '{}' was already used in this session",
                    request.request_id
                ),
            ));
        }
        let ResolveRecord {
            evaluations,
            blocks,
            ..
        } = &mut *record;
        let agent = self.agents.lock(&session.agent_id);
        let usage = UsageView {
            session: &state.usage,
            agent: agent.usage(),
        };
        let decision = Decision::make(&catalog, &scope, &request, usage, now, evaluations, blocks);
        drop(agent);
        let ids = ResolutionIds {
            resolution_id: new_v7(now),
            approval_id: (decision.decision_type == DecisionType::RequiresApproval)
                .then(|| new_v7(now)),
            trace_id: &session.trace_id_text,
            issued_at: now,
            ttl_seconds: self.config.ttl_seconds,
        };
        let written_from = resolution.len();
        write_resolution(resolution, &catalog, &request.request_id, &decision, &ids);
        // What later checks of this resolution need (CARP.md's rules 1-3, 7).
        let (ids_resolution_id, approval_id) = (ids.resolution_id, ids.approval_id);
        let allowed: Box<[u32]> = decision
            .evaluations
            .iter()
            .filter(|(_, evaluation)| evaluation.verdict.is_allowed())
            .map(|&(action, _)| action)
            .collect();
        let catalog_for_checks = catalog.clone();
        // The decision borrows the record's evaluations and blocks: what the
        // record still needs of it is copied out before the rest is filled.
        let decision_type = decision.decision_type.as_str();
        let (allowed_count, denied_count) = (decision.allowed_count, decision.denied_count);
        record.texts.set(&request.request_id, &request.goal);
        record.atlases = scope.atlases;
        record.decision_type = decision_type;
        record.allowed_count = allowed_count;
        record.denied_count = denied_count;
        record.resolution_id = ids.resolution_id;
        record.ttl_seconds = ids.ttl_seconds;
        let recorded = self.recorder.record(
            room,
            Operation {
                chain: session.chain.clone(),
                at: now,
                events: OperationEvents::Resolve { catalog, record },
            },
        );
        match &recorded {
            Ok(()) => state.records.insert(
                ids_resolution_id,
                ResolutionRecord {
                    expires_at: now + i64::from(self.config.ttl_seconds) * 1_000_000,
                    risk_tier: request.risk_tier,
                    catalog: catalog_for_checks,
                    allowed,
                    approval_id,
                    answer: None,
                },
            ),
            // A failed request records nothing and leaves its id unused.
            Err(_) => {
                state.request_ids.release(&request.request_id);
                resolution.truncate(written_from);
            }
        }
        recorded
    }

    /// Stops the resolver: from now on new work fails with `Shutdown`, the
    /// deferred buffer is drained within the shutdown timeout, and the
    /// processor is joined. Reads (traces, verification, stats) keep
    /// working. Dropping the resolver does the same; calling it again only
    /// reports again.
    pub fn shutdown(&self) -> ShutdownReport {
        self.recorder.shutdown()
    }

    /// Lets go of the resolver's threads without stopping or joining them,
    /// in a process forked from the one that started them (where they do
    /// not exist), so that dropping the resolver then joins nothing. What
    /// those threads held is never released. Returns false when that could
    /// not be done safely: the resolver must then be leaked, not dropped.
    pub(crate) fn forget_threads(&self) -> bool {
        self.recorder.forget_threads()
    }

    /// Test support for hosts and bindings: while held, the deferred trace
    /// processor stores nothing, so events queue up, sync points time out
    /// and a small buffer fills. Releasing (or shutting down) lets it go
    /// on. Immediate sessions are never held. Not for production use.
    pub fn hold_trace_processor(&self, hold: bool) {
        self.recorder.hold_processor(hold);
    }

    pub fn stats(&self) -> Stats {
        Stats {
            trace: self.recorder.stats(),
            sessions_active: self.sessions.active(),
        }
    }

    /// Counters of the store. With the memory store every stored event
    /// counts as durable.
    pub fn store_stats(&self) -> StoreStats {
        let sessions_in_memory = self.sessions.resident();
        match self.recorder.durable_store() {
            Some(durable) => {
                let counters = durable.counters();
                StoreStats {
                    events_durable: counters.events_durable,
                    events_waiting: counters.events_waiting,
                    commits: counters.commits,
                    write_errors: counters.write_errors,
                    sessions_in_memory,
                    sessions_evicted: counters.sessions_evicted,
                    resident_event_bytes: counters.resident_event_bytes,
                }
            }
            None => StoreStats {
                events_durable: self.recorder.stats().events_processed,
                sessions_in_memory,
                ..StoreStats::default()
            },
        }
    }

    fn now(&self) -> UnixMicros {
        self.clock.now_micros()
    }
}

fn check_ownership(session: &Session, request: &Request<'_>) -> Result<()> {
    if *session.agent_id == *request.agent_id {
        Ok(())
    } else {
        Err(Error::at(
            ErrorKind::Permission,
            "/requester/agent_id",
            format!(
                "agent '{}' does not own session '{}'",
                session::truncated(&request.agent_id),
                request.session_id
            ),
        ))
    }
}

fn ended(session_id: SessionId) -> Error {
    Error::new(
        ErrorKind::SessionEnded,
        format!("session '{session_id}' has ended"),
    )
}

fn check_argument(name: &str, value: &str, limit: usize, may_be_empty: bool) -> Result<()> {
    if !may_be_empty && value.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{name} must not be empty"),
        ));
    }
    if value.len() > limit {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "{name} is {} bytes, more than the limit of {limit}",
                value.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
