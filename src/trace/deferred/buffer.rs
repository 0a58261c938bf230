//! The bounded buffer between producers and the processor: a lock-free
//! queue of whole operations, and a budget of events that decides whether
//! one more operation fits.
//!
//! Producers take room for all of an operation's events at once
//! ([`TraceBuffer::reserve`]) before they take their session's lock, then
//! push the operation as one queue slot, so an operation enters whole or
//! not at all. A full buffer is never solved by dropping events: the
//! producer gets `Backpressure` (at once, or after the block timeout in
//! block mode) and nothing of its operation is recorded.

use super::progress::Progress;
use crate::config::{Backpressure, Config};
use crate::error::{Error, ErrorKind, Result};
use crate::trace::record::Operation;
use crossbeam_queue::ArrayQueue;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bytes a queue slot takes, per event of `buffer_capacity` (`cra.h` and
/// [`Config`] say so): an operation and crossbeam's stamp beside it.
const SLOT_BYTES: usize = 64;
const _: () = assert!(size_of::<Operation>() + size_of::<usize>() <= SLOT_BYTES);

pub struct TraceBuffer {
    queue: ArrayQueue<Operation>,
    /// Events the buffer holds at most.
    capacity: u64,
    /// Events of the room taken and not yet given back: queued operations'
    /// and those of calls still deciding theirs.
    reserved: AtomicU64,
    high_water: AtomicU64,
    backpressure: Backpressure,
    block_timeout: Duration,
}

impl TraceBuffer {
    pub fn new(config: &Config) -> TraceBuffer {
        TraceBuffer {
            // Every operation has at least one event, so as many slots as
            // events can never run out before the event budget does. The
            // slots are allocated and written here, all of them: the
            // memory the header promises per event of capacity.
            queue: ArrayQueue::new(config.buffer_capacity as usize),
            capacity: u64::from(config.buffer_capacity),
            reserved: AtomicU64::new(0),
            high_water: AtomicU64::new(0),
            backpressure: config.backpressure,
            block_timeout: config.block_timeout,
        }
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The most events the buffer has held at once.
    pub fn high_water(&self) -> u64 {
        self.high_water.load(Ordering::SeqCst)
    }

    /// Takes room for `events`, waiting in block mode until `progress`
    /// frees some or `stopped` holds. Errors: `Backpressure`, with nothing
    /// taken.
    pub fn reserve(
        &self,
        events: u64,
        progress: &Progress,
        stopped: impl Fn() -> bool,
    ) -> Result<()> {
        if self.try_reserve(events) {
            return Ok(());
        }
        if self.backpressure == Backpressure::Block && events <= self.capacity {
            let reserved = Cell::new(false);
            let deadline = Instant::now() + self.block_timeout;
            progress.wait_until(deadline, || {
                if !reserved.get() && self.try_reserve(events) {
                    reserved.set(true);
                }
                reserved.get() || stopped()
            });
            if reserved.get() {
                // Room freed by a processor that has stopped does not count.
                if !stopped() {
                    return Ok(());
                }
                self.release(events);
            }
        }
        Err(Error::new(
            ErrorKind::Backpressure,
            format!(
                "the trace buffer cannot take {events} more event(s) ({} of {} in use); nothing was recorded, retry later",
                self.reserved.load(Ordering::SeqCst),
                self.capacity
            ),
        ))
    }

    fn try_reserve(&self, events: u64) -> bool {
        let mut current = self.reserved.load(Ordering::SeqCst);
        loop {
            let wanted = current + events;
            if wanted > self.capacity {
                return false;
            }
            match self.reserved.compare_exchange_weak(
                current,
                wanted,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    // A read first: most reservations set no new high, and
                    // an unconditional read-modify-write would claim the
                    // cache line from every other producer each time.
                    if wanted > self.high_water.load(Ordering::Relaxed) {
                        self.high_water.fetch_max(wanted, Ordering::SeqCst);
                    }
                    return true;
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Gives back room for `events`.
    pub fn release(&self, events: u64) {
        self.reserved.fetch_sub(events, Ordering::SeqCst);
    }

    /// Queues `operation`, whose room was reserved. Errors: `Internal` when
    /// the slots ran out, which the event budget rules out.
    pub fn push(&self, operation: Operation) -> Result<()> {
        self.queue.push(operation).map_err(|_| {
            // Unreachable while slots >= events; never lose an event silently.
            Error::new(ErrorKind::Internal, "trace buffer slots ran out")
        })
    }

    pub fn pop(&self) -> Option<Operation> {
        self.queue.pop()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}
