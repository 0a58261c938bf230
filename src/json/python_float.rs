//! Python's `repr(float)`, which canonical JSON prints floats as: the
//! shortest digits that read back as the same double, in fixed notation
//! for decimal exponents -4..=15, else `d[.ddd]e±XX`.

use std::fmt;
use std::fmt::Write as _;

/// Appends Python's `repr(f)` of a finite float: shortest round-trip digits,
/// fixed notation for decimal exponents -4..=15, else `d[.ddd]e±XX`.
/// Non-finite input prints as Python would (`nan`, `inf`); callers reject it
/// before it reaches JSON.
pub fn write_python_float(out: &mut String, f: f64) {
    let mut buf = ReprBuf::new();
    out.push_str(python_float_repr(f, &mut buf));
}

/// Whether `literal` is exactly Python's `repr` of the finite double it
/// denotes.
pub fn is_python_repr(literal: &str) -> bool {
    match literal.parse::<f64>() {
        Ok(f) if f.is_finite() => {
            let mut buf = ReprBuf::new();
            python_float_repr(f, &mut buf) == literal
        }
        _ => false,
    }
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
