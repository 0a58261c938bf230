//! The writer thread's side of the PostgreSQL store: one connection, which
//! holds this store's owner lock (`postgres/owner.rs`), and one
//! transaction per batch.
//!
//! A batch is three statements whatever its size (new sessions, operations,
//! heads: `batch.rs`). `ON CONFLICT DO NOTHING` and heads that only move
//! forward make committing a batch again (a retry after a commit whose
//! outcome was lost) change nothing. A broken connection is dropped; the
//! next attempt (the durable store retries with backoff) connects again
//! and takes the owner lock again.

use super::batch::BatchRows;
use super::connection::{connect, describe, is_broken};
use super::owner::{hold, OwnerKey};
use crate::trace::store::durable::backend::StoreWriter;
use crate::trace::store::durable::pending::PendingOperation;
use postgres::{Client, Config, Statement, Transaction};
use std::sync::Arc;
use uuid::Uuid;

/// Rows for the sessions a batch begins, owned by this store.
const INSERT_SESSIONS: &str = "
INSERT INTO sessions (session_id, trace_id, agent_id, goal, root_span_id, started_at,
                      ended_at, head_events, head_hash, owner)
SELECT id, trace, agent, goal, root, started::timestamptz, NULL, 0, repeat('0', 64), $7
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[])
     AS new (id, trace, agent, goal, root, started)
ON CONFLICT (session_id) DO NOTHING";

const INSERT_OPERATIONS: &str = "
INSERT INTO operations (session_id, first_sequence, event_count, events)
SELECT id, first, count, events
FROM unnest($1::uuid[], $2::int8[], $3::int4[], $4::text[]) AS op (id, first, count, events)
ON CONFLICT (session_id, first_sequence) DO NOTHING";

/// Each session's head, moved forward only, and only for sessions this
/// store owns: every row of the batch's sessions matches (so the count
/// tells whether one was taken), a retried batch writes the same values.
const UPDATE_HEADS: &str = "
UPDATE sessions s
SET head_events = greatest(s.head_events, h.events),
    head_hash = CASE WHEN h.events > s.head_events THEN h.hash ELSE s.head_hash END,
    ended_at = CASE WHEN h.events > s.head_events
                    THEN coalesce(h.ended::timestamptz, s.ended_at) ELSE s.ended_at END
FROM unnest($1::uuid[], $2::int8[], $3::text[], $4::text[]) AS h (id, events, hash, ended)
WHERE s.session_id = h.id AND s.owner = $5";

/// A session of the batch whose head this store may not write.
const NOT_OWNED: &str = "
SELECT h.id, s.session_id IS NULL
FROM unnest($1::uuid[]) AS h (id) LEFT JOIN sessions s ON s.session_id = h.id
WHERE s.owner IS DISTINCT FROM $2
LIMIT 1";

/// A connection holding the owner lock, with the batch statements prepared.
pub struct WriterConnection {
    client: Client,
    insert_sessions: Statement,
    insert_operations: Statement,
    update_heads: Statement,
}

/// Why a commit failed.
enum CommitError {
    Database(postgres::Error),
    /// A session of the batch is not this store's (any more).
    NotOwned(String),
}

impl From<postgres::Error> for CommitError {
    fn from(err: postgres::Error) -> CommitError {
        CommitError::Database(err)
    }
}

impl WriterConnection {
    /// Takes `owner`'s lock on `client` and prepares the statements.
    pub fn over(mut client: Client, owner: OwnerKey) -> Result<WriterConnection, String> {
        let prepared = hold(&mut client, owner).and_then(|()| {
            Ok((
                client.prepare(INSERT_SESSIONS)?,
                client.prepare(INSERT_OPERATIONS)?,
                client.prepare(UPDATE_HEADS)?,
            ))
        });
        let (insert_sessions, insert_operations, update_heads) =
            prepared.map_err(|err| describe(&err))?;
        Ok(WriterConnection {
            client,
            insert_sessions,
            insert_operations,
            update_heads,
        })
    }

    fn commit(&mut self, rows: &BatchRows<'_>, owner: OwnerKey) -> Result<(), CommitError> {
        let mut transaction = self.client.transaction()?;
        let sessions = &rows.new_sessions;
        if !sessions.session_id.is_empty() {
            transaction.execute(
                &self.insert_sessions,
                &[
                    &sessions.session_id,
                    &sessions.trace_id,
                    &sessions.agent_id,
                    &sessions.goal,
                    &sessions.root_span_id,
                    &sessions.started_at,
                    &owner.0,
                ],
            )?;
        }
        let operations = &rows.operations;
        transaction.execute(
            &self.insert_operations,
            &[
                &operations.session_id,
                &operations.first_sequence,
                &operations.event_count,
                &operations.events,
            ],
        )?;
        let heads = &rows.heads;
        let updated = transaction.execute(
            &self.update_heads,
            &[
                &heads.session_id,
                &heads.head_events,
                &heads.head_hash,
                &heads.ended_at,
                &owner.0,
            ],
        )?;
        if updated != heads.session_id.len() as u64 {
            // Dropping the transaction rolls the batch back.
            return Err(CommitError::NotOwned(not_owned(
                &mut transaction,
                &heads.session_id,
                owner,
            )?));
        }
        transaction.commit()?;
        Ok(())
    }
}

/// Why the heads of `sessions` could not all be written.
fn not_owned(
    transaction: &mut Transaction<'_>,
    sessions: &[Uuid],
    owner: OwnerKey,
) -> Result<String, postgres::Error> {
    let row = transaction.query_opt(NOT_OWNED, &[&sessions, &owner.0])?;
    Ok(match row {
        Some(row) if row.get::<_, bool>(1) => format!(
            "session {} has no row in sessions (was it deleted?); its events cannot be committed",
            row.get::<_, Uuid>(0)
        ),
        Some(row) => format!(
            "session {} was resumed by another resolver while this one had lost its \
             connection to the database; its events cannot be committed here",
            row.get::<_, Uuid>(0)
        ),
        None => "the sessions' heads changed while committing; retrying".to_owned(),
    })
}

/// The store's writer.
pub struct PostgresWriter {
    config: Config,
    owner: OwnerKey,
    /// `None` after the connection broke, until the next commit connects.
    connection: Option<WriterConnection>,
}

impl PostgresWriter {
    pub fn new(config: Config, owner: OwnerKey, connection: WriterConnection) -> PostgresWriter {
        PostgresWriter {
            config,
            owner,
            connection: Some(connection),
        }
    }

    /// The connection, made again when there is none or it has closed.
    fn connection(&mut self) -> Result<&mut WriterConnection, String> {
        if self
            .connection
            .as_ref()
            .is_some_and(|connection| connection.client.is_closed())
        {
            self.connection = None;
        }
        if self.connection.is_none() {
            let client = connect(&self.config)?;
            self.connection = Some(WriterConnection::over(client, self.owner)?);
        }
        Ok(self.connection.as_mut().expect("connected above"))
    }
}

impl StoreWriter for PostgresWriter {
    fn commit(&mut self, batch: &[Arc<PendingOperation>]) -> Result<(), String> {
        let rows = BatchRows::of(batch)?;
        let owner = self.owner;
        let connection = self.connection()?;
        match connection.commit(&rows, owner) {
            Ok(()) => Ok(()),
            Err(CommitError::NotOwned(message)) => Err(message),
            Err(CommitError::Database(err)) => {
                if is_broken(&connection.client, &err) {
                    self.connection = None;
                }
                Err(describe(&err))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::ChainIds;
    use crate::trace::store::durable::pending::SessionStart;
    use crate::trace::verify::Head;

    /// An operation of `count` made-up events of session `ids`, from
    /// `first` on; the first one begins the session.
    fn operation(ids: ChainIds, first: u64, count: u64) -> Arc<PendingOperation> {
        Arc::new(PendingOperation {
            ids,
            first_sequence: first,
            event_count: count,
            events: format!("[{}]", vec!["[]"; count as usize].join(",")),
            head: Head {
                events: first + count,
                hash: [first as u8 + count as u8; 32],
            },
            started: (first == 0).then(|| SessionStart {
                agent_id: "agent-7".into(),
                goal: "g".into(),
                root_span: Uuid::from_u128(9),
                started_at: 1_795_867_200_000_250,
            }),
            ended_at: None,
        })
    }

    /// A batch committed again (its first commit's outcome lost), or an
    /// older batch after a newer one, changes nothing. Runs when
    /// `CRA_TEST_POSTGRES_URL` names a server, in a schema of its own.
    #[test]
    fn committing_a_batch_again_changes_nothing() {
        let Ok(server) = std::env::var("CRA_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var("CRA_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "CRA_REQUIRE_POSTGRES=1 but CRA_TEST_POSTGRES_URL is not set"
            );
            println!("skipped: CRA_TEST_POSTGRES_URL is not set");
            return;
        };
        let schema = format!("cra_unit_{}", std::process::id());
        let mut admin = Client::connect(&server, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap();
        let mut config: Config = server.parse().unwrap();
        config.options(&format!("-c search_path={schema}"));
        let mut client = config.connect(postgres::NoTls).unwrap();
        super::super::schema::create_or_check(&mut client).unwrap();
        let owner = OwnerKey::random();
        let mut writer = PostgresWriter::new(
            config.clone(),
            owner,
            WriterConnection::over(client, owner).unwrap(),
        );

        let ids = ChainIds {
            session_id: Uuid::from_u128(1),
            trace_id: Uuid::from_u128(2),
        };
        let first = [operation(ids, 0, 2), operation(ids, 2, 3)];
        let second = [operation(ids, 5, 1)];
        for batch in [&first[..], &first[..], &second[..], &first[..], &second[..]] {
            writer.commit(batch).unwrap();
        }
        let mut check = config.connect(postgres::NoTls).unwrap();
        let row = check
            .query_one(
                "SELECT (SELECT count(*) FROM operations), head_events, head_hash,
                        to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'),
                        owner
                 FROM sessions",
                &[],
            )
            .unwrap();
        assert_eq!(row.get::<_, i64>(0), 3);
        assert_eq!(row.get::<_, i64>(1), 6);
        assert_eq!(row.get::<_, String>(2), "06".repeat(32));
        assert_eq!(row.get::<_, String>(3), "2026-11-28T12:00:00.000250");
        assert_eq!(row.get::<_, i64>(4), owner.0);
        drop((writer, check));
        admin
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
    }
}
