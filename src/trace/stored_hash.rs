//! The hash of a stored event recomputed straight from its typed members,
//! for verifying a stored chain.
//!
//! It builds the byte form of [`HashInput`] with no intermediate texts:
//! the chain's session and trace ids are formatted once, and a timestamp
//! once per run of events that share it (all the events of one operation
//! do), and hashes it with [`HashText`], the one definition of the hash.

use super::event::ChainIds;
use super::event_run::StoredEvent;
use super::hash::{write_hex_lower, HashInput, HashPrefix, HashText, GENESIS_HASH_HEX};
use super::ids::{uuid_ascii, ChainTexts, UUID_TEXT_LEN};
use super::seal::TRACE_VERSION;
use super::timestamp::TimestampText;
use uuid::Uuid;

/// Recomputes the event hashes of one chain.
pub struct StoredHasher {
    chain: ChainTexts,
    timestamps: TimestampText,
    text: HashText,
}

impl StoredHasher {
    pub fn new(ids: ChainIds) -> StoredHasher {
        StoredHasher {
            chain: ChainTexts::new(ids),
            timestamps: TimestampText::default(),
            text: HashText::new(),
        }
    }

    /// The TRACE.md hash of `stored` at position `sequence`, chained after
    /// the event whose hash is `previous` (`None`: the genesis event).
    pub fn hash(
        &mut self,
        sequence: u64,
        stored: StoredEvent<'_>,
        previous: Option<&[u8; 32]>,
    ) -> [u8; 32] {
        let event = stored.event;
        let timestamp = self.timestamps.of(event.timestamp);
        let mut previous_hex = [0u8; 64];
        let previous_event_hash = match previous {
            Some(previous) => {
                write_hex_lower(&mut previous_hex, previous);
                &previous_hex
            }
            None => GENESIS_HASH_HEX.as_bytes(),
        };
        let (event_id, span_id, parent) = (
            uuid_bytes(&event.event_id),
            uuid_bytes(&event.span_id),
            event.parent_span_id.as_ref().map(uuid_bytes),
        );
        self.text.hash(&HashInput {
            prefix: HashPrefix {
                trace_version: TRACE_VERSION.as_bytes(),
                event_id: &event_id,
                trace_id: &self.chain.trace_id,
                span_id: &span_id,
                parent_span_id: parent.as_ref().map(|parent| parent.as_slice()),
                session_id: &self.chain.session_id,
                sequence,
                timestamp: &timestamp,
                event_type: event.event_type.as_str().as_bytes(),
                canonical_payload: stored.payload.as_bytes(),
            },
            previous_event_hash,
        })
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
                assert_eq!(
                    hasher.hash(sequence, stored, previous),
                    reference_hash(sequence, stored, previous),
                    "event {n}, sequence {sequence}"
                );
            }
        }
    }
}
