//! The SQLite store's tables, and the check that a file holds them.
//!
//! One row per operation keeps the rows few and a session one indexed
//! range scan away; an operation keeps only what its chain does not imply
//! (`store/durable/compact.rs`), and the `trace_lines` view rebuilds the
//! full TRACE/1.0 lines with SQLite's own JSON functions, for an auditor
//! with the `sqlite3` shell (README.md, "The SQLite store"). One row per
//! session holds its head, written in the same transaction as the
//! session's last operation.

use rusqlite::{Connection, OptionalExtension};

/// The version of the tables below. A file of another version is refused.
pub const SCHEMA_VERSION: &str = "1";

const CREATE: &str = "
CREATE TABLE cra_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE sessions (
  session_id   TEXT PRIMARY KEY,  -- UUIDv7, as in the events
  trace_id     TEXT NOT NULL,
  agent_id     TEXT NOT NULL,
  goal         TEXT NOT NULL,
  root_span_id TEXT NOT NULL,     -- span of session.started
  started_at   TEXT NOT NULL,     -- RFC 3339, UTC, microseconds
  ended_at     TEXT,              -- NULL while the session is open
  head_events  INTEGER NOT NULL,  -- events stored
  head_hash    TEXT NOT NULL      -- event_hash of the last one
);
CREATE INDEX sessions_by_agent ON sessions (agent_id, started_at);
CREATE TABLE operations (
  session_id     TEXT NOT NULL,
  first_sequence INTEGER NOT NULL, -- sequence of the operation's first event
  event_count    INTEGER NOT NULL,
  -- [[event_id, span_id, parent_span_id, timestamp, event_type, payload, event_hash], ...]
  events         TEXT NOT NULL
);
CREATE UNIQUE INDEX operations_in_order ON operations (session_id, first_sequence);
-- Every event as its TRACE/1.0 line, in chain order within a session.
CREATE VIEW trace_lines AS
SELECT o.session_id AS session_id,
       o.first_sequence + e.key AS sequence,
       json_object(
         'trace_version', '1.0',
         'event_id', e.value ->> 0,
         'trace_id', s.trace_id,
         'span_id', e.value ->> 1,
         'parent_span_id', e.value -> 2,
         'session_id', o.session_id,
         'sequence', o.first_sequence + e.key,
         'timestamp', e.value ->> 3,
         'event_type', e.value ->> 4,
         'payload', e.value -> 5,
         'event_hash', e.value ->> 6,
         'previous_event_hash', coalesce(
            lag(e.value ->> 6) OVER (PARTITION BY o.session_id
                                     ORDER BY o.first_sequence, e.key),
            '0000000000000000000000000000000000000000000000000000000000000000')
       ) AS line
FROM operations o JOIN sessions s ON s.session_id = o.session_id, json_each(o.events) e;
";

/// Creates the tables in an empty database, or checks that a database
/// holds this version of them. Errors: a message naming what is wrong.
pub fn create_or_check(connection: &mut Connection) -> Result<(), String> {
    let transaction = connection
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|err| err.to_string())?;
    let tables: i64 = transaction
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |row| row.get(0),
        )
        .map_err(|err| err.to_string())?;
    if tables == 0 {
        transaction
            .execute_batch(CREATE)
            .map_err(|err| err.to_string())?;
        transaction
            .execute(
                "INSERT INTO cra_meta (key, value) VALUES ('schema_version', ?1)",
                [SCHEMA_VERSION],
            )
            .map_err(|err| err.to_string())?;
        return transaction.commit().map_err(|err| err.to_string());
    }
    let version: Option<String> = transaction
        .query_row(
            "SELECT value FROM cra_meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|_| "it is a SQLite database, but not a libcra trace store".to_owned())?;
    match version.as_deref() {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(other) => Err(format!(
            "its trace store schema is version {other}; this libcra reads version {SCHEMA_VERSION}"
        )),
        None => Err("it is a SQLite database, but not a libcra trace store".to_owned()),
    }
}
