//! Hashes as events write them: 64 lowercase hex digits.

/// The `previous_event_hash` of a session's first event: 64 zeros.
pub const GENESIS_HASH_HEX: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `hash` as 64 lowercase hex digits, the form events carry.
pub fn hex_lower(hash: &[u8; 32]) -> String {
    let mut text = [0u8; 64];
    hex_text(&mut text, hash).to_owned()
}

/// Writes `hash` as 64 lowercase hex digits (ASCII) into `out`, which
/// holds 64 bytes.
pub fn write_hex_lower(out: &mut [u8], hash: &[u8; 32]) {
    debug_assert_eq!(out.len(), 64);
    for (digits, byte) in out.chunks_exact_mut(2).zip(hash) {
        digits[0] = HEX_DIGITS[usize::from(byte >> 4)];
        digits[1] = HEX_DIGITS[usize::from(byte & 0xf)];
    }
}

/// `hash` as 64 lowercase hex digits in `out`, returned as text (no allocation).
pub fn hex_text<'a>(out: &'a mut [u8; 64], hash: &[u8; 32]) -> &'a str {
    write_hex_lower(out, hash);
    // Only hex digits were written.
    std::str::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_written_as_lowercase_hex() {
        let hash: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
        let text = hex_lower(&hash);
        assert_eq!(text.len(), 64);
        assert_eq!(&text[..8], "052a4f74");
        assert_eq!(text, text.to_lowercase());
        assert_eq!(hex_lower(&[0; 32]), GENESIS_HASH_HEX);
    }
}
