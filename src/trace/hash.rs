//! The event hash of TRACE.md: SHA-256 over the event's fields, concatenated.

use sha2::{Digest, Sha256};

/// The `previous_event_hash` of a session's first event: 64 zeros.
pub const GENESIS_HASH_HEX: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields one event hash covers, as the text TRACE.md concatenates.
#[derive(Clone, Copy, Debug)]
pub struct HashInput<'a> {
    pub trace_version: &'a str,
    pub event_id: &'a str,
    pub trace_id: &'a str,
    pub span_id: &'a str,
    /// `None` hashes as the empty string.
    pub parent_span_id: Option<&'a str>,
    pub session_id: &'a str,
    pub sequence: u64,
    pub timestamp: &'a str,
    pub event_type: &'a str,
    /// `canonical_json(payload)`.
    pub canonical_payload: &'a str,
    pub previous_event_hash: &'a str,
}

/// SHA-256 of the TRACE.md concatenation.
///
/// The pieces are copied into one contiguous buffer and hashed in a single
/// call: feeding eleven short pieces to the hasher one by one costs about a
/// quarter more than the copy (it buffers and re-checks each piece).
pub fn event_hash(input: &HashInput<'_>) -> [u8; 32] {
    let mut sequence_text = DecimalBuf::default();
    let pieces = [
        input.trace_version,
        input.event_id,
        input.trace_id,
        input.span_id,
        input.parent_span_id.unwrap_or(""),
        input.session_id,
        sequence_text.format(input.sequence),
        input.timestamp,
        input.event_type,
        input.canonical_payload,
        input.previous_event_hash,
    ];
    let len: usize = pieces.iter().map(|piece| piece.len()).sum();
    if len <= INLINE_HASH_TEXT {
        let mut text = [0u8; INLINE_HASH_TEXT];
        let mut end = 0;
        for piece in pieces {
            text[end..end + piece.len()].copy_from_slice(piece.as_bytes());
            end += piece.len();
        }
        Sha256::digest(&text[..end]).into()
    } else {
        Sha256::digest(pieces.concat().as_bytes()).into()
    }
}

/// Hash texts up to this size are assembled on the stack; a typical event's
/// is 350–450 bytes (7 or 8 SHA-256 blocks), a large payload's goes to the heap.
const INLINE_HASH_TEXT: usize = 512;

/// A u64 in decimal without touching the heap.
#[derive(Default)]
struct DecimalBuf {
    digits: [u8; 20],
}

impl DecimalBuf {
    fn format(&mut self, mut n: u64) -> &str {
        let mut start = self.digits.len();
        loop {
            start -= 1;
            self.digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        // Only ASCII digits were written.
        std::str::from_utf8(&self.digits[start..]).unwrap_or("")
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `hash` as 64 lowercase hex digits, the form events carry.
pub fn hex_lower(hash: &[u8; 32]) -> String {
    let mut text = [0u8; 64];
    write_hex_lower(&mut text, hash);
    text.iter().map(|&b| char::from(b)).collect()
}

/// Writes `hash` as 64 lowercase hex digits (ASCII) into `out`.
pub fn write_hex_lower(out: &mut [u8; 64], hash: &[u8; 32]) {
    for (pair, byte) in out.chunks_exact_mut(2).zip(hash) {
        pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
        pair[1] = HEX_DIGITS[usize::from(byte & 0xf)];
    }
}

/// `hash` as 64 lowercase hex digits in `out`, returned as text (no allocation).
pub fn hex_text<'a>(out: &'a mut [u8; 64], hash: &[u8; 32]) -> &'a str {
    write_hex_lower(out, hash);
    // Every byte written is one of HEX_DIGITS.
    std::str::from_utf8(out).unwrap_or_default()
}

/// The hash that 64 lowercase hex digits spell; `None` for anything else
/// (uppercase included: TRACE.md allows lowercase only).
pub fn parse_hex_hash(s: &str) -> Option<[u8; 32]> {
    let text: &[u8; 64] = s.as_bytes().try_into().ok()?;
    let mut hash = [0u8; 32];
    for (byte, pair) in hash.iter_mut().zip(text.chunks_exact(2)) {
        *byte = lower_hex_value(pair[0])? << 4 | lower_hex_value(pair[1])?;
    }
    Some(hash)
}

fn lower_hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::canonical_json::canonical_json;
    use serde_json::Value;

    const VECTOR: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/spec/vectors/chain-valid.jsonl"
    );

    fn str_field<'v>(event: &'v Value, name: &str) -> &'v str {
        event[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} is a string"))
    }

    #[test]
    fn vector_events_hash_to_their_event_hash() {
        let text = std::fs::read_to_string(VECTOR).expect("the shared spec sits beside the repo");
        let events: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("vector line is JSON"))
            .collect();
        assert_eq!(events.len(), 3);
        for event in &events {
            let payload = canonical_json(&event["payload"]).expect("finite payload");
            let input = HashInput {
                trace_version: str_field(event, "trace_version"),
                event_id: str_field(event, "event_id"),
                trace_id: str_field(event, "trace_id"),
                span_id: str_field(event, "span_id"),
                parent_span_id: event["parent_span_id"].as_str(),
                session_id: str_field(event, "session_id"),
                sequence: event["sequence"].as_u64().expect("sequence"),
                timestamp: str_field(event, "timestamp"),
                event_type: str_field(event, "event_type"),
                canonical_payload: &payload,
                previous_event_hash: str_field(event, "previous_event_hash"),
            };
            assert_eq!(
                hex_lower(&event_hash(&input)),
                str_field(event, "event_hash")
            );
        }
    }

    #[test]
    fn sequence_is_hashed_in_decimal() {
        let mut buf = DecimalBuf::default();
        assert_eq!(buf.format(0), "0");
        assert_eq!(buf.format(7), "7");
        assert_eq!(buf.format(1234567890), "1234567890");
        assert_eq!(buf.format(u64::MAX), "18446744073709551615");
    }

    #[test]
    fn hash_matches_one_contiguous_sha256() {
        let input = HashInput {
            trace_version: "1.0",
            event_id: "e",
            trace_id: "t",
            span_id: "s",
            parent_span_id: None,
            session_id: "x",
            sequence: 42,
            timestamp: "ts",
            event_type: "type",
            canonical_payload: "{\"a\":1}",
            previous_event_hash: GENESIS_HASH_HEX,
        };
        let concatenated = format!("1.0etsx42tstype{{\"a\":1}}{GENESIS_HASH_HEX}");
        let expected: [u8; 32] = Sha256::digest(concatenated.as_bytes()).into();
        assert_eq!(event_hash(&input), expected);
        let with_parent = HashInput {
            parent_span_id: Some("p"),
            ..input
        };
        let concatenated = format!("1.0etspx42tstype{{\"a\":1}}{GENESIS_HASH_HEX}");
        let expected: [u8; 32] = Sha256::digest(concatenated.as_bytes()).into();
        assert_eq!(event_hash(&with_parent), expected);
        // Past the inline buffer, the same bytes are hashed from the heap.
        let large_payload = format!("{{\"a\":\"{}\"}}", "x".repeat(INLINE_HASH_TEXT));
        let large = HashInput {
            canonical_payload: &large_payload,
            ..input
        };
        let concatenated = format!("1.0etsx42tstype{large_payload}{GENESIS_HASH_HEX}");
        let expected: [u8; 32] = Sha256::digest(concatenated.as_bytes()).into();
        assert_eq!(event_hash(&large), expected);
    }

    #[test]
    fn hex_round_trips_and_rejects_non_lowercase() {
        let hash: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
        let text = hex_lower(&hash);
        assert_eq!(text.len(), 64);
        assert_eq!(&text[..6], "052a4f");
        assert_eq!(parse_hex_hash(&text), Some(hash));
        assert_eq!(parse_hex_hash(GENESIS_HASH_HEX), Some([0; 32]));
        assert_eq!(parse_hex_hash(&text.to_uppercase()), None);
        assert_eq!(parse_hex_hash(&text[1..]), None);
        assert_eq!(parse_hex_hash(&format!("{text}0")), None);
        assert_eq!(parse_hex_hash(&format!("{}g", &text[1..])), None);
        assert_eq!(parse_hex_hash(&format!("é{}", &text[2..])), None);
        assert_eq!(parse_hex_hash(""), None);
    }
}
