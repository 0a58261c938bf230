//! Raw events: what an operation leaves behind on the caller's thread,
//! before it is sealed ([`operation`]), and the pool its records are
//! reused from ([`pool`]).

pub mod operation;
pub mod pool;

pub use operation::{
    ApprovalRecord, CheckOutcome, CheckRecord, Operation, OperationEvents, ReportRecord,
    ReportedOutcome, ResolveRecord,
};
pub use pool::RecordPool;
