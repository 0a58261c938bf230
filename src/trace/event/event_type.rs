//! The TRACE/1.0 event types.

/// The TRACE/1.0 event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    SessionStarted,
    SessionEnded,
    SessionResumed,
    RequestReceived,
    PolicyEvaluated,
    ContextInjected,
    ResolutionCompleted,
    ActionRequested,
    ActionApproved,
    ActionDenied,
    ActionExecuted,
    ActionFailed,
    ApprovalGranted,
    ApprovalRejected,
    PolicyViolated,
    ContextRedacted,
    ErrorOccurred,
}

impl EventType {
    /// The `event_type` text, such as `"carp.request.received"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SessionStarted => "session.started",
            EventType::SessionEnded => "session.ended",
            EventType::SessionResumed => "session.resumed",
            EventType::RequestReceived => "carp.request.received",
            EventType::PolicyEvaluated => "policy.evaluated",
            EventType::ContextInjected => "context.injected",
            EventType::ResolutionCompleted => "carp.resolution.completed",
            EventType::ActionRequested => "action.requested",
            EventType::ActionApproved => "action.approved",
            EventType::ActionDenied => "action.denied",
            EventType::ActionExecuted => "action.executed",
            EventType::ActionFailed => "action.failed",
            EventType::ApprovalGranted => "approval.granted",
            EventType::ApprovalRejected => "approval.rejected",
            EventType::PolicyViolated => "policy.violated",
            EventType::ContextRedacted => "context.redacted",
            EventType::ErrorOccurred => "error.occurred",
        }
    }
}
