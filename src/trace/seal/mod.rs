//! Sealing: turning an operation's raw events into TRACE/1.0 events —
//! minting ids, numbering them, writing their payloads, hashing each onto
//! the session's chain — and handing them to the store.

use super::chain::{ChainTail, SessionChain};
use super::event::batch::EventBatch;
use super::event::ids::{uuid_text, IdMinter, UUID_TEXT_LEN};
use super::event::payload::{self, ResolutionSummary};
use super::event::text::{ChainedEvent, EventText, Timestamps};
use super::event::{EventType, SealedEvent, StoredEvent};
use super::hash::EventHasher;
use super::record::{
    ApprovalRecord, CheckOutcome, CheckRecord, Operation, OperationEvents, ReportRecord,
    ReportedOutcome, ResolveRecord,
};
use super::store::{AppendedRun, OperationPart, TraceStore};
use crate::atlas::catalog::Catalog;
use crate::policy::evaluate::Decider;
use crate::time::UnixMicros;
use uuid::Uuid;

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
    hasher: EventHasher,
    timestamps: Timestamps,
}

impl SealScratch {
    /// Heap bytes the scratch keeps from one operation to the next.
    pub fn retained_bytes(&self) -> usize {
        self.batch.retained_bytes() + self.hasher.retained_bytes()
    }
}

/// Seals the events of `operation` onto its session's chain and appends
/// them to `store`. Returns how many events were stored.
///
/// The chain's tail stays locked from the first event to the last append,
/// so the store gets each session's events in chain order.
pub fn seal(operation: &Operation, store: &dyn TraceStore, scratch: &mut SealScratch) -> u64 {
    let chain = &*operation.chain;
    let mut tail = chain.lock_tail();
    let mut sealer = Sealer {
        at: operation.at,
        chain,
        run_start: RunStart::at(&tail),
        tail: &mut tail,
        batch: &mut scratch.batch,
        minter: &mut scratch.minter,
        hasher: &mut scratch.hasher,
        timestamps: &mut scratch.timestamps,
        store,
        sealed: 0,
    };
    match &operation.events {
        OperationEvents::SessionStarted { agent_id, goal } => {
            payload::session_started(sealer.payload(), agent_id, goal);
            sealer.push(EventType::SessionStarted, chain.root_span(), None)
        }
        OperationEvents::SessionEnded {
            reason,
            duration_ms,
        } => {
            payload::session_ended(sealer.payload(), reason, *duration_ms);
            sealer.push_child(EventType::SessionEnded, chain.root_span())
        }
        OperationEvents::SessionResumed {
            events_before,
            reason,
        } => {
            payload::session_resumed(sealer.payload(), *events_before, reason);
            sealer.push_child(EventType::SessionResumed, chain.root_span())
        }
        OperationEvents::Resolve { catalog, record } => seal_resolve(&mut sealer, catalog, record),
        OperationEvents::Check(check) => seal_check(&mut sealer, check),
        OperationEvents::Approval(approval) => seal_approval(&mut sealer, approval),
        OperationEvents::Report(report) => seal_report(&mut sealer, report),
    }
    sealer.hand_off(OperationPart::Last);
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
    let root = sealer.chain.root_span();
    sealer.push(EventType::RequestReceived, operation_span, Some(root));
    for (action, evaluation) in &record.evaluations {
        let policy_id_json = match evaluation.decider {
            Decider::Policy(policy) => &catalog.policy_fragments(policy).id_json,
            Decider::DefaultDeny => DEFAULT_DENY_JSON,
        };
        payload::policy_evaluated(
            sealer.payload(),
            &catalog.action_fragments(*action).id_json,
            policy_id_json,
            evaluation.verdict.as_str(),
        );
        sealer.push_child(EventType::PolicyEvaluated, operation_span);
    }
    for &pack in &record.blocks {
        let (_, fragments) = catalog.pack(pack);
        let source = &catalog.atlas(catalog.pack_atlas(pack)).id_json;
        payload::context_injected(
            sealer.payload(),
            &fragments.id_json,
            source,
            fragments.token_estimate,
        );
        sealer.push_child(EventType::ContextInjected, operation_span);
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
    payload::resolution_completed(sealer.payload(), &summary);
    sealer.push_child(EventType::ResolutionCompleted, operation_span);
}

fn seal_check(sealer: &mut Sealer<'_>, check: &CheckRecord) {
    payload::action_requested(
        sealer.payload(),
        &check.action_id,
        &check.resolution_id,
        &check.parameters_hash,
    );
    let root = sealer.chain.root_span();
    sealer.push(EventType::ActionRequested, check.span, Some(root));
    match &check.outcome {
        CheckOutcome::Approved { execution_id } => {
            let mut execution = [0u8; UUID_TEXT_LEN];
            payload::action_approved(
                sealer.payload(),
                &check.action_id,
                &check.resolution_id,
                uuid_text(execution_id, &mut execution),
            );
            sealer.push_child(EventType::ActionApproved, check.span);
        }
        CheckOutcome::Denied { reason, policy_id } => {
            payload::action_denied(
                sealer.payload(),
                &check.action_id,
                reason,
                policy_id.as_deref(),
            );
            sealer.push_child(EventType::ActionDenied, check.span);
        }
    }
}

fn seal_approval(sealer: &mut Sealer<'_>, approval: &ApprovalRecord) {
    let (mut approval_id, mut resolution_id) = ([0u8; UUID_TEXT_LEN], [0u8; UUID_TEXT_LEN]);
    payload::approval_answered(
        sealer.payload(),
        uuid_text(&approval.approval_id, &mut approval_id),
        uuid_text(&approval.resolution_id, &mut resolution_id),
        &approval.approver,
        approval.reason.as_deref(),
    );
    let event_type = match approval.granted {
        true => EventType::ApprovalGranted,
        false => EventType::ApprovalRejected,
    };
    sealer.push_child(event_type, sealer.chain.root_span());
}

fn seal_report(sealer: &mut Sealer<'_>, report: &ReportRecord) {
    let mut execution_id = [0u8; UUID_TEXT_LEN];
    let execution_id = uuid_text(&report.execution_id, &mut execution_id);
    let event_type = match &report.outcome {
        ReportedOutcome::Executed { result_hash } => {
            payload::action_executed(
                sealer.payload(),
                &report.action_id,
                execution_id,
                report.duration_ms,
                result_hash.as_deref(),
            );
            EventType::ActionExecuted
        }
        ReportedOutcome::Failed {
            error_code,
            error_message,
        } => {
            payload::action_failed(
                sealer.payload(),
                &report.action_id,
                execution_id,
                report.duration_ms,
                error_code,
                error_message,
            );
            EventType::ActionFailed
        }
    };
    sealer.push_child(event_type, report.check_span);
}

const DEFAULT_DENY_JSON: &str = "\"default-deny\"";

/// Where the events not yet handed to the store attach to the chain.
struct RunStart {
    sequence: u64,
    previous_hash: [u8; 32],
}

impl RunStart {
    fn at(tail: &ChainTail) -> RunStart {
        RunStart {
            sequence: tail.next_sequence,
            previous_hash: tail.previous_hash,
        }
    }
}

/// Writes the events of one operation onto a chain.
struct Sealer<'a> {
    at: UnixMicros,
    chain: &'a SessionChain,
    run_start: RunStart,
    tail: &'a mut ChainTail,
    batch: &'a mut EventBatch,
    minter: &'a mut IdMinter,
    hasher: &'a mut EventHasher,
    timestamps: &'a mut Timestamps,
    store: &'a dyn TraceStore,
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

    /// Seals the event whose payload was just written, with a span of its
    /// own under `parent`.
    fn push_child(&mut self, event_type: EventType, parent: Uuid) {
        let span = self.new_id();
        self.push(event_type, span, Some(parent));
    }

    /// Seals the event whose payload was just written to [`Self::payload`]:
    /// hashes it onto the chain and adds it to the batch.
    fn push(&mut self, event_type: EventType, span: Uuid, parent: Option<Uuid>) {
        let mut event = SealedEvent {
            event_id: self.new_id(),
            span_id: span,
            parent_span_id: parent,
            timestamp: self.at,
            event_type,
            payload_offset: 0, // set by the batch
            event_hash: [0; 32],
        };
        let chained = ChainedEvent {
            sequence: self.tail.next_sequence,
            stored: StoredEvent {
                event: &event,
                payload: self.batch.pending_payload(),
            },
            previous: &self.tail.previous_hash,
        };
        let text = EventText::new(self.chain.texts(), chained, self.timestamps);
        event.event_hash = self.hasher.hash(&text.fields());
        self.tail.previous_hash = event.event_hash;
        self.tail.next_sequence += 1;
        self.batch.push_pending(event);
        self.sealed += 1;
        if self.batch.payload_bytes() >= HAND_OFF_PAYLOAD_BYTES {
            self.hand_off(OperationPart::Middle);
        }
    }

    /// Appends the events sealed so far to the store. The last part of an
    /// operation is always handed off, even empty, so the store knows the
    /// operation is whole.
    fn hand_off(&mut self, part: OperationPart) {
        if !self.batch.is_empty() || part == OperationPart::Last {
            self.store.append(AppendedRun {
                ids: self.chain.ids(),
                first_sequence: self.run_start.sequence,
                previous_hash: &self.run_start.previous_hash,
                events: self.batch.as_run(),
                part,
            });
        }
        self.batch.clear();
        self.run_start = RunStart::at(self.tail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::catalog::json_string;
    use crate::atlas::catalog::reasons::DEFAULT_DENY_ID;

    use crate::atlas::catalog::Catalog;
    use crate::config::TraceMode;
    use crate::trace::chain::SessionChain;
    use crate::trace::event::ChainIds;
    use crate::trace::record::operation::RequestTexts;
    use crate::trace::store::memory::MemoryStore;
    use crate::trace::verify::stored::verify_stored;
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
        runs: Mutex<Vec<(usize, OperationPart)>>,
    }

    impl TraceStore for CountingStore {
        fn append(&self, run: AppendedRun<'_>) {
            self.runs.lock().push((run.events.len(), run.part));
            self.inner.append(run);
        }

        fn write_jsonl(&self, ids: ChainIds, out: &mut String) -> crate::error::Result<bool> {
            self.inner.write_jsonl(ids, out)
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
        let chain = SessionChain::new(ids, Uuid::from_u128(3), TraceMode::Immediate);
        let store = CountingStore::default();
        let mut scratch = SealScratch::default();
        let huge = "x".repeat(HAND_OFF_PAYLOAD_BYTES);
        for goal in ["small", &huge, "small again"] {
            assert_eq!(seal(&resolve(&chain, goal), &store, &mut scratch), 2);
        }
        // The huge request's payload is handed off alone, before the
        // operation's last event.
        use OperationPart::{Last, Middle};
        assert_eq!(
            *store.runs.lock(),
            [(2, Last), (1, Middle), (1, Last), (2, Last)]
        );
        let mut report = None;
        store.inner.read(ids.session_id, 0, &mut |events| {
            report = Some(verify_stored(ids, events, 1))
        });
        let report = report.expect("the session is stored");
        assert_eq!((report.events, report.failure), (6, None));
    }
}
