//! Action checks, approvals and outcome reports (ABI minor 1; CARP.md,
//! "Checking an action before running it").

use super::args;
use super::boundary::call;
use super::buf::cra_buf;
use super::error::cra_error;
use super::handle::cra_resolver;
use super::status::cra_status;
use crate::limits::{MAX_ID_LEN, MAX_REQUEST_LEN, MAX_TEXT_LEN};
use std::ffi::c_char;

/// Checks an action the host is about to run: `check_json` (`len` bytes,
/// no NUL needed) is a CARP/1.0 `check_action` request naming a
/// resolution of the session, the action and its parameters (a JSON
/// object). The resolver decides again now, by CARP.md's seven rules in
/// order; the first that fails denies. An approved check gets an
/// `execution_id` and charges every rate limit (per agent, sliding window)
/// and budget (per session) that matches the action; a denied one charges
/// nothing. Either way the attempt is recorded (`action.requested`, then
/// `action.approved` or `action.denied`).
///
/// On `CRA_OK`, `*out_result_json` holds the check result, owned by the
/// caller (free it with `cra_buf_free`):
/// `{"carp_version", "request_id", "decision": "approved" | "denied",
/// "action_id", "execution_id", "reason", "policy_id", "parameters_hash"}`.
/// A denial is such a result, not an error.
///
/// Returns `CRA_OK`; errors as `cra_resolve` (nothing recorded, nothing
/// charged): `CRA_ERR_INVALID_ARGUMENT`, `CRA_ERR_INVALID_JSON`,
/// `CRA_ERR_INVALID_REQUEST` (naming the JSON pointer), `CRA_ERR_NOT_FOUND`
/// (session), `CRA_ERR_PERMISSION`, `CRA_ERR_SESSION_ENDED`,
/// `CRA_ERR_CONFLICT` (request id reused in the session),
/// `CRA_ERR_BACKPRESSURE`, `CRA_ERR_SHUTDOWN`. In deferred mode the events
/// are queued like a resolve's; the decision is made during the call.
#[no_mangle]
pub unsafe extern "C" fn cra_check_action(
    r: *mut cra_resolver,
    check_json: *const c_char,
    len: usize,
    out_result_json: *mut cra_buf,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let check = args::sized_text(check_json, len, "check_json", MAX_REQUEST_LEN)?;
            let out = args::out(out_result_json, "out_result_json")?;
            *out = cra_buf::from_string(resolver.check_action(check)?);
            Ok(())
        })
    }
}

/// Answers the approval `approval_id` of a resolution of session
/// `session_id`: `granted` true or false, by `approver` (a name, not
/// empty), with an optional `reason` (NULL for none). Records
/// `approval.granted` or `approval.rejected`. Granted, later checks of the
/// resolution's actions pass CARP.md's rule 7; rejected, they are denied
/// with "Approval rejected".
///
/// Returns `CRA_OK`; `CRA_ERR_INVALID_ARGUMENT` (NULL where a value is
/// required, bad UTF-8, a malformed id, an empty approver, an over-long
/// value); `CRA_ERR_NOT_FOUND` (the session, or an approval not of this
/// session); `CRA_ERR_SESSION_ENDED`; `CRA_ERR_CONFLICT` (answered already,
/// or after the resolution expired); `CRA_ERR_BACKPRESSURE`;
/// `CRA_ERR_SHUTDOWN`. Errors record nothing.
#[no_mangle]
pub unsafe extern "C" fn cra_answer_approval(
    r: *mut cra_resolver,
    session_id: *const c_char,
    approval_id: *const c_char,
    granted: bool,
    approver: *const c_char,
    reason: *const c_char,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let session_id = args::session_id(session_id, "session_id")?;
            let approval_id = args::text(approval_id, "approval_id", MAX_ID_LEN)?;
            let approver = args::text(approver, "approver", MAX_ID_LEN)?;
            let reason = args::optional_text(reason, "reason", MAX_TEXT_LEN)?;
            resolver.answer_approval(session_id, approval_id, granted, approver, reason)
        })
    }
}

/// Reports the outcome of an approved check: `report_json` (`len` bytes)
/// is a CARP/1.0 `report_action` request with the check's `execution_id`,
/// `"status": "executed"` or `"failed"`, `duration_ms`, and for a failure
/// `error_code` and `error_message`; a `result` object is recorded as its
/// hash only. Records `action.executed` or `action.failed` under the
/// check's span.
///
/// Returns `CRA_OK`; errors as `cra_resolve` for the request itself;
/// `CRA_ERR_NOT_FOUND` (an execution id of no approved check of this
/// session); `CRA_ERR_CONFLICT` (reported already, or a reused request id).
/// Errors record nothing.
#[no_mangle]
pub unsafe extern "C" fn cra_report_action(
    r: *mut cra_resolver,
    report_json: *const c_char,
    len: usize,
    err: *mut *mut cra_error,
) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        call(err, || {
            let resolver = args::resolver(r)?;
            let report = args::sized_text(report_json, len, "report_json", MAX_REQUEST_LEN)?;
            resolver.report_action(report)
        })
    }
}
