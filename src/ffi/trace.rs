//! Reading, waiting for and verifying traces; resolver counters.

use super::args;
use super::boundary::{call, report};
use super::buf::cra_buf;
use super::error::cra_error;
use super::handle::cra_resolver;
use super::status::{cra_status, CRA_OK};
use crate::error::{Error, ErrorKind};
use crate::limits::MAX_JSONL_LEN;
use crate::resolver::TraceRead;
use crate::trace::verify::jsonl::verify_bytes;
use crate::trace::verify::VerifyOptions;
use crate::trace::verify::VerifyReport;
use std::ffi::c_char;
use std::time::Duration;

/// `cra_get_trace`: wait up to the timeout for the session to be ready.
pub const CRA_TRACE_WAIT: u32 = 0;
/// `cra_get_trace`: return the processed prefix now, never wait.
pub const CRA_TRACE_PARTIAL: u32 = 1;

/// `cra_verify_report.failure`: the chain is valid.
pub const CRA_CHAIN_VALID: u32 = 0;
/// An event lacks a member or has a wrong type.
pub const CRA_CHAIN_MALFORMED: u32 = 1;
/// A sequence number is not the previous one plus 1 (or the first is not 0).
pub const CRA_CHAIN_SEQUENCE_GAP: u32 = 2;
/// `previous_event_hash` is not the previous event's hash.
pub const CRA_CHAIN_BROKEN: u32 = 3;
/// The recomputed hash differs from `event_hash`.
pub const CRA_CHAIN_HASH_MISMATCH: u32 = 4;
/// An event belongs to another session than the one before it.
pub const CRA_CHAIN_SESSION_MISMATCH: u32 = 5;
/// Fewer events than the head counts: the chain's end was cut off
/// (`cra_verify_jsonl_head`, and `cra_verify_chain` on a durable store).
pub const CRA_CHAIN_TRUNCATED: u32 = 6;
/// The event the head names has another hash than the head.
pub const CRA_CHAIN_HEAD_MISMATCH: u32 = 7;

/// The name of a `cra_verify_report.failure` value (`"CRA_CHAIN_BROKEN"`),
/// or `"CRA_CHAIN_UNKNOWN"` for a value that is not one. The string is
/// static: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn cra_chain_failure_name(failure: u32) -> *const c_char {
    let name = match failure {
        CRA_CHAIN_VALID => c"CRA_CHAIN_VALID",
        CRA_CHAIN_MALFORMED => c"CRA_CHAIN_MALFORMED",
        CRA_CHAIN_SEQUENCE_GAP => c"CRA_CHAIN_SEQUENCE_GAP",
        CRA_CHAIN_BROKEN => c"CRA_CHAIN_BROKEN",
        CRA_CHAIN_HASH_MISMATCH => c"CRA_CHAIN_HASH_MISMATCH",
        CRA_CHAIN_SESSION_MISMATCH => c"CRA_CHAIN_SESSION_MISMATCH",
        CRA_CHAIN_TRUNCATED => c"CRA_CHAIN_TRUNCATED",
        CRA_CHAIN_HEAD_MISMATCH => c"CRA_CHAIN_HEAD_MISMATCH",
        _ => c"CRA_CHAIN_UNKNOWN",
    };
    name.as_ptr()
}

/// The outcome of `cra_verify_chain` or `cra_verify_jsonl`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct cra_verify_report {
    /// Events checked.
    pub events: u64,
    /// Events emitted but not yet processed (deferred mode).
    pub pending: u64,
    /// 0-based index of the first bad event; -1 when valid.
    pub first_bad_index: i64,
    /// `CRA_CHAIN_*`.
    pub failure: u32,
    /// `event_hash` of the last valid event, "" if none (NUL-terminated).
    pub head_hash: [c_char; 65],
}

/// Resolver counters.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct cra_stats {
    /// Events accepted into the trace (both modes).
    pub events_emitted: u64,
    /// Events hashed, chained and stored.
    pub events_processed: u64,
    /// Events refused by backpressure.
    pub events_rejected: u64,
    /// Events waiting in the deferred buffer now.
    pub queue_depth: u64,
    /// Events the deferred buffer holds (0 in immediate mode).
    pub queue_capacity: u64,
    /// The most events the deferred buffer has held at once.
    pub queue_high_water: u64,
    /// Sessions begun and not ended.
    pub sessions_active: u64,
}

pub(super) fn timeout(timeout_ms: u32) -> Duration {
    Duration::from_millis(timeout_ms.into())
}

/// Sets `*out_ready` to whether every event of session `session_id`
/// emitted so far is hashed and stored (always true in immediate mode).
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL, malformed id);
/// `CRA_ERR_NOT_FOUND`.
#[no_mangle]
pub unsafe extern "C" fn cra_is_trace_ready(
    r: *mut cra_resolver,
    session_id: *const c_char,
    out_ready: *mut bool,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let session_id = args::session_id(session_id, "session_id")?;
            let out = args::out(out_ready, "out_ready")?;
            *out = resolver.is_trace_ready(session_id)?;
            Ok(())
        })
    }
}

/// Waits up to `timeout_ms` until every event of session `session_id`
/// emitted before this call is stored; events emitted during the wait do
/// not extend it. `timeout_ms` 0 checks once and returns at once.
///
/// If the processor thread is asleep when the wait begins (it sleeps
/// between bursts), the calling thread hashes and stores the queued events
/// itself, in queue order, rather than wait for it to wake up; otherwise it
/// spins briefly, then sleeps. The same holds for `cra_flush_traces`.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT`; `CRA_ERR_NOT_FOUND`;
/// `CRA_ERR_TIMEOUT`; `CRA_ERR_SHUTDOWN` (the processor stopped first).
#[no_mangle]
pub unsafe extern "C" fn cra_await_trace_ready(
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
            let session_id = args::session_id(session_id, "session_id")?;
            resolver.await_trace_ready(session_id, timeout(timeout_ms))
        })
    }
}

/// Waits up to `timeout_ms` until every event of every session emitted
/// before this call is stored.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT`; `CRA_ERR_TIMEOUT`;
/// `CRA_ERR_SHUTDOWN`.
#[no_mangle]
pub unsafe extern "C" fn cra_flush_traces(
    r: *mut cra_resolver,
    timeout_ms: u32,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            resolver.flush_traces(timeout(timeout_ms))
        })
    }
}

/// Stores the trace of session `session_id` as TRACE/1.0 JSON Lines (one
/// event per line) in `*out_jsonl`, which the caller frees with
/// `cra_buf_free`. `flags` is `CRA_TRACE_WAIT` (wait up to `timeout_ms`
/// for the session to be ready) or `CRA_TRACE_PARTIAL` (the events
/// processed so far, at once; `timeout_ms` is ignored).
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL, malformed id,
/// unknown flags); `CRA_ERR_NOT_FOUND`; `CRA_ERR_TIMEOUT` (with
/// `CRA_TRACE_WAIT`; nothing is written); `CRA_ERR_SHUTDOWN`.
#[no_mangle]
pub unsafe extern "C" fn cra_get_trace(
    r: *mut cra_resolver,
    session_id: *const c_char,
    flags: u32,
    timeout_ms: u32,
    out_jsonl: *mut cra_buf,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let session_id = args::session_id(session_id, "session_id")?;
            let read = match flags {
                CRA_TRACE_WAIT => TraceRead::Wait(timeout(timeout_ms)),
                CRA_TRACE_PARTIAL => TraceRead::Partial,
                other => {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!(
                            "flags {other} is neither CRA_TRACE_WAIT (0) nor CRA_TRACE_PARTIAL (1)"
                        ),
                    ))
                }
            };
            let out = args::out(out_jsonl, "out_jsonl")?;
            *out = cra_buf::from_string(resolver.trace_jsonl(session_id, read)?);
            Ok(())
        })
    }
}

/// Verifies the stored events of session `session_id` and fills `*out`
/// (also when the chain is invalid); `out->pending` counts events still in
/// flight, which are not checked.
///
/// Returns `CRA_OK` (valid); `CRA_ERR_CHAIN_INVALID` (the report says where
/// and why); `CRA_ERR_INVALID_ARGUMENT`; `CRA_ERR_NOT_FOUND`.
#[no_mangle]
pub unsafe extern "C" fn cra_verify_chain(
    r: *mut cra_resolver,
    session_id: *const c_char,
    out: *mut cra_verify_report,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        let mut result = None;
        let status = call(err, || {
            let resolver = args::resolver(r)?;
            let session_id = args::session_id(session_id, "session_id")?;
            let out = args::out(out, "out")?;
            let verified = resolver.verify_chain(session_id)?;
            *out = report_of(&verified);
            result = Some(verified);
            Ok(())
        });
        finish_verification(status, result, err)
    }
}

/// Verifies JSONL text (`len` bytes at `jsonl`) holding the events of one
/// or more sessions, each session's chain checked on its own, and fills
/// `*out` (also when a chain is invalid). `first_bad_index` counts
/// non-empty lines from 0. Needs no resolver. Thread-safe.
///
/// Returns `CRA_OK` (every chain valid); `CRA_ERR_CHAIN_INVALID`;
/// `CRA_ERR_INVALID_ARGUMENT` (NULL, bad UTF-8 — the message gives the
/// byte offset —, over 1 GiB).
#[no_mangle]
pub unsafe extern "C" fn cra_verify_jsonl(
    jsonl: *const c_char,
    len: usize,
    out: *mut cra_verify_report,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        let mut result = None;
        let status = call(err, || {
            let bytes = args::sized_bytes(jsonl, len, "jsonl", MAX_JSONL_LEN)?;
            let out = args::out(out, "out")?;
            let verified = verify_bytes(bytes, VerifyOptions::default().threads)
                .map_err(|not_utf8| args::not_utf8("jsonl", not_utf8.offset))?;
            *out = report_of(&verified);
            result = Some(verified);
            Ok(())
        });
        finish_verification(status, result, err)
    }
}

/// Turns a finished verification into `CRA_ERR_CHAIN_INVALID` (with an
/// error naming the failure) when the chain is broken.
///
/// # Safety
/// `err` is NULL or valid for writing a pointer.
pub(super) unsafe fn finish_verification(
    status: cra_status,
    verified: Option<VerifyReport>,
    err: *mut *mut cra_error,
) -> cra_status {
    match verified.and_then(|report| report.failure) {
        Some(failure) if status == CRA_OK => {
            let invalid = Error::new(ErrorKind::ChainInvalid, failure.to_string());
            // SAFETY: this function's contract is `report`'s.
            unsafe { report(err, Err(invalid)) }
        }
        _ => status,
    }
}

pub(super) fn report_of(verified: &VerifyReport) -> cra_verify_report {
    let mut head_hash = [0 as c_char; 65];
    if let Some(hash) = &verified.head_hash {
        for (slot, byte) in head_hash.iter_mut().zip(hash.bytes().take(64)) {
            *slot = byte as c_char;
        }
    }
    cra_verify_report {
        events: verified.events,
        pending: verified.pending,
        first_bad_index: verified.failure.as_ref().map_or(-1, |failure| {
            i64::try_from(failure.index).unwrap_or(i64::MAX)
        }),
        failure: verified
            .failure
            .as_ref()
            .map_or(0, |failure| failure.kind as u32),
        head_hash,
    }
}

/// Fills `*out` with the resolver's counters.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL).
#[no_mangle]
pub unsafe extern "C" fn cra_stats_get(
    r: *mut cra_resolver,
    out: *mut cra_stats,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let out = args::out(out, "out")?;
            let stats = resolver.stats();
            *out = cra_stats {
                events_emitted: stats.trace.events_emitted,
                events_processed: stats.trace.events_processed,
                events_rejected: stats.trace.events_rejected,
                queue_depth: stats.trace.queue_depth,
                queue_capacity: stats.trace.queue_capacity,
                queue_high_water: stats.trace.queue_high_water,
                sessions_active: stats.sessions_active,
            };
            Ok(())
        })
    }
}

/// Test support for host programs and bindings: while `hold` is true, the
/// deferred trace processor stores nothing, so events queue up, sync points
/// time out and a small buffer fills deterministically; `hold` false lets it
/// go on (so does `cra_resolver_free`). No effect in immediate mode.
/// Declared in `cra_testing.h`, not `cra.h`: never needed in production.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL).
#[no_mangle]
pub unsafe extern "C" fn cra_test_hold_processor(
    r: *mut cra_resolver,
    hold: bool,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            args::resolver(r)?.hold_trace_processor(hold);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::verify::FailureKind;
    use std::ffi::CStr;

    fn failure_name(failure: u32) -> &'static str {
        // SAFETY: cra_chain_failure_name returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(cra_chain_failure_name(failure)) }
            .to_str()
            .unwrap()
    }

    /// Each C name is the one TRACE gives the failure, in the C spelling.
    #[test]
    fn chain_failure_names_follow_the_failure_kinds() {
        assert_eq!(failure_name(CRA_CHAIN_VALID), "CRA_CHAIN_VALID");
        for kind in [
            FailureKind::Malformed,
            FailureKind::SequenceGap,
            FailureKind::ChainBroken,
            FailureKind::HashMismatch,
            FailureKind::SessionMismatch,
            FailureKind::Truncated,
            FailureKind::HeadMismatch,
        ] {
            let spelled = kind.as_str().trim_start_matches("chain_").to_uppercase();
            assert_eq!(failure_name(kind as u32), format!("CRA_CHAIN_{spelled}"));
        }
        for unknown in [8, 99, u32::MAX] {
            assert_eq!(failure_name(unknown), "CRA_CHAIN_UNKNOWN");
        }
    }
}
