//! CARP requests written from their fields, for hosts that have no JSON
//! library at hand (the C ABI's `cra_*_request_json`): the envelope
//! (version, operation, a new request id, the time) is filled in, and
//! JSON values a host passes (parameters, a result) are checked to be one
//! object and kept as written, so their hash is the one the host computes.

use crate::error::{Error, ErrorKind, Result};
use crate::json::well_formed::check_unique_members;
use crate::time::timestamp::format_timestamp;
use crate::time::UnixMicros;
use crate::trace::event::ids::new_v7;
use serde::Serialize;
use serde_json::value::RawValue;

/// Who asks, in every request.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'a> {
    pub session_id: &'a str,
    pub agent_id: &'a str,
    /// `None`: `req-` and a new UUIDv7.
    pub request_id: Option<&'a str>,
}

/// A resolve request's task.
#[derive(Clone, Copy, Debug)]
pub struct ResolveFields<'a> {
    pub goal: &'a str,
    /// `None`: CARP's default, `low`.
    pub risk_tier: Option<&'a str>,
}

/// A check of one action of a resolution.
#[derive(Clone, Copy, Debug)]
pub struct CheckFields<'a> {
    pub resolution_id: &'a str,
    pub action_id: &'a str,
    /// One JSON object; `None`: `{}`.
    pub parameters: Option<&'a str>,
}

/// How an approved action ended.
#[derive(Clone, Copy, Debug)]
pub enum Outcome<'a> {
    /// It ran; `result`, one JSON object or `None`, is recorded as its hash.
    Executed { result: Option<&'a str> },
    Failed {
        error_code: &'a str,
        error_message: &'a str,
    },
}

/// The outcome report of an approved check.
#[derive(Clone, Copy, Debug)]
pub struct ReportFields<'a> {
    pub execution_id: &'a str,
    pub duration_ms: u64,
    pub outcome: Outcome<'a>,
}

#[derive(Serialize)]
struct Envelope<'a, Body> {
    carp_version: &'static str,
    operation: &'static str,
    request_id: &'a str,
    timestamp: &'a str,
    requester: RequesterWire<'a>,
    #[serde(flatten)]
    body: Body,
}

#[derive(Serialize)]
struct RequesterWire<'a> {
    agent_id: &'a str,
    session_id: &'a str,
}

#[derive(Serialize)]
struct TaskBody<'a> {
    task: Task<'a>,
}

#[derive(Serialize)]
struct Task<'a> {
    goal: &'a str,
    risk_tier: &'a str,
}

#[derive(Serialize)]
struct CheckBody<'a> {
    resolution_id: &'a str,
    action_id: &'a str,
    parameters: &'a RawValue,
}

#[derive(Serialize)]
struct ReportBody<'a> {
    execution_id: &'a str,
    status: &'static str,
    duration_ms: u64,
    error_code: Option<&'a str>,
    error_message: Option<&'a str>,
    result: Option<&'a RawValue>,
}

/// A `resolve` request at `now`. Errors: none beyond `Internal`; the
/// resolver checks the fields when the request is resolved.
pub fn resolve_request(
    requester: Requester<'_>,
    fields: ResolveFields<'_>,
    now: UnixMicros,
) -> Result<String> {
    let task = Task {
        goal: fields.goal,
        risk_tier: fields.risk_tier.unwrap_or("low"),
    };
    envelope(requester, "resolve", now, TaskBody { task })
}

/// A `check_action` request at `now`. Errors: `InvalidJson` when the
/// parameters are not one JSON object with unique member names.
pub fn check_request(
    requester: Requester<'_>,
    fields: CheckFields<'_>,
    now: UnixMicros,
) -> Result<String> {
    let parameters = json_object("parameters", fields.parameters.unwrap_or("{}"))?;
    let body = CheckBody {
        resolution_id: fields.resolution_id,
        action_id: fields.action_id,
        parameters: &parameters,
    };
    envelope(requester, "check_action", now, body)
}

/// A `report_action` request at `now`. Errors: `InvalidJson` when the
/// result is not one JSON object with unique member names.
pub fn report_request(
    requester: Requester<'_>,
    fields: ReportFields<'_>,
    now: UnixMicros,
) -> Result<String> {
    let result = match fields.outcome {
        Outcome::Executed {
            result: Some(result),
        } => Some(json_object("result", result)?),
        _ => None,
    };
    let (status, error_code, error_message) = match fields.outcome {
        Outcome::Executed { .. } => ("executed", None, None),
        Outcome::Failed {
            error_code,
            error_message,
        } => ("failed", Some(error_code), Some(error_message)),
    };
    let body = ReportBody {
        execution_id: fields.execution_id,
        status,
        duration_ms: fields.duration_ms,
        error_code,
        error_message,
        result: result.as_deref(),
    };
    envelope(requester, "report_action", now, body)
}

fn envelope<Body: Serialize>(
    requester: Requester<'_>,
    operation: &'static str,
    now: UnixMicros,
    body: Body,
) -> Result<String> {
    let generated;
    let request_id = match requester.request_id {
        Some(id) => id,
        None => {
            generated = format!("req-{}", new_v7(now).simple());
            &generated
        }
    };
    let timestamp = format_timestamp(now);
    let envelope = Envelope {
        carp_version: "1.0",
        operation,
        request_id,
        timestamp: std::str::from_utf8(&timestamp).unwrap_or_default(),
        requester: RequesterWire {
            agent_id: requester.agent_id,
            session_id: requester.session_id,
        },
        body,
    };
    serde_json::to_string(&envelope).map_err(|err| {
        Error::new(
            ErrorKind::Internal,
            format!("cannot write the request: {err}"),
        )
    })
}

/// `text` as a JSON value to embed unchanged, when it is one object whose
/// members are unique at every depth.
fn json_object(name: &str, text: &str) -> Result<Box<RawValue>> {
    let invalid = |why: String| Error::new(ErrorKind::InvalidJson, format!("{name}: {why}"));
    check_unique_members(text).map_err(|err| invalid(err.to_string()))?;
    let value: Box<RawValue> =
        serde_json::from_str(text).map_err(|err| invalid(err.to_string()))?;
    if !value.get().trim_start().starts_with('{') {
        return Err(invalid("is not a JSON object".into()));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const NOW: UnixMicros = 1_796_000_000_000_000;

    fn requester(request_id: Option<&str>) -> Requester<'_> {
        Requester {
            session_id: "s",
            agent_id: "a\"gent",
            request_id,
        }
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_check_carries_the_envelope_and_keeps_the_parameters_as_written() {
        let fields = CheckFields {
            resolution_id: "r",
            action_id: "x.y",
            parameters: Some(r#"{"b": 1.50, "a": [1]}"#),
        };
        let text = check_request(requester(None), fields, NOW).unwrap();
        assert!(
            text.contains(r#""parameters":{"b": 1.50, "a": [1]}"#),
            "{text}"
        );
        let request = parse(&text);
        assert_eq!(request["operation"], "check_action");
        assert_eq!(request["carp_version"], "1.0");
        assert_eq!(request["requester"]["agent_id"], "a\"gent");
        assert!(request["request_id"].as_str().unwrap().starts_with("req-"));
        assert_eq!(request["timestamp"], "2026-11-30T00:53:20.000000Z");
    }

    #[test]
    fn generated_request_ids_differ_and_given_ones_are_kept() {
        let fields = ResolveFields {
            goal: "g",
            risk_tier: None,
        };
        let first = parse(&resolve_request(requester(None), fields, NOW).unwrap());
        let second = parse(&resolve_request(requester(None), fields, NOW).unwrap());
        assert_ne!(first["request_id"], second["request_id"]);
        let given = parse(&resolve_request(requester(Some("r-1")), fields, NOW).unwrap());
        assert_eq!(given["request_id"], "r-1");
        assert_eq!(given["task"], json!({"goal": "g", "risk_tier": "low"}));
    }

    #[test]
    fn reports_carry_error_members_exactly_when_failed() {
        let executed = ReportFields {
            execution_id: "e",
            duration_ms: 7,
            outcome: Outcome::Executed {
                result: Some(r#"{"ok":true}"#),
            },
        };
        let request = parse(&report_request(requester(None), executed, NOW).unwrap());
        assert_eq!(request["status"], "executed");
        assert_eq!(request["error_code"], Value::Null);
        assert_eq!(request["result"], json!({"ok": true}));
        let failed = ReportFields {
            outcome: Outcome::Failed {
                error_code: "E1",
                error_message: "boom",
            },
            ..executed
        };
        let request = parse(&report_request(requester(None), failed, NOW).unwrap());
        assert_eq!(
            (request["status"].clone(), request["error_code"].clone()),
            (json!("failed"), json!("E1"))
        );
        assert_eq!(request["result"], Value::Null);
    }

    #[test]
    fn values_that_are_not_one_object_are_refused_by_name() {
        for bad in ["[1]", "{", "{\"a\":1,\"a\":2}", "{} {}", "NaN", ""] {
            let fields = CheckFields {
                resolution_id: "r",
                action_id: "x",
                parameters: Some(bad),
            };
            let err = check_request(requester(None), fields, NOW).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidJson, "{bad}");
            assert!(err.message().starts_with("parameters: "), "{bad}: {err}");
        }
    }
}
