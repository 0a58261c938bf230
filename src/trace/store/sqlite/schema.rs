//! The SQLite store's tables, and the check that a file holds them.
//!
//! One row per operation (its events as JSON Lines, in the order they
//! chain) keeps the rows few and a session's text one indexed range scan
//! away; one row per session holds its head, written in the same
//! transaction as the session's last operation. README.md ("The SQLite
//! store") shows the queries an auditor runs with the `sqlite3` shell.

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
  lines          TEXT NOT NULL     -- the events, TRACE/1.0 JSON Lines, no final newline
);
CREATE UNIQUE INDEX operations_in_order ON operations (session_id, first_sequence);
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
