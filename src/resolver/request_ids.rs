//! The request ids a session has used, so a reused one is refused.
//!
//! Ids are chosen by callers, so they are hashed with std's keyed SipHash,
//! which chosen ids cannot make collide. Every resolve claims one, so the
//! set keeps no allocation per id: the ids' text is laid end to end in one
//! string, and the table holds where each lies, with its hash (hashed once,
//! and not again when the table grows).

use hashbrown::hash_table::{Entry, HashTable};
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::ops::Range;

/// A session's used request ids.
#[derive(Debug, Default)]
pub struct RequestIds {
    /// Every claimed id, one after another.
    texts: String,
    /// Where each claimed id lies in `texts`, found by its hash.
    claimed: HashTable<ClaimedId>,
    /// The SipHash key of this set.
    sip: RandomState,
}

#[derive(Debug)]
struct ClaimedId {
    hash: u64,
    text: Range<usize>,
}

impl RequestIds {
    /// Marks `id` used; `false` when it already was.
    pub fn claim(&mut self, id: &str) -> bool {
        let hash = self.sip.hash_one(id);
        let texts = &mut self.texts;
        match self.claimed.entry(
            hash,
            |claimed| &texts[claimed.text.clone()] == id,
            |claimed| claimed.hash,
        ) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                let start = texts.len();
                texts.push_str(id);
                slot.insert(ClaimedId {
                    hash,
                    text: start..texts.len(),
                });
                true
            }
        }
    }

    /// Forgets `id`, so it can be used again.
    ///
    /// A resolve gives back the id it just claimed when its trace refuses
    /// it, so the id's text is the last in `texts` and goes too: a caller
    /// retrying under backpressure does not grow the set.
    pub fn release(&mut self, id: &str) {
        let hash = self.sip.hash_one(id);
        let texts = &mut self.texts;
        if let Ok(entry) = self
            .claimed
            .find_entry(hash, |claimed| &texts[claimed.text.clone()] == id)
        {
            let (released, _) = entry.remove();
            if released.text.end == texts.len() {
                texts.truncate(released.text.start);
            }
        }
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
        assert!(!ids.claim("req-1"));
    }

    #[test]
    fn ids_are_compared_whole_not_by_prefix_or_neighbours() {
        let mut ids = RequestIds::default();
        assert!(ids.claim("ab"));
        assert!(ids.claim("c"));
        // "abc" is in the text laid end to end, but was never claimed.
        assert!(ids.claim("abc"));
        assert!(ids.claim("a"));
        assert!(ids.claim(""));
        assert!(!ids.claim(""));
        assert!(!ids.claim("a"));
    }

    #[test]
    fn releasing_the_last_claim_takes_its_text_back() {
        let mut ids = RequestIds::default();
        assert!(ids.claim("kept"));
        for _ in 0..100 {
            assert!(ids.claim("retried-under-backpressure"));
            ids.release("retried-under-backpressure");
        }
        assert_eq!(ids.texts, "kept");
        // An id released out of order keeps its text, and stays free.
        assert!(ids.claim("second"));
        ids.release("kept");
        assert!(ids.claim("kept"));
        assert!(!ids.claim("second"));
        // Releasing an id never claimed changes nothing.
        ids.release("never");
        assert!(!ids.claim("kept"));
    }
}
