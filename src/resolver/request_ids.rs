//! The request ids a session has used, so a reused one is refused.
//!
//! Ids are chosen by callers, so they are hashed with std's keyed SipHash,
//! which chosen ids cannot make collide. SipHash is the expensive part of
//! the set, and a growing hash set rehashes every id it holds, so each id
//! is hashed once and keeps its hash.

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

/// A session's used request ids.
#[derive(Debug, Default)]
pub struct RequestIds {
    ids: HashSet<HashedId, BuildHasherDefault<KeptHash>>,
    /// The SipHash key of this set.
    sip: RandomState,
}

impl RequestIds {
    /// Marks `id` used; `false` when it already was.
    pub fn claim(&mut self, id: &str) -> bool {
        self.ids.insert(self.hashed(id))
    }

    /// Forgets `id`, so it can be used again.
    pub fn release(&mut self, id: &str) {
        self.ids.remove(&self.hashed(id));
    }

    fn hashed(&self, id: &str) -> HashedId {
        HashedId {
            hash: self.sip.hash_one(id),
            id: id.into(),
        }
    }
}

/// An id with its SipHash.
#[derive(Debug, PartialEq, Eq)]
struct HashedId {
    hash: u64,
    id: Box<str>,
}

impl Hash for HashedId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Hands the set the hash a [`HashedId`] keeps.
#[derive(Default)]
struct KeptHash(u64);

impl Hasher for KeptHash {
    fn write(&mut self, bytes: &[u8]) {
        // Only `HashedId` is hashed here, and it writes one u64; fold any
        // other input in anyway rather than ignore it.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_claimed_once_until_released() {
        let mut ids = RequestIds::default();
        assert!(ids.claim("req-1"));
        assert!(ids.claim("req-2"));
        assert!(!ids.claim("req-1"));
        ids.release("req-1");
        assert!(ids.claim("req-1"));
        for n in 0..1000 {
            assert!(ids.claim(&format!("many-{n}")));
        }
        assert!(!ids.claim("many-999"));
        assert!(!ids.claim("req-2"));
    }
}
