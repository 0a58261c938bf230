//! Reporting the outcome of an approved check (CARP.md, "Reporting the
//! outcome"): once per execution id, as `action.executed` or
//! `action.failed`, under the check's span.

use super::check::canonical_hash;
use super::request::{
    check_id, check_length, check_request_size, check_requester, check_timestamp, expect_text,
    invalid, requester_session,
};
use super::session::SessionId;
use super::wire::{deserialize_object, Object, WireRequester};
use super::Resolver;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::MAX_TEXT_LEN;
use crate::trace::event::ids::parse_uuid;
use crate::trace::record::{Operation, OperationEvents, ReportRecord, ReportedOutcome};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// The wire shape of a `report_action` request.
#[derive(Deserialize)]
struct ReportWire<'a> {
    #[serde(borrow)]
    carp_version: Cow<'a, str>,
    #[serde(borrow)]
    request_id: Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    operation: Cow<'a, str>,
    #[serde(borrow)]
    requester: Object<WireRequester<'a>>,
    #[serde(borrow)]
    execution_id: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    duration_ms: u64,
    #[serde(borrow, default)]
    error_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    error_message: Option<Cow<'a, str>>,
    #[serde(default)]
    result: Option<Value>,
}

/// A report that passed every rule of its own.
struct Report<'a> {
    request_id: Cow<'a, str>,
    agent_id: Cow<'a, str>,
    session_id: SessionId,
    execution_id: uuid::Uuid,
    duration_ms: u64,
    outcome: ReportedOutcome,
}

impl Resolver {
    /// Records the outcome of an approved check (a CARP/1.0
    /// `report_action` request, JSON): `action.executed` (with the hash of
    /// `result`, if given) or `action.failed`.
    ///
    /// Errors (nothing recorded): as [`Self::resolve`] for the request
    /// itself; `NotFound` (an execution id of no approved check of this
    /// session), `Conflict` (reported already, or a reused request id).
    pub fn report_action(&self, report_json: &str) -> Result<()> {
        self.recorder.check_open()?;
        let now = self.now();
        let report = parse_report(report_json, now, self.config.clock_skew_seconds)?;
        let session = self.session_for(report.session_id)?;
        let room = self.recorder.reserve(&session.chain, 1)?;
        let mut state = session.lock();
        check_requester(&session, state.ended, &report.agent_id, report.session_id)?;
        let execution = state
            .records
            .executions
            .get(&report.execution_id)
            .ok_or_else(|| {
                Error::at(
                    ErrorKind::NotFound,
                    "/execution_id",
                    format!(
                        "execution '{}' is not an approved check of this session",
                        report.execution_id
                    ),
                )
            })?;
        if execution.reported {
            return Err(Error::at(
                ErrorKind::Conflict,
                "/execution_id",
                format!("execution '{}' was reported already", report.execution_id),
            ));
        }
        let record = ReportRecord {
            check_span: execution.span,
            action_id: execution.action_id.clone(),
            execution_id: report.execution_id,
            duration_ms: report.duration_ms,
            outcome: report.outcome,
        };
        if !state.request_ids.claim(&report.request_id) {
            return Err(Error::at(
                ErrorKind::Conflict,
                "/request_id",
                format!(
                    "request '{}' was already used in this session",
                    report.request_id
                ),
            ));
        }
        let recorded = self.recorder.record(
            room,
            Operation {
                chain: session.chain.clone(),
                at: now,
                events: OperationEvents::Report(Box::new(record)),
            },
        );
        match recorded {
            Ok(()) => {
                if let Some(execution) = state.records.executions.get_mut(&report.execution_id) {
                    execution.reported = true;
                }
                Ok(())
            }
            Err(err) => {
                state.request_ids.release(&report.request_id);
                Err(err)
            }
        }
    }
}

/// Parses a report and checks its own rules. Errors: `InvalidArgument`
/// (too large), `InvalidJson`, `InvalidRequest` naming the JSON pointer.
fn parse_report(json: &str, now: i64, clock_skew_seconds: u32) -> Result<Report<'_>> {
    check_request_size(json)?;
    let wire: ReportWire<'_> = deserialize_object(json)?;
    let Object(requester) = wire.requester;
    expect_text("/carp_version", &wire.carp_version, "1.0")?;
    check_id("/request_id", &wire.request_id)?;
    check_timestamp(&wire.timestamp, now, clock_skew_seconds)?;
    expect_text("/operation", &wire.operation, "report_action")?;
    check_id("/requester/agent_id", &requester.agent_id)?;
    let session_id = requester_session(&requester.session_id)?;
    let execution_id = parse_uuid(&wire.execution_id).ok_or_else(|| {
        invalid(
            "/execution_id",
            "must be an execution id (a lowercase hyphenated UUID)",
        )
    })?;
    let outcome = match &*wire.status {
        "executed" => {
            for (pointer, given) in [
                ("/error_code", &wire.error_code),
                ("/error_message", &wire.error_message),
            ] {
                if given.is_some() {
                    return Err(invalid(pointer, "must be null when the status is executed"));
                }
            }
            ReportedOutcome::Executed {
                result_hash: result_hash(wire.result.as_ref())?,
            }
        }
        "failed" => ReportedOutcome::Failed {
            error_code: required_text("/error_code", wire.error_code)?,
            error_message: required_text("/error_message", wire.error_message)?,
        },
        other => {
            return Err(invalid(
                "/status",
                format_args!(
                    "must be \"executed\" or \"failed\", not '{}'",
                    super::session::truncated(other)
                ),
            ))
        }
    };
    Ok(Report {
        request_id: wire.request_id,
        agent_id: requester.agent_id,
        session_id,
        execution_id,
        duration_ms: wire.duration_ms,
        outcome,
    })
}

fn required_text(pointer: &str, value: Option<Cow<'_, str>>) -> Result<Box<str>> {
    let value = value.ok_or_else(|| invalid(pointer, "is required when the status is failed"))?;
    if value.is_empty() {
        return Err(invalid(pointer, "must not be empty"));
    }
    check_length(pointer, &value, MAX_TEXT_LEN)?;
    Ok(value.as_ref().into())
}

/// The hex SHA-256 of the result's canonical JSON; `None` for no result.
fn result_hash(result: Option<&Value>) -> Result<Option<Box<str>>> {
    match result {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Object(_)) => Ok(Some(canonical_hash(value).into())),
        Some(_) => Err(invalid("/result", "must be a JSON object or null")),
    }
}
