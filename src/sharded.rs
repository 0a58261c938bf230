//! A map from UUIDv7 keys to values, split into shards with a lock each, so
//! threads working on different keys rarely meet on the same lock.

use parking_lot::{Mutex, MutexGuard};
use rustc_hash::FxBuildHasher;
use std::collections::HashMap;
use uuid::Uuid;

const SHARDS: usize = 64;

/// The keys are ids the library minted, whose random bits spread them, so
/// a shard hashes them with FxHash rather than SipHash.
type Shard<V> = HashMap<Uuid, V, FxBuildHasher>;

pub struct ShardedMap<V> {
    shards: Box<[Mutex<Shard<V>>]>,
}

impl<V> ShardedMap<V> {
    pub fn new() -> ShardedMap<V> {
        ShardedMap {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }

    /// Locks the shard that holds `key`.
    pub fn shard(&self, key: &Uuid) -> MutexGuard<'_, Shard<V>> {
        // The last bytes of a UUIDv7 are random, so they spread keys evenly.
        self.shards[key.as_bytes()[15] as usize % SHARDS].lock()
    }

    /// Locks each shard in turn.
    pub fn for_each_shard(&self, mut visit: impl FnMut(&Shard<V>)) {
        for shard in self.shards.iter() {
            visit(&shard.lock());
        }
    }
}

impl<V> Default for ShardedMap<V> {
    fn default() -> ShardedMap<V> {
        ShardedMap::new()
    }
}
