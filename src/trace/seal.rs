//! Sealing: turning an operation's raw events into TRACE/1.0 events —
//! assigning ids, sequence numbers and timestamps, writing payloads, and
//! hashing each event onto the chain.

use super::chain::ChainTail;
use super::event::{ChainIds, EventType, SealedEvent};
use super::hash::{event_hash, hex_text, HashInput};
use super::ids::{new_v7, uuid_text, UUID_TEXT_LEN};
use super::operation::{Operation, OperationEvents, ResolveRecord};
use super::payload::{self, ResolutionSummary};
use super::timestamp::{push_timestamp, TIMESTAMP_LEN};
use crate::atlas::catalog::json_string;
use crate::clock::UnixMicros;
use crate::policy::evaluate::Decider;
use uuid::Uuid;

/// TRACE format version written into every event.
pub const TRACE_VERSION: &str = "1.0";

/// Appends the sealed events of `operation` to `out`, advancing `tail`.
pub fn seal(operation: &Operation, tail: &mut ChainTail, out: &mut Vec<SealedEvent>) {
    let chain = &operation.chain;
    let mut sealer = Sealer::new(chain.ids(), operation.at, tail, out);
    let root = chain.root_span();
    match &operation.events {
        OperationEvents::SessionStarted { agent_id, goal } => sealer.push(
            EventType::SessionStarted,
            root,
            None,
            payload::session_started(agent_id, goal),
        ),
        OperationEvents::SessionEnded {
            reason,
            duration_ms,
        } => {
            let span = sealer.new_id();
            sealer.push(
                EventType::SessionEnded,
                span,
                Some(root),
                payload::session_ended(reason, *duration_ms),
            )
        }
        OperationEvents::Resolve(record) => seal_resolve(&mut sealer, root, record),
    }
}

fn seal_resolve(sealer: &mut Sealer<'_>, root: Uuid, record: &ResolveRecord) {
    let catalog = &record.catalog;
    let operation_span = sealer.new_id();
    let request_id_json = json_string(record.texts.request_id());
    let goal_json = json_string(record.texts.goal());
    let atlas_ids_json = record.atlas_ids_json();
    sealer.push(
        EventType::RequestReceived,
        operation_span,
        Some(root),
        payload::request_received(&request_id_json, &goal_json, &atlas_ids_json),
    );
    for (action, evaluation) in &record.evaluations {
        let policy_id_json = match evaluation.decider {
            Decider::Policy(policy) => &catalog.policy_fragments(policy).id_json,
            Decider::DefaultDeny => DEFAULT_DENY_JSON,
        };
        let body = payload::policy_evaluated(
            &catalog.action_fragments(*action).id_json,
            policy_id_json,
            evaluation.verdict.as_str(),
        );
        sealer.push_child(EventType::PolicyEvaluated, operation_span, body);
    }
    for &pack in &record.blocks {
        let (_, fragments) = catalog.pack(pack);
        let source = &catalog.atlas(catalog.pack_atlas(pack)).id_json;
        let body = payload::context_injected(&fragments.id_json, source, fragments.token_estimate);
        sealer.push_child(EventType::ContextInjected, operation_span, body);
    }
    let mut resolution_id = [0u8; UUID_TEXT_LEN];
    let body = payload::resolution_completed(&ResolutionSummary {
        resolution_id: uuid_text(&record.resolution_id, &mut resolution_id),
        request_id_json: &request_id_json,
        decision_type: record.decision_type,
        allowed_count: record.allowed_count.into(),
        denied_count: record.denied_count.into(),
        context_block_count: record.blocks.len() as u64,
        ttl_seconds: record.ttl_seconds.into(),
    });
    sealer.push_child(EventType::ResolutionCompleted, operation_span, body);
}

const DEFAULT_DENY_JSON: &str = "\"default-deny\"";

/// Writes events of one operation onto a chain. The texts every event of
/// the operation shares (session and trace ids, timestamp) are formatted once.
struct Sealer<'a> {
    at: UnixMicros,
    tail: &'a mut ChainTail,
    out: &'a mut Vec<SealedEvent>,
    // Strings, not stack buffers: they are read once per event, and a str
    // needs no UTF-8 check on each read.
    session_id: String,
    trace_id: String,
    timestamp: String,
}

impl<'a> Sealer<'a> {
    fn new(
        ids: ChainIds,
        at: UnixMicros,
        tail: &'a mut ChainTail,
        out: &'a mut Vec<SealedEvent>,
    ) -> Sealer<'a> {
        let mut timestamp = String::with_capacity(TIMESTAMP_LEN);
        push_timestamp(&mut timestamp, at);
        Sealer {
            at,
            tail,
            out,
            session_id: ids.session_id.hyphenated().to_string(),
            trace_id: ids.trace_id.hyphenated().to_string(),
            timestamp,
        }
    }

    fn new_id(&self) -> Uuid {
        new_v7(self.at)
    }

    /// An event in its own span under `parent`.
    fn push_child(&mut self, event_type: EventType, parent: Uuid, payload: String) {
        let span = self.new_id();
        self.push(event_type, span, Some(parent), payload);
    }

    fn push(&mut self, event_type: EventType, span: Uuid, parent: Option<Uuid>, payload: String) {
        let event_id = self.new_id();
        let mut event_text = [0u8; UUID_TEXT_LEN];
        let mut span_text = [0u8; UUID_TEXT_LEN];
        let mut parent_text = [0u8; UUID_TEXT_LEN];
        let mut previous = [0u8; 64];
        let previous = hex_text(&mut previous, &self.tail.previous_hash);
        let hash = event_hash(&HashInput {
            trace_version: TRACE_VERSION,
            event_id: uuid_text(&event_id, &mut event_text),
            trace_id: &self.trace_id,
            span_id: uuid_text(&span, &mut span_text),
            parent_span_id: parent.as_ref().map(|id| uuid_text(id, &mut parent_text)),
            session_id: &self.session_id,
            sequence: self.tail.next_sequence,
            timestamp: &self.timestamp,
            event_type: event_type.as_str(),
            canonical_payload: &payload,
            previous_event_hash: previous,
        });
        self.tail.next_sequence += 1;
        self.tail.previous_hash = hash;
        self.out.push(SealedEvent {
            event_id,
            span_id: span,
            parent_span_id: parent,
            timestamp: self.at,
            event_type,
            payload: payload.into_boxed_str(),
            event_hash: hash,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::catalog::reasons::DEFAULT_DENY_ID;

    #[test]
    fn default_deny_id_is_the_json_of_its_name() {
        assert_eq!(&*json_string(DEFAULT_DENY_ID), DEFAULT_DENY_JSON);
    }
}
