//! Per-agent state shared by an agent's sessions: the rate-limit counters
//! (CARP.md: a rate limit counts an agent's approved checks in a sliding
//! window, whatever the session).
//!
//! Agents are spread over shards, each behind its own lock, so agents
//! rarely contend; one agent's decisions take its shard's lock, which makes
//! "is the limit used up? then count the call" one step for every check of
//! that agent, in any session.

use crate::policy::usage::Usage;
use parking_lot::{Mutex, MutexGuard};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

const SHARDS: usize = 16;

/// Rate-limit usage of every agent.
pub struct AgentUsage {
    shards: [Mutex<FxHashMap<Box<str>, Usage>>; SHARDS],
}

impl Default for AgentUsage {
    fn default() -> AgentUsage {
        AgentUsage {
            shards: std::array::from_fn(|_| Mutex::new(FxHashMap::default())),
        }
    }
}

/// One agent's usage, locked.
pub struct AgentGuard<'a> {
    shard: MutexGuard<'a, FxHashMap<Box<str>, Usage>>,
    agent_id: &'a str,
}

impl AgentGuard<'_> {
    /// The agent's usage (empty until its first counted call).
    pub fn usage(&self) -> &Usage {
        static EMPTY: std::sync::OnceLock<Usage> = std::sync::OnceLock::new();
        self.shard
            .get(self.agent_id)
            .unwrap_or_else(|| EMPTY.get_or_init(Usage::default))
    }

    /// The agent's usage, to count a call.
    pub fn usage_mut(&mut self) -> &mut Usage {
        self.shard.entry(self.agent_id.into()).or_default()
    }
}

impl AgentUsage {
    /// Locks `agent_id`'s usage (and that of the agents sharing its shard).
    /// Take it after the session's lock, never before.
    pub fn lock<'a>(&'a self, agent_id: &'a str) -> AgentGuard<'a> {
        let mut hasher = FxHasher::default();
        agent_id.hash(&mut hasher);
        let shard = &self.shards[hasher.finish() as usize % SHARDS];
        AgentGuard {
            shard: shard.lock(),
            agent_id,
        }
    }
}
