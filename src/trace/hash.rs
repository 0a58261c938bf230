//! The event hash of TRACE.md: SHA-256 over the event's fields, concatenated.

use super::hex;
use super::sha256_lanes::digest_two;
use sha2::{Digest, Sha256};

/// The `previous_event_hash` of a session's first event: 64 zeros.
pub const GENESIS_HASH_HEX: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields one event hash covers, as the text TRACE.md concatenates.
///
/// The text is `str` for readers of JSON; the sealer, which formats ids and
/// hashes itself, passes the ASCII bytes it wrote (`Text = [u8]`) and so
/// skips re-validating them as UTF-8.
#[derive(Clone, Copy, Debug)]
pub struct HashInput<'a, Text: ?Sized = str> {
    pub prefix: HashPrefix<'a, Text>,
    /// Last in the text, so a chain's events can be hashed up to here
    /// before the event before them is (`chain_hasher`).
    pub previous_event_hash: &'a Text,
}

/// Every field an event hash covers but the previous event's hash.
#[derive(Debug)]
pub struct HashPrefix<'a, Text: ?Sized = str> {
    pub trace_version: &'a Text,
    pub event_id: &'a Text,
    pub trace_id: &'a Text,
    pub span_id: &'a Text,
    /// `None` hashes as the empty string.
    pub parent_span_id: Option<&'a Text>,
    pub session_id: &'a Text,
    pub sequence: u64,
    pub timestamp: &'a Text,
    pub event_type: &'a Text,
    /// `canonical_json(payload)`.
    pub canonical_payload: &'a Text,
}

// Copied as the references they hold, whatever `Text` is (a derive would
// require `Text: Copy`, which `[u8]` is not).
impl<Text: ?Sized> Clone for HashPrefix<'_, Text> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Text: ?Sized> Copy for HashPrefix<'_, Text> {}

/// SHA-256 of the TRACE.md concatenation, fed to the hasher piece by
/// piece (nothing to allocate). Callers that hash many events keep a
/// [`HashText`] instead: one contiguous text hashes faster.
pub fn event_hash<Text: AsRef<[u8]> + ?Sized>(input: &HashInput<'_, Text>) -> [u8; 32] {
    let mut sequence_text = itoa::Buffer::new();
    let mut hasher = Sha256::new();
    for piece in input.prefix.pieces(&mut sequence_text) {
        hasher.update(piece);
    }
    hasher.update(input.previous_event_hash.as_ref());
    hasher.finalize().into()
}

/// A buffer the TRACE.md concatenation is assembled in.
///
/// The pieces are copied into one contiguous buffer and hashed in a single
/// call: feeding eleven short pieces to the hasher one by one costs about a
/// quarter more than the copy (it buffers and re-checks each piece). The
/// buffer is kept from one event to the next.
#[derive(Default)]
pub struct HashText {
    bytes: Vec<u8>,
}

impl HashText {
    pub fn new() -> HashText {
        HashText::default()
    }

    /// SHA-256 of the TRACE.md concatenation of `input`.
    pub fn hash<Text: AsRef<[u8]> + ?Sized>(&mut self, input: &HashInput<'_, Text>) -> [u8; 32] {
        Sha256::digest(self.assemble(input)).into()
    }

    /// The TRACE.md concatenation of `input`, the bytes its hash covers.
    pub fn assemble<Text: AsRef<[u8]> + ?Sized>(&mut self, input: &HashInput<'_, Text>) -> &[u8] {
        self.bytes.clear();
        input.prefix.append_to(&mut self.bytes);
        self.bytes
            .extend_from_slice(input.previous_event_hash.as_ref());
        &self.bytes
    }
}

impl<Text: AsRef<[u8]> + ?Sized> HashPrefix<'_, Text> {
    /// The pieces TRACE.md concatenates before the previous event's hash,
    /// in order. `sequence_text` holds the sequence number's digits.
    pub fn pieces<'p>(&'p self, sequence_text: &'p mut itoa::Buffer) -> [&'p [u8]; 10] {
        [
            self.trace_version.as_ref(),
            self.event_id.as_ref(),
            self.trace_id.as_ref(),
            self.span_id.as_ref(),
            self.parent_span_id.map_or(&[], AsRef::as_ref),
            self.session_id.as_ref(),
            sequence_text.format(self.sequence).as_bytes(),
            self.timestamp.as_ref(),
            self.event_type.as_ref(),
            self.canonical_payload.as_ref(),
        ]
    }

    /// Appends the pieces to `text`, in order.
    pub fn append_to(&self, text: &mut Vec<u8>) {
        let mut sequence_text = itoa::Buffer::new();
        let pieces = self.pieces(&mut sequence_text);
        text.reserve(pieces.iter().map(|piece| piece.len()).sum());
        for piece in pieces {
            text.extend_from_slice(piece);
        }
    }
}

/// Two [`HashText`]s, for verifiers that hash events two at a time.
///
/// SHA-256 is latency-bound: hashing two independent texts together
/// (`sha256_lanes::digest_two`) costs about what hashing one does, so a
/// verifier that recomputes many event hashes pairs them up and hashes a
/// lone event (the last, say) with [`HashTextPair::hash_one`].
#[derive(Default)]
pub struct HashTextPair {
    texts: [HashText; 2],
}

impl HashTextPair {
    /// SHA-256 of the TRACE.md concatenation of each of `inputs`, in order.
    pub fn hash_two<Text: AsRef<[u8]> + ?Sized>(
        &mut self,
        [first, second]: [&HashInput<'_, Text>; 2],
    ) -> [[u8; 32]; 2] {
        let [first_text, second_text] = &mut self.texts;
        digest_two(first_text.assemble(first), second_text.assemble(second))
    }

    /// SHA-256 of the TRACE.md concatenation of `input` alone.
    pub fn hash_one<Text: AsRef<[u8]> + ?Sized>(
        &mut self,
        input: &HashInput<'_, Text>,
    ) -> [u8; 32] {
        self.texts[0].hash(input)
    }
}

/// `hash` as 64 lowercase hex digits, the form events carry.
pub fn hex_lower(hash: &[u8; 32]) -> String {
    let mut text = [0u8; 64];
    hex_text(&mut text, hash).to_owned()
}

/// Writes `hash` as 64 lowercase hex digits (ASCII) into `out`.
pub fn write_hex_lower(out: &mut [u8; 64], hash: &[u8; 32]) {
    hex::encode_lower(hash, out);
}

/// `hash` as 64 lowercase hex digits in `out`, returned as text (no allocation).
pub fn hex_text<'a>(out: &'a mut [u8; 64], hash: &[u8; 32]) -> &'a str {
    write_hex_lower(out, hash);
    hex::as_text(out)
}

/// The hash that 64 lowercase hex digits spell; `None` for anything else
/// (uppercase included: TRACE.md allows lowercase only).
pub fn parse_hex_hash(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (bytes, digits) in hash.chunks_exact_mut(8).zip(s.as_bytes().chunks_exact(16)) {
        bytes.copy_from_slice(&hex::decode_u64(digits)?.to_be_bytes());
    }
    Some(hash)
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
                prefix: HashPrefix {
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
                },
                previous_event_hash: str_field(event, "previous_event_hash"),
            };
            assert_eq!(
                hex_lower(&event_hash(&input)),
                str_field(event, "event_hash")
            );
        }
    }

    /// A genesis event with one-letter ids, whose text is
    /// `1.0etsx{sequence}tstype{payload}` and 64 zeros.
    fn short_input(sequence: u64, payload: &str) -> HashInput<'_> {
        HashInput {
            prefix: HashPrefix {
                trace_version: "1.0",
                event_id: "e",
                trace_id: "t",
                span_id: "s",
                parent_span_id: None,
                session_id: "x",
                sequence,
                timestamp: "ts",
                event_type: "type",
                canonical_payload: payload,
            },
            previous_event_hash: GENESIS_HASH_HEX,
        }
    }

    #[test]
    fn hash_matches_one_contiguous_sha256() {
        let input = short_input(42, "{\"a\":1}");
        let concatenated = format!("1.0etsx42tstype{{\"a\":1}}{GENESIS_HASH_HEX}");
        let expected: [u8; 32] = Sha256::digest(concatenated.as_bytes()).into();
        assert_eq!(event_hash(&input), expected);
        let with_parent = HashInput {
            prefix: HashPrefix {
                parent_span_id: Some("p"),
                ..input.prefix
            },
            ..input
        };
        let concatenated = format!("1.0etspx42tstype{{\"a\":1}}{GENESIS_HASH_HEX}");
        let expected: [u8; 32] = Sha256::digest(concatenated.as_bytes()).into();
        assert_eq!(event_hash(&with_parent), expected);
        // A large payload, after a small one, in the same buffer.
        let large_payload = format!("{{\"a\":\"{}\"}}", "x".repeat(1000));
        let large = HashInput {
            prefix: HashPrefix {
                canonical_payload: large_payload.as_str(),
                ..input.prefix
            },
            ..input
        };
        let concatenated = format!("1.0etsx42tstype{large_payload}{GENESIS_HASH_HEX}");
        let expected: [u8; 32] = Sha256::digest(concatenated.as_bytes()).into();
        let mut text = HashText::new();
        text.hash(&input);
        assert_eq!(text.hash(&large), expected);
        // The sealer's byte form hashes the same as the text form.
        let bytes = HashInput {
            prefix: HashPrefix {
                trace_version: b"1.0".as_slice(),
                event_id: b"e",
                trace_id: b"t",
                span_id: b"s",
                parent_span_id: Some(b"p"),
                session_id: b"x",
                sequence: 42,
                timestamp: b"ts",
                event_type: b"type",
                canonical_payload: b"{\"a\":1}",
            },
            previous_event_hash: GENESIS_HASH_HEX.as_bytes(),
        };
        assert_eq!(event_hash(&bytes), event_hash(&with_parent));
    }

    #[test]
    fn a_pair_of_texts_hashes_each_input_as_event_hash_does() {
        let small = short_input(7, "{}");
        let payload = format!("{{\"a\":\"{}\"}}", "x".repeat(500));
        let large = HashInput {
            prefix: HashPrefix {
                parent_span_id: Some("p"),
                canonical_payload: payload.as_str(),
                ..small.prefix
            },
            ..small
        };
        let mut pair = HashTextPair::default();
        // Either order, and reused: the buffers keep no trace of before.
        for [first, second] in [[&small, &large], [&large, &small], [&small, &small]] {
            assert_eq!(
                pair.hash_two([first, second]),
                [event_hash(first), event_hash(second)]
            );
            assert_eq!(pair.hash_one(second), event_hash(second));
        }
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
