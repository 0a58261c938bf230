//! Test support, for the library's own tests and its integration tests
//! (the `test-support` feature): valid TRACE chains to verify and to
//! tamper with, as JSON values and lines (built here) or as stored events
//! (hashed as the sealer hashes them). Not part of the supported API.

use crate::config::TraceMode;
use crate::json::canonical_json;
use crate::trace::chain::SessionChain;
use crate::trace::event::batch::EventBatch;
use crate::trace::event::hex::{hex_lower, GENESIS_HASH_HEX};
use crate::trace::event::ids::{ChainIds, ChainTexts};
use crate::trace::event::text::{ChainedEvent, EventText, Timestamps};
use crate::trace::event::{EventFields, EventRun, SealedEvent, StoredEvent, StoredEvents};
use crate::trace::export::write_jsonl;
use crate::trace::hash::event_hash;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

/// Cases a differential or robustness property runs: `default` for the
/// test command, or `CRA_FUZZ_CASES` when set (`scripts/fuzz.sh` runs
/// them by the hundred thousand).
pub fn fuzz_cases(default: u32) -> u32 {
    std::env::var("CRA_FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

/// The test vector: a three-event chain with non-ASCII text, control
/// characters, nested objects, a large integer and floats.
pub const VECTOR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/chain-valid.jsonl"
);

/// The lines of [`VECTOR`].
pub fn vector_lines() -> Vec<String> {
    std::fs::read_to_string(VECTOR)
        .expect("the test vector is in the repository")
        .lines()
        .map(str::to_owned)
        .collect()
}

pub fn event_hash_of(line: &str) -> String {
    let event: Value = serde_json::from_str(line).expect("JSON");
    event["event_hash"].as_str().expect("event_hash").to_owned()
}

/// Builds valid chains with ids derived from small numbers.
pub struct ChainBuilder {
    session: u64,
    next_sequence: u64,
    previous_hash: String,
}

pub fn uuid(kind: u64, n: u64) -> String {
    format!("01936f2a-7c00-7{kind:03x}-8000-{n:012x}")
}

impl ChainBuilder {
    pub fn new(session: u64) -> Self {
        ChainBuilder {
            session,
            next_sequence: 0,
            previous_hash: GENESIS_HASH_HEX.to_owned(),
        }
    }

    pub fn session_id(&self) -> String {
        uuid(1, self.session)
    }

    /// The next event, hashed, with `payload` as given.
    pub fn event(&mut self, payload: Value) -> Value {
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
pub fn rehash(event: &Value) -> String {
    let canonical = canonical_json(&event["payload"]).expect("finite payload");
    let text = |name: &str| event[name].as_str().unwrap_or_default();
    let fields = EventFields {
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
    hex_lower(&event_hash(&fields))
}

/// serde_json's line: raw UTF-8 in strings, so the payload is re-canonicalized.
pub fn plain_line(event: &Value) -> String {
    serde_json::to_string(event).expect("serializable")
}

/// The line libcra writes: payload already canonical, hashed as read.
pub fn canonical_line(event: &Value) -> String {
    let mut without_payload = event.clone();
    let payload = without_payload
        .as_object_mut()
        .and_then(|members| members.remove("payload"))
        .expect("payload");
    let head = plain_line(&without_payload);
    let canonical = canonical_json(&payload).expect("finite payload");
    format!("{},\"payload\":{canonical}}}", &head[..head.len() - 1])
}

/// Payloads that stress canonical JSON: every escape class, astral
/// characters, numbers Python prints its own way.
pub fn tricky_payloads() -> Vec<Value> {
    let numbers: Value = serde_json::from_str(
        r#"{"big":123456789012345678901234567890,"neg_zero":-0,"float_neg_zero":-0.0,
            "tie":563000000000000.25,"tiny":1e-7,"fixed":0.0001,"huge":1.5e300,
            "whole":1e15,"sci":1e16,"e_upper":2.5E-3,"under":1e-400}"#,
    )
    .expect("JSON");
    vec![
        json!({"agent_id": "agent-7", "goal": "Deploy the billing service"}),
        json!({"goal": "Déployer — ünïcode ✓ 𝄞 \"quoted\" \\ back\nslash / \t\r\u{8}\u{c}"}),
        json!({"goal": "\u{0}\u{1}\u{1f}\u{7f}\u{80}\u{ff}\u{2028}\u{feff}\u{ffff}\u{10000}\u{10ffff}"}),
        json!({"zeta": [1, 2.5, true, null, {"b": 1, "a": [{}]}], "ñ": 1, "n": 1, "😀": "🎉", "": ""}),
        json!({"numbers": numbers}),
    ]
}

/// `events` as serde_json writes them: raw UTF-8, so a reader has to
/// re-canonicalize the payloads.
pub fn plain_lines(events: &[Value]) -> Vec<String> {
    events.iter().map(plain_line).collect()
}

/// `events` as libcra writes them: the payload in canonical form.
pub fn canonical_lines(events: &[Value]) -> Vec<String> {
    events.iter().map(canonical_line).collect()
}

/// A valid chain of `length` events for `session`.
pub fn chain(session: u64, length: usize) -> Vec<Value> {
    chain_of(
        session,
        (0..length)
            .map(|i| json!({"goal": format!("step {i} é\u{1}𝄞"), "n": i}))
            .collect(),
    )
}

/// A valid chain for `session` with the given payloads.
pub fn chain_of(session: u64, payloads: Vec<Value>) -> Vec<Value> {
    let mut builder = ChainBuilder::new(session);
    payloads
        .into_iter()
        .map(|payload| builder.event(payload))
        .collect()
}

/// The ids of a test chain of stored events.
pub fn test_chain_ids() -> ChainIds {
    ChainIds {
        session_id: Uuid::from_u128(0x01936f2a_7c00_7000_8000_000000000001),
        trace_id: Uuid::from_u128(0x01936f2a_7c00_7000_8000_0000000000aa),
    }
}

/// A session's chain with the test ids, nothing sealed on it yet.
pub fn test_session_chain() -> Arc<SessionChain> {
    SessionChain::new(test_chain_ids(), Uuid::from_u128(3), TraceMode::Immediate)
}

/// A stored event with a payload of its own, as tests build and tamper
/// with them.
#[derive(Clone, Debug)]
pub struct TestEvent {
    pub event: SealedEvent,
    pub payload: String,
}

/// Hashes `events` (from `from` on) so they chain validly, as the sealer
/// would have.
pub fn rechain(ids: ChainIds, events: &mut [TestEvent], from: usize) {
    let chain = ChainTexts::new(ids);
    for index in from..events.len() {
        let previous = index
            .checked_sub(1)
            .map_or([0; 32], |p| events[p].event.event_hash);
        let TestEvent { event, payload } = &events[index];
        let chained = ChainedEvent {
            sequence: index as u64,
            stored: StoredEvent { event, payload },
            previous: &previous,
        };
        let text = EventText::new(&chain, chained, &mut Timestamps::default());
        events[index].event.event_hash = event_hash(&text.fields());
    }
}

/// Calls `read` with `events` as a store hands them out, kept in runs of
/// `per_run` events.
pub fn read_stored<T>(
    events: &[TestEvent],
    per_run: usize,
    read: impl FnOnce(StoredEvents<'_>) -> T,
) -> T {
    let batches: Vec<EventBatch> = events
        .chunks(per_run.max(1))
        .map(|chunk| {
            let mut batch = EventBatch::default();
            for TestEvent { event, payload } in chunk {
                batch.push(*event, payload);
            }
            batch
        })
        .collect();
    let runs: Vec<EventRun<'_>> = batches.iter().map(EventBatch::as_run).collect();
    read(StoredEvents::new(&runs))
}

/// The JSON Lines export of `events`, as they are.
pub fn jsonl_of(ids: ChainIds, events: &[TestEvent]) -> String {
    let mut jsonl = String::new();
    read_stored(events, 3, |stored| write_jsonl(&mut jsonl, ids, stored));
    jsonl
}

/// The JSON Lines export of `events` chained validly.
pub fn exported_lines(ids: ChainIds, mut events: Vec<TestEvent>) -> Vec<String> {
    rechain(ids, &mut events, 0);
    jsonl_of(ids, &events).lines().map(str::to_owned).collect()
}
