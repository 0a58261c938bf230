//! Wall-clock time, injectable so tests control it.
//!
//! Everything time-dependent in the core (event timestamps, session
//! durations, request clock skew, rate-limit windows, resolution expiry)
//! reads one [`Clock`], so a test can freeze or advance time with
//! [`ManualClock`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch, UTC.
pub type UnixMicros = i64;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Microseconds since the Unix epoch.
    fn now_micros(&self) -> UnixMicros;
}

/// The system's real-time clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> UnixMicros {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => since.as_micros() as UnixMicros,
            // A clock set before 1970 is a broken machine, not a reason to panic.
            Err(before) => -(before.duration().as_micros() as UnixMicros),
        }
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// A clock stopped at `now` microseconds since the epoch.
    pub fn new(now: UnixMicros) -> Arc<ManualClock> {
        Arc::new(ManualClock {
            now: AtomicI64::new(now),
        })
    }

    /// Moves the clock forward by `micros` (backwards when negative).
    pub fn advance_micros(&self, micros: i64) {
        self.now.fetch_add(micros, Ordering::SeqCst);
    }

    pub fn set_micros(&self, now: UnixMicros) {
        self.now.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_micros(&self) -> UnixMicros {
        self.now.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(1_000);
        assert_eq!(clock.now_micros(), 1_000);
        clock.advance_micros(2_500);
        assert_eq!(clock.now_micros(), 3_500);
        clock.set_micros(7);
        assert_eq!(clock.now_micros(), 7);
    }

    #[test]
    fn system_clock_is_after_2024() {
        assert!(SystemClock.now_micros() > 1_704_067_200_000_000);
    }
}
