//! Durable stores (ABI minor 1): opening a resolver on a store URL, the
//! durable sync point, resuming sessions, store counters, and heads.

use super::args;
use super::boundary::call;
use super::config::cra_config;
use super::error::cra_error;
use super::handle::cra_resolver;
use super::status::cra_status;
use super::trace::{cra_verify_report, finish_verification, report_of, timeout};
use crate::error::{Error, ErrorKind};
use crate::limits::{MAX_JSONL_LEN, MAX_TEXT_LEN};
use crate::resolver::Resolver;
use crate::trace::verify::{verify_jsonl_head, Head, VerifyOptions};
use std::ffi::c_char;

/// Longest store URL `cra_resolver_open` takes, in bytes.
const MAX_STORE_URL_LEN: usize = 4096;

/// Counters of a resolver's store (`cra_store_stats_get`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct cra_store_stats {
    /// Events committed to the store (with the memory store: stored).
    pub events_durable: u64,
    /// Events ready (sealed, readable) and not yet committed.
    pub events_waiting: u64,
    /// Transactions committed.
    pub commits: u64,
    /// Failed commits, each retried.
    pub write_errors: u64,
    /// Sessions held in memory, active or ended.
    pub sessions_in_memory: u64,
    /// Sessions that left memory, their events all committed (still
    /// readable from the store).
    pub sessions_evicted: u64,
    /// Bytes of event text held in memory until committed.
    pub resident_event_bytes: u64,
}

/// A session's head: how many events its chain has, and the last one's
/// `event_hash` (64 lowercase hex digits and a NUL; 64 zeros for none).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct cra_head {
    pub events: u64,
    pub head_hash: [c_char; 65],
}

impl cra_head {
    fn of(head: &Head) -> cra_head {
        let mut head_hash = [0 as c_char; 65];
        for (slot, byte) in head_hash.iter_mut().zip(head.hash_hex().bytes()) {
            *slot = byte as c_char;
        }
        cra_head {
            events: head.events,
            head_hash,
        }
    }

    /// The head a host gave. Errors: `InvalidArgument` when the hash is not
    /// 64 lowercase hex digits followed by a NUL.
    fn to_head(self) -> crate::error::Result<Head> {
        let bytes = self.head_hash.map(|c| c as u8);
        let hex = std::str::from_utf8(&bytes[..64]).ok().filter(|hex| {
            bytes[64] == 0
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        let mut hash = [0u8; 32];
        let parsed = hex.is_some_and(|hex| {
            hash.iter_mut().enumerate().all(|(i, byte)| {
                u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                    .map(|b| *byte = b)
                    .is_ok()
            })
        });
        if !parsed {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "expected->head_hash must be 64 lowercase hex digits followed by a NUL",
            ));
        }
        Ok(Head {
            events: self.events,
            hash,
        })
    }
}

/// Creates a resolver like `cra_resolver_new` whose events go to the store
/// `store_url` names:
///
/// - NULL or `"memory:"`: events stay in memory (as `cra_resolver_new`);
/// - `"sqlite:PATH"`: a durable single SQLite file, created when missing
///   and reopened with every session it holds when present. Parameters:
///   `?sync=full` fsyncs every commit (it survives power loss; the default,
///   `sync=normal`, survives the process crashing), `max_waiting_mb=N`
///   bounds the event text waiting for the file (default 64);
/// - `"postgres://user:password@host:port/dbname?params"` (or
///   `postgresql://`, libpq's URI form): a PostgreSQL database that any
///   number of resolvers, in any number of processes and hosts, share. The
///   tables are created on first use. Parameters other than
///   `max_waiting_mb` go to the client (`application_name`,
///   `connect_timeout`, `options`, …); `sslmode=disable` or `prefer`
///   connect without TLS, and `sslmode=require` or stricter is refused with
///   `CRA_ERR_IO` (this build has no TLS).
///
/// One resolver per SQLite file: a second one gets `CRA_ERR_IO` while the
/// first has it open. In PostgreSQL a session belongs to the resolver that
/// began or resumed it: `cra_session_resume` of a session another live
/// resolver holds gives `CRA_ERR_CONFLICT`; a resolver whose process died
/// releases its sessions when the server notices its connection is gone.
///
/// Ownership: the caller owns `*out` and frees it with `cra_resolver_free`,
/// which also commits what the store still holds, within
/// `shutdown_timeout_ms`.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (as `cra_resolver_new`,
/// plus an unknown scheme or parameter, or a bad value; the message names
/// it); `CRA_ERR_IO` (the store cannot be opened or created, another
/// resolver has it open, the server cannot be reached, it is not a libcra
/// trace store, or its schema version is another; the message says which,
/// and never holds a password).
#[no_mangle]
pub unsafe extern "C" fn cra_resolver_open(
    cfg: *const cra_config,
    store_url: *const c_char,
    out: *mut *mut cra_resolver,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let out = args::out(out, "out")?;
            let config = args::config(cfg)?.to_config()?;
            let url = args::optional_text(store_url, "store_url", MAX_STORE_URL_LEN)?;
            let url = url.unwrap_or("memory:");
            let inner = Resolver::open(config, url)?;
            *out = Box::into_raw(Box::new(cra_resolver::new(inner)));
            Ok(())
        })
    }
}

/// Waits up to `timeout_ms` until every event emitted before this call, of
/// session `session_id` or of every session (NULL), is committed to the
/// store. With the memory store it is `cra_await_trace_ready` (or
/// `cra_flush_traces`).
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT`; `CRA_ERR_NOT_FOUND`;
/// `CRA_ERR_TIMEOUT`; `CRA_ERR_IO` with the store's error when the time
/// runs out while the store is failing (the events stay queued and are
/// retried); `CRA_ERR_SHUTDOWN`.
#[no_mangle]
pub unsafe extern "C" fn cra_await_trace_durable(
    r: *mut cra_resolver,
    session_id: *const c_char,
    timeout_ms: u32,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let session_id = match session_id.is_null() {
                true => None,
                false => Some(args::session_id(session_id, "session_id")?),
            };
            resolver.await_trace_durable(session_id, timeout(timeout_ms))
        })
    }
}

/// Continues session `session_id`, still open when the store's last
/// resolver stopped, and records `session.resumed` with `reason`. Request
/// ids used before the restart are not remembered.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL, bad UTF-8,
/// malformed id, reason over 64 KiB); `CRA_ERR_NOT_FOUND` (unknown, or a
/// memory store); `CRA_ERR_SESSION_ENDED`; `CRA_ERR_CONFLICT` (already
/// active in this resolver, or held open by another live resolver of the
/// same PostgreSQL database); `CRA_ERR_IO` (the store cannot be read, or the
/// session's stored tail does not match its head: verify it);
/// `CRA_ERR_BACKPRESSURE`; `CRA_ERR_SHUTDOWN`.
#[no_mangle]
pub unsafe extern "C" fn cra_session_resume(
    r: *mut cra_resolver,
    session_id: *const c_char,
    reason: *const c_char,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let session_id = args::session_id(session_id, "session_id")?;
            let reason = args::text(reason, "reason", MAX_TEXT_LEN)?;
            resolver.resume_session(session_id, reason)
        })
    }
}

/// Fills `*out` with the counters of the resolver's store.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL).
#[no_mangle]
pub unsafe extern "C" fn cra_store_stats_get(
    r: *mut cra_resolver,
    out: *mut cra_store_stats,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let out = args::out(out, "out")?;
            let stats = resolver.store_stats();
            *out = cra_store_stats {
                events_durable: stats.events_durable,
                events_waiting: stats.events_waiting,
                commits: stats.commits,
                write_errors: stats.write_errors,
                sessions_in_memory: stats.sessions_in_memory,
                sessions_evicted: stats.sessions_evicted,
                resident_event_bytes: stats.resident_event_bytes,
            };
            Ok(())
        })
    }
}

/// Fills `*out` with session `session_id`'s head: the events processed so
/// far and the last one's hash. Keep it apart from the trace to detect
/// later that the trace's end was cut off (`cra_verify_jsonl_head`).
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT`; `CRA_ERR_NOT_FOUND`;
/// `CRA_ERR_IO` (the store cannot be read).
#[no_mangle]
pub unsafe extern "C" fn cra_session_head(
    r: *mut cra_resolver,
    session_id: *const c_char,
    out: *mut cra_head,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let session_id = args::session_id(session_id, "session_id")?;
            let out = args::out(out, "out")?;
            *out = cra_head::of(&resolver.session_head(session_id)?);
            Ok(())
        })
    }
}

/// Verifies one session's JSONL text (`len` bytes at `jsonl`) like
/// `cra_verify_jsonl`, then holds it against `*expected`: fewer events
/// than `expected->events` is `CRA_CHAIN_TRUNCATED` (at the number of
/// events present), another hash at event `expected->events - 1` is
/// `CRA_CHAIN_HEAD_MISMATCH`. More events than the head counts is valid:
/// the chain grew. Fills `*out` (also when invalid). Thread-safe.
///
/// Returns `CRA_OK`; `CRA_ERR_CHAIN_INVALID`; `CRA_ERR_INVALID_ARGUMENT`
/// (NULL, bad UTF-8, over 1 GiB, a head hash that is not 64 lowercase hex
/// digits, or events of more than one session in the text).
#[no_mangle]
pub unsafe extern "C" fn cra_verify_jsonl_head(
    jsonl: *const c_char,
    len: usize,
    expected: *const cra_head,
    out: *mut cra_verify_report,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        let mut result = None;
        let status = call(err, || {
            let text = args::sized_text(jsonl, len, "jsonl", MAX_JSONL_LEN)?;
            let head = args::value(expected, "expected")?.to_head()?;
            let out = args::out(out, "out")?;
            let verified = verify_jsonl_head(text, &head, VerifyOptions::default())?;
            *out = report_of(&verified);
            result = Some(verified);
            Ok(())
        });
        finish_verification(status, result, err)
    }
}
