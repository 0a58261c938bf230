//! `tools/cra-verify`, the repository's own verifier (Python, standard
//! library only, written from TRACE.md), and libcra's `verify_jsonl` must
//! agree on every trace: valid or not, and if not, the same failure kind at
//! the same index (the first failure in file order, counted among non-empty
//! lines). The traces come from the test support (hand-built chains,
//! tampered line by line) and from a real `Resolver`.

mod common;

use common::TempTrace;

use std::ffi::{CStr, OsStr};
use std::io::Write;
use std::process::{Command, Stdio};
use std::ptr;
use std::time::Duration;

use common::{loaded_resolver, request, resolve, security_atlas, TestResolver, AGENT};
use cra::ffi::{
    cra_error_free, cra_error_message, cra_verify_jsonl, cra_verify_report, CRA_ERR_CHAIN_INVALID,
    CRA_ERR_INVALID_ARGUMENT, CRA_OK,
};
use cra::test_support::{
    canonical_lines, chain_of, plain_line, rehash, tricky_payloads, vector_lines, VECTOR,
};
use cra::{verify_jsonl, Config, SessionId, TraceRead, VerifyReport};
use serde_json::{json, Value};

const TOOL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/cra-verify");
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

// ------------------------------------------------------------ running the tool

/// What `tools/cra-verify` said: its exit status and its JSON line.
#[derive(Debug)]
struct Verdict {
    status: i32,
    output: Value,
    stderr: String,
}

/// Runs `python3 tools/cra-verify args...`, with `stdin` fed in if given.
fn run_tool<S: AsRef<OsStr>>(args: &[S], stdin: Option<&[u8]>) -> Verdict {
    let mut child = Command::new("python3")
        .arg(TOOL)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed to run tools/cra-verify");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        pipe.write_all(bytes).expect("write stdin");
    }
    let out = child.wait_with_output().expect("cra-verify runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.len() <= 1,
        "cra-verify printed more than one line:\n{stdout}"
    );
    let output = lines
        .first()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|_| panic!("cra-verify printed no JSON: {stdout}\n{stderr}"))
        })
        .unwrap_or(Value::Null);
    Verdict {
        status: out.status.code().unwrap_or(-1),
        output,
        stderr,
    }
}

/// The tool on `bytes` written to a file, with `extra` arguments first.
fn tool_on(bytes: &[u8], extra: &[&str]) -> Verdict {
    let file = TempTrace::new(bytes);
    let mut args: Vec<&OsStr> = extra.iter().map(OsStr::new).collect();
    args.push(file.0.as_os_str());
    run_tool(&args, None)
}

/// The tool on `text` held against the head `(events, hash)`.
fn tool_with_head(text: &str, events: u64, hash: &str) -> Verdict {
    tool_on(text.as_bytes(), &["--head", &format!("{events}:{hash}")])
}

/// The tool on each of `texts`, a few at a time (each run starts an
/// interpreter, which takes a while).
fn tool_on_each(texts: &[String]) -> Vec<Verdict> {
    let width = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    let mut verdicts = Vec::with_capacity(texts.len());
    for batch in texts.chunks(width) {
        std::thread::scope(|scope| {
            let runs: Vec<_> = batch
                .iter()
                .map(|text| scope.spawn(move || tool_on(text.as_bytes(), &[])))
                .collect();
            verdicts.extend(runs.into_iter().map(|run| run.join().expect("tool run")));
        });
    }
    verdicts
}

// ------------------------------------------------------------ the library's side

/// What libcra's C ABI said about `bytes`.
#[derive(Debug, PartialEq, Eq)]
enum FfiVerdict {
    Report { events: u64, first_bad_index: i64 },
    Refused { status: i32, message: String },
}

fn ffi_verify(bytes: &[u8]) -> FfiVerdict {
    let mut report = cra_verify_report {
        events: 0,
        pending: 0,
        first_bad_index: 0,
        failure: 0,
        head_hash: [0; 65],
    };
    let mut err = ptr::null_mut();
    // SAFETY: `bytes` is readable for its length, `report` and `err` are
    // valid for writing, and `err` is freed once, after its message is read.
    let (status, message) = unsafe {
        let status = cra_verify_jsonl(bytes.as_ptr().cast(), bytes.len(), &mut report, &mut err);
        let message = CStr::from_ptr(cra_error_message(err))
            .to_string_lossy()
            .into_owned();
        cra_error_free(err);
        (status, message)
    };
    if status == CRA_OK || status == CRA_ERR_CHAIN_INVALID {
        FfiVerdict::Report {
            events: report.events,
            first_bad_index: report.first_bad_index,
        }
    } else {
        FfiVerdict::Refused { status, message }
    }
}

/// The library's report on `text`, the same through the C ABI.
fn library_verify(text: &str) -> VerifyReport {
    let report = verify_jsonl(text);
    let index = report.failure.as_ref().map_or(-1, |f| f.index as i64);
    assert_eq!(
        ffi_verify(text.as_bytes()),
        FfiVerdict::Report {
            events: report.events,
            first_bad_index: index
        },
        "cra_verify_jsonl and verify_jsonl differ"
    );
    report
}

// ------------------------------------------------------------ agreement

/// Both verifiers accept `text`, with the same number of events; the tool
/// counts `sessions` sessions.
fn assert_both_valid(text: &str, sessions: usize) -> VerifyReport {
    let ours = library_verify(text);
    let tool = tool_on(text.as_bytes(), &[]);
    assert_eq!(ours.failure, None, "libcra rejected a trace:\n{text}");
    assert_eq!(tool.status, 0, "cra-verify rejected: {tool:?}\n{text}");
    assert_eq!(
        tool.output,
        json!({"valid": true, "sessions": sessions, "events": ours.events})
    );
    ours
}

/// Both verifiers reject `text` with `kind` at `index`.
fn assert_both_fail(text: &str, kind: &str, index: u64) {
    assert_fails_alike(text, tool_on(text.as_bytes(), &[]), kind, index);
}

/// libcra and the tool, whose verdict on `text` is `tool`, reject `text`
/// with `kind` at `index`.
fn assert_fails_alike(text: &str, tool: Verdict, kind: &str, index: u64) {
    let ours = library_verify(text);
    let failure = ours
        .failure
        .unwrap_or_else(|| panic!("libcra accepted a bad trace ({kind} at {index}):\n{text}"));
    assert_eq!(
        (failure.kind.as_str(), failure.index),
        (kind, index),
        "libcra: {failure:?}\n{text}"
    );
    assert_eq!(tool.status, 1, "cra-verify: {tool:?}\n{text}");
    assert_eq!(tool.output["valid"], json!(false), "{tool:?}");
    assert_eq!(
        (&tool.output["kind"], &tool.output["index"]),
        (&json!(kind), &json!(index)),
        "cra-verify: {}\nlibcra: {failure:?}\n{text}",
        tool.output
    );
    assert!(tool.output["detail"].is_string(), "{tool:?}");
}

// ------------------------------------------------------------ traces

/// The lines of three sessions' chains, one event of each in turn: the
/// event at file index `3 * i + s` is event `i` of session `s`.
fn three_sessions_interleaved() -> Vec<String> {
    let chains: Vec<Vec<String>> = (1..=3)
        .map(|s| canonical_lines(&chain_of(s, tricky_payloads())))
        .collect();
    (0..tricky_payloads().len())
        .flat_map(|i| chains.iter().map(move |chain| chain[i].clone()))
        .collect()
}

fn parse(line: &str) -> Value {
    serde_json::from_str(line).expect("JSON")
}

fn edit_member(line: &str, name: &str, value: Value) -> String {
    let mut event = parse(line);
    event[name] = value;
    plain_line(&event)
}

/// `line` with the value of member `name` replaced by the JSON text
/// `value`, written as is.
fn edit_member_text(line: &str, name: &str, value: &str) -> String {
    let edited = edit_member(line, name, json!("\u{1}placeholder"));
    edited.replace("\"\\u0001placeholder\"", value)
}

/// `line` with `members` (JSON text, ending in a comma) put first in its payload.
fn into_payload(line: &str, members: &str) -> String {
    line.replacen("\"payload\":{", &format!("\"payload\":{{{members}"), 1)
}

/// A resolver with real sessions: their ids and each one's JSONL trace.
struct RealTraces {
    resolver: TestResolver,
    sessions: Vec<SessionId>,
    traces: Vec<String>,
}

fn real_traces() -> RealTraces {
    let resolver = loaded_resolver(Config::default());
    resolver
        .load_atlas(&security_atlas().to_string())
        .expect("security atlas");
    let goals = ["Refunds", "Month-end close", "Audit — ünïcode ✓ 𝄞"];
    let sessions: Vec<SessionId> = goals
        .iter()
        .map(|goal| resolver.begin_session(AGENT, goal).expect("session"))
        .collect();
    let asks = [
        (0, "Refund invoice 42", "high"),
        (1, "Export the monthly report", "low"),
        (2, "Read the audit log", "critical"),
        (0, "Create an invoice \"quoted\"\n", "medium"),
        (1, "Delete account 7", "critical"),
    ];
    for (n, (session, goal, tier)) in asks.into_iter().enumerate() {
        let request = request(sessions[session], &format!("r{n}"), goal, tier);
        resolve(&resolver, &request).expect("resolution");
    }
    resolver.end_session(sessions[1], "done").expect("end");
    let traces = sessions
        .iter()
        .map(|&session| {
            resolver
                .trace_jsonl(session, TraceRead::Wait(Duration::from_secs(10)))
                .expect("trace")
        })
        .collect();
    RealTraces {
        resolver,
        sessions,
        traces,
    }
}

/// Lines of `traces`, one of each in turn while they last.
fn round_robin(traces: &[String]) -> Vec<String> {
    let lines: Vec<Vec<&str>> = traces.iter().map(|t| t.lines().collect()).collect();
    let longest = lines.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .flat_map(|i| lines.iter().filter_map(move |l| l.get(i)))
        .map(|line| (*line).to_owned())
        .collect()
}

// ------------------------------------------------------------ valid traces

#[test]
fn the_test_vector_is_valid_for_both() {
    let text = std::fs::read_to_string(VECTOR).expect("vector");
    assert_eq!(assert_both_valid(&text, 1).events, 3);
    // From stdin too.
    let tool = run_tool(&["-"], Some(text.as_bytes()));
    assert_eq!(
        (tool.status, tool.output),
        (0, json!({"valid": true, "sessions": 1, "events": 3}))
    );
}

#[test]
fn tricky_payloads_hash_alike_in_both() {
    let events = chain_of(1, tricky_payloads());
    let plain: Vec<String> = events.iter().map(plain_line).collect();
    assert_both_valid(&plain.join("\n"), 1);
    assert_both_valid(&(canonical_lines(&events).join("\n") + "\n"), 1);
    // An integer far beyond any float, which Python 3.11+ only reads when asked.
    let huge: Value =
        serde_json::from_str(&format!("{{\"n\":{}}}", "9".repeat(5000))).expect("JSON");
    let events = chain_of(2, vec![json!({}), huge]);
    assert_both_valid(&canonical_lines(&events).join("\n"), 1);
    assert_both_valid("", 0);
}

#[test]
fn a_real_multi_session_trace_is_valid_for_both() {
    let real = real_traces();
    let events: usize = real.traces.iter().map(|t| t.lines().count()).sum();
    assert!(events > 30, "{events} events");
    // Each session alone, then all of them one after the other, then interleaved.
    for (trace, &session) in real.traces.iter().zip(&real.sessions) {
        let report = assert_both_valid(trace, 1);
        let stored = real.resolver.verify_chain(session).expect("stored chain");
        assert_eq!(report.head_hash, stored.head_hash);
    }
    let trimmed: Vec<&str> = real.traces.iter().map(|t| t.trim_end()).collect();
    let report = assert_both_valid(&trimmed.join("\n"), 3);
    assert_eq!(report.events, events as u64);
    let interleaved = round_robin(&real.traces).join("\n");
    assert_eq!(assert_both_valid(&interleaved, 3).events, events as u64);
}

#[test]
fn line_endings_and_blank_lines_are_read_alike() {
    let lines = three_sessions_interleaved();
    for separator in [
        "\r\n",
        "\r",
        "\n\n \t\n",
        "\n\u{1f}\u{3000}\n",
        "\r\n\u{b}\u{c}\u{85}\u{a0}\u{2028}\u{2029}\r\n",
    ] {
        let text = format!("\n{}\r\n \n", lines.join(separator));
        assert_both_valid(&text, 3);
        // A failure after blank lines is indexed among non-empty lines.
        let mut tampered = lines.clone();
        tampered[7] = tampered[7].replace("\\u0000", "\\u0001");
        assert_both_fail(&tampered.join(separator), "hash_mismatch", 7);
    }
    // Two events on one line, split by a lone CR (a line break to Python).
    let mut joined = lines.clone();
    let second = joined.remove(5);
    joined[4] = format!("{}\r{second}", joined[4]);
    assert_both_valid(&joined.join("\n"), 3);
    joined[9] = joined[9].replacen("\"sequence\":3", "\"sequence\":4", 1);
    assert_both_fail(&joined.join("\n"), "sequence_gap", 10);
}

/// TRACE.md's lines are Python's text-mode lines, where a lone CR ends a
/// line even between the tokens of an object that a JSON parser would read
/// whole: both halves are malformed, for both verifiers.
#[test]
fn a_lone_cr_ends_a_line_even_inside_an_object() {
    let mut lines = vector_lines();
    lines[1] = lines[1].replacen(",\"trace_id\"", ",\r\"trace_id\"", 1);
    assert_both_fail(&lines.join("\n"), "malformed", 1);
    // At the end of a line it is part of a CRLF, or stands alone: both break.
    let crlf = vector_lines().join("\r\n") + "\r";
    assert_both_valid(&crlf, 1);
}

/// TRACE.md sets no limit on how deep a payload nests; libcra reads lines
/// with serde_json, which stops at 128 levels, and calls deeper ones
/// `malformed`. The tool follows TRACE.md (up to where Python's own reader
/// stops, about a thousand levels: that is `malformed`, not a crash).
#[test]
fn deep_payloads_are_read_as_trace_md_says() {
    let nested = |depth: usize| {
        let mut value = json!(1);
        for _ in 0..depth {
            value = json!([value]);
        }
        value
    };
    let shallow = canonical_lines(&chain_of(4, vec![json!({}), json!({"d": nested(100)})]));
    assert_both_valid(&shallow.join("\n"), 1);
    let deep = canonical_lines(&chain_of(4, vec![json!({}), json!({"d": nested(300)})]));
    let tool = tool_on(deep.join("\n").as_bytes(), &[]);
    assert_eq!(
        (tool.status, &tool.output),
        (0, &json!({"valid": true, "sessions": 1, "events": 2})),
        "{tool:?}"
    );
    let brackets = 5000;
    let deepest = into_payload(
        &vector_lines()[0],
        &format!("\"d\":{}1{},", "[".repeat(brackets), "]".repeat(brackets)),
    );
    let tool = tool_on(deepest.as_bytes(), &[]);
    assert_eq!(
        (&tool.output["kind"], &tool.output["index"]),
        (&json!("malformed"), &json!(0)),
        "{tool:?}"
    );
    assert_eq!(
        library_verify(&deepest).failure.map(|f| f.kind.as_str()),
        Some("malformed")
    );
}

#[test]
fn spellings_that_read_as_the_same_values_are_valid_for_both() {
    let mut lines = vector_lines();
    // White space between tokens.
    let spaced: Vec<String> = lines
        .iter()
        .map(|line| {
            format!(
                " \t{} ",
                line.replace("\":", "\" :\t").replace(",\"", ", \"")
            )
        })
        .collect();
    assert_both_valid(&spaced.join("\n"), 1);
    lines[0] = lines[0].replace("\"sequence\":0", "\"sequence\":-0");
    lines[1] = lines[1].replace("\"1.0\"", "\"\\u0031.0\"");
    lines[2] = lines[2].replacen("\"event_id\"", "\"\\u0065vent_id\"", 1);
    assert_both_valid(&lines.join("\n"), 1);
    // .3 reads as the same double as .25.
    let mut lines: Vec<String> = chain_of(2, tricky_payloads())
        .iter()
        .map(plain_line)
        .collect();
    lines[4] = lines[4].replace("563000000000000.25", "563000000000000.3");
    assert_both_valid(&lines.join("\n"), 1);
    lines[4] = lines[4].replace("563000000000000.3", "563000000000000.5");
    assert_both_fail(&lines.join("\n"), "hash_mismatch", 4);
}

// ------------------------------------------------------------ each failure kind

/// TRACE.md's malformed lines: not one object, a member not in the table,
/// a repeated member name at any depth, a lone surrogate, a number that
/// is not finite; and members of the wrong type or shape.
fn malformed_variants(line: &str) -> Vec<(&'static str, String)> {
    let nested_repeat = {
        let with_outer = into_payload(line, "\"outer\":{\"inner\":{\"k\":1}},");
        with_outer.replace("{\"k\":1}", "{\"k\":1,\"k\":2}")
    };
    let mut cases = vec![
        // Repeated members: the event's own, spelled alike or escaped.
        (
            "repeated member",
            line.replacen('{', "{\"sequence\":5,\"payload\":[],", 1),
        ),
        (
            "repeated escaped member",
            line.replacen('{', "{\"\\u0073ession_id\":\"x\",", 1),
        ),
        (
            "repeated payload member",
            into_payload(line, "\"dup\":1,\"dup\":1,"),
        ),
        (
            "repeated payload member, escaped",
            into_payload(line, r#""a":1,"\u0061":1,"#),
        ),
        (
            "repeated non-ASCII member, escaped",
            into_payload(line, r#""o":{"é":1,"\u00e9":1},"#),
        ),
        (
            "repeated astral member, escaped",
            into_payload(line, r#""o":{"\ud834\udd1e":1,"𝄞":1},"#),
        ),
        ("repeated nested member", nested_repeat),
        (
            "repeated member in an array",
            into_payload(line, "\"list\":[1,{\"a\":{},\"a\":{}}],"),
        ),
        // Members not in TRACE.md's table.
        (
            "unknown member",
            line.replacen('{', "{\"note\":\"harmless?\",", 1),
        ),
        (
            "unknown member with a repeat",
            line.replacen('{', "{\"note\":{\"a\":1,\"a\":2},", 1),
        ),
        (
            "unknown member last",
            format!("{},\"extra\":null}}", &line[..line.len() - 1]),
        ),
        // Lone surrogates, in the payload, in names, in members.
        (
            "lone high surrogate",
            into_payload(line, "\"lone\":\"\\ud800\","),
        ),
        (
            "lone low surrogate",
            into_payload(line, "\"lone\":\"a\\udc00b\","),
        ),
        (
            "surrogates in the wrong order",
            into_payload(line, "\"lone\":\"\\udd1e\\ud834\","),
        ),
        (
            "lone surrogate in a name",
            into_payload(line, "\"x\\udfff\":1,"),
        ),
        (
            "lone surrogate deep down",
            into_payload(line, "\"a\":[[{\"b\":[\"\\ud801\"]}]],"),
        ),
        (
            "lone surrogate in event_type",
            edit_member_text(line, "event_type", "\"session.\\udbff\""),
        ),
        // Numbers that are not finite.
        ("1e400", into_payload(line, "\"big\":1e400,")),
        ("-1E999 in a list", into_payload(line, "\"big\":[-1E999],")),
        (
            "a 401-digit float",
            into_payload(line, &format!("\"big\":1{}.0,", "0".repeat(400))),
        ),
        ("NaN", into_payload(line, "\"x\":NaN,")),
        ("Infinity", into_payload(line, "\"x\":Infinity,")),
        ("-Infinity", into_payload(line, "\"x\":{\"y\":-Infinity},")),
        // Not one JSON object.
        ("an array", "[1,2,3]".to_owned()),
        ("a string", "\"event\"".to_owned()),
        ("null", "null".to_owned()),
        (
            "cut short",
            line[..line.find("\"payload\"").expect("payload")].to_owned(),
        ),
        ("trailing text", format!("{line} x")),
        ("two objects", format!("{line}{line}")),
        ("a byte order mark", format!("\u{feff}{line}")),
        (
            "a raw control character",
            into_payload(line, "\"c\":\"a\u{1}b\","),
        ),
        ("a single quote", line.replacen('"', "'", 2)),
        // Members missing, renamed, of the wrong type or shape.
        (
            "a renamed member",
            line.replace(",\"trace_id\":", ",\"trace_ids\":"),
        ),
        ("a missing member", {
            let mut event = parse(line);
            event.as_object_mut().expect("object").remove("timestamp");
            plain_line(&event)
        }),
    ];
    let edits = [
        ("trace_version", json!("1.00")),
        ("trace_version", json!(1.0)),
        ("event_id", json!("01936F2A-7C00-7000-8000-000000000100")),
        ("trace_id", json!("01936f2a-7c00-7000-8000-0000000000aa\n")),
        ("span_id", json!(null)),
        ("parent_span_id", json!(5)),
        ("parent_span_id", json!("")),
        ("session_id", json!("01936f2a-7c00-7000-8000-00000000000١")),
        ("sequence", json!(1.0)),
        ("sequence", json!(true)),
        ("sequence", json!(-3)),
        ("sequence", json!("0")),
        ("timestamp", json!("2026-11-28T12:00:00Z")),
        ("timestamp", json!("2026-11-28T12:00:00.000000Z\n")),
        ("timestamp", json!("2026-11-28T12:00:00.00000٠Z")),
        ("timestamp", json!("2026-11-28t12:00:00.000000z")),
        ("event_type", json!("")),
        ("event_type", json!(["session.started"])),
        ("payload", json!(["not", "an", "object"])),
        ("payload", json!(null)),
        ("event_hash", json!("ABCDEF".repeat(10) + "ABCD")),
        ("event_hash", json!("ab".repeat(31))),
        ("previous_event_hash", json!(0)),
    ];
    for (name, value) in edits {
        cases.push((
            "a member of the wrong shape",
            edit_member(line, name, value),
        ));
    }
    cases
}

#[test]
fn malformed_lines_are_malformed_in_both_at_the_same_index() {
    let lines = three_sessions_interleaved();
    // The first event of a session, and a later one of another.
    for at in [2, 7] {
        let (whats, texts): (Vec<&str>, Vec<String>) = malformed_variants(&lines[at])
            .into_iter()
            .map(|(what, variant)| {
                let mut tampered = lines.clone();
                tampered[at] = variant;
                (what, tampered.join("\n"))
            })
            .unzip();
        let verdicts = tool_on_each(&texts);
        for ((what, text), tool) in whats.into_iter().zip(&texts).zip(verdicts) {
            assert_eq!(tool.output["kind"], json!("malformed"), "{what}: {tool:?}");
            assert_fails_alike(text, tool, "malformed", at as u64);
        }
    }
}

#[test]
fn removed_swapped_and_renumbered_events_are_gaps_in_both() {
    let lines = three_sessions_interleaved();
    // Session 2's event 2 (file index 7) removed: its event 3 comes first.
    let mut removed = lines.clone();
    removed.remove(7);
    assert_both_fail(&removed.join("\n"), "sequence_gap", 9);
    // Session 3's genesis removed: its first event has sequence 1.
    let mut headless = lines.clone();
    headless.remove(2);
    assert_both_fail(&headless.join("\n"), "sequence_gap", 4);
    let mut swapped = lines.clone();
    swapped.swap(3, 6);
    assert_both_fail(&swapped.join("\n"), "sequence_gap", 3);
    let mut renumbered = lines.clone();
    renumbered[10] = edit_member(&renumbered[10], "sequence", json!(7));
    assert_both_fail(&renumbered.join("\n"), "sequence_gap", 10);
    // A sequence beyond any integer type: well-formed, out of sequence.
    let mut huge = lines.clone();
    huge[4] = edit_member_text(&huge[4], "sequence", "99999999999999999999999");
    assert_both_fail(&huge.join("\n"), "sequence_gap", 4);
    let mut huge_genesis = lines.clone();
    huge_genesis[1] = edit_member_text(&huge_genesis[1], "sequence", "18446744073709551616");
    assert_both_fail(&huge_genesis.join("\n"), "sequence_gap", 1);
}

#[test]
fn broken_links_are_chain_broken_in_both() {
    let lines = three_sessions_interleaved();
    let mut relinked = lines.clone();
    relinked[8] = edit_member(&relinked[8], "previous_event_hash", json!("cd".repeat(32)));
    assert_both_fail(&relinked.join("\n"), "chain_broken", 8);

    // A genesis that points elsewhere, re-hashed.
    let mut genesis = parse(&lines[1]);
    genesis["previous_event_hash"] = json!("ab".repeat(32));
    genesis["event_hash"] = json!(rehash(&genesis));
    let mut tampered = lines.clone();
    tampered[1] = plain_line(&genesis);
    assert_both_fail(&tampered.join("\n"), "chain_broken", 1);

    // Another chain's event moved under this session id, even re-hashed.
    let mut foreign = chain_of(8, tricky_payloads()).swap_remove(2);
    let ours = parse(&lines[6]);
    foreign["session_id"] = ours["session_id"].clone();
    foreign["event_hash"] = json!(rehash(&foreign));
    let mut mixed = lines;
    mixed[6] = plain_line(&foreign);
    assert_both_fail(&mixed.join("\n"), "chain_broken", 6);
}

#[test]
fn edits_are_hash_mismatches_in_both() {
    let lines = three_sessions_interleaved();
    let mut payload = lines.clone();
    payload[8] = payload[8].replace("\\u0000", "\\u0001");
    assert_both_fail(&payload.join("\n"), "hash_mismatch", 8);
    let mut stamp = lines.clone();
    stamp[0] = stamp[0].replace("12:00:00.000000Z", "12:00:01.000000Z");
    assert_both_fail(&stamp.join("\n"), "hash_mismatch", 0);
    let mut hash = lines.clone();
    hash[14] = edit_member(&hash[14], "event_hash", json!("ef".repeat(32)));
    assert_both_fail(&hash.join("\n"), "hash_mismatch", 14);
    let mut parent = lines.clone();
    parent[5] = edit_member(&parent[5], "parent_span_id", Value::Null);
    assert_both_fail(&parent.join("\n"), "hash_mismatch", 5);
}

#[test]
fn the_first_failure_in_file_order_is_reported_by_both() {
    let lines = three_sessions_interleaved();
    // Session 1 fails at file index 9, session 2 earlier, at 4: 4 comes first
    // (trace_verify.py --multi would report session 1's, the first session).
    let mut tampered = lines.clone();
    tampered[9] = tampered[9].replace("\"\"", "\"x\"");
    tampered[4] = tampered[4].replace("D\\u00e9ployer", "Deployer");
    assert_both_fail(&tampered.join("\n"), "hash_mismatch", 4);
    tampered[13] = into_payload(&tampered[13], "\"x\":1e400,");
    assert_both_fail(&tampered.join("\n"), "hash_mismatch", 4);
    tampered[2] = into_payload(&tampered[2], "\"x\":1,\"x\":1,");
    assert_both_fail(&tampered.join("\n"), "malformed", 2);
}

#[test]
fn tampered_real_traces_fail_alike() {
    let real = real_traces();
    let lines = round_robin(&real.traces);
    // The goal of session 3 (third line, its genesis) changed.
    let mut goal = lines.clone();
    goal[2] = goal[2].replacen("Audit", "Audlt", 1);
    assert_both_fail(&goal.join("\n"), "hash_mismatch", 2);
    // A policy verdict turned around.
    let at = lines
        .iter()
        .position(|l| l.contains("\"result\":\"deny\""))
        .expect("a deny");
    let mut verdict = lines.clone();
    verdict[at] = verdict[at].replacen("\"result\":\"deny\"", "\"result\":\"allow\"", 1);
    assert_both_fail(&verdict.join("\n"), "hash_mismatch", at as u64);
    // An event dropped from the middle of session 1.
    let at = lines
        .iter()
        .position(|l| l.contains("\"sequence\":5,") && l.contains(&real.sessions[0].to_string()))
        .expect("event 5 of session 1");
    let mut dropped = lines.clone();
    dropped.remove(at);
    let next = dropped[at..]
        .iter()
        .position(|l| l.contains(&real.sessions[0].to_string()))
        .expect("a later event of session 1");
    assert_both_fail(&dropped.join("\n"), "sequence_gap", (at + next) as u64);
    // A member that is not in the table.
    let mut extra = lines;
    extra[11] = extra[11].replacen('{', "{\"approved_by\":\"root\",", 1);
    assert_both_fail(&extra.join("\n"), "malformed", 11);
}

/// TRACE.md's session_mismatch needs one chain to hold two sessions' events.
/// `verify_jsonl` reads a file as many chains, one per session_id, so there
/// an event of another session opens (or continues) that session's chain
/// and never mismatches: the tool reads files the same way. With --head the
/// tool verifies the file as one session's chain, where it does apply.
#[test]
fn another_sessions_event_is_a_session_mismatch_only_within_one_chain() {
    let ours = canonical_lines(&chain_of(1, tricky_payloads()));
    let theirs = canonical_lines(&chain_of(2, tricky_payloads()));

    // Their event 1, re-linked to follow our genesis.
    let mut foreign = parse(&theirs[1]);
    foreign["previous_event_hash"] = parse(&ours[0])["event_hash"].clone();
    foreign["event_hash"] = json!(rehash(&foreign));
    let text = [ours[0].clone(), plain_line(&foreign)].join("\n");
    // Many chains: their session starts at sequence 1.
    assert_both_fail(&text, "sequence_gap", 1);
    let head = library_verify(&ours[..1].join("\n"));
    let tool = tool_with_head(&text, 1, head.head_hash.as_deref().expect("head"));
    assert_eq!(tool.status, 1, "{tool:?}");
    assert_eq!(tool.output["kind"], json!("session_mismatch"), "{tool:?}");
    assert_eq!(tool.output["index"], json!(1));

    // Their genesis after our events: another chain, valid; not in one chain.
    let text = [&ours[..3], &theirs[..1]].concat().join("\n");
    let report = assert_both_valid(&text, 2);
    assert_eq!(report.events, 4);
    let head = library_verify(&ours[..3].join("\n"));
    let tool = tool_with_head(&text, 3, head.head_hash.as_deref().expect("head"));
    assert_eq!(
        (&tool.output["kind"], &tool.output["index"]),
        (&json!("session_mismatch"), &json!(3)),
        "{tool:?}"
    );
}

// ------------------------------------------------------------ --head

#[test]
fn heads_from_the_library_hold_their_chains() {
    let real = real_traces();
    for (trace, &session) in real.traces.iter().zip(&real.sessions) {
        let report = library_verify(trace);
        let head = report.head_hash.clone().expect("a head");
        let stored = real.resolver.verify_chain(session).expect("stored");
        assert_eq!(
            (stored.events, stored.head_hash.as_deref()),
            (report.events, Some(head.as_str()))
        );
        let n = report.events;
        let tool = tool_with_head(trace, n, &head);
        assert_eq!(
            (tool.status, &tool.output),
            (0, &json!({"valid": true, "sessions": 1, "events": n})),
            "{tool:?}"
        );

        // Cut off the end: still a valid chain for both, but truncated.
        let lines: Vec<&str> = trace.lines().collect();
        for keep in [lines.len() - 1, 1, 0] {
            let cut = lines[..keep].join("\n");
            assert_eq!(assert_both_valid(&cut, keep.min(1)).events, keep as u64);
            let tool = tool_with_head(&cut, n, &head);
            assert_eq!(tool.status, 1, "{tool:?}");
            assert_eq!(
                (&tool.output["kind"], &tool.output["index"]),
                (&json!("truncated"), &json!(keep)),
                "{tool:?}"
            );
        }

        // The head of an earlier state: the chain grew since, fine.
        let earlier = library_verify(&lines[..3].join("\n"));
        let tool = tool_with_head(trace, 3, earlier.head_hash.as_deref().expect("head"));
        assert_eq!(
            (tool.status, &tool.output["events"]),
            (0, &json!(n)),
            "{tool:?}"
        );
        let tool = tool_with_head(trace, 0, GENESIS);
        assert_eq!(tool.status, 0, "{tool:?}");
    }
}

#[test]
fn a_head_that_names_another_hash_is_a_head_mismatch() {
    let real = real_traces();
    let (trace, other) = (&real.traces[0], &real.traces[1]);
    let report = library_verify(trace);
    let n = report.events;
    let other_head = library_verify(other).head_hash.expect("head");
    let tool = tool_with_head(trace, n, &other_head);
    assert_eq!(tool.status, 1, "{tool:?}");
    assert_eq!(
        (&tool.output["kind"], &tool.output["index"]),
        (&json!("head_mismatch"), &json!(n - 1)),
        "{tool:?}"
    );
    // The right hash, the wrong count: event 2 is not the head.
    let head = report.head_hash.expect("head");
    let tool = tool_with_head(trace, 3, &head);
    assert_eq!(
        (&tool.output["kind"], &tool.output["index"]),
        (&json!("head_mismatch"), &json!(2)),
        "{tool:?}"
    );
    // Chain rules first: a tampered chain fails as such, whatever the head.
    let mut lines: Vec<String> = trace.lines().map(str::to_owned).collect();
    lines[1] = lines[1].replacen("\"goal\":\"", "\"goal\":\"x", 1);
    let tampered = lines[..4].join("\n");
    let failure = library_verify(&tampered).failure.expect("tampered");
    let tool = tool_with_head(&tampered, n, &head);
    assert_eq!(
        (&tool.output["kind"], &tool.output["index"]),
        (&json!(failure.kind.as_str()), &json!(failure.index)),
        "{tool:?}"
    );
    // An empty chain's head.
    let tool = tool_with_head("", 0, GENESIS);
    assert_eq!(
        (tool.status, tool.output),
        (0, json!({"valid": true, "sessions": 0, "events": 0}))
    );
    let tool = tool_with_head("\n\n", 1, &head);
    assert_eq!(
        (&tool.output["kind"], &tool.output["index"]),
        (&json!("truncated"), &json!(0))
    );
}

// ------------------------------------------------------------ usage and I/O

#[test]
fn unreadable_input_is_exit_code_2() {
    let missing = std::env::temp_dir().join(format!(
        "cra-verify-tool-{}-does-not-exist.jsonl",
        std::process::id()
    ));
    let tool = run_tool(&[missing.as_os_str()], None);
    assert_eq!(tool.status, 2, "{tool:?}");
    assert_eq!(tool.output["error"], json!("unreadable"));

    // Bytes that are not UTF-8: a valid trace with one byte changed, and a
    // surrogate encoded in UTF-8 (which UTF-8 forbids).
    let text = vector_lines().join("\n");
    let at = text.find("Deploy").expect("goal");
    for bad in [&[0xff_u8][..], &[0xed, 0xa0, 0x80], &[0xc3]] {
        let mut bytes = text.as_bytes().to_vec();
        bytes.splice(at..at + 1, bad.iter().copied());
        let tool = tool_on(&bytes, &[]);
        assert_eq!(tool.status, 2, "{tool:?}");
        assert_eq!(tool.output["error"], json!("not_utf8"));
        let detail = tool.output["detail"].as_str().expect("detail");
        assert!(detail.contains("UTF-8"), "{detail}");
        assert!(detail.contains(&format!("byte offset {at}")), "{detail}");
        assert!(tool.stderr.contains("not UTF-8"), "{tool:?}");
        // libcra's C ABI refuses them too.
        match ffi_verify(&bytes) {
            FfiVerdict::Refused { status, message } => {
                assert_eq!(status, CRA_ERR_INVALID_ARGUMENT);
                assert!(message.contains("UTF-8"), "{message}");
            }
            report => panic!("cra_verify_jsonl read non-UTF-8 bytes: {report:?}"),
        }
        let tool = run_tool(&["-"], Some(&bytes));
        assert_eq!(tool.status, 2, "{tool:?}");
    }
}

#[test]
fn usage_errors_are_exit_code_2_and_help_is_there() {
    let text = vector_lines().join("\n");
    let file = TempTrace::new(text.as_bytes());
    let path = file.0.to_str().expect("UTF-8 temp path");
    for args in [
        vec![],
        vec!["--head", path],
        vec!["--head", "3", path],
        vec!["--head", &format!("3:{}", "AB".repeat(32)), path],
        vec!["--head", &format!("x:{GENESIS}"), path],
        vec!["--head", &format!("0:{}", "ab".repeat(32)), path],
        vec!["--frobnicate", path],
        vec![path, path],
    ] {
        let tool = run_tool(&args, None);
        assert_eq!(tool.status, 2, "{args:?}: {tool:?}");
        assert_eq!(tool.output["error"], json!("usage"), "{args:?}");
    }
    let help = Command::new("python3")
        .args([TOOL, "--help"])
        .output()
        .expect("python3");
    assert_eq!(help.status.code(), Some(0));
    let help = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "--head",
        "N:HASH",
        "truncated",
        "head_mismatch",
        "Exit status",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn the_tool_is_a_standalone_python3_script() {
    let source = std::fs::read_to_string(TOOL).expect("tools/cra-verify");
    assert!(source.starts_with("#!/usr/bin/env python3\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(TOOL)
            .expect("metadata")
            .permissions()
            .mode();
        assert_ne!(mode & 0o111, 0, "tools/cra-verify is not executable");
    }
    // Standard library only.
    for line in source.lines() {
        let line = line.trim_start();
        if let Some(modules) = line
            .strip_prefix("import ")
            .or_else(|| line.strip_prefix("from "))
        {
            for module in modules.split([',', ' ']).filter(|m| !m.is_empty()) {
                if module == "import" {
                    break;
                }
                assert!(
                    ["argparse", "hashlib", "json", "math", "re", "sys"].contains(&module),
                    "imports {module}"
                );
            }
        }
    }
}
