//! Checking the arguments a host passes: pointers, lengths and UTF-8.
//! Every failure here is `CRA_ERR_INVALID_ARGUMENT` naming the parameter.

use super::config::cra_config;
use super::handle::{cra_resolver, Entered};
use super::session_options::cra_session_options;
use crate::error::{Error, ErrorKind, Result};
use crate::resolver::SessionId;
use std::ffi::c_char;

pub(crate) fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// The resolver behind `r`, entered for one call: `cra_resolver_free`
/// waits until the call has left. Errors: `InvalidArgument` (NULL),
/// `Shutdown` (being freed, or created before a fork).
///
/// # Safety
/// `r` is NULL or a resolver from `cra_resolver_new` whose
/// `cra_resolver_free` has not returned.
pub(crate) unsafe fn resolver<'a>(r: *const cra_resolver) -> Result<Entered<'a>> {
    // SAFETY: by this function's contract, `r` is NULL or points to a
    // resolver that is still allocated, which `as_ref` turns into `None` or
    // a valid reference; entering keeps it allocated until the call leaves.
    let handle = unsafe { r.as_ref() };
    handle
        .ok_or_else(|| invalid("resolver is NULL".into()))?
        .enter()
}

/// An output location the caller must provide.
///
/// # Safety
/// `pointer` is NULL or valid for writing a `T`, and nothing else reads or
/// writes it during the call.
pub(crate) unsafe fn out<'a, T>(pointer: *mut T, name: &str) -> Result<&'a mut T> {
    // SAFETY: by this function's contract, `pointer` is NULL or valid and
    // unaliased for the call.
    let out = unsafe { pointer.as_mut() };
    out.ok_or_else(|| invalid(format!("{name} is NULL")))
}

/// An input value the caller must provide, copied.
///
/// # Safety
/// `pointer` is NULL or valid for reading a `T`.
pub(crate) unsafe fn value<T: Copy>(pointer: *const T, name: &str) -> Result<T> {
    // SAFETY: by this function's contract, `pointer` is NULL or valid to read.
    let value = unsafe { pointer.as_ref() };
    value
        .copied()
        .ok_or_else(|| invalid(format!("{name} is NULL")))
}

/// A NUL-terminated UTF-8 text of at most `limit` bytes. The scan for the
/// NUL stops after `limit` bytes, so an unterminated or huge input is
/// refused without being read to its end.
///
/// # Safety
/// `pointer` is NULL or points to bytes readable up to a NUL or `limit + 1`
/// bytes, whichever comes first, unchanged during the call.
pub(crate) unsafe fn text<'a>(pointer: *const c_char, name: &str, limit: usize) -> Result<&'a str> {
    if pointer.is_null() {
        return Err(invalid(format!("{name} is NULL")));
    }
    let start = pointer.cast::<u8>();
    let mut len = 0;
    // SAFETY: by this function's contract every byte up to the NUL, or up
    // to `limit`, is readable; the loop stops at whichever comes first.
    while unsafe { *start.add(len) } != 0 {
        if len == limit {
            return Err(invalid(format!(
                "{name} is longer than the limit of {limit} bytes"
            )));
        }
        len += 1;
    }
    // SAFETY: the `len` bytes before the NUL were just read one by one.
    let bytes = unsafe { std::slice::from_raw_parts(start, len) };
    std::str::from_utf8(bytes).map_err(|err| not_utf8(name, err.valid_up_to()))
}

/// [`text`], or `None` for NULL.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn optional_text<'a>(
    pointer: *const c_char,
    name: &str,
    limit: usize,
) -> Result<Option<&'a str>> {
    if pointer.is_null() {
        return Ok(None);
    }
    // SAFETY: this function's contract is `text`'s.
    unsafe { text(pointer, name, limit) }.map(Some)
}

/// [`sized_text`], or `None` for NULL (whatever `len`).
///
/// # Safety
/// As [`sized_bytes`].
pub(crate) unsafe fn optional_sized_text<'a>(
    pointer: *const c_char,
    len: usize,
    name: &str,
    limit: usize,
) -> Result<Option<&'a str>> {
    if pointer.is_null() {
        return Ok(None);
    }
    // SAFETY: this function's contract is `sized_bytes`'s.
    unsafe { sized_text(pointer, len, name, limit) }.map(Some)
}

/// A `(pointer, length)` text of at most `limit` bytes (no NUL needed).
///
/// # Safety
/// As [`sized_bytes`].
pub(crate) unsafe fn sized_text<'a>(
    pointer: *const c_char,
    len: usize,
    name: &str,
    limit: usize,
) -> Result<&'a str> {
    // SAFETY: this function's contract is `sized_bytes`'s.
    let bytes = unsafe { sized_bytes(pointer, len, name, limit) }?;
    std::str::from_utf8(bytes).map_err(|err| not_utf8(name, err.valid_up_to()))
}

/// Like [`sized_text`], for a callee that checks the UTF-8 itself (see
/// [`not_utf8`]).
///
/// # Safety
/// `pointer` is NULL or points to `len` readable bytes (when `len` is at
/// most `limit`), unchanged during the call.
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
    // SAFETY: not NULL, and by this function's contract `len` bytes are
    // readable there.
    Ok(unsafe { std::slice::from_raw_parts(pointer.cast::<u8>(), len) })
}

/// The error of an argument `name` that is not UTF-8 from byte `offset` on.
pub(crate) fn not_utf8(name: &str, offset: usize) -> Error {
    invalid(format!(
        "{name} is not valid UTF-8 (bad byte at offset {offset})"
    ))
}

/// A session id text (36 characters).
///
/// # Safety
/// As [`text`], with a limit of 128 bytes.
pub(crate) unsafe fn session_id(pointer: *const c_char, name: &str) -> Result<SessionId> {
    // Room for a little more than an id, so a wrong id is quoted in full.
    // SAFETY: this function's contract is `text`'s with this limit.
    let text = unsafe { text(pointer, name, 128) }?;
    SessionId::parse(text).map_err(|err| invalid(format!("{name}: {}", err.message())))
}

/// The config behind `cfg` (NULL: the defaults); see [`sized_struct`].
///
/// # Safety
/// As [`sized_struct`].
pub(crate) unsafe fn config(cfg: *const cra_config) -> Result<cra_config> {
    // SAFETY: this function's contract is `sized_struct`'s.
    let cfg = unsafe { sized_struct(cfg, "cra_config") }?;
    Ok(cfg.unwrap_or_else(cra_config::defaults))
}

/// The session options behind `opts` (NULL: the defaults); see [`sized_struct`].
///
/// # Safety
/// As [`sized_struct`].
pub(crate) unsafe fn session_options(
    opts: *const cra_session_options,
) -> Result<cra_session_options> {
    // SAFETY: this function's contract is `sized_struct`'s.
    let opts = unsafe { sized_struct(opts, "cra_session_options") }?;
    Ok(opts.unwrap_or_else(cra_session_options::defaults))
}

/// The request fields behind `req`, which the caller must provide; see
/// [`sized_struct`].
///
/// # Safety
/// As [`sized_struct`].
pub(crate) unsafe fn request_fields<T: Copy>(req: *const T, type_name: &str) -> Result<T> {
    // SAFETY: this function's contract is `sized_struct`'s.
    let req = unsafe { sized_struct(req, type_name) }?;
    req.ok_or_else(|| invalid(format!("{type_name} is NULL")))
}

/// A copy of the struct behind `value` (`None` for NULL), a `#[repr(C)]`
/// struct whose first member is its `uint32_t struct_size`. `struct_size`
/// is read first, so a struct smaller than this version's is refused
/// without being read past its end.
///
/// # Safety
/// `value` is NULL or points to a `T` whose `struct_size` is readable, and
/// whose whole struct is readable when `struct_size` covers it.
unsafe fn sized_struct<T: Copy>(value: *const T, type_name: &str) -> Result<Option<T>> {
    if value.is_null() {
        return Ok(None);
    }
    // SAFETY: not NULL, and by this function's contract its first member,
    // the `u32` struct_size, is readable.
    let struct_size = unsafe { value.cast::<u32>().read_unaligned() };
    let size = std::mem::size_of::<T>();
    if (struct_size as usize) < size {
        return Err(invalid(format!(
            "{type_name} struct_size {struct_size} is smaller than sizeof({type_name}) = {size}; \
             call {type_name}_init"
        )));
    }
    // SAFETY: the host says the struct is at least this version's size.
    Ok(Some(unsafe { value.read_unaligned() }))
}
