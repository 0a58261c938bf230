//! `cra_session_options`: the settings of one session, chosen when it begins.

use super::config::{CRA_TRACE_DEFERRED, CRA_TRACE_IMMEDIATE};
use crate::config::{SessionOptions, TraceMode};
use crate::error::{Error, ErrorKind, Result};

/// A session takes the resolver's trace mode (`cra_config.trace_mode`).
pub const CRA_TRACE_RESOLVER_DEFAULT: u32 = 2;

/// Settings of one session. Always start from `cra_session_options_init`,
/// which sets `struct_size` and every default, then change the fields you
/// need.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct cra_session_options {
    /// `sizeof(cra_session_options)`, set by `cra_session_options_init`.
    pub struct_size: u32,
    /// `CRA_TRACE_RESOLVER_DEFAULT` (default), `CRA_TRACE_IMMEDIATE` or
    /// `CRA_TRACE_DEFERRED`. Fixed for the session's life.
    pub trace_mode: u32,
}

impl cra_session_options {
    pub(crate) fn defaults() -> cra_session_options {
        cra_session_options {
            struct_size: std::mem::size_of::<cra_session_options>() as u32,
            trace_mode: CRA_TRACE_RESOLVER_DEFAULT,
        }
    }

    /// The core's options, with every field checked (`struct_size` was
    /// checked before the struct was read).
    pub(crate) fn to_options(self) -> Result<SessionOptions> {
        let trace_mode = match self.trace_mode {
            CRA_TRACE_RESOLVER_DEFAULT => None,
            CRA_TRACE_IMMEDIATE => Some(TraceMode::Immediate),
            CRA_TRACE_DEFERRED => Some(TraceMode::Deferred),
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "session options trace_mode {other} is none of CRA_TRACE_IMMEDIATE (0), \
                         CRA_TRACE_DEFERRED (1) and CRA_TRACE_RESOLVER_DEFAULT (2)"
                    ),
                ))
            }
        };
        Ok(SessionOptions { trace_mode })
    }
}

/// Fills `*opts` with the defaults (the resolver's trace mode) and sets
/// `struct_size`. `cra_session_options_init(NULL)` does nothing. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cra_session_options_init(opts: *mut cra_session_options) {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        if let Some(opts) = opts.as_mut() {
            *opts = cra_session_options::defaults();
        }
    }
}
