//! The resolver handle: creation, atlases, sessions and resolve.

use super::args;
use super::boundary::call;
use super::buf::cra_buf;
use super::config::cra_config;
use super::error::cra_error;
use super::handle::cra_resolver;
use super::session_options::cra_session_options;
use super::status::cra_status;
use super::version::CRA_ID_BUF_LEN;
use crate::limits::{MAX_ATLAS_LEN, MAX_ID_LEN, MAX_REQUEST_LEN, MAX_TEXT_LEN};
use crate::resolver::Resolver;
use std::cell::RefCell;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Longest path `cra_load_atlas_file` takes, in bytes.
const MAX_PATH_LEN: usize = 4096;

/// Creates a resolver with the settings in `*cfg` (NULL: the defaults of
/// `cra_config_init`) and stores it in `*out`. In deferred mode this starts
/// the background trace processor.
///
/// Ownership: the caller owns `*out` and frees it with `cra_resolver_free`.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` when `out` is NULL, when
/// `cfg->struct_size` is smaller than `sizeof(cra_config)`, or when a
/// setting is out of range (the message names it); `CRA_ERR_INTERNAL` when
/// the processor thread cannot start.
#[no_mangle]
pub unsafe extern "C" fn cra_resolver_new(
    cfg: *const cra_config,
    out: *mut *mut cra_resolver,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let out = args::out(out, "out")?;
            let config = args::config(cfg)?.to_config()?;
            let inner = Resolver::new(config)?;
            *out = Box::into_raw(Box::new(cra_resolver::new(inner)));
            Ok(())
        })
    }
}

/// Stops and frees a resolver, in this order:
///
/// 1. From the moment it begins, every call that reaches `r` returns
///    `CRA_ERR_SHUTDOWN` at once, whatever the function (reads and
///    `timeout_ms` 0 included), with a message saying the resolver is
///    being freed.
/// 2. The deferred buffer is drained for up to `shutdown_timeout_ms`
///    (events it cannot drain in time are reported on stderr) and the
///    processor is joined.
/// 3. Calls already inside finish: those waiting (`cra_await_trace_ready`,
///    `cra_flush_traces`, a `cra_resolve` blocked on a full buffer) return
///    early, with `CRA_OK` if what they waited for happened and
///    `CRA_ERR_SHUTDOWN` otherwise. `cra_resolver_free` waits for every
///    one of them to return.
/// 4. All memory is released.
///
/// So other threads may be inside calls on `r` while it is freed; what
/// remains the host's bug is a call on `r` that starts after
/// `cra_resolver_free` has returned (the handle no longer exists), and
/// freeing `r` twice.
///
/// After `fork()`, a resolver created in the parent is unusable in the
/// child: every call returns `CRA_ERR_SHUTDOWN` (create a new resolver in
/// the child). Freeing it there joins and drains nothing; it releases the
/// memory unless a call was inside at the moment of the fork, and never
/// what the deferred processor thread held (the buffer and the stored
/// events), since that thread may have been changing it.
///
/// `cra_resolver_free(NULL)` does nothing.
#[no_mangle]
pub unsafe extern "C" fn cra_resolver_free(r: *mut cra_resolver) {
    // SAFETY: the host keeps cra.h's contract for this call: `r` is NULL or
    // a resolver from `cra_resolver_new` not freed before.
    unsafe {
        let Some(handle) = r.as_ref() else {
            return;
        };
        // No panic may unwind into the host; after one, the memory is left
        // alone rather than freed under a call that may still be inside.
        let closed = catch_unwind(AssertUnwindSafe(|| handle.close()));
        if closed.unwrap_or(false) {
            let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(r))));
        }
    }
}

/// Loads an Atlas/1.0 manifest from `len` bytes of JSON at `json` (no NUL
/// needed). An atlas given this way may use inline context only.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL, bad UTF-8, over
/// 16 MiB); `CRA_ERR_INVALID_JSON`; `CRA_ERR_INVALID_ATLAS` (the message
/// names the JSON pointer of the first broken rule); `CRA_ERR_CONFLICT`
/// (atlas or action id already loaded). On error the resolver is unchanged.
#[no_mangle]
pub unsafe extern "C" fn cra_load_atlas(
    r: *mut cra_resolver,
    json: *const c_char,
    len: usize,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let json = args::sized_text(json, len, "json", MAX_ATLAS_LEN)?;
            resolver.load_atlas(json).map(drop)
        })
    }
}

/// Loads an Atlas/1.0 manifest from the file at `path` (NUL-terminated
/// UTF-8); context pack `files` are read relative to the file's folder.
///
/// Returns as `cra_load_atlas`, plus `CRA_ERR_IO` when the manifest or a
/// context file cannot be read.
#[no_mangle]
pub unsafe extern "C" fn cra_load_atlas_file(
    r: *mut cra_resolver,
    path: *const c_char,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let path = args::text(path, "path", MAX_PATH_LEN)?;
            resolver.load_atlas_file(Path::new(path)).map(drop)
        })
    }
}

/// Unloads the atlas `atlas_id` with its actions, policies and context packs.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT`; `CRA_ERR_NOT_FOUND`.
#[no_mangle]
pub unsafe extern "C" fn cra_unload_atlas(
    r: *mut cra_resolver,
    atlas_id: *const c_char,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let atlas_id = args::text(atlas_id, "atlas_id", MAX_ID_LEN)?;
            resolver.unload_atlas(atlas_id)
        })
    }
}

/// Begins a session for agent `agent_id` working towards `goal`, records
/// its `session.started` event, and writes the new session id (36
/// characters and a NUL) into `out_session_id`, which the caller provides
/// with `CRA_ID_BUF_LEN` (37) bytes. The session is traced in the
/// resolver's mode (`cra_config.trace_mode`).
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL, bad UTF-8, empty
/// agent id, agent id over 256 bytes, goal over 64 KiB);
/// `CRA_ERR_BACKPRESSURE` (deferred mode, buffer full: no session was
/// created); `CRA_ERR_SHUTDOWN`.
#[no_mangle]
pub unsafe extern "C" fn cra_session_begin(
    r: *mut cra_resolver,
    agent_id: *const c_char,
    goal: *const c_char,
    out_session_id: *mut c_char,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call; NULL options
    // are the defaults.
    unsafe { cra_session_begin_with(r, agent_id, goal, std::ptr::null(), out_session_id, err) }
}

/// `cra_session_begin` with options (`opts` NULL: the defaults, the same
/// as `cra_session_begin`). Set `opts->trace_mode` to trace this session
/// immediately or deferred whatever the resolver's mode: one resolver
/// serves sessions of both modes at once, for instance a session a person
/// watches live (immediate, always ready) beside a swarm's (deferred).
/// The mode is fixed for the session's life; sync points work for both.
/// The library does not keep `opts`.
///
/// Returns as `cra_session_begin`, and `CRA_ERR_INVALID_ARGUMENT` when
/// `opts->struct_size` is smaller than `sizeof(cra_session_options)` (call
/// `cra_session_options_init`) or `opts->trace_mode` is not a
/// `CRA_TRACE_*` value; `CRA_ERR_INTERNAL` when the first deferred session
/// of an immediate resolver cannot start the trace processor thread.
#[no_mangle]
pub unsafe extern "C" fn cra_session_begin_with(
    r: *mut cra_resolver,
    agent_id: *const c_char,
    goal: *const c_char,
    opts: *const cra_session_options,
    out_session_id: *mut c_char,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let agent_id = args::text(agent_id, "agent_id", MAX_ID_LEN)?;
            let goal = args::text(goal, "goal", MAX_TEXT_LEN)?;
            let options = args::session_options(opts)?.to_options()?;
            let out = args::out(out_session_id, "out_session_id")?;
            let id = resolver
                .begin_session_with(agent_id, goal, &options)?
                .to_string();
            let target =
                std::slice::from_raw_parts_mut((out as *mut c_char).cast::<u8>(), CRA_ID_BUF_LEN);
            target[..id.len()].copy_from_slice(id.as_bytes());
            target[id.len()] = 0;
            Ok(())
        })
    }
}

/// Ends session `session_id` and records `session.ended` with `reason`
/// and the session's duration. The trace stays readable.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL, bad UTF-8, malformed
/// id, reason over 64 KiB); `CRA_ERR_NOT_FOUND`; `CRA_ERR_SESSION_ENDED`;
/// `CRA_ERR_BACKPRESSURE` (the session stays open); `CRA_ERR_SHUTDOWN`.
#[no_mangle]
pub unsafe extern "C" fn cra_session_end(
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
            resolver.end_session(session_id, reason)
        })
    }
}

/// Resolves a CARP/1.0 request (`len` bytes of JSON at `request_json`) and
/// stores the resolution JSON in `*out_resolution_json`, which the caller
/// frees with `cra_buf_free`. In immediate mode the request's events are
/// hashed and stored when this returns; in deferred mode they are queued.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL, bad UTF-8, over
/// 1 MiB); `CRA_ERR_INVALID_JSON`; `CRA_ERR_INVALID_REQUEST` (the message
/// names the JSON pointer and the rule); `CRA_ERR_NOT_FOUND` (session,
/// atlas or capability); `CRA_ERR_PERMISSION` (the agent does not own the
/// session); `CRA_ERR_SESSION_ENDED`; `CRA_ERR_CONFLICT` (request id reused
/// in the session); `CRA_ERR_BACKPRESSURE` (nothing recorded, no decision:
/// retry later); `CRA_ERR_SHUTDOWN`. A failed request records nothing.
/// Buffer room is taken before the session's state is looked at, so a full
/// buffer reports `CRA_ERR_BACKPRESSURE` ahead of `CRA_ERR_PERMISSION`,
/// `CRA_ERR_SESSION_ENDED` and `CRA_ERR_CONFLICT`; in block mode, a call
/// waiting for room holds up no other call on its session.
#[no_mangle]
pub unsafe extern "C" fn cra_resolve(
    r: *mut cra_resolver,
    request_json: *const c_char,
    len: usize,
    out_resolution_json: *mut cra_buf,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let request = args::sized_text(request_json, len, "request_json", MAX_REQUEST_LEN)?;
            let out = args::out(out_resolution_json, "out_resolution_json")?;
            RESOLUTION.with_borrow_mut(|resolution| {
                resolution.clear();
                let resolved = resolver.resolve_into(request, resolution);
                if resolved.is_ok() {
                    *out = cra_buf::from_text(resolution);
                }
                if resolution.capacity() > RESOLUTION_KEPT_MAX {
                    *resolution = String::new();
                }
                resolved
            })
        })
    }
}

thread_local! {
    /// Where `cra_resolve` writes a resolution before copying it into a
    /// buffer of exactly its size. Writing straight into the returned
    /// buffer would mean guessing its size, then shrinking it (a
    /// reallocation per call); this one keeps the largest size it needed.
    static RESOLUTION: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A thread keeps its resolution buffer up to this size; one huge
/// resolution does not pin its memory to the thread for good.
const RESOLUTION_KEPT_MAX: usize = 64 * 1024;
