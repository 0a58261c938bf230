//! A batch of operations as the column arrays that one statement per
//! table unnests (`INSERT … SELECT … FROM unnest($1, $2, …)`): three
//! statements commit any number of operations, in as many round trips.

use crate::time::timestamp::format_timestamp;
use crate::trace::event::hex::hex_lower;
use crate::trace::store::durable::pending::PendingOperation;
use rustc_hash::FxHashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Rows of `operations`.
#[derive(Default)]
pub struct OperationRows<'a> {
    pub session_id: Vec<Uuid>,
    pub first_sequence: Vec<i64>,
    pub event_count: Vec<i32>,
    pub events: Vec<&'a str>,
}

/// Rows of `sessions` for the sessions a batch begins.
#[derive(Default)]
pub struct NewSessionRows<'a> {
    pub session_id: Vec<Uuid>,
    pub trace_id: Vec<Uuid>,
    pub agent_id: Vec<&'a str>,
    pub goal: Vec<&'a str>,
    pub root_span_id: Vec<Uuid>,
    /// RFC 3339, as the events write it; the server reads it as timestamptz.
    pub started_at: Vec<String>,
}

/// Each session's head after its last operation in a batch.
#[derive(Default)]
pub struct HeadRows {
    pub session_id: Vec<Uuid>,
    pub head_events: Vec<i64>,
    pub head_hash: Vec<String>,
    pub ended_at: Vec<Option<String>>,
}

/// The rows one batch writes.
#[derive(Default)]
pub struct BatchRows<'a> {
    pub operations: OperationRows<'a>,
    pub new_sessions: NewSessionRows<'a>,
    pub heads: HeadRows,
}

impl<'a> BatchRows<'a> {
    /// Errors: a count beyond the columns' range (never from libcra's
    /// own operations).
    pub fn of(batch: &'a [Arc<PendingOperation>]) -> Result<BatchRows<'a>, String> {
        let mut rows = BatchRows::default();
        let mut last_of_session: FxHashMap<Uuid, &PendingOperation> = FxHashMap::default();
        for operation in batch {
            rows.push_operation(operation)?;
            last_of_session.insert(operation.ids.session_id, operation);
        }
        for operation in last_of_session.into_values() {
            let heads = &mut rows.heads;
            heads.session_id.push(operation.ids.session_id);
            heads.head_events.push(number(operation.head.events)?);
            heads.head_hash.push(hex_lower(&operation.head.hash));
            heads.ended_at.push(operation.ended_at.map(timestamp_text));
        }
        Ok(rows)
    }

    fn push_operation(&mut self, operation: &'a PendingOperation) -> Result<(), String> {
        let id = operation.ids.session_id;
        let operations = &mut self.operations;
        operations.session_id.push(id);
        operations
            .first_sequence
            .push(number(operation.first_sequence)?);
        operations.event_count.push(
            i32::try_from(operation.event_count)
                .map_err(|_| format!("an operation of {} events", operation.event_count))?,
        );
        operations.events.push(&operation.events);
        if let Some(start) = &operation.started {
            let sessions = &mut self.new_sessions;
            sessions.session_id.push(id);
            sessions.trace_id.push(operation.ids.trace_id);
            sessions.agent_id.push(&start.agent_id);
            sessions.goal.push(&start.goal);
            sessions.root_span_id.push(start.root_span);
            sessions.started_at.push(timestamp_text(start.started_at));
        }
        Ok(())
    }
}

fn number(value: u64) -> Result<i64, String> {
    i64::try_from(value).map_err(|_| format!("sequence number {value} is out of range"))
}

fn timestamp_text(micros: i64) -> String {
    String::from_utf8_lossy(&format_timestamp(micros)).into_owned()
}
