//! Checking the arguments a host passes: pointers, lengths and UTF-8.
//! Every failure here is `CRA_ERR_INVALID_ARGUMENT` naming the parameter.

use super::config::cra_config;
use super::resolver::cra_resolver;
use crate::error::{Error, ErrorKind, Result};
use crate::resolver::{Resolver, SessionId};
use std::ffi::c_char;

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// The resolver behind `r`.
pub(crate) unsafe fn resolver<'a>(r: *const cra_resolver) -> Result<&'a Resolver> {
    r.as_ref()
        .map(|r| &r.inner)
        .ok_or_else(|| invalid("resolver is NULL".into()))
}

/// An output location the caller must provide.
pub(crate) unsafe fn out<'a, T>(pointer: *mut T, name: &str) -> Result<&'a mut T> {
    pointer
        .as_mut()
        .ok_or_else(|| invalid(format!("{name} is NULL")))
}

/// A NUL-terminated UTF-8 text of at most `limit` bytes. The scan for the
/// NUL stops after `limit` bytes, so an unterminated or huge input is
/// refused without being read to its end.
pub(crate) unsafe fn text<'a>(pointer: *const c_char, name: &str, limit: usize) -> Result<&'a str> {
    if pointer.is_null() {
        return Err(invalid(format!("{name} is NULL")));
    }
    let start = pointer.cast::<u8>();
    let mut len = 0;
    while *start.add(len) != 0 {
        if len == limit {
            return Err(invalid(format!(
                "{name} is longer than the limit of {limit} bytes"
            )));
        }
        len += 1;
    }
    let bytes = std::slice::from_raw_parts(start, len);
    std::str::from_utf8(bytes).map_err(|err| not_utf8(name, err.valid_up_to()))
}

/// A `(pointer, length)` text of at most `limit` bytes (no NUL needed).
pub(crate) unsafe fn sized_text<'a>(
    pointer: *const c_char,
    len: usize,
    name: &str,
    limit: usize,
) -> Result<&'a str> {
    let bytes = sized_bytes(pointer, len, name, limit)?;
    std::str::from_utf8(bytes).map_err(|err| not_utf8(name, err.valid_up_to()))
}

/// Like [`sized_text`], for a callee that checks the UTF-8 itself (see
/// [`not_utf8`]).
pub(crate) unsafe fn sized_bytes<'a>(
    pointer: *const c_char,
    len: usize,
    name: &str,
    limit: usize,
) -> Result<&'a [u8]> {
    if pointer.is_null() {
        return Err(invalid(format!("{name} is NULL")));
    }
    if len > limit {
        return Err(invalid(format!(
            "{name} is {len} bytes, more than the limit of {limit}"
        )));
    }
    Ok(std::slice::from_raw_parts(pointer.cast::<u8>(), len))
}

/// The error of an argument `name` that is not UTF-8 from byte `offset` on.
pub(crate) fn not_utf8(name: &str, offset: usize) -> Error {
    invalid(format!(
        "{name} is not valid UTF-8 (bad byte at offset {offset})"
    ))
}

/// A session id text (36 characters).
pub(crate) unsafe fn session_id(pointer: *const c_char, name: &str) -> Result<SessionId> {
    // Room for a little more than an id, so a wrong id is quoted in full.
    let text = text(pointer, name, 128)?;
    SessionId::parse(text).map_err(|err| invalid(format!("{name}: {}", err.message())))
}

/// The config behind `cfg` (NULL: the defaults). `struct_size` is read
/// first, so a struct smaller than this version's is refused without being
/// read past its end.
pub(crate) unsafe fn config(cfg: *const cra_config) -> Result<cra_config> {
    if cfg.is_null() {
        return Ok(cra_config::defaults());
    }
    let struct_size = std::ptr::addr_of!((*cfg).struct_size).read();
    if (struct_size as usize) < std::mem::size_of::<cra_config>() {
        return Err(invalid(format!(
            "config struct_size {struct_size} is smaller than sizeof(cra_config) = {}; call cra_config_init",
            std::mem::size_of::<cra_config>()
        )));
    }
    Ok(*cfg)
}
