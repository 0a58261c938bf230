//! Chain verification (TRACE.md, "Verifying a chain"): the rules every
//! event of one session's chain must pass, and the report of a check.
//!
//! The rules, their order and the shape checks are those of
//! `shared/tools/trace_verify.py`. Deliberately stricter, as TRACE.md asks,
//! and so `malformed` here while Python accepts them: UUIDs, timestamps and
//! hashes with a trailing newline or non-ASCII digits (the script's `$`
//! matches before a final `\n`, its `\d` any Unicode digit).
//! Reading JSONL text is [`super::verify_jsonl`]'s job.

use std::fmt;

use super::hash::{event_hash, write_hex_lower, HashInput, GENESIS_HASH_HEX};

pub use super::verify_jsonl::verify_jsonl;
/// Why a chain failed, with the C ABI's `CRA_CHAIN_*` numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Malformed = 1,
    SequenceGap = 2,
    ChainBroken = 3,
    HashMismatch = 4,
    SessionMismatch = 5,
}

impl FailureKind {
    /// The name `trace_verify.py` prints as `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Malformed => "malformed",
            FailureKind::SequenceGap => "sequence_gap",
            FailureKind::ChainBroken => "chain_broken",
            FailureKind::HashMismatch => "hash_mismatch",
            FailureKind::SessionMismatch => "session_mismatch",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first failure found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainFailure {
    pub kind: FailureKind,
    /// 0-based index of the failing event (in JSONL: among non-empty lines).
    pub index: u64,
    /// What exactly was wrong, for a human.
    pub detail: String,
}

impl ChainFailure {
    /// The failure `(kind, detail)` of the event at `index`.
    pub fn at(index: u64, (kind, detail): CheckFailure) -> ChainFailure {
        ChainFailure {
            kind,
            index,
            detail,
        }
    }
}

/// The outcome of a verification.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Events that passed every check. Verification stops at the first
    /// failure, so on failure this is the number of events before it (in
    /// JSONL: equal to the failure's index).
    pub events: u64,
    /// Events emitted but not yet processed (deferred mode); 0 otherwise.
    pub pending: u64,
    /// `None` when the chain is valid.
    pub failure: Option<ChainFailure>,
    /// `event_hash` of the last valid event, `None` if there is none.
    pub head_hash: Option<String>,
}

/// One event, its members borrowed from wherever they were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventView<'a> {
    pub trace_version: &'a str,
    pub event_id: &'a str,
    pub trace_id: &'a str,
    pub span_id: &'a str,
    pub parent_span_id: Option<&'a str>,
    pub session_id: &'a str,
    pub sequence: u64,
    pub timestamp: &'a str,
    pub event_type: &'a str,
    /// `canonical_json(payload)`.
    pub canonical_payload: &'a str,
    pub event_hash: &'a str,
    pub previous_event_hash: &'a str,
}

impl<'a> EventView<'a> {
    /// What this event's `event_hash` covers.
    pub fn hash_input(&self) -> HashInput<'a> {
        HashInput {
            trace_version: self.trace_version,
            event_id: self.event_id,
            trace_id: self.trace_id,
            span_id: self.span_id,
            parent_span_id: self.parent_span_id,
            session_id: self.session_id,
            sequence: self.sequence,
            timestamp: self.timestamp,
            event_type: self.event_type,
            canonical_payload: self.canonical_payload,
            previous_event_hash: self.previous_event_hash,
        }
    }

    pub fn link(&self) -> Link<'a> {
        Link {
            session_id: self.session_id,
            sequence: self.sequence,
            previous_event_hash: self.previous_event_hash,
            event_hash: self.event_hash,
        }
    }
}

/// What links an event to the one before it in its chain.
#[derive(Clone, Copy, Debug)]
pub struct Link<'a> {
    pub session_id: &'a str,
    pub sequence: u64,
    pub previous_event_hash: &'a str,
    pub event_hash: &'a str,
}

/// A failed check: what kind, and a detail for humans.
pub type CheckFailure = (FailureKind, String);

/// Checks one session's events, fed in order.
#[derive(Clone, Debug, Default)]
pub struct ChainVerifier {
    last: Option<LastEvent>,
    events: u64,
}

/// What the next event must link to.
#[derive(Clone, Debug)]
struct LastEvent {
    session_id: String,
    sequence: u64,
    event_hash: [u8; 64],
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next event; accepted events become the new head. After a
    /// failure the verifier is unchanged, still expecting the same successor.
    pub fn check(&mut self, event: &EventView<'_>) -> Result<(), CheckFailure> {
        if let Some(detail) = shape_error(event) {
            return Err((FailureKind::Malformed, detail));
        }
        self.check_linked(&event.link(), || hash_verdict(event))
    }

    /// Checks the link rules of an event whose shape passed, then its hash
    /// rule, whose verdict `hash` gives (it may have been reached elsewhere,
    /// say on another thread): TRACE.md checks links first. Accepted events
    /// become the new head; after a failure the verifier is unchanged.
    pub fn check_linked(
        &mut self,
        link: &Link<'_>,
        hash: impl FnOnce() -> Result<(), CheckFailure>,
    ) -> Result<(), CheckFailure> {
        self.check_link(link)?;
        hash()?;
        self.accept(link);
        Ok(())
    }

    /// `event_hash` of the last accepted event.
    /// The report of a check of one chain that stopped at `failure`.
    pub fn report(&self, failure: Option<ChainFailure>) -> VerifyReport {
        VerifyReport {
            events: self.events(),
            pending: 0,
            failure,
            head_hash: self.head_hash().map(str::to_owned),
        }
    }

    pub fn head_hash(&self) -> Option<&str> {
        let last = self.last.as_ref()?;
        std::str::from_utf8(&last.event_hash).ok()
    }

    /// Events accepted so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    fn check_link(&self, event: &Link<'_>) -> Result<(), CheckFailure> {
        let Some(last) = &self.last else {
            return check_genesis_link(event);
        };
        if event.session_id != last.session_id {
            return Err((
                FailureKind::SessionMismatch,
                format!(
                    "event belongs to session {}, not {}",
                    event.session_id, last.session_id
                ),
            ));
        }
        let expected = last.sequence.checked_add(1);
        if expected != Some(event.sequence) {
            let expected = expected.map_or_else(|| "nothing".to_owned(), |n| n.to_string());
            return Err((
                FailureKind::SequenceGap,
                format!("expected {expected}, found {}", event.sequence),
            ));
        }
        if event.previous_event_hash.as_bytes() != last.event_hash {
            return Err((
                FailureKind::ChainBroken,
                "previous_event_hash does not match the prior event".to_owned(),
            ));
        }
        Ok(())
    }

    fn accept(&mut self, event: &Link<'_>) {
        let mut event_hash = [0u8; 64];
        event_hash.copy_from_slice(event.event_hash.as_bytes());
        match &mut self.last {
            Some(last) => {
                last.sequence = event.sequence;
                last.event_hash = event_hash;
            }
            None => {
                self.last = Some(LastEvent {
                    session_id: event.session_id.to_owned(),
                    sequence: event.sequence,
                    event_hash,
                });
            }
        }
        self.events += 1;
    }
}

fn check_genesis_link(event: &Link<'_>) -> Result<(), CheckFailure> {
    if event.sequence != 0 {
        return Err((
            FailureKind::SequenceGap,
            format!("first event has sequence {}", event.sequence),
        ));
    }
    if event.previous_event_hash != GENESIS_HASH_HEX {
        return Err((
            FailureKind::ChainBroken,
            "genesis event does not point at the zero hash".to_owned(),
        ));
    }
    Ok(())
}

/// The hash rule: the recomputed hash equals `event_hash`.
pub(crate) fn hash_verdict(event: &EventView<'_>) -> Result<(), CheckFailure> {
    let mut computed = [0u8; 64];
    write_hex_lower(&mut computed, &event_hash(&event.hash_input()));
    if event.event_hash.as_bytes() == computed {
        return Ok(());
    }
    Err(hash_mismatch(
        std::str::from_utf8(&computed).unwrap_or_default(),
    ))
}

/// The failure of an event whose recomputed hash, `computed`, differs.
pub(crate) fn hash_mismatch(computed: &str) -> CheckFailure {
    (FailureKind::HashMismatch, format!("computed {computed}"))
}

/// `shape_error` of trace_verify.py for what a view can get wrong (the
/// types are already right).
pub(crate) fn shape_error(event: &EventView<'_>) -> Option<String> {
    if event.trace_version != "1.0" {
        return Some("trace_version is not 1.0".to_owned());
    }
    for (name, value) in [
        ("event_id", event.event_id),
        ("trace_id", event.trace_id),
        ("span_id", event.span_id),
        ("session_id", event.session_id),
    ] {
        if !is_uuid(value) {
            return Some(format!("{name} is not a lowercase hyphenated UUID"));
        }
    }
    if event.parent_span_id.is_some_and(|parent| !is_uuid(parent)) {
        return Some("parent_span_id is neither null nor a UUID".to_owned());
    }
    if !is_timestamp(event.timestamp) {
        return Some("timestamp is not RFC 3339 UTC with 6 fractional digits".to_owned());
    }
    if event.event_type.is_empty() {
        return Some("event_type is not a non-empty string".to_owned());
    }
    for (name, value) in [
        ("event_hash", event.event_hash),
        ("previous_event_hash", event.previous_event_hash),
    ] {
        if !is_hex64(value) {
            return Some(format!("{name} is not 64 lowercase hex digits"));
        }
    }
    None
}

fn is_lower_hex(byte: u8) -> bool {
    LOWER_HEX[usize::from(byte)]
}

/// A table: five UUIDs and two hashes per event are checked byte by byte.
const LOWER_HEX: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = matches!(byte as u8, b'0'..=b'9' | b'a'..=b'f');
        byte += 1;
    }
    table
};

/// `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
fn is_uuid(s: &str) -> bool {
    const DASHES: [usize; 4] = [8, 13, 18, 23];
    let bytes = s.as_bytes();
    bytes.len() == 36
        && DASHES.iter().all(|&i| bytes[i] == b'-')
        && bytes
            .iter()
            .enumerate()
            .all(|(i, &b)| is_lower_hex(b) || DASHES.contains(&i))
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(is_lower_hex)
}

/// `\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z`, ASCII digits only.
fn is_timestamp(s: &str) -> bool {
    const TEMPLATE: &[u8] = b"0000-00-00T00:00:00.000000Z";
    s.len() == TEMPLATE.len()
        && s.bytes().zip(TEMPLATE).all(|(b, &t)| match t {
            b'0' => b.is_ascii_digit(),
            literal => b == literal,
        })
}

/// Verifies one session's events, in order; indexes are positions.
pub fn verify_events<'a>(events: impl Iterator<Item = EventView<'a>>) -> VerifyReport {
    let mut verifier = ChainVerifier::new();
    let mut failure = None;
    for (index, event) in events.enumerate() {
        if let Err(found) = verifier.check(&event) {
            failure = Some(ChainFailure::at(index as u64, found));
            break;
        }
    }
    verifier.report(failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::canonical_json::canonical_json;
    use crate::trace::hash::hex_lower;
    use proptest::prelude::*;
    use serde_json::json;
    use serde_json::Value;

    const VECTOR: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/spec/vectors/chain-valid.jsonl"
    );

    fn vector_lines() -> Vec<String> {
        std::fs::read_to_string(VECTOR)
            .expect("the shared spec sits beside the repo")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn event_hash_of(line: &str) -> String {
        let event: Value = serde_json::from_str(line).expect("JSON");
        event["event_hash"].as_str().expect("event_hash").to_owned()
    }

    /// Builds valid chains with ids derived from small numbers.
    struct ChainBuilder {
        session: u64,
        next_sequence: u64,
        previous_hash: String,
    }

    fn uuid(kind: u64, n: u64) -> String {
        format!("01936f2a-7c00-7{kind:03x}-8000-{n:012x}")
    }

    impl ChainBuilder {
        fn new(session: u64) -> Self {
            ChainBuilder {
                session,
                next_sequence: 0,
                previous_hash: GENESIS_HASH_HEX.to_owned(),
            }
        }

        fn session_id(&self) -> String {
            uuid(1, self.session)
        }

        /// The next event, hashed, with `payload` as given.
        fn event(&mut self, payload: Value) -> Value {
            let sequence = self.next_sequence;
            let parent = (sequence > 0).then(|| uuid(3, self.session));
            let mut event = json!({
                "trace_version": "1.0",
                "event_id": uuid(4, self.session << 20 | sequence),
                "trace_id": uuid(2, self.session),
                "span_id": uuid(3, self.session << 20 | sequence),
                "parent_span_id": parent,
                "session_id": self.session_id(),
                "sequence": sequence,
                "timestamp": format!("2026-11-28T12:00:00.{:06}Z", sequence % 1_000_000),
                "event_type": "test.event",
                "payload": payload,
                "previous_event_hash": self.previous_hash,
            });
            let hash = rehash(&event);
            event["event_hash"] = json!(hash);
            self.previous_hash = hash;
            self.next_sequence += 1;
            event
        }
    }

    /// The hash `event` should carry, whatever it carries now.
    fn rehash(event: &Value) -> String {
        let canonical = canonical_json(&event["payload"]).expect("finite payload");
        let text = |name: &str| event[name].as_str().unwrap_or_default();
        let input = HashInput {
            trace_version: text("trace_version"),
            event_id: text("event_id"),
            trace_id: text("trace_id"),
            span_id: text("span_id"),
            parent_span_id: event["parent_span_id"].as_str(),
            session_id: text("session_id"),
            sequence: event["sequence"].as_u64().unwrap_or_default(),
            timestamp: text("timestamp"),
            event_type: text("event_type"),
            canonical_payload: &canonical,
            previous_event_hash: text("previous_event_hash"),
        };
        hex_lower(&event_hash(&input))
    }

    /// serde_json's line: raw UTF-8 in strings, so the payload is re-canonicalized.
    fn plain_line(event: &Value) -> String {
        serde_json::to_string(event).expect("serializable")
    }

    /// The line libcra writes: payload already canonical, hashed as read.
    fn canonical_line(event: &Value) -> String {
        let mut without_payload = event.clone();
        let payload = without_payload
            .as_object_mut()
            .and_then(|members| members.remove("payload"))
            .expect("payload");
        let head = plain_line(&without_payload);
        let canonical = canonical_json(&payload).expect("finite payload");
        format!("{},\"payload\":{canonical}}}", &head[..head.len() - 1])
    }

    fn chain(session: u64, length: usize) -> Vec<Value> {
        let mut builder = ChainBuilder::new(session);
        (0..length)
            .map(|i| builder.event(json!({"goal": format!("step {i} é\u{1}𝄞"), "n": i})))
            .collect()
    }

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
    fn repeated_members_keep_the_last_value() {
        let mut lines = vector_lines();
        lines[0] = lines[0].replacen('{', "{\"sequence\":5,\"payload\":{},", 1);
        assert_eq!(verify_jsonl(&lines.join("\n")).failure, None);
        lines[0] = lines[0].replacen('{', "{\"payload\":{},", 1);
        lines[0] = format!("{},\"sequence\":5}}", &lines[0][..lines[0].len() - 1]);
        assert_fails(&lines, FailureKind::SequenceGap, 0);
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

    fn views(events: &[Value], canonical: &[String]) -> Vec<EventView<'static>> {
        events
            .iter()
            .zip(canonical)
            .map(|(event, payload)| {
                let leak = |name: &str| -> &'static str {
                    Box::leak(
                        event[name]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned()
                            .into_boxed_str(),
                    )
                };
                EventView {
                    trace_version: leak("trace_version"),
                    event_id: leak("event_id"),
                    trace_id: leak("trace_id"),
                    span_id: leak("span_id"),
                    parent_span_id: event["parent_span_id"]
                        .as_str()
                        .map(|_| leak("parent_span_id")),
                    session_id: leak("session_id"),
                    sequence: event["sequence"].as_u64().unwrap_or_default(),
                    timestamp: leak("timestamp"),
                    event_type: leak("event_type"),
                    canonical_payload: Box::leak(payload.clone().into_boxed_str()),
                    event_hash: leak("event_hash"),
                    previous_event_hash: leak("previous_event_hash"),
                }
            })
            .collect()
    }

    fn canonical_payloads(events: &[Value]) -> Vec<String> {
        events
            .iter()
            .map(|e| canonical_json(&e["payload"]).expect("finite"))
            .collect()
    }

    #[test]
    fn verify_events_checks_one_session() {
        let events = chain(3, 4);
        let views = views(&events, &canonical_payloads(&events));
        let report = verify_events(views.iter().copied());
        assert_eq!((report.events, &report.failure), (4, &None));
        assert_eq!(report.head_hash.as_deref(), Some(views[3].event_hash));

        let report = verify_events(views.iter().copied().skip(1));
        let failure = report.failure.expect("failure");
        assert_eq!(
            (failure.kind, failure.index, report.events),
            (FailureKind::SequenceGap, 0, 0)
        );
    }

    #[test]
    fn another_session_mid_chain_is_a_session_mismatch() {
        let ours = chain(3, 2);
        let theirs = chain(4, 2);
        let mixed = [ours[0].clone(), theirs[1].clone()];
        let views = views(&mixed, &canonical_payloads(&mixed));
        let failure = verify_events(views.into_iter()).failure.expect("failure");
        assert_eq!(
            (failure.kind, failure.index),
            (FailureKind::SessionMismatch, 1)
        );
    }

    #[test]
    fn chain_verifier_keeps_its_head_across_a_failure() {
        let events = chain(6, 3);
        let views = views(&events, &canonical_payloads(&events));
        let mut verifier = ChainVerifier::new();
        assert_eq!((verifier.head_hash(), verifier.events()), (None, 0));
        verifier.check(&views[0]).expect("genesis");
        let err = verifier.check(&views[2]).expect_err("gap");
        assert_eq!(err.0, FailureKind::SequenceGap);
        assert_eq!(
            (verifier.head_hash(), verifier.events()),
            (Some(views[0].event_hash), 1)
        );
        verifier.check(&views[1]).expect("successor");
        verifier.check(&views[2]).expect("successor");
        assert_eq!(
            (verifier.head_hash(), verifier.events()),
            (Some(views[2].event_hash), 3)
        );
        let mut tampered = views[2];
        tampered.sequence = 3;
        tampered.previous_event_hash = views[2].event_hash;
        let err = verifier.check(&tampered).expect_err("hash");
        assert_eq!(err.0, FailureKind::HashMismatch);
    }

    #[test]
    fn shape_checkers_take_ascii_forms_only() {
        assert!(is_uuid("01936f2a-7c00-7000-8000-000000000100"));
        assert!(!is_uuid("01936f2a-7c00-7000-8000-00000000010"));
        assert!(!is_uuid("01936f2a-7c00-7000-8000-0000000001000"));
        assert!(!is_uuid("01936f2a_7c00-7000-8000-000000000100"));
        assert!(!is_uuid("01936f2a-7c00-7000-8000-00000000010é"));
        assert!(is_timestamp("2026-11-28T12:00:00.000250Z"));
        assert!(!is_timestamp("2026-11-28T12:00:00.000250z"));
        assert!(!is_timestamp("2026-11-28T12:00:00.000250Z\n"));
        assert!(!is_timestamp("2026-11-28T12:00:00,000250Z"));
        assert!(is_hex64(GENESIS_HASH_HEX));
        assert!(!is_hex64(&"g".repeat(64)));
    }

    #[test]
    fn failure_kinds_use_trace_verify_names() {
        let names: Vec<&str> = [
            FailureKind::Malformed,
            FailureKind::SequenceGap,
            FailureKind::ChainBroken,
            FailureKind::HashMismatch,
            FailureKind::SessionMismatch,
        ]
        .iter()
        .map(|k| k.as_str())
        .collect();
        assert_eq!(
            names,
            [
                "malformed",
                "sequence_gap",
                "chain_broken",
                "hash_mismatch",
                "session_mismatch"
            ]
        );
    }

    proptest! {
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
}
