//! The trace's counters: what both modes count as events go by, and the
//! snapshot `cra_stats` reports.

use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering};

/// Trace counters, as `cra_stats` reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceStats {
    /// Events accepted into the trace.
    pub events_emitted: u64,
    /// Events hashed, chained and stored.
    pub events_processed: u64,
    /// Events refused by backpressure.
    pub events_rejected: u64,
    /// Events waiting in the deferred buffer now.
    pub queue_depth: u64,
    /// Events the deferred buffer holds (0 in immediate mode).
    pub queue_capacity: u64,
    /// The most events the deferred buffer has held at once.
    pub queue_high_water: u64,
}

/// Counters both modes keep.
#[derive(Debug, Default)]
pub struct Totals {
    pub emitted: AtomicU64,
    pub rejected: AtomicU64,
    /// Producers raise `emitted` while the processor raises `processed`:
    /// on one cache line, every operation would bounce it between cores.
    pub processed: CachePadded<AtomicU64>,
}

impl Totals {
    /// Events accepted and not yet stored.
    pub fn queued(&self) -> u64 {
        // Processed first: it never passes emitted, so the pair is consistent.
        let processed = self.processed.load(Ordering::SeqCst);
        let emitted = self.emitted.load(Ordering::SeqCst);
        emitted.saturating_sub(processed)
    }
}
