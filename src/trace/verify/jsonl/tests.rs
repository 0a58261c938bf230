//! verify_jsonl on hand-made and tampered traces, whole and in parts.

use super::*;
use crate::test_support::{
    canonical_line, chain, event_hash_of, exported_lines, plain_line, rehash, vector_lines,
    TestEvent,
};
use crate::trace::event::{ChainIds, EventType, SealedEvent};
use crate::trace::verify::{verify_jsonl, ChainFailure, FailureKind};
use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

/// The export of a valid chain of `len` events of session `session`.
fn session_lines(session: u128, len: usize) -> Vec<String> {
    let ids = ChainIds {
        session_id: Uuid::from_u128(0x0193_6f2a_7c00_7000_8000 << 48 | session),
        trace_id: Uuid::from_u128(0x0193_6f2a_7c00_7000_9000 << 48 | session),
    };
    let mut events: Vec<TestEvent> = Vec::new();
    for n in 0..len {
        let event = TestEvent {
            event: SealedEvent {
                event_id: Uuid::from_u128(session << 64 | n as u128),
                span_id: Uuid::from_u128(session << 64 | 1 << 32 | n as u128),
                parent_span_id: (n > 0).then(|| Uuid::from_u128(session)),
                timestamp: 1_795_867_200_000_000 + n as i64,
                event_type: EventType::ContextInjected,
                payload_offset: 0,
                event_hash: [0; 32],
            },
            payload: format!("{{\"block_id\":\"b{n} \\u00e9\",\"token_count\":{n}}}"),
        };
        events.push(event);
    }
    exported_lines(ids, events)
}

/// Three sessions' lines, interleaved.
fn interleaved_lines() -> Vec<String> {
    let sessions: Vec<Vec<String>> = (1..=3).map(|s| session_lines(s, 15)).collect();
    (0..15)
        .flat_map(|n| sessions.iter().map(move |lines| lines[n].clone()))
        .collect()
}

/// Checks that every way of cutting `text` into parts gives the report
/// of reading it whole, and returns that report.
fn assert_parts_agree(text: &str) -> VerifyReport {
    let whole = verify_text_in_parts(text, text.len(), 2);
    for part_bytes in [1, 700, 2_000, 5_000] {
        assert_eq!(
            verify_text_in_parts(text, part_bytes, 2),
            whole,
            "parts of {part_bytes}"
        );
        assert_eq!(
            verify_bytes_in_parts(text.as_bytes(), part_bytes, 2),
            Ok(whole.clone()),
            "bytes in parts of {part_bytes}"
        );
    }
    assert_eq!(verify_jsonl(text), whole);
    whole
}

#[test]
fn bytes_that_are_not_utf8_are_refused_wherever_they_are() {
    let mut lines = interleaved_lines();
    // A chain failure early on must not hide bad bytes after it.
    lines[3] = lines[3].replace("block_id", "block_jd");
    let text = lines.join("\n");
    for at in [0, 10, text.len() / 2, text.len() - 1] {
        let at = (at..)
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        let mut bytes = text.clone().into_bytes();
        bytes.insert(at, 0xff);
        for part_bytes in [1, 700, bytes.len()] {
            assert_eq!(
                verify_bytes_in_parts(&bytes, part_bytes, 2),
                Err(NotUtf8 { offset: at }),
                "0xff at {at}, parts of {part_bytes}"
            );
        }
    }
}

#[test]
fn parts_agree_on_valid_texts() {
    let lines = interleaved_lines();
    for separator in ["\n", "\r\n", "\r", "\n\n \n"] {
        let report = assert_parts_agree(&(lines.join(separator) + separator));
        assert_eq!((report.events, report.failure), (45, None));
    }
    assert_eq!(assert_parts_agree(""), VerifyReport::default());
}

/// Changes the lines at an index.
type Tampering = fn(&mut Vec<String>, usize);

fn tamperings() -> Vec<(&'static str, Tampering)> {
    vec![
        ("payload", |lines, i| {
            lines[i] = lines[i].replace("block_id", "block_jd")
        }),
        ("not JSON", |lines, i| lines[i].truncate(40)),
        ("shape", |lines, i| {
            lines[i] = lines[i].replace("\"1.0\"", "\"1.1\"")
        }),
        ("removed", |lines, i| {
            lines.remove(i);
        }),
        ("moved 3 on", |lines, i| {
            let line = lines.remove(i);
            lines.insert((i + 3).min(lines.len()), line);
        }),
        ("repeated", |lines, i| lines.insert(i, lines[i].clone())),
        ("blank before", |lines, i| {
            lines.insert(i, " \u{1f}".to_owned())
        }),
    ]
}

#[test]
fn parts_agree_on_tampered_texts_wherever_the_parts_end() {
    let valid = interleaved_lines();
    for (name, tamper) in tamperings() {
        for index in 0..valid.len() {
            let mut lines = valid.clone();
            tamper(&mut lines, index);
            for separator in ["\n", "\r"] {
                let report = assert_parts_agree(&lines.join(separator));
                let failure = report.failure.as_ref();
                if name == "payload" {
                    let found = failure.map(|f| (f.kind, f.index));
                    assert_eq!(found, Some((FailureKind::HashMismatch, index as u64)));
                }
                if let Some(failure) = failure {
                    assert_eq!(report.events, failure.index, "{name} at {index}");
                }
            }
        }
    }
}

#[test]
fn a_failure_beyond_the_parts_checked_ahead_is_found_after_earlier_parts_link() {
    let mut lines = interleaved_lines();
    let last = lines.len() - 1;
    lines[last] = lines[last].replace("token_count", "token_kount");
    // With parts of one line each, the last line lies beyond the window.
    assert!(lines.len() > PARTS_AHEAD_PER_THREAD * 2);
    let report = verify_text_in_parts(&lines.join("\n"), 1, 2);
    let failure = report.failure.expect("failure");
    assert_eq!((failure.index, report.events), (last as u64, last as u64));
    assert!(report.head_hash.is_some());
}

// ----- verifying JSON Lines written by anyone -----

fn failure_of(lines: &[String]) -> ChainFailure {
    verify_jsonl(&lines.join("\n")).failure.expect("a failure")
}

fn assert_fails(lines: &[String], kind: FailureKind, index: u64) {
    let failure = failure_of(lines);
    assert_eq!((failure.kind, failure.index), (kind, index), "{failure:?}");
}

fn edit_member(line: &str, name: &str, value: Value) -> String {
    let mut event: Value = serde_json::from_str(line).expect("JSON");
    event[name] = value;
    plain_line(&event)
}

/// Changes a line.
type Edit = fn(&str) -> String;

/// Edits that make an event of `session_lines` fail, with the kind of
/// failure each gives. The payload edit keeps libcra's layout; the
/// others write the line anew, so it is read with a JSON parser.
fn failing_edits() -> Vec<(FailureKind, Edit)> {
    vec![
        (FailureKind::HashMismatch, |line| {
            line.replace("block_id", "block_jd")
        }),
        (FailureKind::HashMismatch, |line| {
            edit_member(line, "event_hash", json!("ab".repeat(32)))
        }),
        (FailureKind::ChainBroken, |line| {
            edit_member(line, "previous_event_hash", json!("cd".repeat(32)))
        }),
        (FailureKind::SequenceGap, |line| {
            edit_member(line, "sequence", json!(99))
        }),
        (FailureKind::Malformed, |line| line[..40].to_owned()),
    ]
}

/// The first failing event is reported, with the failure its own rules
/// give first (link rules before the hash rule), wherever it stands.
#[test]
fn of_two_failing_neighbours_the_earlier_is_reported() {
    for len in [6, 7] {
        let valid = session_lines(1, len);
        for index in 0..len {
            for (kind, edit) in failing_edits() {
                for (_, edit_next) in failing_edits() {
                    let mut lines = valid.clone();
                    lines[index] = edit(&lines[index]);
                    if let Some(next) = lines.get_mut(index + 1) {
                        *next = edit_next(next);
                    }
                    let report = assert_parts_agree(&lines.join("\n"));
                    let failure = report.failure.expect("a failure");
                    let case = format!("{len} events, {kind} at {index}: {failure:?}");
                    assert_eq!(
                        (failure.kind, failure.index),
                        (kind, index as u64),
                        "{case}"
                    );
                    if kind == FailureKind::HashMismatch {
                        let event: Value = serde_json::from_str(&lines[index]).expect("JSON");
                        assert_eq!(failure.detail, format!("computed {}", rehash(&event)));
                    }
                    let head = index.checked_sub(1).map(|last| event_hash_of(&valid[last]));
                    assert_eq!((report.events, report.head_hash), (index as u64, head));
                }
            }
        }
    }
}

#[test]
fn vector_file_verifies() {
    let lines = vector_lines();
    let report = verify_jsonl(&lines.join("\n"));
    assert_eq!(report.failure, None);
    assert_eq!(report.events, 3);
    assert_eq!(report.pending, 0);
    assert_eq!(report.head_hash, Some(event_hash_of(&lines[2])));
}

#[test]
fn empty_and_blank_text_is_valid_with_no_events() {
    for text in ["", "\n", "  \n\t\r\n\u{1f}\u{a0}\n\u{3000}"] {
        assert_eq!(verify_jsonl(text), VerifyReport::default(), "{text:?}");
    }
}

#[test]
fn line_endings_follow_python_universal_newlines() {
    let lines = vector_lines();
    for separator in ["\r\n", "\r", "\n\n  \n", "\n\u{1c}\n"] {
        let text = lines.join(separator) + separator;
        let report = verify_jsonl(&text);
        assert_eq!((report.events, report.failure), (3, None), "{separator:?}");
    }
    let mut tampered = lines.clone();
    tampered[2] = tampered[2].replace("allow-billing", "allow-billinG");
    for separator in ["\n \n\r\n", "\r", "\r\n", "\r\r\n\u{1f}\r"] {
        let report = verify_jsonl(&tampered.join(separator));
        let failure = report.failure.expect("failure");
        assert_eq!(
            (failure.kind, failure.index, report.events),
            (FailureKind::HashMismatch, 2, 2),
            "{separator:?}"
        );
    }
}

#[test]
fn edited_payload_is_a_hash_mismatch() {
    let mut lines = vector_lines();
    lines[0] = lines[0].replace("Deploy the billing", "Deploy the Billing");
    assert_fails(&lines, FailureKind::HashMismatch, 0);
    let mut lines = vector_lines();
    lines[1] = lines[1].replace("ünïcode", "unïcode");
    assert_fails(&lines, FailureKind::HashMismatch, 1);
    let mut lines = vector_lines();
    lines[2] = lines[2].replace("\"zeta\":1", "\"zeta\":2");
    assert_fails(&lines, FailureKind::HashMismatch, 2);
}

#[test]
fn removed_events_are_sequence_gaps() {
    let mut lines = vector_lines();
    lines.remove(1);
    assert_fails(&lines, FailureKind::SequenceGap, 1);
    let mut lines = vector_lines();
    lines.remove(0);
    assert_fails(&lines, FailureKind::SequenceGap, 0);
}

#[test]
fn swapped_events_are_a_sequence_gap() {
    let mut lines = vector_lines();
    lines.swap(1, 2);
    assert_fails(&lines, FailureKind::SequenceGap, 1);
}

#[test]
fn changed_sequence_is_a_gap() {
    let mut lines = vector_lines();
    lines[2] = edit_member(&lines[2], "sequence", json!(3));
    assert_fails(&lines, FailureKind::SequenceGap, 2);
}

#[test]
fn changed_links_break_the_chain() {
    let mut lines = vector_lines();
    lines[2] = edit_member(&lines[2], "previous_event_hash", json!("ab".repeat(32)));
    assert_fails(&lines, FailureKind::ChainBroken, 2);
    let mut lines = vector_lines();
    lines[0] = edit_member(
        &lines[0],
        "previous_event_hash",
        json!("0".repeat(63) + "1"),
    );
    assert_fails(&lines, FailureKind::ChainBroken, 0);
}

#[test]
fn changed_event_hash_is_a_hash_mismatch() {
    let mut lines = vector_lines();
    lines[1] = edit_member(&lines[1], "event_hash", json!("ab".repeat(32)));
    assert_fails(&lines, FailureKind::HashMismatch, 1);
}

#[test]
fn foreign_event_under_the_same_session_id_breaks_the_chain() {
    let lines = vector_lines();
    let vector_session =
        serde_json::from_str::<Value>(&lines[0]).expect("JSON")["session_id"].clone();
    let mut foreign = chain(9, 3).swap_remove(1);
    foreign["session_id"] = vector_session;
    // Re-hashing the forgery does not help: it still links elsewhere.
    for forged in [foreign.clone(), {
        let hash = rehash(&foreign);
        foreign["event_hash"] = json!(hash);
        foreign
    }] {
        let mut tampered = lines.clone();
        tampered[1] = plain_line(&forged);
        assert_fails(&tampered, FailureKind::ChainBroken, 1);
    }
}

#[test]
fn interleaved_sessions_verify_independently() {
    let chains: Vec<Vec<Value>> = (1..=4).map(|s| chain(s, 25)).collect();
    let mut cursors = [0usize; 4];
    let mut lines = Vec::new();
    let mut state = 7u64;
    while lines.len() < 100 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let session = (state >> 33) as usize % 4;
        if let Some(event) = chains[session].get(cursors[session]) {
            cursors[session] += 1;
            // Alternate the payload spellings: fast and slow path.
            lines.push(if lines.len() % 2 == 0 {
                canonical_line(event)
            } else {
                plain_line(event)
            });
        }
    }
    let report = verify_jsonl(&lines.join("\n"));
    assert_eq!((report.events, &report.failure), (100, &None));
    assert_eq!(report.head_hash, Some(event_hash_of(&lines[99])));

    let mut tampered = lines.clone();
    tampered[60] = tampered[60].replace("step", "stop");
    let report = verify_jsonl(&tampered.join("\n"));
    let failure = report.failure.expect("failure");
    assert_eq!(
        (failure.kind, failure.index),
        (FailureKind::HashMismatch, 60)
    );
    assert_eq!(report.events, 60);
    assert_eq!(report.head_hash, Some(event_hash_of(&lines[59])));
}

#[test]
fn canonical_and_plain_lines_hash_alike() {
    let events = chain(5, 3);
    for line in [canonical_line, plain_line] {
        let lines: Vec<String> = events.iter().map(line).collect();
        assert_eq!(verify_jsonl(&lines.join("\n")).failure, None);
    }
    assert!(canonical_line(&events[0]).contains(r#""goal":"step 0 \u00e9\u0001\ud834\udd1e""#));
}

#[test]
fn malformed_members_are_reported_as_malformed() {
    let base = &vector_lines()[0];
    let mut cases: Vec<String> = [
        ("trace_version", json!("1.1")),
        ("trace_version", json!(1.0)),
        ("event_id", json!("01936F2A-7C00-7000-8000-000000000100")),
        ("event_id", json!("01936f2a-7c00-7000-8000-000000000100\n")),
        ("trace_id", json!("01936f2a7c0070008000000000000aa")),
        ("span_id", json!(7)),
        ("session_id", json!(null)),
        ("parent_span_id", json!("")),
        ("parent_span_id", json!(false)),
        ("sequence", json!("0")),
        ("sequence", json!(true)),
        ("sequence", json!(-1)),
        ("sequence", json!(0.0)),
        ("sequence", json!(null)),
        ("timestamp", json!("2026-11-28T12:00:00.000Z")),
        ("timestamp", json!("2026-11-28 12:00:00.000000Z")),
        ("timestamp", json!("٢٠٢٦-11-28T12:00:00.000000Z")),
        ("event_type", json!("")),
        ("event_type", json!(["session.started"])),
        ("payload", json!([])),
        ("payload", json!("{}")),
        (
            "event_hash",
            json!("48F7B8E282C0791C049498043390C27F18D4D41C0189DFE93C65D725AB550D71"),
        ),
        ("previous_event_hash", json!("0".repeat(63))),
    ]
    .into_iter()
    .map(|(name, value)| edit_member(base, name, value))
    .collect();
    cases.push(base.replace("\"sequence\":0", "\"sequence\":1e0"));
    cases.push(base.replace(",\"payload\":{", ",\"payloads\":{"));
    cases.push(base.replace(
        "{\"agent_id\":\"agent-7\"",
        "{\"x\":1e400,\"agent_id\":\"agent-7\"",
    ));
    cases.push(base.replace("agent-7", "agent-\\ud800"));
    cases.push(base.replace("\"agent-7\"", "NaN"));
    cases.push(base[..base.len() - 1].to_owned());
    cases.push(format!("[{base}]"));
    cases.push("null".to_owned());
    cases.push("\u{feff}{}".to_owned());
    for case in &cases {
        let report = verify_jsonl(case);
        let failure = report.failure.as_ref().expect("failure");
        assert_eq!(
            (failure.kind, failure.index),
            (FailureKind::Malformed, 0),
            "{case}: {failure:?}"
        );
        assert_eq!((report.events, &report.head_hash), (0, &None));
    }
}

#[test]
fn missing_members_are_named() {
    let mut event: Value = serde_json::from_str(&vector_lines()[0]).expect("JSON");
    let members = event.as_object_mut().expect("object");
    members.remove("parent_span_id");
    members.remove("payload");
    let failure = failure_of(&[plain_line(&event)]);
    assert_eq!(failure.kind, FailureKind::Malformed);
    assert_eq!(failure.detail, "missing fields: parent_span_id,payload");
}

#[test]
fn integers_read_as_python_reads_them() {
    let mut lines = vector_lines();
    lines[0] = lines[0].replace("\"sequence\":0", "\"sequence\":-0");
    assert_eq!(verify_jsonl(&lines.join("\n")).failure, None);

    let mut lines = vector_lines();
    lines[1] = lines[1].replace("\"sequence\":1", "\"sequence\":18446744073709551617");
    assert_fails(&lines, FailureKind::SequenceGap, 1);
}

#[test]
fn repeated_and_unknown_members_are_malformed() {
    let cases = [
        ("{", "{\"sequence\":5,", "duplicate member \"sequence\""),
        (
            "{",
            "{\"extra\":1,\"more\":[],",
            "unexpected members: extra,more",
        ),
        (
            "\"payload\":{",
            "\"payload\":{\"a\":{\"b\":1,\"b\":1},",
            "duplicate member \"b\"",
        ),
    ];
    for (at, insert, detail) in cases {
        let mut lines = vector_lines();
        lines[0] = lines[0].replacen(at, insert, 1);
        let failure = verify_jsonl(&lines.join("\n")).failure.expect("fails");
        assert_eq!((failure.kind, failure.index), (FailureKind::Malformed, 0));
        assert!(failure.detail.contains(detail), "{}", failure.detail);
    }
}

#[test]
fn escaped_member_text_is_decoded_before_checking() {
    let mut lines = vector_lines();
    lines[0] = lines[0].replace(
        "\"trace_version\":\"1.0\"",
        "\"trace_version\":\"\\u0031.0\"",
    );
    lines[0] = lines[0].replace(
        "\"event_type\":\"session.started\"",
        "\"event_type\":\"session\\u002estarted\"",
    );
    assert_eq!(verify_jsonl(&lines.join("\n")).failure, None);
}

proptest! {
    #[test]
    fn lines_are_the_pieces_between_line_feeds(text in "[a\n\ré]{0,12}") {
        let expected: Vec<&str> = text.split('\n').collect();
        prop_assert_eq!(lines(&text).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC*|[\\[\\]{}\":,0-9a-f\\\\\r\n -]*") {
        let report = verify_jsonl(&text);
        prop_assert!(report.failure.is_some() || report.events == 0 || report.head_hash.is_some());
    }

    #[test]
    fn never_panics_on_mutated_vectors(
        position in 0usize..2000,
        replacement in prop::sample::select(vec!["", "\"", "\\", "{", "}", "1", "-", "\n", "é", "\\u0000", "1e999", "[", ","]),
        cut in 0usize..4,
    ) {
        let text = vector_lines().join("\n");
        let mut position = position % (text.len() + 1);
        while !text.is_char_boundary(position) {
            position -= 1;
        }
        let end = (position + cut).min(text.len());
        let end = (end..=text.len()).find(|&e| text.is_char_boundary(e)).unwrap_or(text.len());
        let mutated = format!("{}{}{}", &text[..position], replacement, &text[end..]);
        let report = verify_jsonl(&mutated);
        if report.failure.is_none() {
            prop_assert_eq!(report.events, 3);
        } else {
            prop_assert_eq!(report.events, report.failure.as_ref().map_or(0, |f| f.index));
        }
    }
}
