//! `cra_buf`: text the library hands to the caller.

use std::ffi::c_char;
use std::ptr;

/// A text owned by the library: `data` points at `len` bytes of UTF-8
/// followed by a NUL (not counted in `len`). Free it with `cra_buf_free`.
/// A zeroed `cra_buf` (`{NULL, 0}`) holds nothing and may be freed.
#[repr(C)]
pub struct cra_buf {
    pub data: *mut c_char,
    pub len: usize,
}

impl cra_buf {
    /// Moves `text` into a new library-owned buffer.
    pub(crate) fn from_string(text: String) -> cra_buf {
        let mut bytes = text.into_bytes();
        bytes.push(0);
        let len = bytes.len() - 1;
        let data = Box::into_raw(bytes.into_boxed_slice()).cast::<c_char>();
        cra_buf { data, len }
    }

    /// Copies `text` into a new library-owned buffer of exactly its size.
    pub(crate) fn from_text(text: &str) -> cra_buf {
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(0);
        let len = text.len();
        // Capacity is exactly the length, so this does not reallocate.
        let data = Box::into_raw(bytes.into_boxed_slice()).cast::<c_char>();
        cra_buf { data, len }
    }
}

/// Frees the text of `b` and zeroes `*b`, so freeing it twice is harmless.
/// `cra_buf_free(NULL)` does nothing. `b` must have been filled by this
/// library and its `len` left as it was.
#[no_mangle]
pub unsafe extern "C" fn cra_buf_free(b: *mut cra_buf) {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        let Some(buf) = b.as_mut() else {
            return;
        };
        if !buf.data.is_null() {
            let bytes = ptr::slice_from_raw_parts_mut(buf.data.cast::<u8>(), buf.len + 1);
            drop(Box::from_raw(bytes));
        }
        buf.data = ptr::null_mut();
        buf.len = 0;
    }
}
