//! The event model, shared by every step after a decision: the event
//! types, an event's members as text ([`fields`]) and the compact form a
//! sealed event is stored in ([`sealed`]), runs of stored events and their
//! packed payloads, ids, payload writers and the shape rules.

pub mod batch;
pub mod event_type;
pub mod fields;
pub mod hex;
pub mod ids;
pub mod payload;
pub mod run;
pub mod sealed;
pub mod shape;
pub mod stored;
pub mod text;

pub use event_type::EventType;
pub use fields::{EventFields, EventView};
pub use ids::ChainIds;
pub use run::{EventRun, StoredEvent};
pub use sealed::SealedEvent;
pub use stored::StoredEvents;
