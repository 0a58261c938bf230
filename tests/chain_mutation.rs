//! Property: any single mutation of a valid chain that libcra exported is
//! detected, with the kind TRACE.md assigns, by the library (and the
//! independent verifier agrees on a sample of them).

mod common;

use common::*;
use cra::{verify_jsonl, Config, FailureKind, TraceRead};
use proptest::prelude::*;
use serde_json::Value;
use std::sync::OnceLock;

/// A valid exported chain with hostile text in its payloads, parsed per line.
fn chain() -> &'static Vec<Value> {
    static CHAIN: OnceLock<Vec<Value>> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let resolver = loaded_resolver(Config::default());
        let goal = "Déployer — \"quoted\" \\ back\nslash\t\u{1}\u{7f} 𝄞 ✓";
        let session = resolver.begin_session(AGENT, goal).unwrap();
        for (n, tier) in ["low", "high"].iter().enumerate() {
            resolve(&resolver, &request(session, &format!("r{n} 𝄞"), goal, tier)).unwrap();
        }
        resolver.end_session(session, "done ✓").unwrap();
        let jsonl = resolver.trace_jsonl(session, TraceRead::Partial).unwrap();
        jsonl
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    })
}

fn to_jsonl(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

#[derive(Clone, Debug)]
enum Mutation {
    EditPayload(usize),
    Remove(usize),
    SwapWithNext(usize),
    ChangeSequence(usize),
    ChangePreviousHash(usize),
    ChangeTimestamp(usize),
}

fn mutation(len: usize) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..len).prop_map(Mutation::EditPayload),
        (0..len - 1).prop_map(Mutation::Remove),
        (0..len - 1).prop_map(Mutation::SwapWithNext),
        (0..len).prop_map(Mutation::ChangeSequence),
        (0..len).prop_map(Mutation::ChangePreviousHash),
        (0..len).prop_map(Mutation::ChangeTimestamp),
    ]
}

/// Applies `mutation`; returns the events and the (index, kind) TRACE.md expects.
fn apply(mutation: &Mutation) -> (Vec<Value>, u64, FailureKind) {
    let mut events = chain().clone();
    match *mutation {
        Mutation::EditPayload(i) => {
            let payload = events[i]["payload"].as_object_mut().unwrap();
            let (key, _) = payload
                .iter()
                .next()
                .map(|(k, v)| (k.clone(), v.clone()))
                .unwrap();
            payload.insert(key, Value::String("tampered ✗".into()));
            (events, i as u64, FailureKind::HashMismatch)
        }
        Mutation::Remove(i) => {
            events.remove(i);
            (events, i as u64, FailureKind::SequenceGap)
        }
        Mutation::SwapWithNext(i) => {
            events.swap(i, i + 1);
            (events, i as u64, FailureKind::SequenceGap)
        }
        Mutation::ChangeSequence(i) => {
            events[i]["sequence"] = Value::from(i as u64 + 7);
            (events, i as u64, FailureKind::SequenceGap)
        }
        Mutation::ChangePreviousHash(i) => {
            events[i]["previous_event_hash"] = Value::String("ab".repeat(32));
            (events, i as u64, FailureKind::ChainBroken)
        }
        Mutation::ChangeTimestamp(i) => {
            events[i]["timestamp"] = Value::String("2001-01-01T00:00:00.000001Z".into());
            (events, i as u64, FailureKind::HashMismatch)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_single_mutation_is_detected(mutation in mutation(chain().len())) {
        let (events, index, kind) = apply(&mutation);
        let report = verify_jsonl(&to_jsonl(&events));
        let failure = report.failure.expect("mutation detected");
        prop_assert_eq!(failure.kind, kind);
        prop_assert_eq!(failure.index, index);
        prop_assert_eq!(report.events, index);
    }
}

#[test]
fn the_independent_verifier_agrees_on_each_kind_of_mutation() {
    let len = chain().len();
    assert_eq!(python_verify(&to_jsonl(chain()), "mutation-valid").0, 0);
    let mutations = [
        Mutation::EditPayload(3),
        Mutation::Remove(1),
        Mutation::SwapWithNext(4),
        Mutation::ChangeSequence(len - 1),
        Mutation::ChangePreviousHash(2),
        Mutation::ChangeTimestamp(0),
    ];
    for (n, mutation) in mutations.iter().enumerate() {
        let (events, index, kind) = apply(mutation);
        let (code, report) = python_verify(&to_jsonl(&events), &format!("mutation-{n}"));
        assert_eq!(code, 1, "{mutation:?}: {report}");
        assert_eq!(report["kind"], kind.as_str(), "{mutation:?}");
        assert_eq!(report["index"], index, "{mutation:?}");
    }
}
