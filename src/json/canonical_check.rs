//! Whether JSON text already is in canonical form, without parsing it
//! into a value: a verifier then hashes the text it read as is (the usual
//! case for traces libcra writes) and parses only what is not.

use super::canonical::is_integer_literal;
use super::python_float::is_python_repr;
use super::string_end::printable_ascii_len;
use std::cmp::Ordering;

/// Whether `text` is exactly what [`write_canonical`](super::canonical::write_canonical) prints for the value it
/// denotes: true only if parsing `text` and re-serializing it gives `text`
/// back, byte for byte. Anything unusual (white space, escapes Python would
/// not write, unsorted or duplicate keys, non-canonical numbers, lone
/// surrogates, nesting deeper than [`MAX_CHECKED_DEPTH`], invalid JSON)
/// answers false, leaving the decision to a full parse.
pub fn is_canonical(text: &str) -> bool {
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        pos: 0,
    };
    cursor.value(0) && cursor.pos == cursor.bytes.len()
}

/// Deeper payloads are not rejected, only sent down the full-parse path
/// (serde_json itself stops at 128).
pub const MAX_CHECKED_DEPTH: usize = 100;

struct Cursor<'t> {
    bytes: &'t [u8],
    pos: usize,
}

impl<'t> Cursor<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, expected: u8) -> bool {
        if self.peek() == Some(expected) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &[u8]) -> bool {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') if depth < MAX_CHECKED_DEPTH => self.object(depth + 1),
            Some(b'[') if depth < MAX_CHECKED_DEPTH => self.array(depth + 1),
            Some(b'"') => self.string().is_some(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.eat_word(b"true"),
            Some(b'f') => self.eat_word(b"false"),
            Some(b'n') => self.eat_word(b"null"),
            _ => false,
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        self.pos += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    fn object(&mut self, depth: usize) -> bool {
        self.pos += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous_key: Option<StringBody<'t>> = None;
        loop {
            let Some(key) = self.string() else {
                return false;
            };
            if let Some(previous) = previous_key {
                if compare_canonical_strings(previous, key) != Ordering::Less {
                    return false;
                }
            }
            previous_key = Some(key);
            if !self.eat(b':') || !self.value(depth) {
                return false;
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// A canonical string literal; returns its body (between the quotes).
    fn string(&mut self) -> Option<StringBody<'t>> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        let mut escaped = false;
        loop {
            // Most string bytes are plain printable ASCII: skip them first.
            self.pos += printable_ascii_len(self.bytes.get(self.pos..)?);
            match self.peek()? {
                b'"' => {
                    let text = &self.bytes[start..self.pos];
                    self.pos += 1;
                    return Some(StringBody { text, escaped });
                }
                b'\\' => {
                    self.escape()?;
                    escaped = true;
                }
                _ => return None,
            }
        }
    }

    /// One escape exactly as Python writes it (a surrogate pair counts as one).
    fn escape(&mut self) -> Option<()> {
        let kind = *self.bytes.get(self.pos + 1)?;
        if matches!(kind, b'"' | b'\\' | b'n' | b'r' | b't' | b'b' | b'f') {
            self.pos += 2;
            return Some(());
        }
        let unit = self.u_escape()?;
        match unit {
            0x08 | 0x09 | 0x0a | 0x0c | 0x0d => None,
            0x00..=0x1f | 0x7f..=0xd7ff | 0xe000..=0xffff => Some(()),
            0xd800..=0xdbff => match self.u_escape()? {
                0xdc00..=0xdfff => Some(()),
                _ => None,
            },
            _ => None,
        }
    }

    /// `\uXXXX` with lowercase hex digits.
    fn u_escape(&mut self) -> Option<u16> {
        let unit = parse_u_escape(self.bytes.get(self.pos..self.pos + 6)?)?;
        self.pos += 6;
        Some(unit)
    }

    fn number(&mut self) -> bool {
        let start = self.pos;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        let Ok(literal) = std::str::from_utf8(&self.bytes[start..self.pos]) else {
            return false;
        };
        if is_integer_literal(literal) {
            is_canonical_integer(literal)
        } else {
            is_python_repr(literal)
        }
    }
}

fn parse_u_escape(six: &[u8]) -> Option<u16> {
    let [b'\\', b'u', hex @ ..] = six else {
        return None;
    };
    hex.iter().try_fold(0u16, |acc, &h| {
        let digit = match h {
            b'0'..=b'9' => h - b'0',
            b'a'..=b'f' => h - b'a' + 10,
            _ => return None,
        };
        Some(acc << 4 | u16::from(digit))
    })
}

/// `0` or an optional `-` and digits without a leading zero; not `-0`.
fn is_canonical_integer(literal: &str) -> bool {
    let digits = literal.strip_prefix('-').unwrap_or(literal);
    let well_formed = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    well_formed && literal != "-0"
}

/// The body of a string literal that passed [`Cursor::string`].
#[derive(Clone, Copy)]
struct StringBody<'t> {
    /// Between the quotes, escapes as written.
    text: &'t [u8],
    /// Whether `text` holds an escape (noted while reading it, so keys are
    /// not scanned again to be compared).
    escaped: bool,
}

/// Orders two canonical string bodies by the code points they denote, as
/// Python's `sort_keys` does.
fn compare_canonical_strings(a: StringBody<'_>, b: StringBody<'_>) -> Ordering {
    // Printable ASCII sorts by its bytes; escapes need decoding, since `\`
    // (0x5c) sorts below, say, `é` (which canonical form writes `\u00e9`).
    if !a.escaped && !b.escaped {
        return a.text.cmp(b.text);
    }
    CodePoints::of(a).cmp(CodePoints::of(b))
}

/// The code points of a string body that passed [`Cursor::string`].
struct CodePoints<'t> {
    body: &'t [u8],
    pos: usize,
}

impl<'t> CodePoints<'t> {
    fn of(body: StringBody<'t>) -> CodePoints<'t> {
        CodePoints {
            body: body.text,
            pos: 0,
        }
    }
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let byte = *self.body.get(self.pos)?;
        if byte != b'\\' {
            self.pos += 1;
            return Some(u32::from(byte));
        }
        let kind = *self.body.get(self.pos + 1)?;
        let simple = match kind {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            _ => None,
        };
        if let Some(c) = simple {
            self.pos += 2;
            return Some(u32::from(c));
        }
        let high = parse_u_escape(self.body.get(self.pos..self.pos + 6)?)?;
        self.pos += 6;
        if !(0xd800..=0xdbff).contains(&high) {
            return Some(u32::from(high));
        }
        let low = parse_u_escape(self.body.get(self.pos..self.pos + 6)?)?;
        self.pos += 6;
        let low_bits = u32::from(low).checked_sub(0xdc00)?;
        Some(0x10000 + ((u32::from(high) - 0xd800) << 10) + low_bits)
    }
}
