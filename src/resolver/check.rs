//! Checking an action before the host runs it (CARP.md, "Checking an
//! action before running it"): CARP.md's seven rules in order, the first
//! that fails denies; an approved check charges the action's rate limits
//! and budgets and gets an execution id. Either way the attempt is
//! recorded (`action.requested`, then `action.approved` or
//! `action.denied`); a request that breaks the rules records nothing.

use super::check_request::{parse_check, CheckRequest};
use super::request::check_requester;
use super::resolutions::{ApprovalAnswer, Execution, ResolutionRecord};
use super::session::{Session, SessionState};
use super::Resolver;
use crate::atlas::catalog::reasons::{DEFAULT_DENY_ID, NO_POLICY_ALLOWS};
use crate::atlas::catalog::{ActionIndex, Catalog};
use crate::error::{Error, ErrorKind, Result};
use crate::json::canonical::write_canonical;
use crate::json::write_json_string;
use crate::policy::evaluate::{Decider, PolicyIndex, Verdict};
use crate::policy::usage::{counted_per_agent, Usage, UsageView};
use crate::time::clock::UnixMicros;
use crate::trace::event::hex::hex_lower;
use crate::trace::event::ids::{new_v7, parse_uuid};
use crate::trace::record::{CheckOutcome, CheckRecord, Operation, OperationEvents};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// The denial reasons of CARP.md's rules 1-5 and 7.
pub mod reasons {
    pub const UNKNOWN_RESOLUTION: &str = "Unknown resolution";
    pub const RESOLUTION_EXPIRED: &str = "Resolution expired";
    pub const NOT_ALLOWED: &str = "Action not allowed by the resolution";
    pub const NO_LONGER_AVAILABLE: &str = "Action no longer available";
    pub const PARAMETERS: &str = "Parameters do not match the schema: ";
    pub const APPROVAL_REQUIRED: &str = "Approval required";
    pub const APPROVAL_REJECTED: &str = "Approval rejected";
}

/// What the rules decided, before anything is recorded or charged.
enum Ruling {
    /// Every rule passed: charge these limit policies.
    Approved { limits: Box<[PolicyIndex]> },
    Denied {
        reason: String,
        policy_id: Option<String>,
    },
}

impl Ruling {
    fn denied(reason: impl Into<String>) -> Ruling {
        Ruling::Denied {
            reason: reason.into(),
            policy_id: None,
        }
    }
}

impl Resolver {
    /// Checks an action the host is about to run (a CARP/1.0
    /// `check_action` request, JSON) and returns the check result (JSON):
    /// `"decision": "approved"` with an `execution_id`, or `"denied"` with
    /// the reason and policy of the first rule that failed.
    ///
    /// Errors (nothing recorded, nothing charged): as [`Self::resolve`] —
    /// `InvalidArgument`, `InvalidJson`, `InvalidRequest`, `NotFound`
    /// (session), `Permission`, `SessionEnded`, `Conflict` (request id
    /// reused in the session), `Backpressure`, `Shutdown`.
    pub fn check_action(&self, check_json: &str) -> Result<String> {
        self.recorder.check_open()?;
        let now = self.now();
        let check = parse_check(check_json, now, self.config.clock_skew_seconds)?;
        let session = self.session_for(check.session_id)?;
        // Room before the session's lock, as a resolve takes it.
        let room = self.recorder.reserve(&session.chain, 2)?;
        let mut state = session.lock();
        check_requester(&session, state.ended, &check.agent_id, check.session_id)?;
        if !state.request_ids.claim(&check.request_id) {
            return Err(Error::at(
                ErrorKind::Conflict,
                "/request_id",
                format!(
                    "request '{}' was already used in this session",
                    check.request_id
                ),
            ));
        }
        let catalog = self.catalog();
        let mut agent = self.agents.lock(&session.agent_id);
        let usage = UsageView {
            session: &state.usage,
            agent: agent.usage(),
        };
        let ruling = rule(&catalog, &state, usage, &check, now);
        let span = new_v7(now);
        let outcome = match &ruling {
            Ruling::Approved { .. } => CheckOutcome::Approved {
                execution_id: new_v7(now),
            },
            Ruling::Denied { reason, policy_id } => CheckOutcome::Denied {
                reason: reason.as_str().into(),
                policy_id: policy_id.as_deref().map(Into::into),
            },
        };
        let parameters_hash = canonical_hash(&check.parameters);
        let result = check_result(&check, &outcome, &parameters_hash);
        let record = CheckRecord {
            span,
            action_id: check.action_id.as_ref().into(),
            resolution_id: check.resolution_id.as_ref().into(),
            parameters_hash: parameters_hash.into(),
            outcome,
        };
        let execution_id = match &record.outcome {
            CheckOutcome::Approved { execution_id } => Some(*execution_id),
            CheckOutcome::Denied { .. } => None,
        };
        let recorded = self.recorder.record(
            room,
            Operation {
                chain: session.chain.clone(),
                at: now,
                events: OperationEvents::Check(Box::new(record)),
            },
        );
        if let Err(err) = recorded {
            // Nothing recorded: nothing charged, and the id stays unused.
            state.request_ids.release(&check.request_id);
            return Err(err);
        }
        if let (Ruling::Approved { limits }, Some(execution_id)) = (ruling, execution_id) {
            charge(&catalog, &limits, &mut state.usage, agent.usage_mut(), now);
            state.records.executions.insert(
                execution_id,
                Execution {
                    action_id: check.action_id.as_ref().into(),
                    span,
                    reported: false,
                },
            );
        }
        Ok(result)
    }

    /// The session a check, approval or report is about. A `NotFound` names
    /// the requester's session id.
    pub(super) fn session_for(&self, session_id: super::SessionId) -> Result<Arc<Session>> {
        self.active_session(session_id)
            .map_err(|err| match err.kind() {
                ErrorKind::NotFound => {
                    Error::at(ErrorKind::NotFound, "/requester/session_id", err.message())
                }
                _ => err,
            })
    }
}

/// CARP.md's rules, in order; the first that fails decides.
fn rule(
    catalog: &Catalog,
    state: &SessionState,
    usage: UsageView<'_>,
    check: &CheckRequest<'_>,
    now: UnixMicros,
) -> Ruling {
    let resolution =
        parse_uuid(&check.resolution_id).and_then(|id| state.records.resolutions.get(&id));
    let Some(resolution) = resolution else {
        return Ruling::denied(reasons::UNKNOWN_RESOLUTION);
    };
    if now > resolution.expires_at {
        return Ruling::denied(reasons::RESOLUTION_EXPIRED);
    }
    if !resolution.allows(&check.action_id) {
        return Ruling::denied(reasons::NOT_ALLOWED);
    }
    let Some(action) = catalog.action_index(&check.action_id) else {
        return Ruling::denied(reasons::NO_LONGER_AVAILABLE);
    };
    if let Some(schema) = catalog.parameters_check(action) {
        if let Err(failure) = schema.check(&check.parameters) {
            return Ruling::denied(format!("{}{failure}", reasons::PARAMETERS));
        }
    }
    rule_policies(catalog, action, resolution, usage, now)
}

/// Rules 6 and 7: the policies now, at the resolution's risk tier, and the
/// approval they may need.
fn rule_policies(
    catalog: &Catalog,
    action: ActionIndex,
    resolution: &ResolutionRecord,
    usage: UsageView<'_>,
    now: UnixMicros,
) -> Ruling {
    let plan = catalog.plan(action, resolution.risk_tier);
    let evaluation = plan.evaluate(|policy| {
        usage.is_exhausted(catalog.policy_key(policy), catalog.policy_kind(policy), now)
    });
    let approved = Ruling::Approved {
        limits: plan.limits().into(),
    };
    match (evaluation.verdict, evaluation.decider) {
        (Verdict::Allow, _) => approved,
        (Verdict::RequiresApproval, Decider::Policy(policy)) => match resolution.answer {
            Some(ApprovalAnswer::Granted) => approved,
            answer => Ruling::Denied {
                reason: match answer {
                    Some(ApprovalAnswer::Rejected) => reasons::APPROVAL_REJECTED,
                    _ => reasons::APPROVAL_REQUIRED,
                }
                .into(),
                policy_id: Some(catalog.policy_id(policy).into()),
            },
        },
        (_, Decider::Policy(policy)) => Ruling::Denied {
            reason: catalog.denial_reason(policy).into(),
            policy_id: Some(catalog.policy_id(policy).into()),
        },
        (_, Decider::DefaultDeny) => Ruling::Denied {
            reason: NO_POLICY_ALLOWS.into(),
            policy_id: Some(DEFAULT_DENY_ID.into()),
        },
    }
}

/// Counts one call against each limit policy: budgets in the session, rate
/// limits for the agent.
pub(super) fn charge(
    catalog: &Catalog,
    limits: &[PolicyIndex],
    session: &mut Usage,
    agent: &mut Usage,
    now: UnixMicros,
) {
    for &policy in limits {
        let (key, kind) = (catalog.policy_key(policy), catalog.policy_kind(policy));
        let usage = if counted_per_agent(kind) {
            &mut *agent
        } else {
            &mut *session
        };
        usage.record_call(key, kind, now);
    }
}

/// Hex SHA-256 of a parsed JSON value's canonical form (TRACE.md's form):
/// what check parameters and reported results are recorded as.
pub(super) fn canonical_hash(value: &serde_json::Value) -> String {
    // Room for small parameters without growing the text as it is written.
    let mut canonical = String::with_capacity(256);
    // Parsed JSON holds no non-finite number, so the canonical form exists.
    if write_canonical(&mut canonical, value).is_err() {
        canonical.clear();
    }
    hex_lower(&Sha256::digest(canonical.as_bytes()).into())
}

/// The check result (CARP.md, "Check result"), members in its order.
fn check_result(check: &CheckRequest<'_>, outcome: &CheckOutcome, parameters_hash: &str) -> String {
    // The fixed members, two ids and the hash take under 256 bytes.
    let mut out = String::with_capacity(256 + check.request_id.len() + check.action_id.len());
    out.push_str("{\"carp_version\":\"1.0\",\"request_id\":");
    write_json_string(&mut out, &check.request_id);
    match outcome {
        CheckOutcome::Approved { execution_id } => {
            out.push_str(",\"decision\":\"approved\",\"action_id\":");
            write_json_string(&mut out, &check.action_id);
            out.push_str(",\"execution_id\":\"");
            out.push_str(
                execution_id
                    .hyphenated()
                    .encode_lower(&mut Uuid::encode_buffer()),
            );
            out.push_str("\",\"reason\":null,\"policy_id\":null");
        }
        CheckOutcome::Denied { reason, policy_id } => {
            out.push_str(",\"decision\":\"denied\",\"action_id\":");
            write_json_string(&mut out, &check.action_id);
            out.push_str(",\"execution_id\":null,\"reason\":");
            write_json_string(&mut out, reason);
            out.push_str(",\"policy_id\":");
            match policy_id {
                Some(policy_id) => write_json_string(&mut out, policy_id),
                None => out.push_str("null"),
            }
        }
    }
    out.push_str(",\"parameters_hash\":\"");
    out.push_str(parameters_hash);
    out.push_str("\"}");
    out
}
