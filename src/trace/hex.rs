//! Lowercase hexadecimal, the text form of TRACE's hashes and ids.
//!
//! Every event hashes the hex text of two new UUIDs and of the previous
//! hash, so this runs several times per event: one table lookup per byte
//! (instead of two nibble lookups and shifts) keeps it off the profile.

/// `PAIRS[b]` is the two lowercase hex digits of byte `b`.
static PAIRS: [[u8; 2]; 256] = pairs();

const fn pairs() -> [[u8; 2]; 256] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = [DIGITS[byte >> 4], DIGITS[byte & 0xf]];
        byte += 1;
    }
    table
}

/// Writes `bytes` as lowercase hex into `out`, two digits per byte.
/// `out` must be exactly twice as long as `bytes`.
pub fn encode_lower(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), bytes.len() * 2);
    for (digits, &byte) in out.chunks_exact_mut(2).zip(bytes) {
        digits.copy_from_slice(&PAIRS[usize::from(byte)]);
    }
}

/// The value of at most 16 lowercase hex digits; `None` when any byte is
/// not one (upper case included: TRACE writes lowercase only).
pub fn decode_u64(digits: &[u8]) -> Option<u64> {
    debug_assert!(digits.len() <= 16);
    digits.iter().try_fold(0u64, |value, &byte| {
        let digit = DIGIT_VALUES[usize::from(byte)];
        (digit < 16).then(|| value << 4 | u64::from(digit))
    })
}

/// The value of the eight lowercase hex digits of `word`, the first in its
/// highest byte (as `u64::from_be_bytes` reads them); `None` when any byte
/// is not one. Every request's session id is decoded this way: eight
/// digits at a time, with no branch per digit.
pub fn decode_eight(word: u64) -> Option<u32> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const TOPS: u64 = ONES * 0x80;
    const LOW_FOURS: u64 = ONES * 0x0f;
    // For a byte below 0x80, adding 0x80 - n sets its top bit exactly when
    // it is at least n, without carrying into the next byte. Bytes from
    // 0x80 up (which may carry) are refused on their own by `!word`.
    let at_least = |n: u8| word.wrapping_add(ONES * u64::from(0x80 - n));
    let digits = at_least(b'0') & !at_least(b'9' + 1);
    let letters = at_least(b'a') & !at_least(b'f' + 1);
    if (digits | letters) & !word & TOPS != TOPS {
        return None;
    }
    // A digit's value is its low four bits; a letter's, those plus 9.
    let values = (word & LOW_FOURS) + ((letters >> 7) & ONES) * 9;
    // Pack the eight values: pairs into bytes, bytes into 16-bit halves,
    // halves into the result.
    let bytes = (values >> 4 | values) & 0x00ff_00ff_00ff_00ff;
    let halves = (bytes >> 8 | bytes) & 0x0000_ffff_0000_ffff;
    Some((halves >> 16 | halves) as u32)
}

/// The value of each lowercase hex digit; 0xff for every other byte.
static DIGIT_VALUES: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut digit = 0;
    while digit < 16 {
        table[b"0123456789abcdef"[digit] as usize] = digit as u8;
        digit += 1;
    }
    table
};

/// Text this module wrote: hex digits (and a caller's ASCII separators).
pub fn as_text(ascii: &[u8]) -> &str {
    // Validating a few dozen ASCII bytes is cheap next to what it saves
    // us: an `unsafe` conversion that a later edit could make wrong.
    std::str::from_utf8(ascii).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_byte_becomes_its_two_lowercase_digits() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut out = vec![0u8; 512];
        encode_lower(&bytes, &mut out);
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(as_text(&out), expected);
    }

    proptest! {
        #[test]
        fn decodes_eight_digits_as_one_at_a_time(
            digits in prop::array::uniform8(prop_oneof![
                16 => prop::sample::select(b"0123456789abcdef".to_vec()),
                1 => any::<u8>(),
            ]),
        ) {
            let one_at_a_time = decode_u64(&digits).map(|value| value as u32);
            prop_assert_eq!(decode_eight(u64::from_be_bytes(digits)), one_at_a_time);
        }
    }

    #[test]
    fn decodes_lowercase_digits_only() {
        assert_eq!(decode_u64(b"0123456789abcdef"), Some(0x0123_4567_89ab_cdef));
        assert_eq!(decode_u64(b"ff"), Some(255));
        assert_eq!(decode_u64(b""), Some(0));
        for bad in [&b"fF"[..], b"g0", b"-1", b" 1", b"\xff"] {
            assert_eq!(decode_u64(bad), None, "{bad:?}");
        }
    }
}
