//! The one error type of the safe core.
//!
//! Every failure carries an [`ErrorKind`] (which maps one-to-one onto the C
//! ABI's status codes) and a message meant for a human: it names what was
//! wrong and, where the input is JSON, the JSON pointer of the offending value.

use std::fmt;

/// At most the first 64 characters of `text`, for quoting untrusted input in messages.
pub fn truncated(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// What went wrong, as a category a program can branch on.
///
/// The numeric values are the C ABI's `cra_status` codes and never change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ErrorKind {
    /// An argument is missing, malformed, too long or out of range.
    InvalidArgument = 1,
    /// The input is not valid JSON (or holds NaN/Infinity, or a number
    /// that does not fit in 64 bits where an integer is expected).
    InvalidJson = 2,
    /// An atlas manifest breaks a rule of CARP.md.
    InvalidAtlas = 3,
    /// A CARP request breaks a rule of CARP.md.
    InvalidRequest = 4,
    /// An unknown session, atlas, capability or resolution.
    NotFound = 5,
    /// An atlas or action id is already loaded, or a request id was reused.
    Conflict = 6,
    /// The session has ended and takes no new work.
    SessionEnded = 7,
    /// The request's agent does not own the session.
    Permission = 8,
    /// The deferred trace buffer cannot take the operation's events.
    Backpressure = 9,
    /// A wait ran out.
    Timeout = 10,
    /// Verification found a broken chain.
    ChainInvalid = 11,
    /// Reading or writing a file failed.
    Io = 12,
    /// The resolver is shutting down or its trace processor stopped.
    Shutdown = 13,
    /// A bug, including a caught panic.
    Internal = 14,
}

impl ErrorKind {
    /// The stable numeric code of this kind (the C ABI's `cra_status`).
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The stable name of this kind, such as `"CRA_ERR_TIMEOUT"`: the
    /// C ABI's status name, the same in every binding.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "CRA_ERR_INVALID_ARGUMENT",
            ErrorKind::InvalidJson => "CRA_ERR_INVALID_JSON",
            ErrorKind::InvalidAtlas => "CRA_ERR_INVALID_ATLAS",
            ErrorKind::InvalidRequest => "CRA_ERR_INVALID_REQUEST",
            ErrorKind::NotFound => "CRA_ERR_NOT_FOUND",
            ErrorKind::Conflict => "CRA_ERR_CONFLICT",
            ErrorKind::SessionEnded => "CRA_ERR_SESSION_ENDED",
            ErrorKind::Permission => "CRA_ERR_PERMISSION",
            ErrorKind::Backpressure => "CRA_ERR_BACKPRESSURE",
            ErrorKind::Timeout => "CRA_ERR_TIMEOUT",
            ErrorKind::ChainInvalid => "CRA_ERR_CHAIN_INVALID",
            ErrorKind::Io => "CRA_ERR_IO",
            ErrorKind::Shutdown => "CRA_ERR_SHUTDOWN",
            ErrorKind::Internal => "CRA_ERR_INTERNAL",
        }
    }

    /// Every kind, in code order.
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidJson,
        ErrorKind::InvalidAtlas,
        ErrorKind::InvalidRequest,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::SessionEnded,
        ErrorKind::Permission,
        ErrorKind::Backpressure,
        ErrorKind::Timeout,
        ErrorKind::ChainInvalid,
        ErrorKind::Io,
        ErrorKind::Shutdown,
        ErrorKind::Internal,
    ];

    /// The kind with this numeric code, if any.
    pub fn from_code(code: i32) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// A failure of a libcra operation: a kind and a message naming the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind` with a human-readable `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// An error about the value at JSON pointer `path`, reported as
    /// `"<path>: <message>"` (`"/policies/2/actions/0: '*foo' is not a valid pattern"`).
    pub fn at(kind: ErrorKind, path: &str, message: impl fmt::Display) -> Error {
        let path = if path.is_empty() { "/" } else { path };
        Error::new(kind, format!("{path}: {message}"))
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for Error {}

/// The message a panic carried, for reporting a caught panic.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// The result type of the safe core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_abi_values_and_round_trip() {
        for (index, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.code(), index as i32 + 1);
            assert_eq!(ErrorKind::from_code(kind.code()), Some(*kind));
        }
        assert_eq!(ErrorKind::from_code(0), None);
        assert_eq!(ErrorKind::from_code(15), None);
        assert_eq!(ErrorKind::Backpressure.code(), 9);
        assert_eq!(ErrorKind::Timeout.name(), "CRA_ERR_TIMEOUT");
    }

    #[test]
    fn located_errors_name_their_json_pointer() {
        let err = Error::at(
            ErrorKind::InvalidAtlas,
            "/policies/2/actions/0",
            "'*foo' is not a valid pattern",
        );
        assert_eq!(
            err.message(),
            "/policies/2/actions/0: '*foo' is not a valid pattern"
        );
        assert_eq!(Error::at(ErrorKind::InvalidJson, "", "x").message(), "/: x");
    }
}
