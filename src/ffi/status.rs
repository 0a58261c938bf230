//! Status codes: `cra_status` and its names.

use crate::error::ErrorKind;
use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

/// The result of every fallible function: `CRA_OK` (0) or a `CRA_ERR_*` code.
pub type cra_status = i32;

/// Success.
pub const CRA_OK: cra_status = 0;
/// NULL where a value is required, invalid UTF-8, a malformed id, an
/// over-long value, or a config value out of range.
pub const CRA_ERR_INVALID_ARGUMENT: cra_status = 1;
/// The input is not valid JSON (or holds NaN/Infinity).
pub const CRA_ERR_INVALID_JSON: cra_status = 2;
/// The atlas breaks CARP.md; the resolver is unchanged.
pub const CRA_ERR_INVALID_ATLAS: cra_status = 3;
/// The request breaks CARP.md; nothing was recorded.
pub const CRA_ERR_INVALID_REQUEST: cra_status = 4;
/// Unknown session, atlas, capability or resolution.
pub const CRA_ERR_NOT_FOUND: cra_status = 5;
/// Atlas or action id already loaded; request id reused in the session.
pub const CRA_ERR_CONFLICT: cra_status = 6;
/// The session has ended.
pub const CRA_ERR_SESSION_ENDED: cra_status = 7;
/// The request's agent does not own the session.
pub const CRA_ERR_PERMISSION: cra_status = 8;
/// The trace buffer cannot take the operation's events: nothing was
/// recorded and no decision was returned; retry later.
pub const CRA_ERR_BACKPRESSURE: cra_status = 9;
/// A wait ran out.
pub const CRA_ERR_TIMEOUT: cra_status = 10;
/// Verification found a broken chain (details in the report).
pub const CRA_ERR_CHAIN_INVALID: cra_status = 11;
/// Reading or writing a file failed.
pub const CRA_ERR_IO: cra_status = 12;
/// The resolver is shutting down or its trace processor stopped.
pub const CRA_ERR_SHUTDOWN: cra_status = 13;
/// A bug, including a caught panic.
pub const CRA_ERR_INTERNAL: cra_status = 14;

/// The name of status `s` (`"CRA_ERR_TIMEOUT"`), or `"CRA_UNKNOWN"` for a
/// value that is not a status. The string is static: never free it.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn cra_status_name(s: cra_status) -> *const c_char {
    let name: &'static CStr = match ErrorKind::from_code(s) {
        _ if s == CRA_OK => c"CRA_OK",
        Some(kind) => error_name(kind),
        None => c"CRA_UNKNOWN",
    };
    name.as_ptr()
}

/// [`ErrorKind::name`] as a C string, made once per kind and kept for the
/// life of the process.
fn error_name(kind: ErrorKind) -> &'static CStr {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        ErrorKind::ALL
            .iter()
            .map(|kind| CString::new(kind.name()).unwrap_or_default())
            .collect()
    });
    let index = ErrorKind::ALL.iter().position(|&known| known == kind);
    index.map_or(c"CRA_UNKNOWN", |index| &names[index])
}
