//! CARP/1.0 requests: parsing and the rules that need nothing but the
//! request itself (the rules that need the resolver's state are checked by
//! the resolve).

use super::scan::scan;
use super::session::{truncated, Session, SessionId};
use super::wire::{deserialize, Object};
use crate::atlas::manifest::RiskTier;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{MAX_ID_LEN, MAX_REQUEST_LEN, MAX_TEXT_LEN};
use crate::time::clock::UnixMicros;
use crate::time::timestamp::parse_rfc3339;
use std::borrow::Cow;
use std::fmt::Display;

/// A request that passed every rule of its own; texts borrow from the input.
#[derive(Debug)]
pub struct Request<'a> {
    pub request_id: Cow<'a, str>,
    pub agent_id: Cow<'a, str>,
    pub session_id: SessionId,
    pub goal: Cow<'a, str>,
    pub risk_tier: RiskTier,
    pub context_hints: Vec<Cow<'a, str>>,
    pub required_capabilities: Vec<Cow<'a, str>>,
    /// `None` when the request names no atlases (absent, null or `[]`, as
    /// in CARP.md's request template): every atlas is considered.
    pub atlas_ids: Option<Vec<Cow<'a, str>>>,
}

/// Parses `json` and checks the rules CARP.md gives for a request on its own.
///
/// `now` and `clock_skew_seconds` check the request's timestamp (a skew of 0
/// turns the check off). Errors: `InvalidArgument` when the document is over
/// [`MAX_REQUEST_LEN`], `InvalidJson` when it is not JSON, `InvalidRequest`
/// naming the JSON pointer of the first broken rule.
pub fn parse_request(json: &str, now: UnixMicros, clock_skew_seconds: u32) -> Result<Request<'_>> {
    check_request_size(json)?;
    // The scanner reads the usual requests; serde reads (or refuses) the rest.
    let wire = match scan(json) {
        Some(wire) => wire,
        None => deserialize(json)?,
    };
    let (Object(requester), Object(task)) = (wire.requester, wire.task);
    expect_text("/carp_version", &wire.carp_version, "1.0")?;
    check_id("/request_id", &wire.request_id)?;
    check_timestamp(&wire.timestamp, now, clock_skew_seconds)?;
    expect_text("/operation", &wire.operation, "resolve")?;
    check_id("/requester/agent_id", &requester.agent_id)?;
    let session_id = requester_session(&requester.session_id)?;
    check_goal(&task.goal)?;
    let risk_tier = match &task.risk_tier {
        None => RiskTier::Low,
        Some(tier) => RiskTier::parse(tier).ok_or_else(|| {
            invalid(
                "/task/risk_tier",
                format_args!(
                    "'{}' is not one of low, medium, high, critical",
                    truncated(tier)
                ),
            )
        })?,
    };
    let context_hints = task.context_hints.unwrap_or_default();
    check_each("/task/context_hints", &context_hints, MAX_TEXT_LEN)?;
    let required_capabilities = task.required_capabilities.unwrap_or_default();
    check_each(
        "/task/required_capabilities",
        &required_capabilities,
        MAX_ID_LEN,
    )?;
    if let Some(atlas_ids) = &wire.atlas_ids {
        check_each("/atlas_ids", atlas_ids, MAX_ID_LEN)?;
    }
    Ok(Request {
        request_id: wire.request_id,
        agent_id: requester.agent_id,
        session_id,
        goal: task.goal,
        risk_tier,
        context_hints,
        required_capabilities,
        atlas_ids: wire.atlas_ids.filter(|ids| !ids.is_empty()),
    })
}

/// Refuses a request document over [`MAX_REQUEST_LEN`] (`InvalidArgument`)
/// before reading it, whatever its operation.
pub(super) fn check_request_size(json: &str) -> Result<()> {
    if json.len() > MAX_REQUEST_LEN {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "request is {} bytes, more than the limit of {MAX_REQUEST_LEN}",
                json.len()
            ),
        ));
    }
    Ok(())
}

/// The requester of an action check or report against its session: the
/// session's agent (else `Permission`), not ended (else `SessionEnded`).
pub(super) fn check_requester(
    session: &Session,
    ended: bool,
    agent_id: &str,
    session_id: SessionId,
) -> Result<()> {
    if *session.agent_id != *agent_id {
        return Err(Error::at(
            ErrorKind::Permission,
            "/requester/agent_id",
            format!(
                "agent '{}' does not own session '{session_id}'",
                truncated(agent_id)
            ),
        ));
    }
    if ended {
        return Err(super::ended(session_id));
    }
    Ok(())
}

/// The requester's session id. Errors: `InvalidRequest` at its pointer.
pub(super) fn requester_session(text: &str) -> Result<SessionId> {
    SessionId::parse(text).map_err(|err| {
        Error::at(
            ErrorKind::InvalidRequest,
            "/requester/session_id",
            err.message(),
        )
    })
}

/// An `InvalidRequest` error about the member at `pointer`. Errors are
/// rare, so they are built out of line, from lazily formatted arguments:
/// the checks that run for every request stay small.
#[cold]
pub(super) fn invalid(pointer: impl Display, message: impl Display) -> Error {
    Error::at(ErrorKind::InvalidRequest, &pointer.to_string(), message)
}

pub(super) fn expect_text(pointer: &str, value: &str, expected: &str) -> Result<()> {
    if value == expected {
        Ok(())
    } else {
        Err(not_expected(pointer, value, expected))
    }
}

/// The error of [`expect_text`], out of line (see [`invalid`]): quoting
/// the value is work of its own.
#[cold]
fn not_expected(pointer: &str, value: &str, expected: &str) -> Error {
    invalid(
        pointer,
        format_args!("must be \"{expected}\", not '{}'", truncated(value)),
    )
}

pub(super) fn check_id(pointer: impl Display, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(invalid(pointer, "must not be empty"));
    }
    check_length(pointer, value, MAX_ID_LEN)
}

fn check_goal(goal: &str) -> Result<()> {
    if goal.trim().is_empty() {
        return Err(invalid("/task/goal", "must not be empty"));
    }
    check_length("/task/goal", goal, MAX_TEXT_LEN)
}

pub(super) fn check_length(pointer: impl Display, value: &str, limit: usize) -> Result<()> {
    if value.len() > limit {
        Err(invalid(
            pointer,
            format_args!("is {} bytes, more than the limit of {limit}", value.len()),
        ))
    } else {
        Ok(())
    }
}

fn check_each(pointer: &str, values: &[Cow<'_, str>], limit: usize) -> Result<()> {
    for (index, value) in values.iter().enumerate() {
        // Each element's pointer is only written out for an error.
        let pointer = format_args!("{pointer}/{index}");
        if value.is_empty() {
            return Err(invalid(pointer, "must not be empty"));
        }
        check_length(pointer, value, limit)?;
    }
    Ok(())
}

pub(super) fn check_timestamp(text: &str, now: UnixMicros, clock_skew_seconds: u32) -> Result<()> {
    let timestamp = parse_rfc3339(text).ok_or_else(|| {
        invalid(
            "/timestamp",
            format_args!("'{}' is not an RFC 3339 timestamp", truncated(text)),
        )
    })?;
    let skew_micros = i64::from(clock_skew_seconds) * 1_000_000;
    let distance = (i128::from(timestamp) - i128::from(now)).abs();
    if clock_skew_seconds > 0 && distance > i128::from(skew_micros) {
        return Err(invalid(
            "/timestamp",
            format_args!(
                "'{text}' is {} s away from the resolver's clock; the allowed clock skew is {clock_skew_seconds} s",
                distance / 1_000_000
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: UnixMicros = 1_795_867_200_000_000; // 2026-11-28T12:00:00Z
    const SESSION: &str = "01936f2a-7c00-7000-8000-000000000001";

    fn request() -> serde_json::Value {
        json!({
            "carp_version": "1.0",
            "request_id": "req-1",
            "timestamp": "2026-11-28T12:00:00Z",
            "operation": "resolve",
            "requester": {"agent_id": "agent-7", "session_id": SESSION, "parent_session_id": null},
            "task": {"goal": "Refund an invoice", "risk_tier": "high",
                     "context_hints": ["billing"], "required_capabilities": []},
            "atlas_ids": ["com.example.billing"],
            "context": {"anything": [1, 2.5, {"deep": null}]}
        })
    }

    fn parse(value: &serde_json::Value) -> Result<Request<'static>> {
        let text: &'static str = Box::leak(value.to_string().into_boxed_str());
        parse_request(text, NOW, 300)
    }

    fn error_of(value: &serde_json::Value) -> (ErrorKind, String) {
        let err = parse(value).unwrap_err();
        (err.kind(), err.message().to_owned())
    }

    #[test]
    fn a_full_request_parses() {
        let request = parse(&request()).unwrap();
        assert_eq!(request.request_id, "req-1");
        assert_eq!(request.agent_id, "agent-7");
        assert_eq!(request.session_id.to_string(), SESSION);
        assert_eq!(request.goal, "Refund an invoice");
        assert_eq!(request.risk_tier, RiskTier::High);
        assert_eq!(request.context_hints, ["billing"]);
        assert_eq!(request.atlas_ids.unwrap(), ["com.example.billing"]);
    }

    #[test]
    fn optional_members_default() {
        let mut value = request();
        let task = value["task"].as_object_mut().unwrap();
        task.remove("risk_tier");
        task.remove("context_hints");
        value.as_object_mut().unwrap().remove("atlas_ids");
        let request = parse(&value).unwrap();
        assert_eq!(request.risk_tier, RiskTier::Low);
        assert!(request.context_hints.is_empty());
        assert!(request.atlas_ids.is_none());
    }

    #[test]
    fn missing_and_mistyped_members_name_their_pointer() {
        let mut value = request();
        value["task"].as_object_mut().unwrap().remove("goal");
        assert_eq!(
            error_of(&value),
            (
                ErrorKind::InvalidRequest,
                "/task: missing member `goal`".into()
            )
        );

        let mut value = request();
        value["task"]["goal"] = json!(5);
        let (kind, message) = error_of(&value);
        assert_eq!(kind, ErrorKind::InvalidRequest);
        assert!(
            message.starts_with("/task/goal: invalid type: integer `5`"),
            "{message}"
        );

        let mut value = request();
        value["atlas_ids"] = json!(["a.b", 7]);
        let (_, message) = error_of(&value);
        assert!(
            message.starts_with("/atlas_ids/1: invalid type"),
            "{message}"
        );
    }

    #[test]
    fn each_rule_of_a_request_on_its_own() {
        let cases: Vec<(&str, serde_json::Value, &str)> = vec![
            (
                "/carp_version",
                json!("2.0"),
                "/carp_version: must be \"1.0\", not '2.0'",
            ),
            ("/request_id", json!(""), "/request_id: must not be empty"),
            (
                "/operation",
                json!("execute"),
                "/operation: must be \"resolve\", not 'execute'",
            ),
            (
                "/timestamp",
                json!("noon"),
                "/timestamp: 'noon' is not an RFC 3339 timestamp",
            ),
        ];
        for (member, bad, expected) in cases {
            let mut value = request();
            *value.pointer_mut(member).unwrap() = bad;
            assert_eq!(
                error_of(&value),
                (ErrorKind::InvalidRequest, expected.into())
            );
        }
        let mut value = request();
        value["task"]["goal"] = json!("   ");
        assert_eq!(error_of(&value).1, "/task/goal: must not be empty");
        value["task"]["goal"] = json!("x".repeat(MAX_TEXT_LEN + 1));
        assert!(error_of(&value).1.starts_with("/task/goal: is 65537 bytes"));

        let mut value = request();
        value["task"]["risk_tier"] = json!("extreme");
        assert_eq!(
            error_of(&value).1,
            "/task/risk_tier: 'extreme' is not one of low, medium, high, critical"
        );

        let mut value = request();
        value["requester"]["session_id"] = json!("nope");
        assert!(error_of(&value)
            .1
            .starts_with("/requester/session_id: 'nope' is not a session id"));
    }

    #[test]
    fn an_array_element_is_named_by_its_index() {
        let mut value = request();
        value["task"]["context_hints"] = json!(["billing", ""]);
        assert_eq!(
            error_of(&value).1,
            "/task/context_hints/1: must not be empty"
        );
        let mut value = request();
        value["atlas_ids"] = json!(["a", "b", "x".repeat(MAX_ID_LEN + 1)]);
        assert_eq!(
            error_of(&value).1,
            format!(
                "/atlas_ids/2: is {} bytes, more than the limit of {MAX_ID_LEN}",
                MAX_ID_LEN + 1
            )
        );
    }

    #[test]
    fn clock_skew_is_checked_unless_turned_off() {
        let mut value = request();
        value["timestamp"] = json!("2026-11-28T12:05:01Z");
        let (kind, message) = error_of(&value);
        assert_eq!(kind, ErrorKind::InvalidRequest);
        assert!(message.contains("301 s away"), "{message}");
        value["timestamp"] = json!("2026-11-28T11:55:00Z");
        parse(&value).unwrap();
        let text = {
            let mut value = request();
            value["timestamp"] = json!("2001-01-01T00:00:00Z");
            value.to_string()
        };
        assert!(parse_request(&text, NOW, 0).is_ok());
    }

    #[test]
    fn not_json_is_invalid_json() {
        for text in ["", "{", "[1,2]x", "{\"carp_version\": NaN}", "nul"] {
            let err = parse_request(text, NOW, 300).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidJson, "{text}: {err}");
        }
        // Valid JSON of the wrong shape is a request error, not a JSON error.
        assert_eq!(
            parse_request("[1]", NOW, 300).unwrap_err().kind(),
            ErrorKind::InvalidRequest
        );
    }

    #[test]
    fn oversized_documents_are_refused_before_parsing() {
        let text = " ".repeat(MAX_REQUEST_LEN + 1);
        assert_eq!(
            parse_request(&text, NOW, 300).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}
