//! Reading what is committed: one connection that readers take in turn,
//! made again when it breaks.
//!
//! A session is checked as it is read: its last stored operation must end
//! at the head recorded with it (many resolvers share the database, so
//! checking every session when a store opens would cost each of them a
//! scan of all of it).

use super::connection::{connect, describe, is_broken};
use super::owner::{claim, OwnerKey};
use crate::time::timestamp::parse_rfc3339;
use crate::trace::event::ChainIds;
use crate::trace::store::durable::backend::{parse_hash, Claim, StoreReader, StoredSession};
use crate::trace::store::durable::compact::last_event_hash;
use crate::trace::verify::Head;
use parking_lot::Mutex;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, Config, Row, Statement};
use std::cell::Cell;
use uuid::Uuid;

/// A session's row and the end of its last operation: where it ends and
/// the last 67 characters of its text, `<event_hash>"]]`.
const SESSION: &str = "
SELECT s.trace_id, s.agent_id, s.root_span_id,
       to_char(s.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
       s.ended_at IS NOT NULL, s.head_events, s.head_hash,
       last.first_sequence + last.event_count, right(last.events::text, 67)
FROM sessions s
LEFT JOIN LATERAL (SELECT first_sequence, event_count, events FROM operations o
                   WHERE o.session_id = s.session_id
                   ORDER BY first_sequence DESC LIMIT 1) last ON true
WHERE s.session_id = $1";

const OPERATIONS: &str = "
SELECT first_sequence, events::text FROM operations
WHERE session_id = $1 AND first_sequence < $2 ORDER BY first_sequence";

/// The readers' connection, with its statements prepared.
struct ReaderConnection {
    client: Client,
    session: Statement,
    operations: Statement,
}

impl ReaderConnection {
    fn over(mut client: Client) -> Result<ReaderConnection, postgres::Error> {
        Ok(ReaderConnection {
            session: client.prepare(SESSION)?,
            operations: client.prepare(OPERATIONS)?,
            client,
        })
    }
}

/// Why a read failed.
enum ReadError {
    Database(postgres::Error),
    /// The rows are not what libcra wrote, or the caller's visit failed.
    Other(String),
}

impl From<postgres::Error> for ReadError {
    fn from(err: postgres::Error) -> ReadError {
        ReadError::Database(err)
    }
}

/// The store's reader.
pub struct PostgresReader {
    config: Config,
    owner: OwnerKey,
    /// `None` after the connection broke, until the next read connects.
    connection: Mutex<Option<ReaderConnection>>,
}

impl PostgresReader {
    /// Errors: the statements cannot be prepared (the server's message).
    pub fn new(config: Config, owner: OwnerKey, client: Client) -> Result<PostgresReader, String> {
        let connection = ReaderConnection::over(client).map_err(|err| describe(&err))?;
        Ok(PostgresReader {
            config,
            owner,
            connection: Mutex::new(Some(connection)),
        })
    }

    /// Runs `read` on the connection, connecting first when there is none
    /// or it has closed. When a read breaks the connection (a restarted
    /// server), it runs once more on a new one if `may_retry()` says so.
    fn with_connection<T>(
        &self,
        mut read: impl FnMut(&mut ReaderConnection) -> Result<T, ReadError>,
        may_retry: impl Fn() -> bool,
    ) -> Result<T, String> {
        let mut guard = self.connection.lock();
        let mut retried = false;
        loop {
            if guard
                .as_ref()
                .is_some_and(|connection| connection.client.is_closed())
            {
                *guard = None;
            }
            if guard.is_none() {
                let client = connect(&self.config)?;
                *guard = Some(ReaderConnection::over(client).map_err(|err| describe(&err))?);
            }
            let connection = guard.as_mut().expect("connected above");
            let err = match read(connection) {
                Ok(value) => return Ok(value),
                Err(ReadError::Other(message)) => return Err(message),
                Err(ReadError::Database(err)) => err,
            };
            if !is_broken(&connection.client, &err) {
                return Err(describe(&err));
            }
            *guard = None;
            if retried || !may_retry() {
                return Err(describe(&err));
            }
            retried = true;
        }
    }
}

impl StoreReader for PostgresReader {
    fn session(&self, id: Uuid) -> Result<Option<StoredSession>, String> {
        let row = self.with_connection(
            |connection| Ok(connection.client.query_opt(&connection.session, &[&id])?),
            || true,
        )?;
        row.map(|row| {
            stored_session(id, &row).map_err(|err| match err {
                ReadError::Database(err) => describe(&err),
                ReadError::Other(message) => message,
            })
        })
        .transpose()
    }

    fn operations(
        &self,
        id: Uuid,
        before: u64,
        visit: &mut dyn FnMut(u64, &str) -> Result<(), String>,
    ) -> Result<(), String> {
        let before = i64::try_from(before).unwrap_or(i64::MAX);
        // Once an operation has been handed on, a retry would repeat it.
        let visited = Cell::new(false);
        self.with_connection(
            |connection| {
                let params: [&(dyn ToSql + Sync); 2] = [&id, &before];
                let mut rows = connection
                    .client
                    .query_raw(&connection.operations, params)?;
                while let Some(row) = rows.next()? {
                    let first: i64 = row.try_get(0)?;
                    let events: &str = row.try_get(1)?;
                    visited.set(true);
                    visit(u64::try_from(first).unwrap_or(0), events).map_err(ReadError::Other)?;
                }
                Ok(())
            },
            || !visited.get(),
        )
    }

    fn claim(&self, id: Uuid) -> Result<Claim, String> {
        // Claiming again what this store already claimed changes nothing,
        // so a claim whose outcome was lost may run again.
        self.with_connection(
            |connection| Ok(claim(&mut connection.client, id, self.owner)?),
            || true,
        )
    }
}

/// The session of `row` ([`SESSION`]).
fn stored_session(id: Uuid, row: &Row) -> Result<StoredSession, ReadError> {
    let unreadable =
        |what: &str| ReadError::Other(format!("session {id} has an unreadable {what}"));
    let started_at: String = row.try_get(3)?;
    let head_events: i64 = row.try_get(5)?;
    let head_hash: String = row.try_get(6)?;
    let last_end: Option<i64> = row.try_get(7)?;
    let last_tail: Option<String> = row.try_get(8)?;
    let last_hash = last_tail.as_deref().and_then(last_event_hash);
    Ok(StoredSession {
        ids: ChainIds {
            session_id: id,
            trace_id: row.try_get(0)?,
        },
        agent_id: row.try_get(1)?,
        root_span: row.try_get(2)?,
        started_at: parse_rfc3339(&started_at).ok_or_else(|| unreadable("started_at"))?,
        ended: row.try_get(4)?,
        head: Head {
            events: u64::try_from(head_events).map_err(|_| unreadable("head_events"))?,
            hash: parse_hash(&head_hash).ok_or_else(|| unreadable("head_hash"))?,
        },
        damaged: last_end != Some(head_events) || last_hash != Some(head_hash.as_str()),
    })
}
