//! Sealing: turning an operation's raw events into TRACE/1.0 events —
//! assigning ids, sequence numbers and timestamps, writing payloads, and
//! hashing each event onto the chain — and handing them to the store.

use super::chain::ChainTail;
use super::chain_hasher::ChainHasher;
use super::event::{ChainIds, EventType, SealedEvent};
use super::event_batch::EventBatch;
use super::hash::HashPrefix;
use super::ids::{uuid_ascii, uuid_text, IdMinter, UUID_TEXT_LEN};
use super::operation::{Operation, OperationEvents, ResolveRecord};
use super::payload::{self, ResolutionSummary};
use super::store::TraceStore;
use super::timestamp::format_timestamp;
use crate::atlas::catalog::Catalog;
use crate::clock::UnixMicros;
use crate::policy::evaluate::Decider;
use uuid::Uuid;

/// TRACE format version written into every event.
pub const TRACE_VERSION: &str = "1.0";

/// The sealer hands its events to the store once their payloads pass this
/// many bytes, even within an operation: an operation of very many events
/// then neither leaves a huge scratch behind nor a run too long to address.
const HAND_OFF_PAYLOAD_BYTES: usize = 1 << 20;

/// Buffers sealing reuses from one operation to the next, so a steady
/// stream of operations allocates nothing.
#[derive(Default)]
pub struct SealScratch {
    /// The sealed events not yet handed to the store, payloads written in place.
    batch: EventBatch,
    minter: IdMinter,
    hasher: ChainHasher,
}

impl SealScratch {
    /// Heap bytes the scratch keeps from one operation to the next.
    pub fn retained_bytes(&self) -> usize {
        self.batch.retained_bytes() + self.hasher.retained_bytes()
    }
}

/// Seals the events of `operation` onto its chain, advancing `tail`, and
/// appends them to `store`. Returns how many events were stored.
pub fn seal(
    operation: &Operation,
    tail: &mut ChainTail,
    scratch: &mut SealScratch,
    store: &dyn TraceStore,
) -> u64 {
    let chain = &operation.chain;
    let timestamp = format_timestamp(operation.at);
    let chain_texts = chain.texts();
    let texts = OperationTexts {
        session_id: &chain_texts.session_id,
        trace_id: &chain_texts.trace_id,
        root_span: chain.root_span_text(),
        timestamp: &timestamp,
    };
    let mut sealer = Sealer {
        at: operation.at,
        root: chain.root_span(),
        texts,
        tail,
        batch: &mut scratch.batch,
        minter: &mut scratch.minter,
        hasher: &mut scratch.hasher,
        store,
        ids: chain.ids(),
        sealed: 0,
    };
    match &operation.events {
        OperationEvents::SessionStarted { agent_id, goal } => {
            payload::session_started(sealer.payload(), agent_id, goal);
            let root = sealer.root;
            sealer.push(EventType::SessionStarted, root, None)
        }
        OperationEvents::SessionEnded {
            reason,
            duration_ms,
        } => {
            payload::session_ended(sealer.payload(), reason, *duration_ms);
            let span = sealer.new_id();
            sealer.push_under_root(EventType::SessionEnded, span)
        }
        OperationEvents::Resolve { catalog, record } => seal_resolve(&mut sealer, catalog, record),
    }
    sealer.hand_off();
    sealer.sealed
}

fn seal_resolve(sealer: &mut Sealer<'_>, catalog: &Catalog, record: &ResolveRecord) {
    let operation_span = sealer.new_id();
    let atlas_ids_json = record.atlas_ids_json(catalog);
    payload::request_received(
        sealer.payload(),
        record.texts.request_id(),
        record.texts.goal(),
        &atlas_ids_json,
    );
    sealer.push_under_root(EventType::RequestReceived, operation_span);
    let mut span_text = [0u8; UUID_TEXT_LEN];
    let mut children = Children {
        parent: operation_span,
        parent_text: uuid_ascii(&operation_span, &mut span_text),
        sealer,
    };
    for (action, evaluation) in &record.evaluations {
        let policy_id_json = match evaluation.decider {
            Decider::Policy(policy) => &catalog.policy_fragments(policy).id_json,
            Decider::DefaultDeny => DEFAULT_DENY_JSON,
        };
        payload::policy_evaluated(
            children.payload(),
            &catalog.action_fragments(*action).id_json,
            policy_id_json,
            evaluation.verdict.as_str(),
        );
        children.push(EventType::PolicyEvaluated);
    }
    for &pack in &record.blocks {
        let (_, fragments) = catalog.pack(pack);
        let source = &catalog.atlas(catalog.pack_atlas(pack)).id_json;
        payload::context_injected(
            children.payload(),
            &fragments.id_json,
            source,
            fragments.token_estimate,
        );
        children.push(EventType::ContextInjected);
    }
    let mut resolution_id = [0u8; UUID_TEXT_LEN];
    let summary = ResolutionSummary {
        resolution_id: uuid_text(&record.resolution_id, &mut resolution_id),
        request_id: record.texts.request_id(),
        decision_type: record.decision_type,
        allowed_count: record.allowed_count.into(),
        denied_count: record.denied_count.into(),
        context_block_count: record.blocks.len() as u64,
        ttl_seconds: record.ttl_seconds.into(),
    };
    payload::resolution_completed(children.payload(), &summary);
    children.push(EventType::ResolutionCompleted);
}

const DEFAULT_DENY_JSON: &str = "\"default-deny\"";

/// The texts every event of an operation shares, formatted once (as the
/// ASCII bytes that are hashed).
struct OperationTexts<'t> {
    session_id: &'t [u8],
    trace_id: &'t [u8],
    /// The session's root span, parent of every operation's span.
    root_span: &'t [u8],
    timestamp: &'t [u8],
}

/// Writes the events of one operation onto a chain.
struct Sealer<'a> {
    at: UnixMicros,
    /// The session's root span.
    root: Uuid,
    texts: OperationTexts<'a>,
    tail: &'a mut ChainTail,
    batch: &'a mut EventBatch,
    minter: &'a mut IdMinter,
    hasher: &'a mut ChainHasher,
    store: &'a dyn TraceStore,
    ids: ChainIds,
    /// Events sealed so far.
    sealed: u64,
}

impl Sealer<'_> {
    fn new_id(&mut self) -> Uuid {
        self.minter.mint(self.at)
    }

    /// The buffer the next event's canonical payload is appended to.
    fn payload(&mut self) -> &mut String {
        self.batch.payload_writer()
    }

    /// Seals the event whose payload was just written to [`Self::payload`],
    /// a child of the session's root span.
    fn push_under_root(&mut self, event_type: EventType, span: Uuid) {
        let root = (self.root, self.texts.root_span);
        self.push(event_type, span, Some(root));
    }

    /// Seals the event whose payload was just written to [`Self::payload`];
    /// `parent` is the parent span and its text as events hash it.
    fn push(&mut self, event_type: EventType, span: Uuid, parent: Option<(Uuid, &[u8])>) {
        let event_id = self.new_id();
        let mut event_text = [0u8; UUID_TEXT_LEN];
        let mut span_text = [0u8; UUID_TEXT_LEN];
        self.hasher.push(&HashPrefix {
            trace_version: TRACE_VERSION.as_bytes(),
            event_id: uuid_ascii(&event_id, &mut event_text),
            trace_id: self.texts.trace_id,
            span_id: uuid_ascii(&span, &mut span_text),
            parent_span_id: parent.map(|(_, text)| text),
            session_id: self.texts.session_id,
            sequence: self.tail.next_sequence,
            timestamp: self.texts.timestamp,
            event_type: event_type.as_str().as_bytes(),
            canonical_payload: self.batch.pending_payload().as_bytes(),
        });
        self.tail.next_sequence += 1;
        self.batch.push_pending(SealedEvent {
            event_id,
            span_id: span,
            parent_span_id: parent.map(|(span, _)| span),
            timestamp: self.at,
            event_type,
            payload_offset: 0,   // set by the batch
            event_hash: [0; 32], // set at hand-off, when the run is hashed
        });
        self.sealed += 1;
        if self.batch.payload_bytes() >= HAND_OFF_PAYLOAD_BYTES {
            self.hand_off();
        }
    }

    /// Hashes the events sealed so far onto the chain and appends them to
    /// the store.
    fn hand_off(&mut self) {
        if !self.batch.is_empty() {
            let hashes = self.hasher.hash_onto(&mut self.tail.previous_hash);
            self.batch.set_hashes(hashes);
            self.store.append(self.ids, self.batch.as_run());
        }
        self.batch.clear();
    }
}

/// Seals events that each get a new span under one parent, whose text is
/// formatted once for all of them.
struct Children<'s, 'a> {
    sealer: &'s mut Sealer<'a>,
    parent: Uuid,
    parent_text: &'s [u8],
}

impl Children<'_, '_> {
    fn payload(&mut self) -> &mut String {
        self.sealer.payload()
    }

    fn push(&mut self, event_type: EventType) {
        let span = self.sealer.new_id();
        self.sealer
            .push(event_type, span, Some((self.parent, self.parent_text)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::catalog::json_string;
    use crate::atlas::catalog::reasons::DEFAULT_DENY_ID;

    use crate::atlas::catalog::Catalog;
    use crate::trace::chain::SessionChain;
    use crate::trace::event_run::EventRun;
    use crate::trace::memory_store::MemoryStore;
    use crate::trace::operation::RequestTexts;
    use crate::trace::stored_events::StoredEvents;
    use crate::trace::verify_stored::verify_stored;
    use parking_lot::Mutex;
    use std::sync::Arc;

    #[test]
    fn default_deny_id_is_the_json_of_its_name() {
        assert_eq!(&*json_string(DEFAULT_DENY_ID), DEFAULT_DENY_JSON);
    }

    /// A memory store that also counts the runs it is handed.
    #[derive(Default)]
    struct CountingStore {
        inner: MemoryStore,
        runs: Mutex<Vec<usize>>,
    }

    impl TraceStore for CountingStore {
        fn append(&self, chain: ChainIds, events: EventRun<'_>) {
            self.runs.lock().push(events.len());
            self.inner.append(chain, events);
        }

        fn read(&self, session_id: Uuid, from: usize, visit: &mut dyn FnMut(StoredEvents<'_>)) {
            self.inner.read(session_id, from, visit)
        }
    }

    fn resolve(chain: &Arc<SessionChain>, goal: &str) -> Operation {
        Operation {
            chain: chain.clone(),
            at: 1_795_867_200_000_250,
            events: OperationEvents::Resolve {
                catalog: Arc::new(Catalog::new()),
                record: Box::new(ResolveRecord {
                    texts: RequestTexts::new("req-1", goal),
                    resolution_id: Uuid::from_u128(9),
                    decision_type: "deny",
                    allowed_count: 0,
                    denied_count: 0,
                    ttl_seconds: 60,
                    ..ResolveRecord::default()
                }),
            },
        }
    }

    #[test]
    fn a_huge_operation_reaches_the_store_in_runs_that_chain_on() {
        let ids = ChainIds {
            session_id: Uuid::from_u128(1),
            trace_id: Uuid::from_u128(2),
        };
        let chain = SessionChain::new(ids, Uuid::from_u128(3));
        let store = CountingStore::default();
        let mut scratch = SealScratch::default();
        let huge = "x".repeat(HAND_OFF_PAYLOAD_BYTES);
        for goal in ["small", &huge, "small again"] {
            assert_eq!(
                chain.seal_into(&resolve(&chain, goal), &store, &mut scratch),
                2
            );
        }
        // The huge request's payload is handed off alone, before the
        // operation's last event.
        assert_eq!(*store.runs.lock(), [2, 1, 1, 2]);
        let mut report = None;
        store.read(ids.session_id, 0, &mut |events| {
            report = Some(verify_stored(ids, events))
        });
        let report = report.expect("the session is stored");
        assert_eq!((report.events, report.failure), (6, None));
    }
}
