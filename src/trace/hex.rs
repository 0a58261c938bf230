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

    #[test]
    fn every_byte_becomes_its_two_lowercase_digits() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut out = vec![0u8; 512];
        encode_lower(&bytes, &mut out);
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(as_text(&out), expected);
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
