//! FxHash, the hasher rustc uses for its own tables: one rotate, xor and
//! multiply per eight bytes, where std's SipHash-1-3 costs about a hundred
//! instructions for a 16-byte key.
//!
//! It resists no chosen keys, so only maps keyed by ids this library mints
//! (random UUIDv7s, see [`crate::sharded`]) use it; maps keyed by text a
//! caller chose (request ids) keep std's keyed hasher.

use std::hash::{BuildHasherDefault, Hasher};

/// A `BuildHasher` for std's maps.
pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// The multiplier of rustc's FxHasher (from Firefox's hash).
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Clone, Copy, Debug, Default)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn equal_keys_hash_equal_and_different_ones_differ() {
        let build = FxBuildHasher::default();
        let a = uuid::Uuid::from_u128(0x0193_6f2a_7c00_7000_8000_0000_0000_0001);
        let b = uuid::Uuid::from_u128(0x0193_6f2a_7c00_7000_8000_0000_0000_0002);
        assert_eq!(build.hash_one(a), build.hash_one(a));
        assert_ne!(build.hash_one(a), build.hash_one(b));
        assert_ne!(build.hash_one("abcdefgh1"), build.hash_one("abcdefgh2"));
    }
}
