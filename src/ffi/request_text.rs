//! `cra_*_request_json`: CARP requests written from C fields, so a C host
//! needs no JSON library to resolve, check and report.

use super::args;
use super::boundary::call;
use super::buf::cra_buf;
use super::error::cra_error;
use super::status::cra_status;
use crate::limits::{MAX_ID_LEN, MAX_REQUEST_LEN, MAX_TEXT_LEN};
use crate::request_text::{
    check_request, report_request, resolve_request, CheckFields, Outcome, ReportFields, Requester,
    ResolveFields,
};
use crate::time::{Clock, SystemClock};
use std::ffi::c_char;

/// `cra_report_request.status`: the action ran.
pub const CRA_OUTCOME_EXECUTED: u32 = 0;
/// `cra_report_request.status`: the action failed (`error_code` and
/// `error_message` are required).
pub const CRA_OUTCOME_FAILED: u32 = 1;

/// Fields of a resolve request. Start from `cra_resolve_request_init`.
/// Every text is NUL-terminated UTF-8, borrowed for the call only.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct cra_resolve_request {
    /// `sizeof(cra_resolve_request)`, set by `cra_resolve_request_init`.
    pub struct_size: u32,
    /// Required: the session and the agent that owns it.
    pub session_id: *const c_char,
    pub agent_id: *const c_char,
    /// NULL (default): `req-` and a new UUIDv7.
    pub request_id: *const c_char,
    /// Required, non-empty.
    pub goal: *const c_char,
    /// `low`, `medium`, `high` or `critical`; NULL (default): `low`.
    pub risk_tier: *const c_char,
}

/// Fields of an action check. Start from `cra_check_request_init`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct cra_check_request {
    /// `sizeof(cra_check_request)`, set by `cra_check_request_init`.
    pub struct_size: u32,
    pub session_id: *const c_char,
    pub agent_id: *const c_char,
    /// NULL (default): `req-` and a new UUIDv7.
    pub request_id: *const c_char,
    /// The `resolution_id` of a resolution of the session.
    pub resolution_id: *const c_char,
    /// One of that resolution's actions.
    pub action_id: *const c_char,
    /// The action's parameters: one JSON object of `parameters_len` bytes
    /// (no NUL needed), copied into the request as written. NULL
    /// (default): `{}`.
    pub parameters_json: *const c_char,
    pub parameters_len: usize,
}

/// Fields of an outcome report. Start from `cra_report_request_init`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct cra_report_request {
    /// `sizeof(cra_report_request)`, set by `cra_report_request_init`.
    pub struct_size: u32,
    pub session_id: *const c_char,
    pub agent_id: *const c_char,
    /// NULL (default): `req-` and a new UUIDv7.
    pub request_id: *const c_char,
    /// The `execution_id` of the approved check.
    pub execution_id: *const c_char,
    /// `CRA_OUTCOME_EXECUTED` (default) or `CRA_OUTCOME_FAILED`.
    pub status: u32,
    pub duration_ms: u64,
    /// Executed only: the action's result, one JSON object of `result_len`
    /// bytes, recorded as its hash. NULL (default): no result.
    pub result_json: *const c_char,
    pub result_len: usize,
    /// Failed only, and then required: a short code and a message.
    pub error_code: *const c_char,
    pub error_message: *const c_char,
}

impl cra_resolve_request {
    pub(crate) fn defaults() -> cra_resolve_request {
        cra_resolve_request {
            struct_size: std::mem::size_of::<cra_resolve_request>() as u32,
            session_id: std::ptr::null(),
            agent_id: std::ptr::null(),
            request_id: std::ptr::null(),
            goal: std::ptr::null(),
            risk_tier: std::ptr::null(),
        }
    }
}

impl cra_check_request {
    pub(crate) fn defaults() -> cra_check_request {
        cra_check_request {
            struct_size: std::mem::size_of::<cra_check_request>() as u32,
            session_id: std::ptr::null(),
            agent_id: std::ptr::null(),
            request_id: std::ptr::null(),
            resolution_id: std::ptr::null(),
            action_id: std::ptr::null(),
            parameters_json: std::ptr::null(),
            parameters_len: 0,
        }
    }
}

impl cra_report_request {
    pub(crate) fn defaults() -> cra_report_request {
        cra_report_request {
            struct_size: std::mem::size_of::<cra_report_request>() as u32,
            session_id: std::ptr::null(),
            agent_id: std::ptr::null(),
            request_id: std::ptr::null(),
            execution_id: std::ptr::null(),
            status: CRA_OUTCOME_EXECUTED,
            duration_ms: 0,
            result_json: std::ptr::null(),
            result_len: 0,
            error_code: std::ptr::null(),
            error_message: std::ptr::null(),
        }
    }
}

/// Fills `*req` with the defaults and sets `struct_size`. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cra_resolve_request_init(req: *mut cra_resolve_request) {
    // SAFETY: the host keeps cra.h's contract: `req` is NULL or writable.
    if let Some(req) = unsafe { req.as_mut() } {
        *req = cra_resolve_request::defaults();
    }
}

/// Fills `*req` with the defaults and sets `struct_size`. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cra_check_request_init(req: *mut cra_check_request) {
    // SAFETY: the host keeps cra.h's contract: `req` is NULL or writable.
    if let Some(req) = unsafe { req.as_mut() } {
        *req = cra_check_request::defaults();
    }
}

/// Fills `*req` with the defaults and sets `struct_size`. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cra_report_request_init(req: *mut cra_report_request) {
    // SAFETY: the host keeps cra.h's contract: `req` is NULL or writable.
    if let Some(req) = unsafe { req.as_mut() } {
        *req = cra_report_request::defaults();
    }
}

/// The requester's three texts of any request struct.
///
/// # Safety
/// Each pointer is NULL or a NUL-terminated text.
unsafe fn requester<'a>(
    session_id: *const c_char,
    agent_id: *const c_char,
    request_id: *const c_char,
) -> crate::Result<Requester<'a>> {
    // SAFETY: this function's contract.
    unsafe {
        Ok(Requester {
            session_id: args::text(session_id, "session_id", MAX_ID_LEN)?,
            agent_id: args::text(agent_id, "agent_id", MAX_ID_LEN)?,
            request_id: args::optional_text(request_id, "request_id", MAX_ID_LEN)?,
        })
    }
}

/// Writes a CARP `resolve` request for `cra_resolve` into
/// `*out_request_json` (free with `cra_buf_free`): the fields of `*req`,
/// `carp_version` "1.0", a new request id unless one is given, and the
/// current time. The library does not keep `req`.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL `req` or output, a
/// `struct_size` smaller than `sizeof(cra_resolve_request)`, a required
/// text NULL, bad UTF-8 or over-long). The fields' meaning (does the
/// session exist, is the tier known) is checked by `cra_resolve`.
#[no_mangle]
pub unsafe extern "C" fn cra_resolve_request_json(
    req: *const cra_resolve_request,
    out_request_json: *mut cra_buf,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let req = args::request_fields(req, "cra_resolve_request")?;
            let out = args::out(out_request_json, "out_request_json")?;
            let requester = requester(req.session_id, req.agent_id, req.request_id)?;
            let fields = ResolveFields {
                goal: args::text(req.goal, "goal", MAX_TEXT_LEN)?,
                risk_tier: args::optional_text(req.risk_tier, "risk_tier", MAX_ID_LEN)?,
            };
            let text = resolve_request(requester, fields, SystemClock.now_micros())?;
            *out = cra_buf::from_string(text);
            Ok(())
        })
    }
}

/// Writes a CARP `check_action` request for `cra_check_action` into
/// `*out_request_json` (free with `cra_buf_free`), as
/// `cra_resolve_request_json` does. The parameters are copied as written,
/// so the `parameters_hash` of the result is the hash of their canonical
/// form.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (as
/// `cra_resolve_request_json`, and `parameters_json` over 1 MiB);
/// `CRA_ERR_INVALID_JSON` (the parameters are not one JSON object with
/// unique member names; the message says why).
#[no_mangle]
pub unsafe extern "C" fn cra_check_request_json(
    req: *const cra_check_request,
    out_request_json: *mut cra_buf,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let req = args::request_fields(req, "cra_check_request")?;
            let out = args::out(out_request_json, "out_request_json")?;
            let requester = requester(req.session_id, req.agent_id, req.request_id)?;
            let fields = CheckFields {
                resolution_id: args::text(req.resolution_id, "resolution_id", MAX_ID_LEN)?,
                action_id: args::text(req.action_id, "action_id", MAX_ID_LEN)?,
                parameters: args::optional_sized_text(
                    req.parameters_json,
                    req.parameters_len,
                    "parameters_json",
                    MAX_REQUEST_LEN,
                )?,
            };
            let text = check_request(requester, fields, SystemClock.now_micros())?;
            *out = cra_buf::from_string(text);
            Ok(())
        })
    }
}

/// Writes a CARP `report_action` request for `cra_report_action` into
/// `*out_request_json` (free with `cra_buf_free`), as
/// `cra_resolve_request_json` does: `status` "executed" with the result,
/// or "failed" with `error_code` and `error_message`.
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (as
/// `cra_resolve_request_json`; `status` not a `CRA_OUTCOME_*` value;
/// failed without `error_code` or `error_message`; `result_json` over
/// 1 MiB); `CRA_ERR_INVALID_JSON` (the result is not one JSON object with
/// unique member names).
#[no_mangle]
pub unsafe extern "C" fn cra_report_request_json(
    req: *const cra_report_request,
    out_request_json: *mut cra_buf,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let req = args::request_fields(req, "cra_report_request")?;
            let out = args::out(out_request_json, "out_request_json")?;
            let requester = requester(req.session_id, req.agent_id, req.request_id)?;
            let outcome = match req.status {
                CRA_OUTCOME_EXECUTED => Outcome::Executed {
                    result: args::optional_sized_text(
                        req.result_json,
                        req.result_len,
                        "result_json",
                        MAX_REQUEST_LEN,
                    )?,
                },
                CRA_OUTCOME_FAILED => Outcome::Failed {
                    error_code: args::text(req.error_code, "error_code", MAX_ID_LEN)?,
                    error_message: args::text(req.error_message, "error_message", MAX_TEXT_LEN)?,
                },
                other => {
                    return Err(args::invalid(format!(
                        "report status {other} is neither CRA_OUTCOME_EXECUTED (0) nor \
                         CRA_OUTCOME_FAILED (1)"
                    )))
                }
            };
            let fields = ReportFields {
                execution_id: args::text(req.execution_id, "execution_id", MAX_ID_LEN)?,
                duration_ms: req.duration_ms,
                outcome,
            };
            let text = report_request(requester, fields, SystemClock.now_micros())?;
            *out = cra_buf::from_string(text);
            Ok(())
        })
    }
}
