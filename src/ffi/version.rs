//! Versions of the ABI and of the library.

use std::ffi::c_char;

/// The version of this ABI: 1. A host compiled against `cra.h` with
/// `CRA_ABI_VERSION` 1 works with every library that returns 1 here.
pub const CRA_ABI_VERSION: u32 = 1;

/// The additions to ABI version 1 this library has: 1 means all of minor
/// 1 (durable stores, heads, action checks, approvals and outcome reports,
/// per-session trace mode). A host that needs an addition checks
/// `cra_abi_minor() >= N` at run time before calling it.
pub const CRA_ABI_MINOR: u32 = 1;

/// The library's release version, `MAJOR.MINOR.PATCH`. MAJOR is the ABI
/// version (and the `N` of the SONAME `libcra.so.N`), MINOR counts
/// additions to that ABI, PATCH counts releases that only fix.
pub const CRA_VERSION_MAJOR: u32 = 1;
/// Part of the version (see `CRA_VERSION_MAJOR`).
pub const CRA_VERSION_MINOR: u32 = 0;
/// Part of the version (see `CRA_VERSION_MAJOR`).
pub const CRA_VERSION_PATCH: u32 = 0;
/// The version as one comparable number, `MAJOR * 10000 + MINOR * 100 +
/// PATCH` (1.2.3 is 10203), for `#if CRA_VERSION_NUMBER >= ...` in hosts.
pub const CRA_VERSION_NUMBER: u32 =
    CRA_VERSION_MAJOR * 10000 + CRA_VERSION_MINOR * 100 + CRA_VERSION_PATCH;

/// Length of the buffer a session id is written into: 36 characters and a NUL.
pub const CRA_ID_BUF_LEN: usize = 37;

/// Returns `CRA_ABI_VERSION` of the loaded library (1). Thread-safe.
#[no_mangle]
pub extern "C" fn cra_abi_version() -> u32 {
    CRA_ABI_VERSION
}

/// Returns `CRA_ABI_MINOR` of the loaded library (1): which additions to
/// ABI version 1 it has. Thread-safe.
#[no_mangle]
pub extern "C" fn cra_abi_minor() -> u32 {
    CRA_ABI_MINOR
}

/// The loaded library's version (`"1.0.0"`), a static NUL-terminated
/// string: never free it. Thread-safe. The header's `CRA_VERSION_*` macros
/// tell the version a host was compiled against; this one, the version it
/// runs with.
#[no_mangle]
pub extern "C" fn cra_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The loaded library's version as `CRA_VERSION_NUMBER` computes it (1.2.3
/// is 10203), to compare with the header's at run time. Thread-safe.
#[no_mangle]
pub extern "C" fn cra_version_number() -> u32 {
    CRA_VERSION_NUMBER
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header's macros are written out for cbindgen; Cargo.toml is the
    /// version's one source, so they must agree with it.
    #[test]
    fn version_macros_match_the_crate_version() {
        let crate_version = [
            env!("CARGO_PKG_VERSION_MAJOR"),
            env!("CARGO_PKG_VERSION_MINOR"),
            env!("CARGO_PKG_VERSION_PATCH"),
        ]
        .map(|part| part.parse::<u32>().unwrap());
        assert_eq!(
            crate_version,
            [CRA_VERSION_MAJOR, CRA_VERSION_MINOR, CRA_VERSION_PATCH]
        );
        assert_eq!(
            CRA_VERSION_MAJOR, CRA_ABI_VERSION,
            "MAJOR is the ABI version"
        );
        assert_eq!(
            cra_version_number(),
            10000 * crate_version[0] + 100 * crate_version[1] + crate_version[2]
        );
    }
}
