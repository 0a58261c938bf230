//! The compact form an event is stored in once it is sealed (hashed and
//! chained).

use super::event_type::EventType;
use crate::time::UnixMicros;
use uuid::Uuid;

/// One event after it was hashed and chained, as a store keeps it.
///
/// What can be derived is not stored: `sequence` is the event's position in
/// its session, `previous_event_hash` the hash of the event before it, and
/// the session and trace ids live once per chain ([`ChainIds`](super::ids::ChainIds)). The payload
/// is kept in its canonical JSON form, exactly the bytes that were hashed,
/// in the text of the run the event belongs to
/// ([`EventRun`](super::run::EventRun)): events are stored by the
/// million, and a separate allocation per payload would cost an allocator
/// call, its header and its rounding each time.
///
/// The record is plain data (96 bytes, 2 of them padding): every byte
/// stored is a byte the kernel must first hand out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedEvent {
    pub event_id: Uuid,
    pub span_id: Uuid,
    pub parent_span_id: Option<Uuid>,
    pub timestamp: UnixMicros,
    pub event_type: EventType,
    /// Where the payload starts in its run's text; it ends where the next
    /// event's starts (the run's last payload at the end of the text).
    pub payload_offset: u32,
    pub event_hash: [u8; 32],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_event_takes_96_bytes() {
        assert_eq!(std::mem::size_of::<SealedEvent>(), 96);
    }
}
