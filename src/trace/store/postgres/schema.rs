//! The PostgreSQL store's tables, and the check that a database holds them.
//!
//! The same tables as the SQLite store (`store/sqlite/schema.rs`), so the
//! same SQL reads both: one row per operation, its events in the compact
//! form (`store/durable/compact.rs`), one row per session with its head,
//! and the `trace_lines` view that rebuilds every event's TRACE/1.0 line,
//! byte for byte as libcra exports it. Sessions also record their
//! `owner`: the resolver holding them open (`postgres/owner.rs`).
//!
//! The events are `text`, read as `json` where SQL needs them (`json`
//! keeps the text as written; `jsonb` would reorder the payload's members
//! and change the text that was hashed). Plain text spares the server a
//! JSON parse of every operation on the write path (bench/FINDINGS.md);
//! libcra wrote the text, and the chain's hashes check it.
//!
//! `toast_tuple_target = 8160` keeps an operation's row in the table as
//! written up to a page's worth: by default PostgreSQL compresses every
//! row over about 2 KiB, most operations, on a CPU the server often shares
//! with the hosts; the rows take more room instead.

use super::connection::describe;
use postgres::Client;

/// The version of the tables below. A database of another version is refused.
pub const SCHEMA_VERSION: &str = "1";

/// The advisory lock (transaction-level) under which the tables are
/// checked or created, so resolvers on many hosts starting at once never
/// race to create them. ("cra_schm" in ASCII.)
const SCHEMA_LOCK: i64 = 0x6372_615f_7363_686d;

const CREATE: &str = r#"
CREATE TABLE cra_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
CREATE TABLE sessions (
  session_id   uuid PRIMARY KEY,     -- UUIDv7, as in the events
  trace_id     uuid NOT NULL,
  agent_id     text NOT NULL,
  goal         text NOT NULL,
  root_span_id uuid NOT NULL,        -- span of session.started
  started_at   timestamptz NOT NULL, -- microseconds, as in the events
  ended_at     timestamptz,          -- NULL while the session is open
  head_events  bigint NOT NULL,      -- events stored
  head_hash    text NOT NULL,        -- event_hash of the last one
  owner        bigint                -- the resolver holding it open (its advisory lock)
) WITH (fillfactor = 80);            -- room for the head's in-place (HOT) updates
CREATE INDEX sessions_by_agent ON sessions (agent_id, started_at);
CREATE TABLE operations (
  session_id     uuid NOT NULL,
  first_sequence bigint NOT NULL,    -- sequence of the operation's first event
  event_count    integer NOT NULL,
  -- [[event_id, span_id, parent_span_id, timestamp, event_type, payload, event_hash], ...]
  events         text NOT NULL,
  PRIMARY KEY (session_id, first_sequence)
) WITH (toast_tuple_target = 8160);
-- Every event as its TRACE/1.0 line, in chain order within a session. The
-- members of the compact array are json text as stored, so the payload is
-- exactly the text that was hashed.
CREATE VIEW trace_lines AS
SELECT o.session_id AS session_id,
       o.first_sequence + e.n - 1 AS sequence,
       '{"trace_version":"1.0","event_id":' || (e.v -> 0)::text
       || ',"trace_id":"' || s.trace_id::text
       || '","span_id":' || (e.v -> 1)::text
       || ',"parent_span_id":' || (e.v -> 2)::text
       || ',"session_id":"' || o.session_id::text
       || '","sequence":' || (o.first_sequence + e.n - 1)::text
       || ',"timestamp":' || (e.v -> 3)::text
       || ',"event_type":' || (e.v -> 4)::text
       || ',"payload":' || (e.v -> 5)::text
       || ',"event_hash":' || (e.v -> 6)::text
       || ',"previous_event_hash":"'
       || coalesce(lag(e.v ->> 6) OVER (PARTITION BY o.session_id
                                        ORDER BY o.first_sequence, e.n),
                   repeat('0', 64))
       || '"}' AS line
FROM operations o
JOIN sessions s ON s.session_id = o.session_id
CROSS JOIN LATERAL json_array_elements(o.events::json) WITH ORDINALITY AS e (v, n);
"#;

/// Creates the tables in a database (or schema, after `search_path`) that
/// has none of them, or checks that it holds this version of them.
/// Errors: a message naming what is wrong.
pub fn create_or_check(client: &mut Client) -> Result<(), String> {
    let mut transaction = client.transaction().map_err(|err| describe(&err))?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .map_err(|err| describe(&err))?;
    let row = transaction
        .query_one(
            "SELECT to_regclass('cra_meta') IS NOT NULL,
                    to_regclass('sessions') IS NOT NULL OR to_regclass('operations') IS NOT NULL
                    OR to_regclass('trace_lines') IS NOT NULL",
            &[],
        )
        .map_err(|err| describe(&err))?;
    let (has_meta, has_ours): (bool, bool) = (row.get(0), row.get(1));
    if !has_meta && has_ours {
        return Err(not_a_store());
    }
    if !has_meta {
        transaction
            .batch_execute(CREATE)
            .map_err(|err| describe(&err))?;
        transaction
            .execute(
                "INSERT INTO cra_meta (key, value) VALUES ('schema_version', $1)",
                &[&SCHEMA_VERSION],
            )
            .map_err(|err| describe(&err))?;
        return transaction.commit().map_err(|err| describe(&err));
    }
    let version: Option<String> = transaction
        .query_opt(
            "SELECT value FROM cra_meta WHERE key = 'schema_version'",
            &[],
        )
        .map_err(|_| not_a_store())?
        .map(|row| row.get(0));
    match version.as_deref() {
        Some(SCHEMA_VERSION) => Ok(()),
        Some(other) => Err(format!(
            "its trace store schema is version {other}; this libcra reads version {SCHEMA_VERSION}"
        )),
        None => Err(not_a_store()),
    }
}

fn not_a_store() -> String {
    "the database has tables named like a libcra trace store's (cra_meta, sessions, \
     operations, trace_lines) that are not one; use another database, or another schema \
     (options=-c search_path=…)"
        .to_owned()
}
