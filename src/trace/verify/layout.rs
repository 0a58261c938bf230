//! Reading a JSONL line laid out exactly as libcra writes it
//! ([`crate::trace::export::write_jsonl`]): the members in TRACE.md's order, no
//! white space, unescaped ids, hashes and event type, the payload in
//! canonical form. Such lines are most of what gets verified, and in them
//! every member sits where the layout puts it, so finding the members takes
//! no JSON parser.
//!
//! Only lines that match the layout to the end *and* pass the shape rules
//! are read here; for anything else (another member order, white space,
//! escapes, a malformed member) `read` gives `None` and the general reader
//! takes the line. For a line read here the general reader would find the
//! very same members: twelve distinct names, plain strings (the shape rules
//! leave no room for `"` or `\` in ids and hashes, and the event type is
//! checked for them), a sequence in JSON's integer syntax, and a payload
//! that `is_canonical` checks to be exactly one JSON object.

use crate::json::is_canonical;
use crate::json::string_end::json_string_end;
use crate::time::timestamp::TIMESTAMP_LEN;
use crate::trace::event::ids::UUID_TEXT_LEN;
use crate::trace::event::shape::shape_error;
use crate::trace::event::{EventFields, EventView};

/// What follows the payload: the two hashes and the end of the object.
const TAIL: [&str; 3] = [",\"event_hash\":\"", "\",\"previous_event_hash\":\"", "\"}"];
const HASH_LEN: usize = 64;
const TAIL_LEN: usize = TAIL[0].len() + HASH_LEN + TAIL[1].len() + HASH_LEN + TAIL[2].len();

/// The event of `line` if it is in libcra's layout and well-shaped.
pub fn read(line: &str) -> Option<EventView<'_>> {
    let (head, tail) = line.split_at_checked(line.len().checked_sub(TAIL_LEN)?)?;
    let mut head = Cursor(head);
    let mut tail = Cursor(tail);
    let event_hash = tail.member(TAIL[0], HASH_LEN)?;
    let previous_event_hash = tail.member(TAIL[1], HASH_LEN)?;
    tail.expect(TAIL[2])?;
    let fields = EventFields {
        trace_version: head.member("{\"trace_version\":\"", 3)?,
        event_id: head.member("\",\"event_id\":\"", UUID_TEXT_LEN)?,
        trace_id: head.member("\",\"trace_id\":\"", UUID_TEXT_LEN)?,
        span_id: head.member("\",\"span_id\":\"", UUID_TEXT_LEN)?,
        parent_span_id: head.parent_span_id()?,
        session_id: head.member(",\"session_id\":\"", UUID_TEXT_LEN)?,
        sequence: head.sequence()?,
        timestamp: head.member(",\"timestamp\":\"", TIMESTAMP_LEN)?,
        event_type: head.event_type()?,
        canonical_payload: head.payload()?,
        previous_event_hash,
    };
    let event = EventView { fields, event_hash };
    if shape_error(&event).is_some() {
        return None;
    }
    Some(event)
}

/// The unread rest of a line.
///
/// Its small steps are always inlined: each compares with a constant
/// member name, which then takes a few instructions instead of a `memcmp`
/// call (a dozen a line).
struct Cursor<'a>(&'a str);

impl<'a> Cursor<'a> {
    #[inline(always)]
    fn expect(&mut self, text: &str) -> Option<()> {
        self.0 = self.0.strip_prefix(text)?;
        Some(())
    }

    #[inline(always)]
    fn take(&mut self, len: usize) -> Option<&'a str> {
        let (taken, rest) = self.0.split_at_checked(len)?;
        self.0 = rest;
        Some(taken)
    }

    /// `before`, then a member value of `len` bytes (whose shape the
    /// caller checks).
    #[inline(always)]
    fn member(&mut self, before: &str, len: usize) -> Option<&'a str> {
        self.expect(before)?;
        self.take(len)
    }

    fn parent_span_id(&mut self) -> Option<Option<&'a str>> {
        self.expect("\",\"parent_span_id\":")?;
        if self.expect("null").is_some() {
            return Some(None);
        }
        let parent = self.member("\"", UUID_TEXT_LEN)?;
        self.expect("\"")?;
        Some(Some(parent))
    }

    /// `0` or a digit string without leading zeros (JSON's syntax), that
    /// fits a u64.
    fn sequence(&mut self) -> Option<u64> {
        self.expect("\",\"sequence\":")?;
        let digits = self.0.bytes().take_while(u8::is_ascii_digit).count();
        let text = self.take(digits)?;
        if text.starts_with('0') && text.len() > 1 {
            return None;
        }
        text.parse().ok()
    }

    /// A string with nothing to unescape and no control character.
    fn event_type(&mut self) -> Option<&'a str> {
        self.expect("\",\"event_type\":\"")?;
        // The first byte that is not plain must be the closing quote.
        let len = json_string_end(self.0.as_bytes())?;
        let text = self.take(len)?;
        self.expect("\"")?;
        Some(text)
    }

    /// The rest, which must be one object in canonical form.
    fn payload(&mut self) -> Option<&'a str> {
        self.expect(",\"payload\":")?;
        let payload = std::mem::take(&mut self.0);
        (payload.starts_with('{') && is_canonical(payload)).then_some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{exported_lines, TestEvent};
    use crate::trace::event::{ChainIds, EventType, SealedEvent};
    use crate::trace::verify::line::{check_line, check_line_in_general, LineCheck};
    use proptest::prelude::*;
    use uuid::Uuid;

    /// Three events as libcra writes them: a genesis, then children.
    fn written_lines() -> Vec<String> {
        let ids = ChainIds {
            session_id: Uuid::from_u128(0x0193_6f2a_7c00_7000_8000_0000_0000_0001),
            trace_id: Uuid::from_u128(0x0193_6f2a_7c00_7000_8000_0000_0000_00aa),
        };
        let mut events: Vec<TestEvent> = Vec::new();
        for (n, payload) in [
            r#"{"agent_id":"agent-7","goal":"Deploy the billing service"}"#,
            r#"{"atlas_ids":["a"],"goal":"D\u00e9ployer \ud834\udd1e \"q\" \\ \n","n":-1.5e-07}"#,
            r#"{"nested":{"a":[true,false,null,{}],"b":12345678901234567890}}"#,
        ]
        .into_iter()
        .enumerate()
        {
            let event = TestEvent {
                event: SealedEvent {
                    event_id: Uuid::from_u128(0x0193_6f2a_7c00_7000_8000 << 48 | n as u128),
                    span_id: Uuid::from_u128(0x0193_6f2a_7c00_7000_8001 << 48 | n as u128),
                    parent_span_id: (n > 0)
                        .then(|| Uuid::from_u128(0x0193_6f2a_7c00_7000_8001 << 48)),
                    timestamp: 1_795_867_200_000_000 + n as i64,
                    event_type: EventType::RequestReceived,
                    payload_offset: 0,
                    event_hash: [0; 32],
                },
                payload: payload.into(),
            };
            events.push(event);
        }
        exported_lines(ids, events)
    }

    /// What checking `line` found, as text to compare.
    fn outcome(check: LineCheck<'_>) -> String {
        match check {
            LineCheck::Event(event) => format!("event {:?}", event.view()),
            LineCheck::Failed(failure) => format!("failed {failure:?}"),
            LineCheck::Unreadable(failure) => format!("unreadable {failure:?}"),
        }
    }

    fn assert_read_as_in_general(line: &str) {
        assert_eq!(
            outcome(check_line(line)),
            outcome(check_line_in_general(line)),
            "{line}"
        );
    }

    #[test]
    fn reads_the_lines_libcra_writes() {
        for line in written_lines() {
            let event = read(&line).expect("libcra's layout").fields;
            assert_eq!(event.trace_version, "1.0");
            assert!(event.canonical_payload.starts_with('{'));
            assert_eq!(event.previous_event_hash.len(), 64);
        }
        let first = &written_lines()[0];
        let event = read(first).expect("libcra's layout").fields;
        assert_eq!((event.parent_span_id, event.sequence), (None, 0));
        assert_eq!(event.event_type, "carp.request.received");
    }

    #[test]
    fn leaves_every_other_spelling_to_the_general_reader() {
        let line = &written_lines()[1];
        assert!(read(line).is_some());
        let others = [
            line.replacen("{", "{ ", 1),
            line.replace("\"sequence\":1", "\"sequence\":01"),
            line.replace("\"sequence\":1", "\"sequence\":-0"),
            line.replace("\"sequence\":1", "\"sequence\":1.0"),
            line.replace("\"sequence\":1", "\"sequence\":18446744073709551616"),
            line.replace("carp.request.received", "carp\\u002erequest.received"),
            line.replace("carp.request.received", "carp\trequest.received"),
            line.replace(
                "\"event_type\":\"carp.request.received\"",
                "\"event_type\":\"\"",
            ),
            line.replace("\"goal\"", "\"a_goal\""),
            line.replace("-1.5e-07", "-1.50e-07"),
            line.replace("D\\u00e9ployer", "Déployer"),
            line.replace("\"session_id\":\"0", "\"session_id\":\"A"),
            line.replace(",\"payload\":{", ",\"payload\":[{")
                .replace("},\"event_hash", "}],\"event_hash"),
            line.replace("\"1.0\"", "\"1.1\""),
            format!("{line} "),
            format!("{line}\r"),
            line[..line.len() - 1].to_owned(),
        ];
        for other in &others {
            assert_ne!(other, line);
            assert!(read(other).is_none(), "{other}");
        }
    }

    #[test]
    fn reads_what_the_general_reader_reads() {
        for line in written_lines() {
            assert!(read(&line).is_some());
            assert_read_as_in_general(&line);
            assert_read_as_in_general(&line.replace("ing", "ung"));
            assert_read_as_in_general(&line.replace("\"n\":-1.5", "\"n\":1.5"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::test_support::fuzz_cases(256)))]

        #[test]
        fn mutated_lines_are_read_as_in_general(
            line in 0usize..3,
            position in 0usize..1000,
            replacement in prop::sample::select(vec![
                "", "\"", "\\", "{", "}", "0", "1", "-", " ", "é", "\\u0041", "null", ",", "a",
            ]),
            cut in 0usize..3,
        ) {
            let text = &written_lines()[line];
            let mut position = position % (text.len() + 1);
            while !text.is_char_boundary(position) {
                position -= 1;
            }
            let end = (position + cut).min(text.len());
            let end = (end..=text.len()).find(|&e| text.is_char_boundary(e)).unwrap_or(text.len());
            assert_read_as_in_general(&format!("{}{}{}", &text[..position], replacement, &text[end..]));
        }
    }
}
