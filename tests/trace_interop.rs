//! `cra::verify_jsonl` and the Python verifiers must agree on every trace:
//! valid or not, and if not, the kind of failure. The Python verifiers are
//! the repository's own `tools/cra-verify`, always, and the independent
//! `shared/tools/trace_verify.py` when `../shared` sits beside the
//! repository (a clone with nothing beside it checks against the first).

mod common;

use common::{verdicts, TempTrace, Verdict};

use cra::test_support::{
    canonical_lines, chain_of as chain, plain_lines, rehash, tricky_payloads, vector_lines,
};
use cra::{verify_jsonl, VerifyReport};
use serde_json::{json, Value};

/// What each Python verifier says about `text`.
fn python_verify(text: &str) -> Vec<Verdict> {
    verdicts(&TempTrace::new(text).0)
}

/// Both verifiers accept `text`, with the same number of events.
fn assert_both_valid(text: &str) -> VerifyReport {
    let ours = verify_jsonl(text);
    assert_eq!(ours.failure, None, "we rejected a trace:\n{text}");
    for python in python_verify(text) {
        assert_eq!(
            python.status, 0,
            "{} rejected: {}\n{text}",
            python.verifier, python.output
        );
        assert_eq!(
            python.output["events"],
            json!(ours.events),
            "{}",
            python.verifier
        );
    }
    ours
}

/// Both verifiers reject `text` with `kind`; a single-session `text` also
/// gives the same index (trace_verify.py counts within a session).
fn assert_both_fail(text: &str, kind: &str, single_session: bool) {
    let ours = verify_jsonl(text);
    let failure = ours.failure.expect("we accepted a tampered trace");
    assert_eq!(failure.kind.as_str(), kind, "ours: {failure:?}");
    for python in python_verify(text) {
        assert_eq!(python.status, 1, "{}: {}", python.verifier, python.output);
        assert_eq!(
            python.output["kind"],
            json!(kind),
            "{}: {}",
            python.verifier,
            python.output
        );
        if single_session {
            assert_eq!(
                python.output["index"],
                json!(failure.index),
                "{}",
                python.verifier
            );
        }
    }
}

fn edit_member(line: &str, name: &str, value: Value) -> String {
    let mut event: Value = serde_json::from_str(line).expect("JSON");
    event[name] = value;
    serde_json::to_string(&event).expect("serializable")
}

#[test]
fn vector_is_valid_for_both() {
    let report = assert_both_valid(&vector_lines().join("\n"));
    assert_eq!(report.events, 3);
}

#[test]
fn tricky_payloads_hash_alike_in_both() {
    let events = chain(1, tricky_payloads());
    assert_both_valid(&plain_lines(&events).join("\n"));
    assert_both_valid(&(canonical_lines(&events).join("\n") + "\n"));
}

/// The lines of three sessions' chains, one event of each in turn.
fn three_sessions_interleaved() -> Vec<String> {
    let chains: Vec<Vec<String>> = (1..=3)
        .map(|s| canonical_lines(&chain(s, tricky_payloads())))
        .collect();
    (0..tricky_payloads().len())
        .flat_map(|i| chains.iter().map(move |chain| chain[i].clone()))
        .collect()
}

#[test]
fn interleaved_sessions_are_valid_for_both() {
    let lines = three_sessions_interleaved();
    assert_eq!(assert_both_valid(&lines.join("\n")).events, 15);
}

#[test]
fn line_ending_variants_are_valid_for_both() {
    let lines = vector_lines();
    for separator in ["\r\n", "\r", "\n\n \t\n", "\n\u{1f}\u{3000}\n"] {
        assert_both_valid(&lines.join(separator));
    }
}

#[test]
fn python_int_reading_is_matched() {
    let mut lines = vector_lines();
    lines[0] = lines[0].replace("\"sequence\":0", "\"sequence\":-0");
    assert_both_valid(&lines.join("\n"));

    let mut lines = vector_lines();
    lines[1] = lines[1].replace("\"sequence\":1", "\"sequence\":99999999999999999999999");
    assert_both_fail(&lines.join("\n"), "sequence_gap", true);
}

#[test]
fn escaped_member_text_is_read_as_its_value_by_both() {
    let mut lines = vector_lines();
    lines[1] = lines[1].replace("\"1.0\"", "\"\\u0031.0\"");
    lines[2] = lines[2].replacen("\"event_id\"", "\"\\u0065vent_id\"", 1);
    assert_both_valid(&lines.join("\n"));
}

/// TRACE.md: readers disagree on which copy of a repeated member wins, so a
/// repeat anywhere in a line (or a member not in the table, a lone
/// surrogate, a number that is not finite) makes the line malformed.
#[test]
fn ambiguous_lines_are_malformed_in_both() {
    let lines = vector_lines();
    let first = &lines[0];
    let nested_repeat = {
        let mut event: Value = serde_json::from_str(first).expect("JSON");
        event["payload"]["outer"] = json!({"inner": {"k": 1}});
        let line = serde_json::to_string(&event).expect("serializable");
        line.replace("{\"k\":1}", "{\"k\":1,\"k\":2}")
    };
    let cases = [
        // Repeated members: the event's own, spelled alike or escaped.
        first.replacen('{', "{\"sequence\":5,\"payload\":[],", 1),
        first.replacen('{', "{\"\\u0073equence\":0,", 1),
        // Repeated in the payload, at its top and deep inside.
        first.replacen("\"payload\":{", "\"payload\":{\"agent_id\":\"x\",", 1),
        nested_repeat,
        // A member that is not in TRACE.md's table.
        first.replacen('{', "{\"note\":\"harmless?\",", 1),
        first.replacen('{', "{\"note\":{\"a\":1,\"a\":2},", 1),
        // Lone surrogates, in the payload and in a member.
        first.replacen("\"payload\":{", "\"payload\":{\"lone\":\"\\ud800\",", 1),
        first.replacen("\"payload\":{", "\"payload\":{\"lone\":\"a\\udc00b\",", 1),
        edit_member_text(first, "event_type", "\"session.\\udbff\""),
        // Numbers that are not finite.
        first.replacen("\"payload\":{", "\"payload\":{\"big\":1e400,", 1),
        first.replacen("\"payload\":{", "\"payload\":{\"big\":[-1E999],", 1),
    ];
    for case in cases {
        assert_both_fail(&case, "malformed", true);
    }
}

/// `line` with the value of member `name` replaced by the JSON text `value`,
/// written as is.
fn edit_member_text(line: &str, name: &str, value: &str) -> String {
    let mut event: Value = serde_json::from_str(line).expect("JSON");
    event[name] = json!("\u{1}placeholder");
    let edited = serde_json::to_string(&event).expect("serializable");
    edited.replace("\"\\u0001placeholder\"", value)
}

#[test]
fn payload_edits_are_hash_mismatches_in_both() {
    let events = chain(2, tricky_payloads());
    let mut lines = canonical_lines(&events);
    lines[2] = lines[2].replace("\\u0000", "\\u0001");
    assert_both_fail(&lines.join("\n"), "hash_mismatch", true);

    let mut lines = plain_lines(&events);
    lines[1] = lines[1].replace('𝄞', "𝄟");
    assert_both_fail(&lines.join("\n"), "hash_mismatch", true);

    // Hashes cover values, not spellings: .3 reads as the same double as .25.
    let mut lines = plain_lines(&events);
    lines[4] = lines[4].replace("563000000000000.25", "563000000000000.3");
    assert_both_valid(&lines.join("\n"));
    lines[4] = lines[4].replace("563000000000000.3", "563000000000000.5");
    assert_both_fail(&lines.join("\n"), "hash_mismatch", true);
}

#[test]
fn removed_and_swapped_events_are_gaps_in_both() {
    let lines = canonical_lines(&chain(3, tricky_payloads()));
    let mut removed = lines.clone();
    removed.remove(2);
    assert_both_fail(&removed.join("\n"), "sequence_gap", true);
    let mut swapped = lines.clone();
    swapped.swap(3, 4);
    assert_both_fail(&swapped.join("\n"), "sequence_gap", true);
    let mut sequence = lines;
    sequence[1] = edit_member(&sequence[1], "sequence", json!(7));
    assert_both_fail(&sequence.join("\n"), "sequence_gap", true);
}

#[test]
fn broken_links_are_chain_broken_in_both() {
    let lines = vector_lines();
    let mut relinked = lines.clone();
    relinked[2] = edit_member(&relinked[2], "previous_event_hash", json!("cd".repeat(32)));
    assert_both_fail(&relinked.join("\n"), "chain_broken", true);

    // Another session's event moved under this session id, even re-hashed.
    let mut foreign = chain(8, tricky_payloads()).swap_remove(1);
    let vector_event: Value = serde_json::from_str(&lines[0]).expect("JSON");
    foreign["session_id"] = vector_event["session_id"].clone();
    foreign["event_hash"] = json!(rehash(&foreign));
    let mut mixed = lines;
    mixed[1] = serde_json::to_string(&foreign).expect("serializable");
    assert_both_fail(&mixed.join("\n"), "chain_broken", true);
}

#[test]
fn malformed_events_are_malformed_in_both() {
    let base = &vector_lines()[0];
    let mut cases: Vec<String> = [
        ("event_id", json!("01936F2A-7C00-7000-8000-000000000100")),
        ("parent_span_id", json!(5)),
        ("sequence", json!(1.0)),
        ("sequence", json!(true)),
        ("sequence", json!(-3)),
        ("timestamp", json!("2026-11-28T12:00:00Z")),
        ("event_type", json!("")),
        ("payload", json!(["not", "an", "object"])),
        ("event_hash", json!("ABCDEF".repeat(10) + "ABCD")),
    ]
    .into_iter()
    .map(|(name, value)| edit_member(base, name, value))
    .collect();
    cases.push(base.replace(",\"trace_id\":", ",\"trace_ids\":"));
    cases.push("[1,2,3]".to_owned());
    for case in cases {
        assert_both_fail(&case, "malformed", true);
    }
}

#[test]
fn failure_in_one_session_of_many_is_found_by_both() {
    let mut lines = three_sessions_interleaved();
    // Line 4 is the second event of the second session.
    lines[4] = lines[4].replace("D\\u00e9ployer", "Deployer");
    assert_both_fail(&lines.join("\n"), "hash_mismatch", false);
    assert_eq!(
        verify_jsonl(&lines.join("\n")).failure.map(|f| f.index),
        Some(4)
    );
}
