//! Resolve records handed back by the thread that sealed them, for the
//! next resolve to fill.
//!
//! A deferred resolve's record is filled on the caller's thread and sealed
//! on the processor's. Freed there, each of its buffers would go back to
//! glibc from a thread that did not allocate it: the allocator's slow path
//! on both threads, and the allocating arena's lock taken by both, which
//! put futex calls on the resolve's hot path. Handed back instead, a record
//! is refilled without allocating once its buffers have grown to fit.

use super::operation::{Operation, OperationEvents, ResolveRecord};
use crossbeam_queue::ArrayQueue;
use smallvec::{Array, SmallVec};
use std::mem::size_of;

/// Spare records kept at most; a record sealed beyond that is freed. More
/// than the resolves of one processor batch, small next to the buffer.
const SPARE_RECORDS: usize = 256;

/// A record whose buffers grew past this (a huge goal, a huge atlas) is
/// freed rather than kept, so spares never hold much memory.
const SPARE_RECORD_BYTES: usize = 16 * 1024;

/// Spare resolve records, shared by the threads that resolve and the one
/// that seals.
pub struct RecordPool {
    spare: ArrayQueue<Box<ResolveRecord>>,
}

impl RecordPool {
    pub fn new() -> RecordPool {
        RecordPool {
            spare: ArrayQueue::new(SPARE_RECORDS),
        }
    }

    /// A record to fill: a spare one, or a new one when none is spare.
    /// Its fields hold whatever the last resolve left: overwrite them all.
    pub fn take(&self) -> Box<ResolveRecord> {
        self.spare.pop().unwrap_or_default()
    }

    /// Keeps the record of a sealed `operation`, if it has one and it is
    /// small; frees the rest of the operation.
    pub fn recycle(&self, operation: Operation) {
        if let OperationEvents::Resolve { record, .. } = operation.events {
            if retained_bytes(&record) <= SPARE_RECORD_BYTES {
                // A full pool hands the record back: then it is freed.
                let _ = self.spare.push(record);
            }
        }
    }
}

impl Default for RecordPool {
    fn default() -> RecordPool {
        RecordPool::new()
    }
}

/// The heap memory `record`'s buffers hold.
fn retained_bytes(record: &ResolveRecord) -> usize {
    record.texts.capacity()
        + spilled_bytes(&record.evaluations)
        + spilled_bytes(&record.blocks)
        + record.atlases.as_ref().map_or(0, vec_bytes)
}

/// The heap memory of an inline buffer that outgrew its inline room.
fn spilled_bytes<A: Array>(buffer: &SmallVec<A>) -> usize {
    if buffer.spilled() {
        buffer.capacity() * size_of::<A::Item>()
    } else {
        0
    }
}

fn vec_bytes<T>(buffer: &Vec<T>) -> usize {
    buffer.capacity() * size_of::<T>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::catalog::Catalog;
    use crate::test_support::test_session_chain;
    use std::sync::Arc;

    fn sealed_resolve(record: Box<ResolveRecord>) -> Operation {
        Operation {
            chain: test_session_chain(),
            at: 0,
            events: OperationEvents::Resolve {
                catalog: Arc::new(Catalog::new()),
                record,
            },
        }
    }

    #[test]
    fn a_sealed_record_is_filled_again_without_allocating() {
        let pool = RecordPool::new();
        let mut record = pool.take();
        record.texts.set("req-1", "Reply to the ticket");
        record.evaluations.reserve(5);
        let (text, evaluations) = (record.texts.capacity(), record.evaluations.as_ptr());
        pool.recycle(sealed_resolve(record));
        let mut again = pool.take();
        assert_eq!(again.evaluations.as_ptr(), evaluations);
        again.texts.set("req-2", "Reply");
        assert_eq!(again.texts.capacity(), text);
        assert_eq!(again.texts.request_id(), "req-2");
    }

    #[test]
    fn keeps_a_bounded_number_of_small_records() {
        let pool = RecordPool::new();
        let mut huge = pool.take();
        huge.texts.set("req", &"g".repeat(SPARE_RECORD_BYTES));
        pool.recycle(sealed_resolve(huge));
        assert!(pool.spare.is_empty(), "a huge record is freed");
        for _ in 0..SPARE_RECORDS + 10 {
            pool.recycle(sealed_resolve(Box::default()));
        }
        assert_eq!(pool.spare.len(), SPARE_RECORDS);
    }
}
