//! `cra_config`: the settings of a resolver, as plain integers.

use crate::config::{Backpressure, Config, TraceMode};
use crate::error::{Error, ErrorKind, Result};
use std::time::Duration;

/// Hash and chain on the caller's thread.
pub const CRA_TRACE_IMMEDIATE: u32 = 0;
/// Push raw events; a background thread hashes and chains.
pub const CRA_TRACE_DEFERRED: u32 = 1;
/// A full buffer fails at once with `CRA_ERR_BACKPRESSURE`.
pub const CRA_BACKPRESSURE_ERROR: u32 = 0;
/// A full buffer waits up to `block_timeout_ms`, then fails with `CRA_ERR_BACKPRESSURE`.
pub const CRA_BACKPRESSURE_BLOCK: u32 = 1;

/// Resolver settings. Always start from `cra_config_init`, which sets
/// `struct_size` and every default, then change the fields you need.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct cra_config {
    /// `sizeof(cra_config)`, set by `cra_config_init`.
    pub struct_size: u32,
    /// `CRA_TRACE_IMMEDIATE` (default) or `CRA_TRACE_DEFERRED`.
    pub trace_mode: u32,
    /// Events the deferred buffer holds: 16 to 16777216; default 4096.
    /// Deferred mode allocates 64 bytes per event of capacity when the
    /// resolver is created (256 KiB by default, 1 GiB at the largest).
    pub buffer_capacity: u32,
    /// `CRA_BACKPRESSURE_ERROR` (default) or `CRA_BACKPRESSURE_BLOCK`.
    pub backpressure: u32,
    /// How long `CRA_BACKPRESSURE_BLOCK` waits: 0 to 60000; default 100.
    pub block_timeout_ms: u32,
    /// Resolution lifetime: 1 to 604800; default 3600.
    pub ttl_seconds: u32,
    /// Request timestamp tolerance: 0 (unchecked) to 86400; default 300.
    pub clock_skew_seconds: u32,
    /// How long `cra_resolver_free` drains: 0 to 600000; default 5000.
    pub shutdown_timeout_ms: u32,
}

const CONFIG_SIZE: u32 = std::mem::size_of::<cra_config>() as u32;

impl cra_config {
    pub(crate) fn defaults() -> cra_config {
        let config = Config::default();
        cra_config {
            struct_size: CONFIG_SIZE,
            trace_mode: CRA_TRACE_IMMEDIATE,
            buffer_capacity: config.buffer_capacity,
            backpressure: CRA_BACKPRESSURE_ERROR,
            block_timeout_ms: millis(config.block_timeout),
            ttl_seconds: config.ttl_seconds,
            clock_skew_seconds: config.clock_skew_seconds,
            shutdown_timeout_ms: millis(config.shutdown_timeout),
        }
    }

    /// The core's config, with every field checked (`struct_size` was
    /// checked before the struct was read).
    pub(crate) fn to_config(self) -> Result<Config> {
        let trace_mode = match self.trace_mode {
            CRA_TRACE_IMMEDIATE => TraceMode::Immediate,
            CRA_TRACE_DEFERRED => TraceMode::Deferred,
            other => return Err(invalid(format!("config trace_mode {other} is neither CRA_TRACE_IMMEDIATE (0) nor CRA_TRACE_DEFERRED (1)"))),
        };
        let backpressure = match self.backpressure {
            CRA_BACKPRESSURE_ERROR => Backpressure::Error,
            CRA_BACKPRESSURE_BLOCK => Backpressure::Block,
            other => return Err(invalid(format!("config backpressure {other} is neither CRA_BACKPRESSURE_ERROR (0) nor CRA_BACKPRESSURE_BLOCK (1)"))),
        };
        let config = Config {
            trace_mode,
            buffer_capacity: self.buffer_capacity,
            backpressure,
            block_timeout: Duration::from_millis(self.block_timeout_ms.into()),
            ttl_seconds: self.ttl_seconds,
            clock_skew_seconds: self.clock_skew_seconds,
            shutdown_timeout: Duration::from_millis(self.shutdown_timeout_ms.into()),
            ..Config::default()
        };
        config.validate()?;
        Ok(config)
    }
}

fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// Fills `*cfg` with the defaults (immediate mode) and sets `struct_size`.
/// `cra_config_init(NULL)` does nothing. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cra_config_init(cfg: *mut cra_config) {
    // SAFETY: the host keeps cra.h's contract for this call: every
    // pointer argument is NULL or valid as its documentation says.
    unsafe {
        if let Some(cfg) = cfg.as_mut() {
            *cfg = cra_config::defaults();
        }
    }
}
