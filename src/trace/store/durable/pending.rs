//! Operations waiting for the store: sealed, written once in the form the
//! store keeps ([`super::compact`]), and shared by the writer's queue and
//! the session's resident events until they are committed.

use super::compact;
use crate::trace::event::{ChainIds, EventType};
use crate::trace::store::AppendedRun;
use crate::trace::verify::Head;
use uuid::Uuid;

/// What `session.started` tells the store about a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionStart {
    pub agent_id: String,
    pub goal: String,
    pub root_span: Uuid,
    pub started_at: i64,
}

/// One whole operation, ready to commit.
#[derive(Debug)]
pub struct PendingOperation {
    pub ids: ChainIds,
    pub first_sequence: u64,
    pub event_count: u64,
    /// The events in the store's form ([`compact`]).
    pub events: String,
    /// The session's head once this operation is stored.
    pub head: Head,
    /// Set when the operation begins the session.
    pub started: Option<SessionStart>,
    /// When the operation ends the session (Unix microseconds).
    pub ended_at: Option<i64>,
}

impl PendingOperation {
    /// An operation of no events yet, starting where `run` attaches.
    pub fn starting_at(run: &AppendedRun<'_>) -> PendingOperation {
        PendingOperation {
            ids: run.ids,
            first_sequence: run.first_sequence,
            event_count: 0,
            events: String::new(),
            head: Head {
                events: run.first_sequence,
                hash: *run.previous_hash,
            },
            started: None,
            ended_at: None,
        }
    }

    /// Adds `run`, the operation's next events.
    pub fn extend(&mut self, run: &AppendedRun<'_>) {
        compact::push_events(&mut self.events, run.events);
        for stored in run.events.iter() {
            let event = stored.event;
            match event.event_type {
                EventType::SessionStarted => {
                    self.started = session_start(stored.payload, event.span_id, event.timestamp)
                }
                EventType::SessionEnded => self.ended_at = Some(event.timestamp),
                _ => {}
            }
            self.head.hash = event.event_hash;
        }
        self.event_count += run.events.len() as u64;
        self.head.events = self.first_sequence + self.event_count;
    }

    /// Ends the operation: its text is whole.
    pub fn finish(&mut self) {
        compact::finish(&mut self.events);
    }

    /// Bytes of memory the operation's text holds.
    pub fn text_bytes(&self) -> usize {
        self.events.capacity()
    }
}

/// The agent and goal of a `session.started` payload (canonical JSON that
/// libcra wrote itself).
fn session_start(payload: &str, root_span: Uuid, started_at: i64) -> Option<SessionStart> {
    #[derive(serde::Deserialize)]
    struct Started {
        agent_id: String,
        goal: String,
    }
    let started: Started = serde_json::from_str(payload).ok()?;
    Some(SessionStart {
        agent_id: started.agent_id,
        goal: started.goal,
        root_span,
        started_at,
    })
}
