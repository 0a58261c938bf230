//! The canonical JSON payload of each event type the resolver emits.
//!
//! Payloads are written directly in canonical form (keys in code-point
//! order, canonical string escaping), so the bytes stored are the bytes
//! hashed and no generic serializer runs on the hot path. Arguments ending
//! in `_json` are already-serialized JSON values.
//!
//! Each writer appends to a caller's buffer, so the sealer writes every
//! payload straight into the text its events' payloads are packed in.

use crate::json::write_json_string;

pub fn session_started(out: &mut String, agent_id: &str, goal: &str) {
    out.push_str("{\"agent_id\":");
    write_json_string(out, agent_id);
    out.push_str(",\"goal\":");
    write_json_string(out, goal);
    out.push('}');
}

pub fn session_ended(out: &mut String, reason: &str, duration_ms: u64) {
    out.push_str("{\"duration_ms\":");
    out.push_str(itoa::Buffer::new().format(duration_ms));
    out.push_str(",\"reason\":");
    write_json_string(out, reason);
    out.push('}');
}

pub fn session_resumed(out: &mut String, events_before: u64, reason: &str) {
    out.push_str("{\"events_before\":");
    out.push_str(itoa::Buffer::new().format(events_before));
    out.push_str(",\"reason\":");
    write_json_string(out, reason);
    out.push('}');
}

/// `action.requested`: the action a check is about, its resolution, and the
/// hex SHA-256 of its parameters' canonical JSON.
pub fn action_requested(
    out: &mut String,
    action_id: &str,
    resolution_id: &str,
    parameters_hash: &str,
) {
    out.push_str("{\"action_id\":");
    write_json_string(out, action_id);
    out.push_str(",\"parameters_hash\":");
    write_json_string(out, parameters_hash);
    out.push_str(",\"resolution_id\":");
    write_json_string(out, resolution_id);
    out.push('}');
}

/// `action.approved`.
pub fn action_approved(out: &mut String, action_id: &str, resolution_id: &str, execution_id: &str) {
    out.push_str("{\"action_id\":");
    write_json_string(out, action_id);
    out.push_str(",\"execution_id\":");
    write_json_string(out, execution_id);
    out.push_str(",\"resolution_id\":");
    write_json_string(out, resolution_id);
    out.push('}');
}

/// `action.denied`: `policy_id` is null for the rules no policy decides.
pub fn action_denied(out: &mut String, action_id: &str, reason: &str, policy_id: Option<&str>) {
    out.push_str("{\"action_id\":");
    write_json_string(out, action_id);
    out.push_str(",\"policy_id\":");
    match policy_id {
        Some(policy_id) => write_json_string(out, policy_id),
        None => out.push_str("null"),
    }
    out.push_str(",\"reason\":");
    write_json_string(out, reason);
    out.push('}');
}

/// `action.executed`: `result_hash` is the hex SHA-256 of the result's
/// canonical JSON, or null.
pub fn action_executed(
    out: &mut String,
    action_id: &str,
    execution_id: &str,
    duration_ms: u64,
    result_hash: Option<&str>,
) {
    out.push_str("{\"action_id\":");
    write_json_string(out, action_id);
    out.push_str(",\"duration_ms\":");
    out.push_str(itoa::Buffer::new().format(duration_ms));
    out.push_str(",\"execution_id\":");
    write_json_string(out, execution_id);
    out.push_str(",\"result_hash\":");
    match result_hash {
        Some(hash) => write_json_string(out, hash),
        None => out.push_str("null"),
    }
    out.push('}');
}

/// `action.failed`.
pub fn action_failed(
    out: &mut String,
    action_id: &str,
    execution_id: &str,
    duration_ms: u64,
    error_code: &str,
    error_message: &str,
) {
    out.push_str("{\"action_id\":");
    write_json_string(out, action_id);
    out.push_str(",\"duration_ms\":");
    out.push_str(itoa::Buffer::new().format(duration_ms));
    out.push_str(",\"error_code\":");
    write_json_string(out, error_code);
    out.push_str(",\"error_message\":");
    write_json_string(out, error_message);
    out.push_str(",\"execution_id\":");
    write_json_string(out, execution_id);
    out.push('}');
}

/// `approval.granted` and `approval.rejected`: `reason` is a string or null.
pub fn approval_answered(
    out: &mut String,
    approval_id: &str,
    resolution_id: &str,
    approver: &str,
    reason: Option<&str>,
) {
    out.push_str("{\"approval_id\":");
    write_json_string(out, approval_id);
    out.push_str(",\"approver\":");
    write_json_string(out, approver);
    out.push_str(",\"reason\":");
    match reason {
        Some(reason) => write_json_string(out, reason),
        None => out.push_str("null"),
    }
    out.push_str(",\"resolution_id\":");
    write_json_string(out, resolution_id);
    out.push('}');
}

pub fn request_received(out: &mut String, request_id: &str, goal: &str, atlas_ids_json: &str) {
    out.push_str("{\"atlas_ids\":");
    out.push_str(atlas_ids_json);
    out.push_str(",\"goal\":");
    write_json_string(out, goal);
    out.push_str(",\"operation\":\"resolve\",\"request_id\":");
    write_json_string(out, request_id);
    out.push('}');
}

pub fn policy_evaluated(
    out: &mut String,
    action_id_json: &str,
    policy_id_json: &str,
    result: &str,
) {
    out.push_str("{\"action_id\":");
    out.push_str(action_id_json);
    out.push_str(",\"policy_id\":");
    out.push_str(policy_id_json);
    out.push_str(",\"result\":\"");
    out.push_str(result);
    out.push_str("\"}");
}

pub fn context_injected(
    out: &mut String,
    block_id_json: &str,
    source_json: &str,
    token_count: u64,
) {
    out.push_str("{\"block_id\":");
    out.push_str(block_id_json);
    out.push_str(",\"source\":");
    out.push_str(source_json);
    out.push_str(",\"token_count\":");
    out.push_str(itoa::Buffer::new().format(token_count));
    out.push('}');
}

/// The members of `carp.resolution.completed`.
pub struct ResolutionSummary<'a> {
    pub resolution_id: &'a str,
    pub request_id: &'a str,
    pub decision_type: &'a str,
    pub allowed_count: u64,
    pub denied_count: u64,
    pub context_block_count: u64,
    pub ttl_seconds: u64,
}

pub fn resolution_completed(out: &mut String, summary: &ResolutionSummary<'_>) {
    let mut number = itoa::Buffer::new();
    out.push_str("{\"allowed_count\":");
    out.push_str(number.format(summary.allowed_count));
    out.push_str(",\"context_block_count\":");
    out.push_str(number.format(summary.context_block_count));
    out.push_str(",\"decision_type\":\"");
    out.push_str(summary.decision_type);
    out.push_str("\",\"denied_count\":");
    out.push_str(number.format(summary.denied_count));
    out.push_str(",\"request_id\":");
    write_json_string(out, summary.request_id);
    out.push_str(",\"resolution_id\":\"");
    out.push_str(summary.resolution_id);
    out.push_str("\",\"ttl_seconds\":");
    out.push_str(number.format(summary.ttl_seconds));
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::canonical_json;

    /// A payload is canonical when parsing and re-canonicalizing it changes nothing.
    fn assert_canonical(payload: &str) {
        let value: serde_json::Value = serde_json::from_str(payload).unwrap();
        assert_eq!(canonical_json(&value).unwrap(), payload);
    }

    fn json(text: &str) -> String {
        let mut out = String::new();
        write_json_string(&mut out, text);
        out
    }

    /// What a payload writer appends to a buffer that holds the payloads before it.
    fn written(write: impl FnOnce(&mut String)) -> String {
        const BEFORE: &str = "{\"the previous\":\"payload\"}";
        let mut out = String::from(BEFORE);
        write(&mut out);
        out.split_off(BEFORE.len())
    }

    #[test]
    fn every_payload_is_canonical_with_hostile_text() {
        let text = "Déployer \"x\" \\ \n\t\u{1}\u{7f} 𝄞 /";
        assert_canonical(&written(|out| session_started(out, text, text)));
        assert_canonical(&written(|out| session_ended(out, text, u64::MAX)));
        assert_canonical(&written(|out| session_resumed(out, u64::MAX, text)));
        assert_canonical(&written(|out| action_requested(out, text, text, text)));
        assert_canonical(&written(|out| action_approved(out, text, text, text)));
        assert_canonical(&written(|out| action_denied(out, text, text, Some(text))));
        assert_canonical(&written(|out| action_denied(out, text, text, None)));
        assert_canonical(&written(|out| {
            action_executed(out, text, text, u64::MAX, Some(text))
        }));
        assert_canonical(&written(|out| {
            action_failed(out, text, text, 0, text, text)
        }));
        assert_canonical(&written(|out| {
            approval_answered(out, text, text, text, Some(text))
        }));
        assert_canonical(&written(|out| {
            request_received(
                out,
                text,
                text,
                &format!("[{},{}]", json("a.b"), json(text)),
            )
        }));
        assert_canonical(&written(|out| {
            policy_evaluated(out, &json("a.b"), &json(text), "rate_limited")
        }));
        assert_canonical(&written(|out| {
            context_injected(out, &json(text), &json("a.b"), 12)
        }));
        assert_canonical(&written(|out| {
            resolution_completed(
                out,
                &ResolutionSummary {
                    resolution_id: "01936f2a-7c00-7000-8000-000000000100",
                    request_id: text,
                    decision_type: "requires_approval",
                    allowed_count: 3,
                    denied_count: 0,
                    context_block_count: 2,
                    ttl_seconds: 3600,
                },
            )
        }));
    }

    #[test]
    fn payloads_hold_exactly_the_members_of_trace_md() {
        let members = |payload: &str| -> Vec<String> {
            let value: serde_json::Value = serde_json::from_str(payload).unwrap();
            value.as_object().unwrap().keys().cloned().collect()
        };
        assert_eq!(
            members(&written(|out| session_started(out, "a", "g"))),
            ["agent_id", "goal"]
        );
        assert_eq!(
            members(&written(|out| session_resumed(out, 7, "r"))),
            ["events_before", "reason"]
        );
        assert_eq!(
            members(&written(|out| action_requested(out, "a", "r", "h"))),
            ["action_id", "parameters_hash", "resolution_id"]
        );
        assert_eq!(
            members(&written(|out| action_approved(out, "a", "r", "e"))),
            ["action_id", "execution_id", "resolution_id"]
        );
        assert_eq!(
            members(&written(|out| action_denied(out, "a", "why", None))),
            ["action_id", "policy_id", "reason"]
        );
        assert_eq!(
            members(&written(|out| action_executed(out, "a", "e", 3, None))),
            ["action_id", "duration_ms", "execution_id", "result_hash"]
        );
        assert_eq!(
            members(&written(|out| action_failed(out, "a", "e", 3, "c", "m"))),
            [
                "action_id",
                "duration_ms",
                "error_code",
                "error_message",
                "execution_id"
            ]
        );
        assert_eq!(
            members(&written(|out| approval_answered(
                out, "p", "r", "ann", None
            ))),
            ["approval_id", "approver", "reason", "resolution_id"]
        );
        assert_eq!(
            members(&written(|out| session_ended(out, "r", 5))),
            ["duration_ms", "reason"]
        );
        assert_eq!(
            members(&written(|out| request_received(out, "r", "g", "[]"))),
            ["atlas_ids", "goal", "operation", "request_id"]
        );
        assert_eq!(
            members(&written(|out| policy_evaluated(
                out, "\"a\"", "\"p\"", "allow"
            ))),
            ["action_id", "policy_id", "result"]
        );
        assert_eq!(
            members(&written(|out| context_injected(out, "\"b\"", "\"s\"", 1))),
            ["block_id", "source", "token_count"]
        );
    }
}
