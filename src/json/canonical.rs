//! Canonical JSON: byte-for-byte what Python's
//! `json.dumps(value, sort_keys=True, separators=(",", ":"))` prints.
//!
//! Event hashes cover this form (TRACE.md, "The hash"), so every byte must
//! match what an independent Python verifier computes. [`write_canonical`]
//! serializes a parsed [`Value`]; [`super::canonical_check::is_canonical`]
//! tells whether text already is in this form.

use super::python_float::write_python_float;
use super::string_end::printable_ascii_len;
use std::fmt;

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

pub(crate) fn is_integer_literal(literal: &str) -> bool {
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
