//! Time, below every other layer: the injectable clock and TRACE's
//! RFC 3339 timestamps.

pub mod clock;
pub mod timestamp;

pub use clock::{Clock, ManualClock, SystemClock, UnixMicros};
