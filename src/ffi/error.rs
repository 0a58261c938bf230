//! `cra_error`: a failed call's code and message, owned by the caller.

use super::status::cra_status;
use crate::error::Error;
use std::ffi::{c_char, CString};

/// The details of one failed call: its status and a message naming what
/// was wrong. Opaque; created by the library, freed by the caller with
/// `cra_error_free`.
pub struct cra_error {
    code: cra_status,
    message: CString,
}

impl cra_error {
    pub(crate) fn from_error(error: &Error) -> cra_error {
        cra_error {
            code: error.kind().code(),
            message: text_without_nul(error.message()),
        }
    }
}

/// `text` as a C string; a NUL inside (never produced by the core, but
/// messages quote input) is shown as U+FFFD.
pub(crate) fn text_without_nul(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{fffd}")).unwrap_or_default()
}

/// The message of `e`: NUL-terminated UTF-8, valid until `cra_error_free(e)`.
/// Returns "" when `e` is NULL. Thread-safe for distinct errors.
#[no_mangle]
pub unsafe extern "C" fn cra_error_message(e: *const cra_error) -> *const c_char {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        match e.as_ref() {
            Some(error) => error.message.as_ptr(),
            None => c"".as_ptr(),
        }
    }
}

/// The status of the call that created `e`; `CRA_OK` when `e` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cra_error_code(e: *const cra_error) -> cra_status {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe { e.as_ref().map_or(super::status::CRA_OK, |error| error.code) }
}

/// Frees an error returned through a `cra_error **err` parameter.
/// `cra_error_free(NULL)` does nothing. Freeing the same error twice is
/// undefined behaviour, as with `free`.
#[no_mangle]
pub unsafe extern "C" fn cra_error_free(e: *mut cra_error) {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        if !e.is_null() {
            drop(Box::from_raw(e));
        }
    }
}
