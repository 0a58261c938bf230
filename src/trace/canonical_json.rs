//! Canonical JSON: byte-for-byte what Python's
//! `json.dumps(value, sort_keys=True, separators=(",", ":"))` prints.
//!
//! Event hashes cover this form (TRACE.md, "The hash"), so every byte must
//! match what an independent Python verifier computes. Two entry points:
//! [`write_canonical`] serializes a parsed [`Value`]; [`is_canonical`] tells,
//! without allocating, whether JSON text already is in canonical form, so a
//! verifier can hash the text it read as is (the usual case for traces libcra
//! writes) and parse only what is not.

use crate::string_end::printable_ascii_len;
use std::cmp::Ordering;
use std::fmt;
use std::fmt::Write as _;

use serde_json::{Number, Value};

/// A number that has no JSON form: Python would print `NaN` or `Infinity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonFinite {
    /// The number as written, e.g. `1e400`.
    pub literal: String,
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "number {} is not a finite float", self.literal)
    }
}

impl std::error::Error for NonFinite {}

/// `value` in canonical form.
pub fn canonical_json(value: &Value) -> Result<String, NonFinite> {
    let mut out = String::new();
    write_canonical(&mut out, value)?;
    Ok(out)
}

/// Appends `value` in canonical form to `out`. On error `out` holds a partial
/// value and should be discarded.
pub fn write_canonical(out: &mut String, value: &Value) -> Result<(), NonFinite> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => write_array(out, items)?,
        Value::Object(map) => write_object(out, map)?,
    }
    Ok(())
}

fn write_array(out: &mut String, items: &[Value]) -> Result<(), NonFinite> {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_canonical(out, item)?;
    }
    out.push(']');
    Ok(())
}

fn write_object(out: &mut String, map: &serde_json::Map<String, Value>) -> Result<(), NonFinite> {
    // The map is a BTreeMap (sorted by UTF-8 bytes = code points) unless some
    // crate in the build turns on serde_json's `preserve_order`; sort only then.
    let already_sorted = map
        .keys()
        .zip(map.keys().skip(1))
        .all(|(a, b)| a.as_bytes() < b.as_bytes());
    out.push('{');
    if already_sorted {
        write_members(out, map.iter())?;
    } else {
        let mut members: Vec<(&String, &Value)> = map.iter().collect();
        members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        write_members(out, members.into_iter())?;
    }
    out.push('}');
    Ok(())
}

fn write_members<'v>(
    out: &mut String,
    members: impl Iterator<Item = (&'v String, &'v Value)>,
) -> Result<(), NonFinite> {
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(out, key);
        out.push(':');
        write_canonical(out, value)?;
    }
    Ok(())
}

fn write_number(out: &mut String, n: &Number) -> Result<(), NonFinite> {
    // With `arbitrary_precision` the number keeps its literal; Python decides
    // int or float by the same syntax: a fraction or an exponent makes a float.
    let literal = n.as_str();
    if is_integer_literal(literal) {
        // Python ints have no negative zero.
        out.push_str(if literal == "-0" { "0" } else { literal });
        return Ok(());
    }
    match literal.parse::<f64>() {
        Ok(f) if f.is_finite() => {
            write_python_float(out, f);
            Ok(())
        }
        _ => Err(NonFinite {
            literal: literal.to_owned(),
        }),
    }
}

fn is_integer_literal(literal: &str) -> bool {
    !literal.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
}

/// Appends `s` as a JSON string literal the way Python's `ensure_ascii`
/// escapes it.
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    loop {
        // Printable ASCII goes as is, up to the next character to escape: a
        // run of ASCII bytes, so it ends on a character boundary.
        let (plain, to_escape) = rest
            .split_at_checked(printable_ascii_len(rest.as_bytes()))
            .unwrap_or(("", rest));
        out.push_str(plain);
        let mut chars = to_escape.chars();
        let Some(c) = chars.next() else { break };
        write_escaped_char(out, c);
        rest = chars.as_str();
    }
    out.push('"');
}

fn write_escaped_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        _ => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write_u_escape(out, *unit);
            }
        }
    }
}

fn write_u_escape(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)] as char);
    }
}

/// Appends Python's `repr(f)` of a finite float: shortest round-trip digits,
/// fixed notation for decimal exponents -4..=15, else `d[.ddd]e±XX`.
/// Non-finite input prints as Python would (`nan`, `inf`); callers reject it
/// before it reaches JSON.
pub fn write_python_float(out: &mut String, f: f64) {
    let mut buf = ReprBuf::new();
    out.push_str(python_float_repr(f, &mut buf));
}

/// Room for any `{:e}` of an f64 (at most 24 bytes) and any repr (at most 24).
const REPR_CAPACITY: usize = 32;

/// A stack buffer, so checking a float literal costs no allocation.
struct ReprBuf {
    bytes: [u8; REPR_CAPACITY],
    len: usize,
}

impl ReprBuf {
    fn new() -> Self {
        ReprBuf {
            bytes: [0; REPR_CAPACITY],
            len: 0,
        }
    }

    fn push_bytes(&mut self, s: &[u8]) {
        // Never truncates for f64 reprs; the guard only keeps this panic-free.
        let end = (self.len + s.len()).min(REPR_CAPACITY);
        let n = end - self.len;
        self.bytes[self.len..end].copy_from_slice(&s[..n]);
        self.len = end;
    }

    fn push_zeros(&mut self, count: usize) {
        for _ in 0..count {
            self.push_bytes(b"0");
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever pushed.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for ReprBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.len + s.len() > REPR_CAPACITY {
            return Err(fmt::Error);
        }
        self.push_bytes(s.as_bytes());
        Ok(())
    }
}

fn python_float_repr(f: f64, out: &mut ReprBuf) -> &str {
    if !f.is_finite() {
        out.push_bytes(if f.is_nan() {
            b"nan"
        } else if f > 0.0 {
            b"inf"
        } else {
            b"-inf"
        });
        return out.as_str();
    }
    let Some(decimal) = ShortestDecimal::of(f) else {
        return out.as_str();
    };
    if decimal.negative {
        out.push_bytes(b"-");
    }
    let digits = decimal.digits();
    if (-4..16).contains(&decimal.exponent) {
        write_fixed(out, digits, decimal.exponent);
    } else {
        write_scientific(out, digits, decimal.exponent);
    }
    out.as_str()
}

/// f = ±0.d1d2d3… × 10^(exponent + 1), with the fewest digits that round-trip.
struct ShortestDecimal {
    negative: bool,
    /// ASCII digits; an f64 never needs more than 17.
    digit_bytes: [u8; 24],
    digit_count: usize,
    /// Decimal exponent of the first digit.
    exponent: i32,
}

impl ShortestDecimal {
    fn of(f: f64) -> Option<Self> {
        let mut sci = ReprBuf::new();
        // `{:e}` prints the shortest round-trip digits as `[-]d[.ddd]e[-]x`.
        write!(sci, "{f:e}").ok()?;
        let text = sci.as_str();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = unsigned.split_once('e')?;
        let mut decimal = ShortestDecimal {
            negative,
            digit_bytes: [0; 24],
            digit_count: 0,
            exponent: exponent.parse().ok()?,
        };
        for digit in mantissa.bytes().filter(u8::is_ascii_digit) {
            *decimal.digit_bytes.get_mut(decimal.digit_count)? = digit;
            decimal.digit_count += 1;
        }
        decimal.prefer_even_on_exact_tie(f.abs());
        Some(decimal)
    }

    /// When f lies exactly halfway between two shortest candidates, Rust
    /// takes the upper one and Python (David Gay's dtoa) the one whose last
    /// digit is even: 563000000000000.25 is `…0.3` in Rust, `…0.2` in Python.
    fn prefer_even_on_exact_tie(&mut self, magnitude: f64) {
        let Some(&last) = self.digits().last() else {
            return;
        };
        if (last - b'0').is_multiple_of(2) {
            return;
        }
        for neighbour in [last - 1, last + 1] {
            if !neighbour.is_ascii_digit() {
                continue;
            }
            let midpoint_last = last.min(neighbour);
            if self.is_exactly(magnitude, midpoint_last, Some(b'5'))
                && self.is_exactly_parsed(magnitude, neighbour)
            {
                self.digit_bytes[self.digit_count - 1] = neighbour;
                return;
            }
        }
    }

    /// Whether these digits, with the last one replaced, parse back to `magnitude`.
    fn is_exactly_parsed(&self, magnitude: f64, last: u8) -> bool {
        let mut text = ReprBuf::new();
        self.write_sci(&mut text, last, None);
        text.as_str().parse::<f64>() == Ok(magnitude)
    }

    /// Whether `magnitude` equals, exactly, these digits with the last one
    /// replaced and `extra` appended.
    fn is_exactly(&self, magnitude: f64, last: u8, extra: Option<u8>) -> bool {
        let mut candidate = ReprBuf::new();
        self.write_sci(&mut candidate, last, extra);
        let Ok(parsed) = candidate.as_str().parse::<f64>() else {
            return false;
        };
        if parsed != magnitude {
            return false;
        }
        // Rare (a neighbour round-trips and the midpoint parses to f): now
        // compare against f's exact expansion, which never exceeds 767
        // significant digits, so 800 leaves nothing to rounding.
        let exact = format!("{magnitude:.800e}");
        let (exact_mantissa, exact_exponent) = exact.split_once('e').unwrap_or(("", ""));
        let (candidate_mantissa, candidate_exponent) =
            candidate.as_str().split_once('e').unwrap_or(("", ""));
        exact_exponent == candidate_exponent
            && exact_mantissa
                .strip_prefix(candidate_mantissa)
                .is_some_and(|rest| rest.bytes().all(|b| b == b'0'))
    }

    /// `d.ddd…e<exponent>` with the last digit replaced and `extra` appended.
    fn write_sci(&self, out: &mut ReprBuf, last: u8, extra: Option<u8>) {
        let digits = self.digits();
        let mut mantissa = [0u8; 26];
        let mut len = 0;
        for &d in &digits[..digits.len() - 1] {
            mantissa[len] = d;
            len += 1;
        }
        mantissa[len] = last;
        len += 1;
        if let Some(extra) = extra {
            mantissa[len] = extra;
            len += 1;
        }
        out.push_bytes(&mantissa[..1]);
        if len > 1 {
            out.push_bytes(b".");
            out.push_bytes(&mantissa[1..len]);
        }
        let _ = write!(out, "e{}", self.exponent);
    }

    fn digits(&self) -> &[u8] {
        &self.digit_bytes[..self.digit_count]
    }
}

fn write_fixed(out: &mut ReprBuf, digits: &[u8], exponent: i32) {
    if exponent < 0 {
        out.push_bytes(b"0.");
        out.push_zeros(exponent.unsigned_abs() as usize - 1);
        out.push_bytes(digits);
        return;
    }
    let int_len = exponent as usize + 1;
    let (int_digits, fraction) = digits.split_at(int_len.min(digits.len()));
    out.push_bytes(int_digits);
    out.push_zeros(int_len - int_digits.len());
    out.push_bytes(b".");
    // A whole float keeps `.0`.
    out.push_bytes(if fraction.is_empty() { b"0" } else { fraction });
}

fn write_scientific(out: &mut ReprBuf, digits: &[u8], exponent: i32) {
    let (first, rest) = digits.split_at(1.min(digits.len()));
    out.push_bytes(first);
    if !rest.is_empty() {
        out.push_bytes(b".");
        out.push_bytes(rest);
    }
    out.push_bytes(if exponent < 0 { b"e-" } else { b"e+" });
    let magnitude = exponent.unsigned_abs();
    if magnitude < 10 {
        out.push_bytes(b"0");
    }
    // Never fails: the buffer has room for any u32.
    let _ = write!(out, "{magnitude}");
}

/// Whether `text` is exactly what [`write_canonical`] prints for the value it
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
            is_canonical_float(literal)
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

fn is_canonical_float(literal: &str) -> bool {
    match literal.parse::<f64>() {
        Ok(f) if f.is_finite() => {
            let mut buf = ReprBuf::new();
            python_float_repr(f, &mut buf) == literal
        }
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
    use std::sync::{Mutex, OnceLock};

    fn canonical_of_text(text: &str) -> Result<String, NonFinite> {
        let value: Value = serde_json::from_str(text).expect("test input is JSON");
        canonical_json(&value)
    }

    fn repr(f: f64) -> String {
        let mut out = String::new();
        write_python_float(&mut out, f);
        out
    }

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        write_json_string(&mut out, s);
        out
    }

    #[test]
    fn strings_escape_like_python_ensure_ascii() {
        assert_eq!(escaped("plain / text"), r#""plain / text""#);
        assert_eq!(escaped("q\"b\\"), r#""q\"b\\""#);
        assert_eq!(escaped("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(escaped("\u{0}\u{1f}\u{7f}"), r#""\u0000\u001f\u007f""#);
        assert_eq!(escaped("é✓"), r#""\u00e9\u2713""#);
        assert_eq!(escaped("𝄞"), r#""\ud834\udd1e""#);
        assert_eq!(escaped("\u{ffff}\u{10ffff}"), r#""\uffff\udbff\udfff""#);
        assert_eq!(escaped("a\u{e9}b\u{1}c"), r#""a\u00e9b\u0001c""#);
        assert_eq!(escaped(""), r#""""#);
    }

    #[test]
    fn floats_print_as_python_repr() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (2.5, "2.5"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e-7, "1e-07"),
            (1.5e-7, "1.5e-07"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (9999999999999998.0, "9999999999999998.0"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (-1.25e-10, "-1.25e-10"),
            (1234.5678, "1234.5678"),
            (0.000123, "0.000123"),
        ];
        for &(f, expected) in cases {
            assert_eq!(repr(f), expected, "repr of {f:e}");
        }
    }

    #[test]
    fn numbers_keep_python_int_float_distinction() {
        let text = r#"[0,-0,12345678901234567890123,-5,1.0,-0.0,1e2,1E-5,-0e0,2.50]"#;
        assert_eq!(
            canonical_of_text(text).unwrap(),
            "[0,0,12345678901234567890123,-5,1.0,-0.0,100.0,1e-05,-0.0,2.5]"
        );
        assert_eq!(canonical_json(&json!(1.0)).unwrap(), "1.0");
        assert_eq!(
            canonical_json(&json!(u64::MAX)).unwrap(),
            "18446744073709551615"
        );
        assert_eq!(
            canonical_json(&json!(i64::MIN)).unwrap(),
            "-9223372036854775808"
        );
    }

    #[test]
    fn non_finite_numbers_are_rejected() {
        for text in ["1e400", "[-1e999]", r#"{"a":{"b":1.8e308}}"#] {
            let err = canonical_of_text(text).unwrap_err();
            assert!(err.to_string().contains("not a finite float"), "{err}");
        }
        assert_eq!(canonical_of_text("1e-400").unwrap(), "0.0");
    }

    #[test]
    fn keys_sort_by_code_point_at_every_depth() {
        let text = r#"{"b":1,"a":{"z":[{"y":1,"x":2}],"é":0,"e":0,"𝄞":0,"\uffff":0,"A":0}}"#;
        assert_eq!(
            canonical_of_text(text).unwrap(),
            r#"{"a":{"A":0,"e":0,"z":[{"x":2,"y":1}],"\u00e9":0,"\uffff":0,"\ud834\udd1e":0},"b":1}"#
        );
    }

    #[test]
    fn unsorted_maps_are_sorted_even_when_built_by_hand() {
        let mut map = serde_json::Map::new();
        map.insert("b".into(), json!(1));
        map.insert("a".into(), json!(2));
        assert_eq!(
            canonical_json(&Value::Object(map)).unwrap(),
            r#"{"a":2,"b":1}"#
        );
    }

    #[test]
    fn vector_payload_canonical_form() {
        let text = r#"{"zeta":1,"action_id":"billing.invoice.create","result":"allow","policy_id":"allow-billing","nested":{"b":[1,2.5,true,null],"a":-17,"big":12345678901234567890,"small":1e-07,"ctl":"\u0001\u001f"}}"#;
        assert_eq!(
            canonical_of_text(text).unwrap(),
            r#"{"action_id":"billing.invoice.create","nested":{"a":-17,"b":[1,2.5,true,null],"big":12345678901234567890,"ctl":"\u0001\u001f","small":1e-07},"policy_id":"allow-billing","result":"allow","zeta":1}"#
        );
    }

    #[test]
    fn is_canonical_accepts_canonical_text() {
        for text in [
            "{}",
            "[]",
            "null",
            r#"{"a":[1,-2,0,1.5,-0.0,1e-05,1e+16,"x\"\\\n\u0001\u007f\u00e9\ud834\udd1e"],"b":{}}"#,
            r#"{"A":1,"e":2,"\u00e9":3,"\uffff":4,"\ud834\udd1e":5}"#,
        ] {
            assert!(is_canonical(text), "{text}");
        }
    }

    #[test]
    fn is_canonical_rejects_what_python_would_rewrite() {
        for text in [
            r#"{"a": 1}"#,
            r#" {}"#,
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":1}"#,
            r#"{"\u00e9":1,"z":2}"#,
            r#"{"\ud834\udd1e":1,"\uffff":2}"#,
            r#""é""#,
            r#""\/""#,
            r#""\u000a""#,
            r#""\u00E9""#,
            r#""\u0041""#,
            r#""\ud834""#,
            r#""\udd1e""#,
            r#""\ud834\u0041""#,
            "-0",
            "01",
            "1.50",
            "1e5",
            "1E-05",
            "1.0e+16",
            "1e400",
            "[1,]",
            "{",
            "\"abc",
            "nul",
            "",
            "[1]]",
        ] {
            assert!(!is_canonical(text), "{text}");
        }
        assert!(is_canonical("100"));
        assert!(is_canonical("1e+16"));
    }

    #[test]
    fn deep_nesting_is_left_to_the_full_parser() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(!is_canonical(&deep));
        let shallow = "[".repeat(MAX_CHECKED_DEPTH) + &"]".repeat(MAX_CHECKED_DEPTH);
        assert!(is_canonical(&shallow));
    }

    /// One `python3` for the whole test run, answering one line per line.
    struct PythonOracle {
        _child: Child,
        stdin: ChildStdin,
        stdout: BufReader<ChildStdout>,
    }

    const ORACLE_SCRIPT: &str = r#"
import json, sys
for raw in sys.stdin.buffer:
    v = json.loads(raw.decode("utf-8"))
    sys.stdout.write(json.dumps(v, sort_keys=True, separators=(",", ":")) + "\n")
    sys.stdout.flush()
"#;

    impl PythonOracle {
        fn start() -> Self {
            let mut child = Command::new("python3")
                .args(["-c", ORACLE_SCRIPT])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("python3 must be installed to run the canonical JSON tests");
            let stdin = child.stdin.take().expect("piped stdin");
            let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
            PythonOracle {
                _child: child,
                stdin,
                stdout,
            }
        }

        fn canonical(&mut self, json_text: &str) -> String {
            writeln!(self.stdin, "{json_text}").expect("write to python3");
            self.stdin.flush().expect("flush to python3");
            let mut line = String::new();
            self.stdout.read_line(&mut line).expect("read from python3");
            assert!(line.ends_with('\n'), "python3 failed on {json_text}");
            line.pop();
            line
        }
    }

    fn python_canonical(json_text: &str) -> String {
        static ORACLE: OnceLock<Mutex<PythonOracle>> = OnceLock::new();
        let oracle = ORACLE.get_or_init(|| Mutex::new(PythonOracle::start()));
        let mut guard = oracle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.canonical(json_text)
    }

    fn arb_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => proptest::char::range(' ', '~'),
            2 => proptest::char::range('\u{0}', '\u{1f}'),
            1 => Just('\u{7f}'),
            1 => prop::sample::select(vec!['"', '\\', '/', 'é', '✓', '\u{2028}', '\u{feff}']),
            2 => proptest::char::range('\u{80}', '\u{ffff}'),
            2 => proptest::char::range('\u{10000}', '\u{10ffff}'),
        ]
    }

    fn arb_string() -> impl Strategy<Value = String> {
        prop::collection::vec(arb_char(), 0..12).prop_map(|chars| chars.into_iter().collect())
    }

    fn arb_integer_literal() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|i| i.to_string()),
            any::<u64>().prop_map(|u| u.to_string()),
            Just("-0".to_owned()),
            "-?[1-9][0-9]{19,60}",
        ]
    }

    fn arb_float_literal() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| format!("{f:e}")),
            (-1e20f64..1e20).prop_map(|f| format!("{f}")),
            (-1e-3f64..1e-3).prop_map(|f| format!("{f:?}")),
            // Hand-written literals: rounding, overflow to inf, underflow to 0.
            "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,25})?[eE][-+]?[0-9]{1,3}",
            "-?(0|[1-9][0-9]{0,25})\\.[0-9]{1,25}",
        ]
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let number = prop_oneof![arb_integer_literal(), arb_float_literal()].prop_map(|literal| {
            Value::Number(serde_json::from_str(&literal).expect("generated a JSON number"))
        });
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            number,
            arb_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((arb_string(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    /// Doubles where shortest-digit ties are common: small dyadic fractions
    /// at magnitudes where they need 15-17 digits, plus random bit patterns.
    fn tie_prone_floats() -> Vec<f64> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut floats = vec![
            563000000000000.0 + 0.25, // an exact tie: Python prints …0.2
            0.5,
            2.5,
            1e22,
            1e21,
            9007199254740992.0,
            9007199254740994.0,
        ];
        for _ in 0..20_000 {
            let r = next();
            let mantissa = (r >> 11) as f64;
            let shift = (r % 80) as i32 - 10;
            floats.push(mantissa * 2f64.powi(-shift));
            floats.push(f64::from_bits(next()));
            let integer = (next() % 1_000_000_000_000_000) as f64;
            floats.push(integer + [0.25, 0.5, 0.125, 0.375, 0.0625][(r % 5) as usize]);
        }
        floats.retain(|f| f.is_finite());
        floats
    }

    #[test]
    fn float_repr_matches_python_on_tie_prone_values() {
        let floats = tie_prone_floats();
        for chunk in floats.chunks(2000) {
            let ours: Vec<String> = chunk.iter().map(|&f| repr(f)).collect();
            let text = format!("[{}]", ours.join(","));
            let expected = python_canonical(&text);
            let theirs: Vec<&str> = expected[1..expected.len() - 1].split(',').collect();
            for ((f, ours), theirs) in chunk.iter().zip(&ours).zip(theirs) {
                assert_eq!(ours, theirs, "repr of {:?} (bits {:#x})", f, f.to_bits());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn matches_python_json_dumps(value in arb_json()) {
            let text = serde_json::to_string(&value).expect("serializable");
            let python = python_canonical(&text);
            match canonical_json(&value) {
                Ok(ours) => prop_assert_eq!(ours, python),
                Err(_) => prop_assert!(
                    python.contains("Infinity"),
                    "we rejected a finite value: {} -> {}", text, python
                ),
            }
        }

        #[test]
        fn canonical_form_is_a_fixpoint(value in arb_json()) {
            if let Ok(canonical) = canonical_json(&value) {
                let reparsed: Value = serde_json::from_str(&canonical).expect("canonical is JSON");
                prop_assert_eq!(canonical_json(&reparsed), Ok(canonical.clone()));
                prop_assert!(is_canonical(&canonical), "not recognized: {}", canonical);
            }
        }

        #[test]
        fn is_canonical_iff_reserialization_is_identical(value in arb_json()) {
            // serde_json's own output is canonical only sometimes (raw UTF-8,
            // number spelling), which exercises both answers.
            let text = serde_json::to_string(&value).expect("serializable");
            let reparsed: Value = serde_json::from_str(&text).expect("JSON");
            let identical = canonical_json(&reparsed).as_deref() == Ok(text.as_str());
            prop_assert_eq!(is_canonical(&text), identical, "{}", text);
        }
    }
}
