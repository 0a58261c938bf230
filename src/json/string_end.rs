//! Where the plain text of a JSON string ends, found eight bytes at a time.
//!
//! Strings are most of the bytes of a request and of a trace payload, and
//! most of their bytes need no escape, so the request scanner, the
//! canonical-JSON check, the JSON string writer and the JSONL layout
//! reader skip them a word at a time (with no `unsafe`).

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const TOPS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Where the first quote, backslash or control character of `bytes` is:
/// the end of a JSON string's text, unless it has escapes. `None` when
/// `bytes` has none.
pub fn json_string_end(bytes: &[u8]) -> Option<usize> {
    first_marked(bytes, quotes_and_controls, |byte| {
        byte == b'"' || byte == b'\\' || byte < 0x20
    })
}

/// How many bytes at the start of `bytes` are printable ASCII other than a
/// quote or a backslash: the bytes a canonical JSON string (TRACE.md, as
/// Python's `ensure_ascii` writes it) holds without an escape.
pub fn printable_ascii_len(bytes: &[u8]) -> usize {
    let not_printable = |word| quotes_and_controls(word) | delete_and_above(word);
    first_marked(bytes, not_printable, |byte| {
        byte == b'"' || byte == b'\\' || !(0x20..0x7f).contains(&byte)
    })
    .unwrap_or(bytes.len())
}

/// The position of the first byte of `bytes` that `is_marked`, looking at
/// whole words with `marks` first. `marks` must set the top bit of the
/// first marked byte of a little-endian word and of none before it.
fn first_marked(
    bytes: &[u8],
    marks: impl Fn(u64) -> u64,
    is_marked: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let found = marks(u64::from_le_bytes(word.try_into().ok()?));
        if found != 0 {
            return Some(offset + found.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    let in_tail = words.remainder().iter().position(|&byte| is_marked(byte))?;
    Some(offset + in_tail)
}

/// The top bit of each byte of `word` that is a quote, a backslash or a
/// control character, and of no byte before the first such byte.
///
/// In `word - 0x0101…01 * n`, a byte below `n` borrows and sets its top
/// bit. Borrows only spread upwards from a byte that really is below `n`,
/// so the lowest flagged byte is the first match.
fn quotes_and_controls(word: u64) -> u64 {
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word;
    (below(word ^ (ONES * u64::from(b'"')), 1)
        | below(word ^ (ONES * u64::from(b'\\')), 1)
        | below(word, 0x20))
        & TOPS
}

/// The top bit of each byte of `word` from 0x7f (DEL) up, and of no byte
/// before the first such byte: in `word + 0x0101…01` only a byte from 0x7f
/// up sets its top bit or carries into the next byte.
fn delete_and_above(word: u64) -> u64 {
    (word | word.wrapping_add(ONES)) & TOPS
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes that are mostly plain, with every kind of byte that ends a run.
    fn string_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![
                12 => prop::sample::select(vec![b'a', b' ', 0x21, 0x7e, 0x80, 0xa2, 0xdc, 0xff]),
                1 => prop::sample::select(vec![b'"', b'\\', 0x00, 0x01, 0x1f, 0x7f]),
            ],
            0..40,
        )
    }

    proptest! {
        #[test]
        fn json_string_end_finds_the_first_quote_backslash_or_control(bytes in string_bytes()) {
            let expected = bytes.iter().position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20);
            prop_assert_eq!(json_string_end(&bytes), expected);
        }

        #[test]
        fn printable_ascii_len_stops_at_the_first_byte_that_needs_an_escape(bytes in string_bytes()) {
            let needs_escape = |byte: u8| byte == b'"' || byte == b'\\' || !(0x20..=0x7e).contains(&byte);
            let expected = bytes.iter().position(|&byte| needs_escape(byte)).unwrap_or(bytes.len());
            prop_assert_eq!(printable_ascii_len(&bytes), expected);
        }
    }

    #[test]
    fn every_byte_is_classified_in_a_word_and_in_the_tail() {
        for byte in 0..=255u8 {
            let json_end = byte == b'"' || byte == b'\\' || byte < 0x20;
            let printable = (0x20..=0x7e).contains(&byte) && byte != b'"' && byte != b'\\';
            // Last byte of a whole word, then alone in the tail.
            for at in [7, 0] {
                let mut bytes = vec![b'a'; at + 1];
                bytes[at] = byte;
                assert_eq!(
                    json_string_end(&bytes),
                    json_end.then_some(at),
                    "{byte:#04x}"
                );
                let run = if printable { at + 1 } else { at };
                assert_eq!(printable_ascii_len(&bytes), run, "{byte:#04x}");
            }
        }
    }
}
