//! CARP/1.0 `check_action` requests: parsing and the rules that need
//! nothing but the request (CARP.md, "Check request").

use super::request::{
    check_id, check_request_size, check_timestamp, expect_text, invalid, requester_session,
};
use super::session::SessionId;
use super::wire::{deserialize_object, Object, WireRequester};
use crate::error::Result;
use crate::time::clock::UnixMicros;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// A check request that passed every rule of its own.
#[derive(Debug)]
pub struct CheckRequest<'a> {
    pub request_id: Cow<'a, str>,
    pub agent_id: Cow<'a, str>,
    pub session_id: SessionId,
    pub resolution_id: Cow<'a, str>,
    pub action_id: Cow<'a, str>,
    /// A JSON object.
    pub parameters: Value,
}

/// The wire shape. Unknown members are ignored, as in resolve requests.
#[derive(Deserialize)]
struct CheckWire<'a> {
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
    resolution_id: Cow<'a, str>,
    #[serde(borrow)]
    action_id: Cow<'a, str>,
    parameters: Value,
}

/// Parses `json` as a check request and checks its own rules, as
/// [`super::request::parse_request`] does for a resolve.
///
/// Errors: `InvalidArgument` (too large), `InvalidJson`,
/// `InvalidRequest` naming the JSON pointer of the first broken rule.
pub fn parse_check(
    json: &str,
    now: UnixMicros,
    clock_skew_seconds: u32,
) -> Result<CheckRequest<'_>> {
    check_request_size(json)?;
    let wire: CheckWire<'_> = deserialize_object(json)?;
    let Object(requester) = wire.requester;
    expect_text("/carp_version", &wire.carp_version, "1.0")?;
    check_id("/request_id", &wire.request_id)?;
    check_timestamp(&wire.timestamp, now, clock_skew_seconds)?;
    expect_text("/operation", &wire.operation, "check_action")?;
    check_id("/requester/agent_id", &requester.agent_id)?;
    let session_id = requester_session(&requester.session_id)?;
    check_id("/resolution_id", &wire.resolution_id)?;
    check_id("/action_id", &wire.action_id)?;
    if !wire.parameters.is_object() {
        return Err(invalid("/parameters", "must be a JSON object"));
    }
    Ok(CheckRequest {
        request_id: wire.request_id,
        agent_id: requester.agent_id,
        session_id,
        resolution_id: wire.resolution_id,
        action_id: wire.action_id,
        parameters: wire.parameters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn request(extra: Value) -> String {
        let mut request = json!({
            "carp_version": "1.0", "operation": "check_action", "request_id": "c1",
            "timestamp": "2026-12-07T12:00:00Z",
            "requester": {"agent_id": "agent-7", "session_id": "01936f2a-7c00-7000-8000-000000000001"},
            "resolution_id": "01936f2a-7c00-7000-8000-000000000002",
            "action_id": "billing.refund", "parameters": {"amount": 5}
        });
        request
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        request.to_string()
    }

    fn error(extra: Value) -> (ErrorKind, String) {
        let err = parse_check(&request(extra), 0, 0).unwrap_err();
        (err.kind(), err.message().to_owned())
    }

    #[test]
    fn a_check_request_parses() {
        let text = request(json!({}));
        let check = parse_check(&text, 0, 0).unwrap();
        assert_eq!(
            (&*check.request_id, &*check.action_id),
            ("c1", "billing.refund")
        );
        assert_eq!(check.parameters, json!({"amount": 5}));
    }

    #[test]
    fn broken_rules_name_their_pointer() {
        for (extra, pointer) in [
            (json!({"operation": "resolve"}), "/operation"),
            (json!({"request_id": ""}), "/request_id"),
            (json!({"resolution_id": ""}), "/resolution_id"),
            (json!({"action_id": 7}), "/action_id"),
            (json!({"parameters": [1]}), "/parameters"),
            (json!({"parameters": null}), "/parameters"),
            (
                json!({"requester": {"agent_id": "a", "session_id": "nope"}}),
                "/requester/session_id",
            ),
            (json!({"timestamp": "yesterday"}), "/timestamp"),
        ] {
            let (kind, message) = error(extra.clone());
            assert_eq!(kind, ErrorKind::InvalidRequest, "{extra}: {message}");
            assert!(message.starts_with(pointer), "{extra}: {message}");
        }
        let missing = parse_check(r#"{"carp_version":"1.0"}"#, 0, 0).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::InvalidRequest);
        assert_eq!(
            parse_check("{", 0, 0).unwrap_err().kind(),
            ErrorKind::InvalidJson
        );
    }
}
