//! The panic boundary every exported function runs inside, and the
//! reporting of errors through the `cra_error **err` out-parameter.

use super::error::cra_error;
use super::status::{cra_status, CRA_OK};
use crate::error::{panic_message, Error, ErrorKind, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// Runs `body`, turning its error (or a panic) into a status code and, when
/// `err` is not NULL, a new `cra_error` in `*err` (NULL on success).
///
/// # Safety
/// `err` is NULL or valid for writing a pointer.
pub(crate) unsafe fn call(
    err: *mut *mut cra_error,
    body: impl FnOnce() -> Result<()>,
) -> cra_status {
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        Err(Error::new(
            ErrorKind::Internal,
            format!(
                "libcra panicked (a bug; please report it): {}",
                panic_message(&*panic)
            ),
        ))
    });
    // SAFETY: this function's contract is `report`'s.
    unsafe { report(err, result) }
}

/// Writes the outcome of a call to `err` and returns its status.
///
/// # Safety
/// `err` is NULL or valid for writing a pointer.
pub(crate) unsafe fn report(err: *mut *mut cra_error, result: Result<()>) -> cra_status {
    match result {
        Ok(()) => {
            if !err.is_null() {
                // SAFETY: not NULL, and writable by this function's contract.
                unsafe { *err = ptr::null_mut() };
            }
            CRA_OK
        }
        Err(error) => {
            if !err.is_null() {
                let error = Box::into_raw(Box::new(cra_error::from_error(&error)));
                // SAFETY: not NULL, and writable by this function's contract.
                unsafe { *err = error };
            }
            error.kind().code()
        }
    }
}
