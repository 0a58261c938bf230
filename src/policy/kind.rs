//! What a policy does when it matches, and where that puts it in
//! CARP.md's evaluation order.

/// What a policy does when it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    Deny,
    RequireApproval,
    /// At most `max_calls` calls in any `window_seconds` window.
    RateLimit {
        max_calls: u64,
        window_seconds: u64,
    },
    /// At most `max_calls` calls per session.
    Budget {
        max_calls: u64,
    },
    Allow,
}

impl PolicyKind {
    /// The position of this kind in CARP.md's evaluation order (deny first).
    pub fn evaluation_rank(self) -> u8 {
        match self {
            PolicyKind::Deny => 0,
            PolicyKind::RequireApproval => 1,
            PolicyKind::RateLimit { .. } => 2,
            PolicyKind::Budget { .. } => 3,
            PolicyKind::Allow => 4,
        }
    }

    /// The manifest's `type` string.
    pub fn type_name(self) -> &'static str {
        match self {
            PolicyKind::Deny => "deny",
            PolicyKind::RequireApproval => "require_approval",
            PolicyKind::RateLimit { .. } => "rate_limit",
            PolicyKind::Budget { .. } => "budget",
            PolicyKind::Allow => "allow",
        }
    }
}
