//! The hash of a stored event recomputed straight from its typed members,
//! for verifying a stored chain.
//!
//! It builds the byte form of [`HashInput`] with no intermediate texts:
//! the chain's session and trace ids are formatted once, and a timestamp
//! once per run of events that share it (all the events of one operation
//! do), and hashes it with [`HashText`](super::hash::HashText), the one
//! definition of the hash. A verifier hashes events two at a time
//! ([`StoredHasher::hash_in_pairs`]), which on one core costs about what
//! hashing one does.

use super::event::{ChainIds, SealedEvent};
use super::event_run::StoredEvent;
use super::hash::{write_hex_lower, HashInput, HashPrefix, HashTextPair, GENESIS_HASH_HEX};
use super::ids::{uuid_ascii, ChainTexts, UUID_TEXT_LEN};
use super::seal::TRACE_VERSION;
use super::timestamp::{TimestampText, TIMESTAMP_LEN};
use uuid::Uuid;

/// A stored event at its place in the chain: all its hash depends on.
#[derive(Clone, Copy, Debug)]
pub struct ChainedEvent<'a> {
    pub sequence: u64,
    pub stored: StoredEvent<'a>,
    /// The stored hash of the event before it; `None` for the genesis event.
    pub previous: Option<&'a [u8; 32]>,
}

/// Recomputes the event hashes of one chain.
pub struct StoredHasher {
    chain: ChainTexts,
    timestamps: TimestampText,
    hash_texts: HashTextPair,
}

impl StoredHasher {
    pub fn new(ids: ChainIds) -> StoredHasher {
        StoredHasher {
            chain: ChainTexts::new(ids),
            timestamps: TimestampText::default(),
            hash_texts: HashTextPair::default(),
        }
    }

    /// The TRACE.md hash of `event`.
    pub fn hash(&mut self, event: ChainedEvent<'_>) -> [u8; 32] {
        let texts = self.texts_of(&event);
        self.hash_texts
            .hash_one(&texts.hash_input(&self.chain, &event))
    }

    /// The TRACE.md hashes of two events, computed together.
    pub fn hash_two(&mut self, [first, second]: [ChainedEvent<'_>; 2]) -> [[u8; 32]; 2] {
        let (first_texts, second_texts) = (self.texts_of(&first), self.texts_of(&second));
        self.hash_texts.hash_two([
            &first_texts.hash_input(&self.chain, &first),
            &second_texts.hash_input(&self.chain, &second),
        ])
    }

    /// `events`, in order, each with its TRACE.md hash; the hashes are
    /// computed two at a time, so an event's comes with the next one's.
    pub fn hash_in_pairs<'a, I>(&mut self, events: I) -> HashedInPairs<'_, 'a, I>
    where
        I: Iterator<Item = ChainedEvent<'a>>,
    {
        HashedInPairs {
            hasher: self,
            events,
            second: None,
        }
    }

    fn texts_of(&mut self, event: &ChainedEvent<'_>) -> StoredTexts {
        let sealed = event.stored.event;
        StoredTexts::new(sealed, event.previous, self.timestamps.of(sealed.timestamp))
    }
}

/// The members of a stored event that are kept in binary, as the text its
/// hash covers (formatted on the stack).
pub(crate) struct StoredTexts {
    pub event_id: [u8; UUID_TEXT_LEN],
    pub span_id: [u8; UUID_TEXT_LEN],
    pub parent_span_id: Option<[u8; UUID_TEXT_LEN]>,
    pub timestamp: [u8; TIMESTAMP_LEN],
    pub previous_event_hash: [u8; 64],
}

impl StoredTexts {
    /// The texts of `event`, chained after the event whose hash is
    /// `previous` (`None`: the genesis event), stamped with `timestamp`.
    pub fn new(
        event: &SealedEvent,
        previous: Option<&[u8; 32]>,
        timestamp: [u8; TIMESTAMP_LEN],
    ) -> StoredTexts {
        let mut previous_event_hash = [0u8; 64];
        match previous {
            Some(previous) => write_hex_lower(&mut previous_event_hash, previous),
            None => previous_event_hash.copy_from_slice(GENESIS_HASH_HEX.as_bytes()),
        }
        StoredTexts {
            event_id: uuid_bytes(&event.event_id),
            span_id: uuid_bytes(&event.span_id),
            parent_span_id: event.parent_span_id.as_ref().map(uuid_bytes),
            timestamp,
            previous_event_hash,
        }
    }

    /// What the hash of `event`, of the chain with texts `chain`, covers.
    fn hash_input<'t>(
        &'t self,
        chain: &'t ChainTexts,
        event: &ChainedEvent<'t>,
    ) -> HashInput<'t, [u8]> {
        HashInput {
            prefix: HashPrefix {
                trace_version: TRACE_VERSION.as_bytes(),
                event_id: &self.event_id,
                trace_id: &chain.trace_id,
                span_id: &self.span_id,
                parent_span_id: self.parent_span_id.as_ref().map(|parent| parent.as_slice()),
                session_id: &chain.session_id,
                sequence: event.sequence,
                timestamp: &self.timestamp,
                event_type: event.stored.event.event_type.as_str().as_bytes(),
                canonical_payload: event.stored.payload.as_bytes(),
            },
            previous_event_hash: &self.previous_event_hash,
        }
    }
}

/// Stored events with their hashes, from [`StoredHasher::hash_in_pairs`].
pub struct HashedInPairs<'h, 'a, I> {
    hasher: &'h mut StoredHasher,
    events: I,
    /// The second event of the pair last hashed, not yet handed out.
    second: Option<(ChainedEvent<'a>, [u8; 32])>,
}

impl<'a, I: Iterator<Item = ChainedEvent<'a>>> Iterator for HashedInPairs<'_, 'a, I> {
    type Item = (ChainedEvent<'a>, [u8; 32]);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(second) = self.second.take() {
            return Some(second);
        }
        let first = self.events.next()?;
        let Some(second) = self.events.next() else {
            return Some((first, self.hasher.hash(first)));
        };
        let [first_hash, second_hash] = self.hasher.hash_two([first, second]);
        self.second = Some((second, second_hash));
        Some((first, first_hash))
    }
}

fn uuid_bytes(id: &Uuid) -> [u8; UUID_TEXT_LEN] {
    let mut text = [0u8; UUID_TEXT_LEN];
    uuid_ascii(id, &mut text);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::UnixMicros;
    use crate::trace::event::{EventType, SealedEvent};
    use crate::trace::hash::{event_hash, hex_lower};
    use crate::trace::ids::uuid_text;
    use crate::trace::timestamp::format_timestamp;

    use crate::trace::test_chains::test_chain_ids as ids;

    fn event(n: u128, timestamp: UnixMicros, parent: Option<u128>) -> SealedEvent {
        SealedEvent {
            event_id: Uuid::from_u128(0xabcdef << 64 | n),
            span_id: Uuid::from_u128(0xfedcba << 64 | n),
            parent_span_id: parent.map(Uuid::from_u128),
            timestamp,
            event_type: EventType::PolicyEvaluated,
            payload_offset: 0,
            event_hash: [0; 32],
        }
    }

    /// The hash through the text view and `event_hash`, as the sealer computes it.
    fn reference_hash(
        sequence: u64,
        stored: StoredEvent<'_>,
        previous: Option<&[u8; 32]>,
    ) -> [u8; 32] {
        let (ids, event) = (ids(), stored.event);
        let mut bufs = [[0u8; UUID_TEXT_LEN]; 5];
        let [session, trace, id, span, parent] = &mut bufs;
        let timestamp = format_timestamp(event.timestamp);
        let previous = previous.map_or_else(|| GENESIS_HASH_HEX.to_owned(), hex_lower);
        event_hash(&HashInput {
            prefix: HashPrefix {
                trace_version: TRACE_VERSION,
                event_id: uuid_text(&event.event_id, id),
                trace_id: uuid_text(&ids.trace_id, trace),
                span_id: uuid_text(&event.span_id, span),
                parent_span_id: event.parent_span_id.as_ref().map(|p| uuid_text(p, parent)),
                session_id: uuid_text(&ids.session_id, session),
                sequence,
                timestamp: std::str::from_utf8(&timestamp).expect("ASCII"),
                event_type: event.event_type.as_str(),
                canonical_payload: stored.payload,
            },
            previous_event_hash: &previous,
        })
    }

    #[test]
    fn hashes_what_event_hash_hashes_for_the_text_view() {
        let large = format!("{{\"a\":\"{}\"}}", "é".repeat(400));
        let events = [
            (event(1, 0, None), "{}"),
            (event(2, 0, Some(7)), "{\"a\":1}"),
            (event(3, 1_795_867_200_000_250, Some(7)), large.as_str()),
            (event(4, 1_795_867_200_000_250, None), "{}"),
            (event(5, i64::MIN, Some(8)), "{}"),
            (event(6, i64::MAX, Some(8)), "{}"),
            (event(7, -1, Some(8)), "{}"),
        ];
        let mut hasher = StoredHasher::new(ids());
        let previous = [0x5a; 32];
        for (n, (event, payload)) in events.iter().enumerate() {
            let stored = StoredEvent { event, payload };
            for (sequence, previous) in [(0, None), (n as u64 + 9, Some(&previous))] {
                let chained = ChainedEvent {
                    sequence,
                    stored,
                    previous,
                };
                assert_eq!(
                    hasher.hash(chained),
                    reference_hash(sequence, stored, previous),
                    "event {n}, sequence {sequence}"
                );
            }
        }
    }

    #[test]
    fn hashes_in_pairs_as_one_at_a_time() {
        let events: Vec<SealedEvent> = (0..5)
            .map(|n| event(n, 1_795_867_200_000_000 + n as i64 / 2, Some(7)))
            .collect();
        let payloads = ["{}", "{\"a\":1}", "{\"b\":[1,2,3]}", "{}", "{\"c\":\"é\"}"];
        let previous = [0x5a; 32];
        let chained: Vec<ChainedEvent<'_>> = events
            .iter()
            .zip(payloads)
            .enumerate()
            .map(|(n, (event, payload))| ChainedEvent {
                sequence: n as u64,
                stored: StoredEvent { event, payload },
                previous: (n > 0).then_some(&previous),
            })
            .collect();
        let mut hasher = StoredHasher::new(ids());
        // Odd and even counts: the last event is hashed alone or in a pair.
        for len in 0..=chained.len() {
            let one_at_a_time: Vec<[u8; 32]> =
                chained[..len].iter().map(|&e| hasher.hash(e)).collect();
            let in_pairs: Vec<(u64, [u8; 32])> = StoredHasher::new(ids())
                .hash_in_pairs(chained[..len].iter().copied())
                .map(|(event, hash)| (event.sequence, hash))
                .collect();
            let expected: Vec<(u64, [u8; 32])> = (0..len as u64).zip(one_at_a_time).collect();
            assert_eq!(in_pairs, expected, "{len} events");
        }
    }
}
