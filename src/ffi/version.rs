//! Versions of the ABI and of the library.

use std::ffi::c_char;

/// The version of this ABI: 1. A host compiled against `cra.h` with
/// `CRA_ABI_VERSION` 1 works with every library that returns 1 here.
pub const CRA_ABI_VERSION: u32 = 1;

/// Length of the buffer a session id is written into: 36 characters and a NUL.
pub const CRA_ID_BUF_LEN: usize = 37;

/// Returns `CRA_ABI_VERSION` of the loaded library (1). Thread-safe.
#[no_mangle]
pub extern "C" fn cra_abi_version() -> u32 {
    CRA_ABI_VERSION
}

/// The library's version (`"0.1.0"`), a static NUL-terminated string:
/// never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn cra_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
