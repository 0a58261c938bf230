//! Hashing a run of events onto a chain with two SHA-256 hashes in flight.
//!
//! An event's hash text ends with the previous event's hash (TRACE.md), so
//! along a chain only each event's *tail* is serial: the bytes of its prefix
//! after the last whole block, the 64 hex digits and the padding, two or
//! three blocks. The whole blocks of every prefix, most of the text, do not
//! depend on the chain and can be hashed alongside the tails.
//!
//! The [`ChainHasher`] queues the prefixes of a run of events, then hashes
//! them in two lanes that compress their blocks side by side
//! (`sha256_lanes::compress_two`, where a block of each costs about what
//! one block alone does). A free lane takes the next tail if the chain has
//! reached it (the tails are the critical path), else the next prefix.

use super::hash::{write_hex_lower, HashPrefix};
use super::sha256_lanes::{
    compress_one, compress_two, state_hash, whole_blocks, FinalBlocks, State, INITIAL_STATE,
};
use sha2::{Digest, Sha256};

/// The prefixes of a run of events waiting to be hashed onto a chain, and
/// the buffers hashing them reuses.
#[derive(Default)]
pub struct ChainHasher {
    /// The queued events' prefixes, back to back.
    text: Vec<u8>,
    /// Per queued event, in chain order.
    queued: Vec<Queued>,
    /// The hashes of the last run hashed.
    hashes: Vec<[u8; 32]>,
}

struct Queued {
    /// Where the event's prefix ends in the text.
    end: usize,
    /// The hash state after the prefix's whole blocks, once they are hashed.
    midstate: Option<State>,
}

impl ChainHasher {
    /// Queues the next event of the run.
    pub fn push<Text: AsRef<[u8]> + ?Sized>(&mut self, prefix: &HashPrefix<'_, Text>) {
        prefix.append_to(&mut self.text);
        self.queued.push(Queued {
            end: self.text.len(),
            midstate: None,
        });
    }

    /// Hashes the queued events onto the chain whose last hash is
    /// `previous` (all zeros for a new chain), advancing it to the last
    /// event's hash. Returns the events' hashes in chain order; the queue
    /// is empty again.
    pub fn hash_onto(&mut self, previous: &mut [u8; 32]) -> &[[u8; 32]] {
        self.hashes.clear();
        if self.queued.len() == 1 {
            self.hash_alone(previous);
        } else {
            self.hash_in_lanes(previous);
        }
        debug_assert_eq!(self.hashes.len(), self.queued.len());
        self.text.clear();
        self.queued.clear();
        &self.hashes
    }

    /// Heap bytes the hasher keeps from one run to the next.
    pub fn retained_bytes(&self) -> usize {
        self.text.capacity()
            + self.queued.capacity() * std::mem::size_of::<Queued>()
            + self.hashes.capacity() * std::mem::size_of::<[u8; 32]>()
    }

    /// Hashes a run of one event. It has nothing to overlap with, and
    /// `Sha256` hashes all its blocks in one call, faster than a call per
    /// block.
    fn hash_alone(&mut self, previous: &mut [u8; 32]) {
        let mut previous_hex = [0u8; 64];
        write_hex_lower(&mut previous_hex, previous);
        *previous = Sha256::new()
            .chain_update(&self.text)
            .chain_update(previous_hex)
            .finalize()
            .into();
        self.hashes.push(*previous);
    }

    fn hash_in_lanes(&mut self, previous: &mut [u8; 32]) {
        let mut schedule = Schedule {
            text: &self.text,
            queued: &mut self.queued,
            hashes: &mut self.hashes,
            previous,
            tail: FinalBlocks::new(&[], 0),
            tail_in_flight: false,
            next_prefix: 0,
            next_tail: 0,
        };
        let mut lanes = [Lane::IDLE; 2];
        loop {
            for lane in &mut lanes {
                if lane.is_idle() {
                    *lane = schedule.next_work();
                }
            }
            match &mut lanes {
                [a, b] if !a.is_idle() && !b.is_idle() => {
                    let (run_a, run_b) = (schedule.blocks_left(a), schedule.blocks_left(b));
                    let len = run_a.len().min(run_b.len());
                    compress_two(&mut a.state, &run_a[..len], &mut b.state, &run_b[..len]);
                    schedule.advance(a, len);
                    schedule.advance(b, len);
                }
                [a, b] => {
                    let lane = if a.is_idle() { b } else { a };
                    if lane.is_idle() {
                        return;
                    }
                    // Alone, a lane has nothing to overlap with, and nothing
                    // can start until it is done: it finishes in one go.
                    let run = schedule.blocks_left(lane);
                    compress_one(&mut lane.state, run);
                    schedule.advance(lane, run.len());
                }
            }
        }
    }
}

/// Which hashing is ready to start, as the lanes finish theirs.
struct Schedule<'h> {
    text: &'h [u8],
    queued: &'h mut [Queued],
    hashes: &'h mut Vec<[u8; 32]>,
    /// The hash of the last event chained so far.
    previous: &'h mut [u8; 32],
    /// The final blocks of the tail a lane is hashing; there is one at a
    /// time, as each needs the hash of the one before.
    tail: FinalBlocks,
    /// A lane is hashing `tail`.
    tail_in_flight: bool,
    /// The first event whose prefix no lane has taken yet.
    next_prefix: usize,
    /// The first event whose tail no lane has taken yet.
    next_tail: usize,
}

impl Schedule<'_> {
    /// Work for a free lane: the next tail if its prefix is hashed and the
    /// chain has reached it, else the next prefix, else none.
    fn next_work(&mut self) -> Lane {
        if let Some(tail) = self.next_tail_work() {
            return tail;
        }
        while self.next_prefix < self.queued.len() {
            let event = self.next_prefix;
            self.next_prefix += 1;
            let start = self.prefix_start(event);
            let end = start + whole_blocks(self.queued[event].end - start);
            if start < end {
                return Lane {
                    work: Work::Prefix { event },
                    state: INITIAL_STATE,
                    next: start,
                    end,
                };
            }
            // A prefix shorter than a block has nothing to hash before its
            // tail, which may be next.
            self.queued[event].midstate = Some(INITIAL_STATE);
            if let Some(tail) = self.next_tail_work() {
                return tail;
            }
        }
        Lane::IDLE
    }

    fn next_tail_work(&mut self) -> Option<Lane> {
        if self.tail_in_flight {
            return None;
        }
        let event = self.next_tail;
        let state = self.queued.get_mut(event)?.midstate.take()?;
        self.next_tail += 1;
        let prefix = &self.text[self.prefix_start(event)..self.queued[event].end];
        let mut previous_hex = [0u8; 64];
        write_hex_lower(&mut previous_hex, self.previous);
        let rest = &prefix[whole_blocks(prefix.len())..];
        self.tail
            .refill(&[rest, &previous_hex], prefix.len() + previous_hex.len());
        self.tail_in_flight = true;
        Some(Lane {
            work: Work::Tail,
            state,
            next: 0,
            end: self.tail.as_bytes().len(),
        })
    }

    /// The blocks `lane` has yet to compress.
    fn blocks_left(&self, lane: &Lane) -> &[u8] {
        let bytes = match lane.work {
            Work::Prefix { .. } => self.text,
            Work::Tail => self.tail.as_bytes(),
            Work::Idle => return &[],
        };
        &bytes[lane.next..lane.end]
    }

    /// Moves `lane` past the `len` bytes of blocks it compressed and, if
    /// that completes its hashing, takes the result and leaves the lane
    /// idle.
    fn advance(&mut self, lane: &mut Lane, len: usize) {
        lane.next += len;
        if lane.next < lane.end {
            return;
        }
        match lane.work {
            Work::Idle => {}
            Work::Prefix { event } => self.queued[event].midstate = Some(lane.state),
            Work::Tail => {
                let hash = state_hash(&lane.state);
                self.hashes.push(hash);
                *self.previous = hash;
                self.tail_in_flight = false;
            }
        }
        // The rest of an idle lane is never read.
        lane.work = Work::Idle;
    }

    fn prefix_start(&self, event: usize) -> usize {
        match event {
            0 => 0,
            _ => self.queued[event - 1].end,
        }
    }
}

/// One hashing in progress: what it is, its state, and where its blocks
/// are (in the queued text, or in the tail).
#[derive(Clone, Copy)]
struct Lane {
    work: Work,
    state: State,
    /// Where the next block starts.
    next: usize,
    /// Where the blocks end.
    end: usize,
}

#[derive(Clone, Copy)]
enum Work {
    Idle,
    /// The whole blocks of `event`'s prefix.
    Prefix {
        event: usize,
    },
    /// The tail of the event the chain has reached.
    Tail,
}

impl Lane {
    const IDLE: Lane = Lane {
        work: Work::Idle,
        state: INITIAL_STATE,
        next: 0,
        end: 0,
    };

    fn is_idle(&self) -> bool {
        matches!(self.work, Work::Idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::hash::{event_hash, HashInput, GENESIS_HASH_HEX};
    use proptest::prelude::*;

    /// An event whose prefix is little more than `payload`: its sequence
    /// number, and for odd ones a one-letter parent span.
    fn prefix(sequence: u64, payload: &[u8]) -> HashPrefix<'_, [u8]> {
        HashPrefix {
            trace_version: b"",
            event_id: b"",
            trace_id: b"",
            span_id: b"",
            parent_span_id: (sequence % 2 == 1).then_some(b"p".as_slice()),
            session_id: b"",
            sequence,
            timestamp: b"",
            event_type: b"",
            canonical_payload: payload,
        }
    }

    /// The hashes `event_hash` gives the events one by one.
    fn one_by_one(prefixes: &[HashPrefix<'_, [u8]>], previous: &mut [u8; 32]) -> Vec<[u8; 32]> {
        let mut hashes = Vec::new();
        for prefix in prefixes {
            let mut previous_hex = [0u8; 64];
            write_hex_lower(&mut previous_hex, previous);
            *previous = event_hash(&HashInput {
                prefix: *prefix,
                previous_event_hash: &previous_hex,
            });
            hashes.push(*previous);
        }
        hashes
    }

    /// Checks the chain hasher against `event_hash` on `prefixes`.
    fn check(hasher: &mut ChainHasher, prefixes: &[HashPrefix<'_, [u8]>], previous: [u8; 32]) {
        for prefix in prefixes {
            hasher.push(prefix);
        }
        let (mut chained, mut expected_previous) = (previous, previous);
        let expected = one_by_one(prefixes, &mut expected_previous);
        assert_eq!(hasher.hash_onto(&mut chained), expected);
        assert_eq!(chained, expected_previous);
    }

    #[test]
    fn the_genesis_hash_is_all_zeros_in_hex() {
        let mut hex = [0u8; 64];
        write_hex_lower(&mut hex, &[0; 32]);
        assert_eq!(hex, GENESIS_HASH_HEX.as_bytes());
    }

    #[test]
    fn events_hash_alike_at_every_prefix_length() {
        // Prefix lengths 1 to 1001: every place the text can end in its
        // last block (the padding takes one more block from 56 bytes on),
        // prefixes shorter than a block, and long ones.
        let mut hasher = ChainHasher::default();
        let payload = vec![b'a'; 1000];
        for len in 0..=payload.len() {
            let event = prefix(0, &payload[..len]);
            check(&mut hasher, &[event], [0; 32]);
            // In lanes, after and before an event of another length.
            let other = prefix(1, &payload[..len * 7 % payload.len()]);
            check(&mut hasher, &[other, event, other], [0; 32]);
        }
    }

    #[test]
    fn nothing_queued_hashes_to_nothing() {
        let mut previous = [7; 32];
        assert!(ChainHasher::default().hash_onto(&mut previous).is_empty());
        assert_eq!(previous, [7; 32]);
    }

    /// Payloads that give prefix lengths from 1 to 602, and now and then a
    /// long one.
    fn payload() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => prop::collection::vec(any::<u8>(), 0..600),
            1 => prop::collection::vec(any::<u8>(), 600..3000),
        ]
    }

    proptest! {
        #[test]
        fn chains_hash_as_event_hash_does_one_by_one(
            payloads in prop::collection::vec(payload(), 1..=20),
            previous in prop_oneof![Just([0u8; 32]), any::<[u8; 32]>()],
        ) {
            let prefixes: Vec<_> = payloads
                .iter()
                .enumerate()
                .map(|(sequence, payload)| prefix(sequence as u64, payload))
                .collect();
            let mut hasher = ChainHasher::default();
            check(&mut hasher, &prefixes, previous);
            // The emptied queue takes the next run.
            check(&mut hasher, &prefixes[..1], previous);
        }
    }
}
