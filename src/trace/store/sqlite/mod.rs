//! The embedded durable store: one SQLite file in WAL mode (`sqlite:PATH`).
//!
//! The writer thread holds one connection and commits batches of whole
//! operations; readers share a second one, which WAL lets read while the
//! writer writes. Opening a file locks it for this resolver, checks its
//! schema version, and checks that every session's last stored event is
//! the head recorded with it.

mod lock;
mod schema;

use super::durable::backend::{parse_hash, StoreReader, StoreWriter, StoredSession};
use super::durable::compact::last_event_hash;
use super::durable::pending::PendingOperation;
use super::durable::DurableStore;
use super::url::{SqliteUrl, SyncMode};
use crate::error::{Error, ErrorKind, Result};
use crate::time::timestamp::{format_timestamp, parse_rfc3339};
use crate::trace::event::hex::hex_lower;
use crate::trace::event::ids::parse_uuid;
use crate::trace::event::ChainIds;
use crate::trace::verify::Head;
use lock::{lock_exclusive, FileLock};
use parking_lot::Mutex;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long a connection waits for a lock another connection holds (a
/// checkpoint, the `sqlite3` shell) before the statement fails and the
/// writer retries.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Bytes per database page of a new store file (see `connect`).
const PAGE_SIZE: u32 = 32 * 1024;
/// Page cache per connection, in KiB.
const CACHE_KIB: u32 = 16 * 1024;

/// Opens (or creates) the store file of `url` and starts its writer.
///
/// Errors: `Io` naming the file and the reason: it cannot be opened or
/// created, another resolver has it open, it is not a libcra trace store,
/// or its schema version is another.
pub fn open(url: &SqliteUrl) -> Result<DurableStore> {
    let name = format!("trace store {}", url.path.display());
    let io = |reason: String| Error::new(ErrorKind::Io, format!("{name}: {reason}"));
    let lock = lock_exclusive(&url.path).map_err(io)?;
    let mut writer = connect(&url.path, url.sync).map_err(io)?;
    schema::create_or_check(&mut writer).map_err(io)?;
    let damaged = damaged_sessions(&writer).map_err(io)?;
    let reader = connect(&url.path, url.sync).map_err(io)?;
    DurableStore::start(
        name,
        Box::new(SqliteWriter { connection: writer }),
        Box::new(SqliteReader {
            connection: Mutex::new(reader),
            damaged,
            _lock: lock,
        }),
        url.max_waiting_bytes,
    )
}

fn connect(path: &Path, sync: SyncMode) -> std::result::Result<Connection, String> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(|err| err.to_string())?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(|err| err.to_string())?;
    let synchronous = match sync {
        SyncMode::Normal => "NORMAL",
        SyncMode::Full => "FULL",
    };
    // Large pages: operations are a few KiB each and are appended in large
    // transactions, so bigger pages mean fewer WAL frames, fewer write
    // calls and checksums per byte, and fewer checkpoint passes (the page
    // size only applies to a new file). A bounded cache: the writer only
    // appends, so little is read back.
    connection
        .execute_batch(&format!(
            "PRAGMA page_size = {PAGE_SIZE}; PRAGMA cache_size = -{CACHE_KIB};
             PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous};"
        ))
        .map_err(|err| err.to_string())?;
    Ok(connection)
}

/// Sessions whose last stored operation does not end at the head recorded
/// with them: events cut off or changed after they were committed.
fn damaged_sessions(connection: &Connection) -> std::result::Result<FxHashSet<Uuid>, String> {
    let mut statement = connection
        .prepare(
            "SELECT s.session_id, s.head_events, s.head_hash,
                    o.first_sequence + o.event_count, o.events
             FROM sessions s
             LEFT JOIN operations o ON o.session_id = s.session_id
               AND o.first_sequence = (SELECT max(first_sequence) FROM operations
                                       WHERE session_id = s.session_id)",
        )
        .map_err(|err| err.to_string())?;
    let mut damaged = FxHashSet::default();
    let mut rows = statement.query([]).map_err(|err| err.to_string())?;
    while let Some(row) = rows.next().map_err(|err| err.to_string())? {
        let id: String = row.get(0).map_err(|err| err.to_string())?;
        let head_events: i64 = row.get(1).map_err(|err| err.to_string())?;
        let head_hash: String = row.get(2).map_err(|err| err.to_string())?;
        let end: Option<i64> = row.get(3).map_err(|err| err.to_string())?;
        let events: Option<String> = row.get(4).map_err(|err| err.to_string())?;
        let last_hash = events.as_deref().and_then(last_event_hash);
        let intact = end == Some(head_events) && last_hash == Some(head_hash.as_str());
        if !intact {
            damaged.extend(parse_uuid(&id));
        }
    }
    Ok(damaged)
}

/// The writer thread's connection.
struct SqliteWriter {
    connection: Connection,
}

impl StoreWriter for SqliteWriter {
    fn commit(&mut self, batch: &[Arc<PendingOperation>]) -> std::result::Result<(), String> {
        commit(&mut self.connection, batch).map_err(|err| err.to_string())
    }
}

/// One transaction: the operations' rows, new sessions' rows, and each
/// session's head after its last operation in the batch. `OR IGNORE` and
/// the `head_events <` guard make a repeated commit change nothing.
fn commit(connection: &mut Connection, batch: &[Arc<PendingOperation>]) -> rusqlite::Result<()> {
    let transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut insert_operation = transaction.prepare_cached(
            "INSERT OR IGNORE INTO operations (session_id, first_sequence, event_count, events)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut insert_session = transaction.prepare_cached(
            "INSERT OR IGNORE INTO sessions (session_id, trace_id, agent_id, goal, root_span_id,
                 started_at, ended_at, head_events, head_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, 0, ?7)",
        )?;
        let mut update_head = transaction.prepare_cached(
            "UPDATE sessions SET head_events = ?2, head_hash = ?3, ended_at = coalesce(?4, ended_at)
             WHERE session_id = ?1 AND head_events < ?2",
        )?;
        let mut last_of_session: FxHashMap<Uuid, &PendingOperation> = FxHashMap::default();
        for operation in batch {
            let session_id = operation.ids.session_id.hyphenated().to_string();
            insert_operation.execute(params![
                session_id,
                operation.first_sequence as i64,
                operation.event_count as i64,
                operation.events,
            ])?;
            if let Some(start) = &operation.started {
                insert_session.execute(params![
                    session_id,
                    operation.ids.trace_id.hyphenated().to_string(),
                    start.agent_id,
                    start.goal,
                    start.root_span.hyphenated().to_string(),
                    timestamp_text(start.started_at),
                    hex_lower(&[0; 32]),
                ])?;
            }
            last_of_session.insert(operation.ids.session_id, operation);
        }
        for operation in last_of_session.values() {
            update_head.execute(params![
                operation.ids.session_id.hyphenated().to_string(),
                operation.head.events as i64,
                hex_lower(&operation.head.hash),
                operation.ended_at.map(timestamp_text),
            ])?;
        }
    }
    transaction.commit()
}

fn timestamp_text(micros: i64) -> String {
    String::from_utf8_lossy(&format_timestamp(micros)).into_owned()
}

/// The connection readers share, and what opening found.
struct SqliteReader {
    connection: Mutex<Connection>,
    damaged: FxHashSet<Uuid>,
    /// Declared after the connection, so it is released after it closes.
    _lock: FileLock,
}

impl StoreReader for SqliteReader {
    fn session(&self, id: Uuid) -> std::result::Result<Option<StoredSession>, String> {
        let connection = self.connection.lock();
        let mut statement = connection
            .prepare_cached(
                "SELECT trace_id, agent_id, root_span_id, started_at, ended_at IS NOT NULL,
                        head_events, head_hash
                 FROM sessions WHERE session_id = ?1",
            )
            .map_err(|err| err.to_string())?;
        let row = statement
            .query_row([id.hyphenated().to_string()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, bool>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, String>(6)?,
                ))
            })
            .optional()
            .map_err(|err| err.to_string())?;
        let Some((trace_id, agent_id, root_span, started_at, ended, events, hash)) = row else {
            return Ok(None);
        };
        let unreadable = |what: &str| format!("session {id} has an unreadable {what}");
        Ok(Some(StoredSession {
            ids: ChainIds {
                session_id: id,
                trace_id: parse_uuid(&trace_id).ok_or_else(|| unreadable("trace_id"))?,
            },
            agent_id,
            root_span: parse_uuid(&root_span).ok_or_else(|| unreadable("root_span_id"))?,
            started_at: parse_rfc3339(&started_at).ok_or_else(|| unreadable("started_at"))?,
            ended,
            head: Head {
                events: u64::try_from(events).map_err(|_| unreadable("head_events"))?,
                hash: parse_hash(&hash).ok_or_else(|| unreadable("head_hash"))?,
            },
            damaged: self.damaged.contains(&id),
        }))
    }

    fn operations(
        &self,
        id: Uuid,
        before: u64,
        visit: &mut dyn FnMut(u64, &str) -> std::result::Result<(), String>,
    ) -> std::result::Result<(), String> {
        let connection = self.connection.lock();
        let mut statement = connection
            .prepare_cached(
                "SELECT first_sequence, events FROM operations
                 WHERE session_id = ?1 AND first_sequence < ?2 ORDER BY first_sequence",
            )
            .map_err(|err| err.to_string())?;
        let before = i64::try_from(before).unwrap_or(i64::MAX);
        let mut rows = statement
            .query(params![id.hyphenated().to_string(), before])
            .map_err(|err| err.to_string())?;
        while let Some(row) = rows.next().map_err(|err| err.to_string())? {
            let first: i64 = row.get(0).map_err(|err| err.to_string())?;
            let events = row.get_ref(1).map_err(|err| err.to_string())?;
            let events = events.as_str().map_err(|err| err.to_string())?;
            visit(u64::try_from(first).unwrap_or(0), events)?;
        }
        Ok(())
    }
}
