//! SHA-256 with two hashes in flight on one thread.
//!
//! SHA-256 is latency-bound: each pair of rounds waits for the pair before.
//! With SHA-NI on this project's machines (AMD EPYC), `sha256rnds2` takes
//! about 1.4 ns to produce its result but the unit takes a new one at least
//! every 0.5 ns, so one hash leaves it idle most of the time: 50 ns a block.
//! Compressing a block of each of two independent hashes with their
//! instructions interleaved costs 50–58 ns, so 25–29 ns a block. Three or
//! four lanes measured within 10 % of two: the SHA unit is then busy, and
//! the sixteen vector registers run out.
//!
//! `sha2` hashes one message at a time and offers no interleaved kernel, so
//! [`compress_two`] is written here with the SHA-NI intrinsics. Everything
//! else (one block alone, and every CPU without SHA-NI) is `sha2`'s
//! compression function, which the tests also check the kernel against.
//!
//! Callers frame the blocks themselves: [`INITIAL_STATE`], whole blocks of
//! the message, then [`FinalBlocks`] (the rest and SHA-256's padding), as
//! [`digest_two`] does for two whole messages.

use sha2::digest::generic_array::GenericArray;
use std::slice;

/// SHA-256's block size.
pub(crate) const BLOCK: usize = 64;

/// A SHA-256 hash state: eight 32-bit words.
pub type State = [u32; 8];

/// SHA-256's initial hash value (FIPS 180-4, 5.3.3).
pub const INITIAL_STATE: State = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Compresses `blocks` (whole 64-byte blocks) into `state`.
pub fn compress_one(state: &mut State, blocks: &[u8]) {
    assert!(blocks.len().is_multiple_of(BLOCK), "whole blocks only");
    for block in blocks.chunks_exact(BLOCK) {
        sha2::compress256(state, slice::from_ref(GenericArray::from_slice(block)));
    }
}

/// Compresses `blocks_a` into `a` and `blocks_b` into `b`, the same number
/// of whole blocks each, the two hashes' rounds interleaved where the CPU
/// has SHA-NI.
pub fn compress_two(a: &mut State, blocks_a: &[u8], b: &mut State, blocks_b: &[u8]) {
    assert!(
        blocks_a.len() == blocks_b.len() && blocks_a.len().is_multiple_of(BLOCK),
        "the same number of whole blocks in both lanes"
    );
    #[cfg(target_arch = "x86_64")]
    if shani::available() {
        // SAFETY: the CPU has the instructions `shani::compress_two` uses.
        unsafe { shani::compress_two(a, blocks_a, b, blocks_b) };
        return;
    }
    compress_one(a, blocks_a);
    compress_one(b, blocks_b);
}

/// The hash a final state spells: its words, big-endian.
pub fn state_hash(state: &State) -> [u8; 32] {
    let mut hash = [0u8; 32];
    for (bytes, word) in hash.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    hash
}

/// The length of the whole blocks at the start of a message of `len` bytes.
pub fn whole_blocks(len: usize) -> usize {
    len / BLOCK * BLOCK
}

/// The last blocks of a message: the bytes after its whole blocks, then
/// SHA-256's padding (a one bit, zeros, and the message's length in bits
/// as the last eight bytes of a block).
pub struct FinalBlocks {
    bytes: [u8; Self::CAPACITY],
    len: usize,
}

impl FinalBlocks {
    /// Room for up to 127 bytes of message and the padding.
    const CAPACITY: usize = 3 * BLOCK;

    /// The final blocks of a message of `message_len` bytes that end with
    /// `pieces`, which together are shorter than two blocks.
    pub fn new(pieces: &[&[u8]], message_len: usize) -> FinalBlocks {
        let mut blocks = FinalBlocks {
            bytes: [0; Self::CAPACITY],
            len: 0,
        };
        blocks.refill(pieces, message_len);
        blocks
    }

    /// Makes these the final blocks of another message, as [`Self::new`].
    pub fn refill(&mut self, pieces: &[&[u8]], message_len: usize) {
        let mut end = 0;
        for piece in pieces {
            self.bytes[end..end + piece.len()].copy_from_slice(piece);
            end += piece.len();
        }
        assert!(
            end < 2 * BLOCK,
            "final blocks hold less than two blocks of message"
        );
        self.len = (end + 1 + 8).next_multiple_of(BLOCK);
        self.bytes[end] = 0x80;
        self.bytes[end + 1..self.len - 8].fill(0);
        let bits = message_len as u64 * 8;
        self.bytes[self.len - 8..self.len].copy_from_slice(&bits.to_be_bytes());
    }

    /// The blocks, one to three.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// One message being hashed: its state and the blocks left.
struct Message<'m> {
    state: State,
    blocks: MessageBlocks<'m>,
}

/// A message's blocks, as two runs: the message's whole blocks, then its
/// final blocks.
struct MessageBlocks<'m> {
    whole: &'m [u8],
    last: FinalBlocks,
    /// Bytes of blocks compressed so far.
    done: usize,
}

impl MessageBlocks<'_> {
    /// What is left of the current run; empty once all are compressed.
    fn run(&self) -> &[u8] {
        match self.whole.get(self.done..) {
            Some(whole) if !whole.is_empty() => whole,
            _ => &self.last.as_bytes()[self.done - self.whole.len()..],
        }
    }
}

impl<'m> Message<'m> {
    fn new(message: &'m [u8]) -> Message<'m> {
        let (whole, rest) = message.split_at(whole_blocks(message.len()));
        Message {
            state: INITIAL_STATE,
            blocks: MessageBlocks {
                whole,
                last: FinalBlocks::new(&[rest], message.len()),
                done: 0,
            },
        }
    }

    fn finish(mut self) -> [u8; 32] {
        loop {
            let run = self.blocks.run();
            if run.is_empty() {
                return state_hash(&self.state);
            }
            compress_one(&mut self.state, run);
            self.blocks.done += run.len();
        }
    }
}

/// The SHA-256 hashes of two independent messages, computed together.
pub fn digest_two(a: &[u8], b: &[u8]) -> [[u8; 32]; 2] {
    let (mut a, mut b) = (Message::new(a), Message::new(b));
    loop {
        let (run_a, run_b) = (a.blocks.run(), b.blocks.run());
        let len = run_a.len().min(run_b.len());
        if len == 0 {
            return [a.finish(), b.finish()];
        }
        compress_two(&mut a.state, &run_a[..len], &mut b.state, &run_b[..len]);
        a.blocks.done += len;
        b.blocks.done += len;
    }
}

#[cfg(target_arch = "x86_64")]
mod shani {
    //! The two-lane kernel. It follows the SHA-NI compression every
    //! implementation uses (Intel's "New Instructions Supporting the Secure
    //! Hash Algorithm on Intel Architecture Processors", 2013), with the
    //! instructions of the two lanes side by side in each group of four
    //! rounds.

    use super::{State, BLOCK};
    use std::arch::x86_64::*;

    /// SHA-256's round constants (FIPS 180-4, 4.2.2).
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    const LANES: usize = 2;

    /// Whether this CPU has the instructions the kernel uses (`std` caches
    /// the answer).
    pub fn available() -> bool {
        is_x86_feature_detected!("sha")
            && is_x86_feature_detected!("sse2")
            && is_x86_feature_detected!("ssse3")
            && is_x86_feature_detected!("sse4.1")
    }

    /// One lane's working registers: the state as SHA-NI keeps it (ABEF and
    /// CDGH) and the last four groups of message schedule words.
    #[derive(Clone, Copy)]
    struct Lane {
        abef: __m128i,
        cdgh: __m128i,
        words: [__m128i; 4],
    }

    /// # Safety
    /// The CPU must have SHA-NI, SSE2, SSSE3 and SSE4.1 ([`available`]).
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub unsafe fn compress_two(a: &mut State, blocks_a: &[u8], b: &mut State, blocks_b: &[u8]) {
        let mut states = [load(a), load(b)];
        for (block_a, block_b) in blocks_a
            .chunks_exact(BLOCK)
            .zip(blocks_b.chunks_exact(BLOCK))
        {
            let mut lanes = [start(states[0], block_a), start(states[1], block_b)];
            // Written out so that every index into `words` is a constant and
            // the lanes stay in registers.
            quad(&mut lanes, 0, false);
            quad(&mut lanes, 4, true);
            quad(&mut lanes, 8, true);
            quad(&mut lanes, 12, true);
            for (state, lane) in states.iter_mut().zip(&lanes) {
                state.0 = _mm_add_epi32(state.0, lane.abef);
                state.1 = _mm_add_epi32(state.1, lane.cdgh);
            }
        }
        store(a, states[0]);
        store(b, states[1]);
    }

    #[inline(always)]
    unsafe fn quad(lanes: &mut [Lane; LANES], first_group: usize, schedule: bool) {
        group::<0>(lanes, first_group, schedule);
        group::<1>(lanes, first_group + 1, schedule);
        group::<2>(lanes, first_group + 2, schedule);
        group::<3>(lanes, first_group + 3, schedule);
    }

    /// Four rounds in every lane; from round 16 on (`schedule`) the message
    /// words they use are first derived from the sixteen before them.
    #[inline(always)]
    unsafe fn group<const J: usize>(lanes: &mut [Lane; LANES], group: usize, schedule: bool) {
        let constants = _mm_loadu_si128(K.as_ptr().add(4 * group).cast());
        for lane in lanes.iter_mut() {
            let w = &mut lane.words;
            if schedule {
                let carried = _mm_alignr_epi8(w[(J + 3) % 4], w[(J + 2) % 4], 4);
                let partial = _mm_add_epi32(_mm_sha256msg1_epu32(w[J], w[(J + 1) % 4]), carried);
                w[J] = _mm_sha256msg2_epu32(partial, w[(J + 3) % 4]);
            }
            let round_inputs = _mm_add_epi32(w[J], constants);
            lane.cdgh = _mm_sha256rnds2_epu32(lane.cdgh, lane.abef, round_inputs);
            lane.abef =
                _mm_sha256rnds2_epu32(lane.abef, lane.cdgh, _mm_shuffle_epi32(round_inputs, 0x0E));
        }
    }

    /// A lane about to compress `block` from `state` (as [`load`] gives it).
    #[inline(always)]
    unsafe fn start((abef, cdgh): (__m128i, __m128i), block: &[u8]) -> Lane {
        let big_endian_words = _mm_set_epi64x(0x0c0d0e0f08090a0b, 0x0405060700010203);
        let word_group = |index: usize| {
            _mm_shuffle_epi8(
                _mm_loadu_si128(block[16 * index..].as_ptr().cast()),
                big_endian_words,
            )
        };
        Lane {
            abef,
            cdgh,
            words: [word_group(0), word_group(1), word_group(2), word_group(3)],
        }
    }

    /// Writes a state SHA-NI keeps back in the standard word order.
    #[inline(always)]
    unsafe fn store(state: &mut State, (abef, cdgh): (__m128i, __m128i)) {
        let feba = _mm_shuffle_epi32(abef, 0x1B);
        let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
        _mm_storeu_si128(state.as_mut_ptr().cast(), _mm_blend_epi16(feba, dchg, 0xF0));
        _mm_storeu_si128(
            state.as_mut_ptr().add(4).cast(),
            _mm_alignr_epi8(dchg, feba, 8),
        );
    }

    /// The state as SHA-NI keeps it: words A, B, E, F in one register and
    /// C, D, G, H in the other.
    #[inline(always)]
    unsafe fn load(state: &State) -> (__m128i, __m128i) {
        let dcba = _mm_loadu_si128(state.as_ptr().cast());
        let hgfe = _mm_loadu_si128(state.as_ptr().add(4).cast());
        let cdab = _mm_shuffle_epi32(dcba, 0xB1);
        let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
        (
            _mm_alignr_epi8(cdab, efgh, 8),
            _mm_blend_epi16(efgh, cdab, 0xF0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    fn sha256(message: &[u8]) -> [u8; 32] {
        Sha256::digest(message).into()
    }

    #[test]
    fn two_lanes_compress_as_one_lane_does() {
        let mut block_a = [0u8; BLOCK];
        let mut block_b = [0u8; BLOCK];
        for (index, (x, y)) in block_a.iter_mut().zip(&mut block_b).enumerate() {
            *x = (index * 131) as u8;
            *y = (index * 7 + 3) as u8;
        }
        let (mut a, mut b) = (INITIAL_STATE, INITIAL_STATE);
        b[5] ^= 0xdead_beef;
        let (mut expected_a, mut expected_b) = (a, b);
        for _ in 0..3 {
            compress_two(&mut a, &block_a, &mut b, &block_b);
            compress_one(&mut expected_a, &block_a);
            compress_one(&mut expected_b, &block_b);
            assert_eq!((a, b), (expected_a, expected_b));
            // Runs of blocks, the lanes' states carried from one to the next.
            let (run_a, run_b) = ([block_a, block_b].concat(), [block_b, block_a].concat());
            compress_two(&mut a, &run_a, &mut b, &run_b);
            compress_one(&mut expected_a, &run_a);
            compress_one(&mut expected_b, &run_b);
            assert_eq!((a, b), (expected_a, expected_b));
        }
    }

    #[test]
    fn messages_of_every_length_up_to_three_blocks_hash_as_sha2_does() {
        // Every place a message can end in its last block: the padding
        // needs one more block from 56 bytes on.
        let text: Vec<u8> = (0..3 * BLOCK as u32).map(|n| (n * 37 + 11) as u8).collect();
        for len in 0..=text.len() {
            let a = &text[..len];
            let b = &text[len / 3..];
            assert_eq!(
                digest_two(a, b),
                [sha256(a), sha256(b)],
                "lengths {len}, {}",
                b.len()
            );
        }
    }

    proptest! {
        #[test]
        fn two_messages_hash_as_sha2_hashes_each(
            a in prop::collection::vec(any::<u8>(), 0..700),
            b in prop::collection::vec(any::<u8>(), 0..700),
        ) {
            prop_assert_eq!(digest_two(&a, &b), [sha256(&a), sha256(&b)]);
        }
    }
}
