//! Per-resolver settings, mirroring the C ABI's `cra_config`.

use crate::error::{Error, ErrorKind, Result};
use std::time::Duration;

/// Who pays for hashing the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceMode {
    /// Hash and chain on the caller's thread: the trace is complete when a
    /// call returns.
    Immediate,
    /// Push raw events into a bounded buffer; a background thread hashes,
    /// chains and stores them. Sync points wait for it.
    Deferred,
}

/// Settings of one session, chosen when it begins
/// ([`Resolver::begin_session_with`](crate::Resolver::begin_session_with)).
/// `SessionOptions::default()` takes the resolver's settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// The session's trace mode; `None` takes the resolver's.
    pub trace_mode: Option<TraceMode>,
}

/// What a deferred operation does when the buffer cannot take its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backpressure {
    /// Refuse at once with [`ErrorKind::Backpressure`].
    Error,
    /// Wait up to `block_timeout` for room, then refuse.
    Block,
}

/// Settings of one resolver. `Config::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub trace_mode: TraceMode,
    /// Events the deferred buffer holds (default 4096). Deferred mode
    /// allocates 64 bytes per event of capacity when the resolver is
    /// created (256 KiB by default).
    pub buffer_capacity: u32,
    pub backpressure: Backpressure,
    /// How long [`Backpressure::Block`] waits for room (default 100 ms).
    pub block_timeout: Duration,
    /// Lifetime of a resolution (default 3600 s).
    pub ttl_seconds: u32,
    /// Allowed distance between a request's timestamp and now (default 300 s;
    /// 0 turns the check off).
    pub clock_skew_seconds: u32,
    /// How long dropping a deferred resolver drains the buffer (default 5 s).
    pub shutdown_timeout: Duration,
    /// Threads [`Resolver::verify_chain`](crate::Resolver::verify_chain)
    /// spreads a long chain over; 0 (the default) means one per core.
    /// Spreading pays on idle cores and can cost more than it saves on
    /// cores busy with other work.
    pub verify_threads: u32,
}

/// The bounds every setting is checked against.
pub mod bounds {
    /// The deferred buffer holds at least one operation's worth of events.
    pub const MIN_BUFFER_CAPACITY: u32 = 16;
    /// 16 M events: beyond this a host wants a durable store, not a buffer.
    pub const MAX_BUFFER_CAPACITY: u32 = 1 << 24;
    pub const MAX_BLOCK_TIMEOUT_MS: u32 = 60_000;
    pub const MAX_TTL_SECONDS: u32 = 7 * 24 * 3600;
    pub const MAX_CLOCK_SKEW_SECONDS: u32 = 24 * 3600;
    pub const MAX_SHUTDOWN_TIMEOUT_MS: u32 = 10 * 60_000;
    pub const MAX_VERIFY_THREADS: u32 = 256;
}

impl Default for Config {
    fn default() -> Config {
        Config {
            trace_mode: TraceMode::Immediate,
            buffer_capacity: 4096,
            backpressure: Backpressure::Error,
            block_timeout: Duration::from_millis(100),
            ttl_seconds: 3600,
            clock_skew_seconds: 300,
            shutdown_timeout: Duration::from_millis(5000),
            verify_threads: 0,
        }
    }
}

impl Config {
    /// The defaults, in deferred mode.
    pub fn deferred() -> Config {
        Config {
            trace_mode: TraceMode::Deferred,
            ..Config::default()
        }
    }

    /// Checks every setting against [`bounds`]; the error names the first
    /// setting out of range and its allowed range.
    pub fn validate(&self) -> Result<()> {
        check_range(
            "buffer_capacity",
            u64::from(self.buffer_capacity),
            bounds::MIN_BUFFER_CAPACITY.into(),
            bounds::MAX_BUFFER_CAPACITY.into(),
        )?;
        check_range(
            "block_timeout_ms",
            duration_ms(self.block_timeout),
            0,
            bounds::MAX_BLOCK_TIMEOUT_MS.into(),
        )?;
        check_range(
            "ttl_seconds",
            u64::from(self.ttl_seconds),
            1,
            bounds::MAX_TTL_SECONDS.into(),
        )?;
        check_range(
            "clock_skew_seconds",
            u64::from(self.clock_skew_seconds),
            0,
            bounds::MAX_CLOCK_SKEW_SECONDS.into(),
        )?;
        check_range(
            "shutdown_timeout_ms",
            duration_ms(self.shutdown_timeout),
            0,
            bounds::MAX_SHUTDOWN_TIMEOUT_MS.into(),
        )?;
        check_range(
            "verify_threads",
            u64::from(self.verify_threads),
            0,
            bounds::MAX_VERIFY_THREADS.into(),
        )
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn check_range(name: &str, value: u64, min: u64, max: u64) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("config {name} = {value} is out of range {min}..={max}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_valid() {
        let config = Config::default();
        assert_eq!(config.trace_mode, TraceMode::Immediate);
        assert_eq!(config.buffer_capacity, 4096);
        assert_eq!(config.backpressure, Backpressure::Error);
        assert_eq!(config.block_timeout, Duration::from_millis(100));
        assert_eq!(config.ttl_seconds, 3600);
        assert_eq!(config.clock_skew_seconds, 300);
        assert_eq!(config.shutdown_timeout, Duration::from_millis(5000));
        config.validate().unwrap();
    }

    #[test]
    fn out_of_range_settings_are_named() {
        let config = Config {
            buffer_capacity: 2,
            ..Config::default()
        };
        let err = config.validate().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("buffer_capacity = 2"), "{err}");

        let config = Config {
            ttl_seconds: 0,
            ..Config::default()
        };
        assert!(config
            .validate()
            .unwrap_err()
            .message()
            .contains("ttl_seconds"));
    }
}
