//! How much of each rate limit and budget has been used.
//!
//! A resolve only reads this state (an action is reported `rate_limited`
//! while its limit is used up); an approved action check records a call.
//! Budgets count per session ([`Usage`] in the session); rate limits count
//! per agent across its sessions (a [`Usage`] per agent): [`UsageView`]
//! reads each limit from the right one.

use crate::policy::kind::PolicyKind;
use crate::time::clock::UnixMicros;
use std::collections::{HashMap, VecDeque};

/// Identifies a policy across catalog rebuilds: the load serial of its atlas
/// and its position in the atlas (indexes into the catalog change whenever an
/// atlas is loaded or unloaded; this does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PolicyKey {
    pub atlas_serial: u64,
    pub position: u32,
}

/// Calls counted against one policy.
#[derive(Debug, Default)]
struct Calls {
    total: u64,
    /// Times of the calls inside the current rate-limit window, oldest first.
    recent: VecDeque<UnixMicros>,
}

/// Per-session usage of rate limits and budgets.
#[derive(Debug, Default)]
pub struct Usage {
    calls: HashMap<PolicyKey, Calls>,
}

impl Usage {
    /// Whether a `kind` policy with `key` forbids another call at `now`.
    /// Policies that are neither rate limits nor budgets never do.
    pub fn is_exhausted(&self, key: PolicyKey, kind: PolicyKind, now: UnixMicros) -> bool {
        let Some(calls) = self.calls.get(&key) else {
            return false;
        };
        match kind {
            PolicyKind::RateLimit {
                max_calls,
                window_seconds,
            } => {
                let window_start = window_start(now, window_seconds);
                let in_window = calls.recent.iter().filter(|&&at| at > window_start).count();
                in_window as u64 >= max_calls
            }
            PolicyKind::Budget { max_calls } => calls.total >= max_calls,
            _ => false,
        }
    }

    /// Counts one call at `now` against the policy `key` of `kind`.
    pub fn record_call(&mut self, key: PolicyKey, kind: PolicyKind, now: UnixMicros) {
        let calls = self.calls.entry(key).or_default();
        calls.total += 1;
        if let PolicyKind::RateLimit { window_seconds, .. } = kind {
            let window_start = window_start(now, window_seconds);
            while calls.recent.front().is_some_and(|&at| at <= window_start) {
                calls.recent.pop_front();
            }
            calls.recent.push_back(now);
        }
    }
}

/// The usage one decision reads: the session's budgets and the agent's
/// rate limits.
#[derive(Clone, Copy)]
pub struct UsageView<'a> {
    pub session: &'a Usage,
    pub agent: &'a Usage,
}

impl UsageView<'_> {
    /// Whether a `kind` policy with `key` forbids another call at `now`.
    pub fn is_exhausted(&self, key: PolicyKey, kind: PolicyKind, now: UnixMicros) -> bool {
        match kind {
            PolicyKind::RateLimit { .. } => self.agent.is_exhausted(key, kind, now),
            _ => self.session.is_exhausted(key, kind, now),
        }
    }
}

/// Where a call of a `kind` policy is counted.
pub fn counted_per_agent(kind: PolicyKind) -> bool {
    matches!(kind, PolicyKind::RateLimit { .. })
}

/// Calls at or before this moment have left a window ending at `now`.
fn window_start(now: UnixMicros, window_seconds: u64) -> UnixMicros {
    let window = i64::try_from(window_seconds.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
    now.saturating_sub(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: PolicyKey = PolicyKey {
        atlas_serial: 1,
        position: 0,
    };
    const SECOND: i64 = 1_000_000;

    #[test]
    fn rate_limit_frees_up_as_the_window_slides() {
        let kind = PolicyKind::RateLimit {
            max_calls: 2,
            window_seconds: 60,
        };
        let mut usage = Usage::default();
        assert!(!usage.is_exhausted(KEY, kind, 0));
        usage.record_call(KEY, kind, 0);
        usage.record_call(KEY, kind, 10 * SECOND);
        assert!(usage.is_exhausted(KEY, kind, 10 * SECOND));
        assert!(usage.is_exhausted(KEY, kind, 59 * SECOND));
        // The first call leaves the window exactly 60 s later.
        assert!(!usage.is_exhausted(KEY, kind, 60 * SECOND));
        usage.record_call(KEY, kind, 60 * SECOND);
        assert!(usage.is_exhausted(KEY, kind, 69 * SECOND));
        assert!(!usage.is_exhausted(KEY, kind, 70 * SECOND));
    }

    #[test]
    fn budget_never_refills() {
        let kind = PolicyKind::Budget { max_calls: 1 };
        let mut usage = Usage::default();
        assert!(!usage.is_exhausted(KEY, kind, 0));
        usage.record_call(KEY, kind, 0);
        assert!(usage.is_exhausted(KEY, kind, 1_000_000 * SECOND));
    }

    #[test]
    fn other_policies_and_keys_are_independent() {
        let kind = PolicyKind::Budget { max_calls: 1 };
        let mut usage = Usage::default();
        usage.record_call(KEY, kind, 0);
        let other = PolicyKey {
            atlas_serial: 2,
            position: 0,
        };
        assert!(!usage.is_exhausted(other, kind, 0));
        assert!(!usage.is_exhausted(KEY, PolicyKind::Allow, 0));
    }
}
