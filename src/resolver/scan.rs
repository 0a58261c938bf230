//! A fast path for reading the requests hosts usually send.
//!
//! serde's generic machinery was half the cost of a whole resolve, yet
//! requests are small and flat. This scanner reads their common shape
//! directly: the members of [`Wire`], each at most once, strings without
//! escapes, arrays of such strings, `null` for optional members, and `{}`
//! for `context`. On anything else (an escape, a number, an unknown or
//! repeated member, a missing one, any syntax error) it gives up, and the
//! caller reads the text with serde, which also explains what is wrong. So
//! the scanner never reports an error itself, and whatever it accepts it
//! reads exactly as serde does (proptested below).

use super::wire::{Object, Wire, WireRequester, WireTask};
use crate::json::string_end::json_string_end;
use serde::de::IgnoredAny;
use std::borrow::Cow;

/// The request in `json`, when it has the common shape; `None` otherwise.
pub fn scan(json: &str) -> Option<Wire<'_>> {
    request(&mut Scanner { text: json, pos: 0 })
}

/// The members of an object that the scanner reads, in the order hosts
/// send them: that of CARP.md's template, which the C bench host and the
/// Go and Node bindings follow. See [`Scanner::key`].
type Members<M, const N: usize> = [(Key, M); N];

/// A member's key as it starts in compact JSON: `"name":`.
struct Key {
    compact: &'static str,
    /// The first 16 bytes of `compact`, zeros after its end.
    head: u128,
    /// Ones over the bytes of `head` that are `compact`'s.
    mask: u128,
}

impl Key {
    const fn new(compact: &'static str) -> Key {
        let bytes = compact.as_bytes();
        let (mut head, mut mask) = ([0u8; 16], [0u8; 16]);
        let mut at = 0;
        while at < bytes.len() && at < 16 {
            head[at] = bytes[at];
            mask[at] = 0xff;
            at += 1;
        }
        Key {
            compact,
            head: u128::from_le_bytes(head),
            mask: u128::from_le_bytes(mask),
        }
    }

    /// The member's name: the key without its quotes and colon.
    fn name(&self) -> &'static str {
        let compact = self.compact;
        compact
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix("\":"))
            .unwrap_or(compact)
    }

    /// Whether `text` starts with this key. Keys are short: one masked
    /// comparison of the next 16 bytes costs less than a call to `memcmp`.
    fn starts(&self, text: &[u8]) -> bool {
        match text.first_chunk::<16>() {
            Some(next) if self.compact.len() <= 16 => {
                u128::from_le_bytes(*next) & self.mask == self.head
            }
            _ => text.starts_with(self.compact.as_bytes()),
        }
    }
}

#[derive(Clone, Copy)]
enum RequestMember {
    CarpVersion,
    RequestId,
    Timestamp,
    Operation,
    Requester,
    Task,
    AtlasIds,
    Context,
}

const REQUEST_MEMBERS: Members<RequestMember, 8> = [
    (Key::new("\"carp_version\":"), RequestMember::CarpVersion),
    (Key::new("\"request_id\":"), RequestMember::RequestId),
    (Key::new("\"timestamp\":"), RequestMember::Timestamp),
    (Key::new("\"operation\":"), RequestMember::Operation),
    (Key::new("\"requester\":"), RequestMember::Requester),
    (Key::new("\"task\":"), RequestMember::Task),
    (Key::new("\"atlas_ids\":"), RequestMember::AtlasIds),
    (Key::new("\"context\":"), RequestMember::Context),
];

/// The request that is the whole text.
fn request<'a>(s: &mut Scanner<'a>) -> Option<Wire<'a>> {
    use RequestMember as M;
    let (mut carp_version, mut request_id, mut timestamp, mut operation) = (None, None, None, None);
    let (mut requester, mut task, mut atlas_ids, mut context) = (None, None, None, None);
    s.object(&REQUEST_MEMBERS, |s, member| match member {
        M::CarpVersion => fill(&mut carp_version, s.string()?),
        M::RequestId => fill(&mut request_id, s.string()?),
        M::Timestamp => fill(&mut timestamp, s.string()?),
        M::Operation => fill(&mut operation, s.string()?),
        M::Requester => fill(&mut requester, self::requester(s)?),
        M::Task => fill(&mut task, self::task(s)?),
        M::AtlasIds => fill(&mut atlas_ids, s.strings_or_null()?),
        M::Context => fill(&mut context, s.empty_object_or_null()?),
    })?;
    // Checked before the request is built, which then needs no moving.
    s.end()?;
    Some(Wire {
        carp_version: Cow::Borrowed(carp_version?),
        request_id: Cow::Borrowed(request_id?),
        timestamp: Cow::Borrowed(timestamp?),
        operation: Cow::Borrowed(operation?),
        requester: Object(requester?),
        task: Object(task?),
        atlas_ids: atlas_ids.flatten(),
        context: context.flatten(),
    })
}

// Named after the members, which all happen to be ids.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy)]
enum RequesterMember {
    AgentId,
    SessionId,
    ParentSessionId,
}

const REQUESTER_MEMBERS: Members<RequesterMember, 3> = [
    (Key::new("\"agent_id\":"), RequesterMember::AgentId),
    (Key::new("\"session_id\":"), RequesterMember::SessionId),
    (
        Key::new("\"parent_session_id\":"),
        RequesterMember::ParentSessionId,
    ),
];

fn requester<'a>(s: &mut Scanner<'a>) -> Option<WireRequester<'a>> {
    use RequesterMember as M;
    let (mut agent_id, mut session_id, mut parent_session_id) = (None, None, None);
    s.object(&REQUESTER_MEMBERS, |s, member| match member {
        M::AgentId => fill(&mut agent_id, s.string()?),
        M::SessionId => fill(&mut session_id, s.string()?),
        M::ParentSessionId => fill(&mut parent_session_id, s.string_or_null()?),
    })?;
    Some(WireRequester {
        agent_id: Cow::Borrowed(agent_id?),
        session_id: Cow::Borrowed(session_id?),
        parent_session_id: parent_session_id.flatten().map(Cow::Borrowed),
    })
}

#[derive(Clone, Copy)]
enum TaskMember {
    Goal,
    RiskTier,
    ContextHints,
    RequiredCapabilities,
}

const TASK_MEMBERS: Members<TaskMember, 4> = [
    (Key::new("\"goal\":"), TaskMember::Goal),
    (Key::new("\"risk_tier\":"), TaskMember::RiskTier),
    (Key::new("\"context_hints\":"), TaskMember::ContextHints),
    (
        Key::new("\"required_capabilities\":"),
        TaskMember::RequiredCapabilities,
    ),
];

fn task<'a>(s: &mut Scanner<'a>) -> Option<WireTask<'a>> {
    use TaskMember as M;
    let (mut goal, mut risk_tier) = (None, None);
    let (mut context_hints, mut required_capabilities) = (None, None);
    s.object(&TASK_MEMBERS, |s, member| match member {
        M::Goal => fill(&mut goal, s.string()?),
        M::RiskTier => fill(&mut risk_tier, s.string_or_null()?),
        M::ContextHints => fill(&mut context_hints, s.strings_or_null()?),
        M::RequiredCapabilities => fill(&mut required_capabilities, s.strings_or_null()?),
    })?;
    Some(WireTask {
        goal: Cow::Borrowed(goal?),
        risk_tier: risk_tier.flatten().map(Cow::Borrowed),
        context_hints: context_hints.flatten(),
        required_capabilities: required_capabilities.flatten(),
    })
}

/// Stores a member's value; `None` (give up) when the member came before,
/// which serde reports as an error.
fn fill<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// A position in the text. Every method returns `None` to give up.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// The text from the position on.
    fn rest(&self) -> &'a [u8] {
        self.text.as_bytes().get(self.pos..).unwrap_or_default()
    }

    /// Nothing but whitespace is left.
    fn end(&mut self) -> Option<()> {
        self.skip_whitespace();
        (self.pos == self.text.len()).then_some(())
    }

    fn skip_whitespace(&mut self) {
        let bytes = self.text.as_bytes();
        while matches!(bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        // Compact requests have no whitespace: check for that first.
        match self.text.as_bytes().get(self.pos) {
            Some(&byte) if byte > b' ' => Some(byte),
            _ => {
                self.skip_whitespace();
                self.text.as_bytes().get(self.pos).copied()
            }
        }
    }

    /// The next byte after whitespace, consumed.
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then_some(())
    }

    /// An object whose members are all in `members`, handing each member
    /// to `member`, which reads its value.
    fn object<M: Copy, const N: usize>(
        &mut self,
        members: &Members<M, N>,
        mut member: impl FnMut(&mut Self, M) -> Option<()>,
    ) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        let mut expected = 0;
        loop {
            let index = self.key(members, expected)?;
            member(self, members[index].1)?;
            expected = index + 1;
            match self.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// A member's key and its colon: the index of the member in `members`.
    ///
    /// Hosts send members in the order of `members`, so the one after the
    /// last read, `expected`, is tried first, with one comparison of its
    /// compact start; any other key is read as a string and looked up.
    fn key<M, const N: usize>(
        &mut self,
        members: &Members<M, N>,
        expected: usize,
    ) -> Option<usize> {
        self.peek()?;
        if let Some((key, _)) = members.get(expected) {
            if key.starts(self.rest()) {
                self.pos += key.compact.len();
                return Some(expected);
            }
        }
        let key = self.string()?;
        self.expect(b':')?;
        members.iter().position(|(member, _)| member.name() == key)
    }

    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        self.string_rest()
    }

    /// The rest of a string after its opening quote, when it holds no
    /// escape and no control character (which JSON forbids unescaped).
    fn string_rest(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let rest = self.text.as_bytes().get(start..)?;
        let len = json_string_end(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        // Both ends are next to an ASCII quote, so on character boundaries.
        self.text.get(start..start + len)
    }

    /// The rest of `null` after its `n`.
    fn null_rest(&mut self) -> Option<()> {
        self.rest().starts_with(b"ull").then(|| self.pos += 3)
    }

    /// A string, or null (`Some(None)`).
    fn string_or_null(&mut self) -> Option<Option<&'a str>> {
        match self.next()? {
            b'"' => self.string_rest().map(Some),
            b'n' => self.null_rest().map(|()| None),
            _ => None,
        }
    }

    /// An array of strings, or null (`Some(None)`).
    fn strings_or_null(&mut self) -> Option<Option<Vec<Cow<'a, str>>>> {
        match self.next()? {
            b'[' => self.strings_rest().map(Some),
            b'n' => self.null_rest().map(|()| None),
            _ => None,
        }
    }

    /// The rest of an array of strings after its `[`.
    fn strings_rest(&mut self) -> Option<Vec<Cow<'a, str>>> {
        let mut strings = Vec::new();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(strings);
        }
        loop {
            strings.push(Cow::Borrowed(self.string()?));
            match self.next()? {
                b',' => {}
                b']' => return Some(strings),
                _ => return None,
            }
        }
    }

    /// `{}` (what `context` holds in CARP.md's template), or null.
    fn empty_object_or_null(&mut self) -> Option<Option<IgnoredAny>> {
        match self.next()? {
            b'{' => self.expect(b'}').map(|()| Some(IgnoredAny)),
            b'n' => self.null_rest().map(|()| None),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SESSION: &str = "01936f2a-7c00-7000-8000-000000000001";

    /// What serde reads from `text`, as the request paths compare it.
    fn serde_reading(text: &str) -> Option<Wire<'_>> {
        serde_json::from_str::<Object<Wire<'_>>>(text)
            .ok()
            .map(|Object(wire)| wire)
    }

    #[test]
    fn reads_the_benchmark_request_and_the_spec_template() {
        let requests = [
            format!(
                "{{\"carp_version\":\"1.0\",\"request_id\":\"req-1\",\"timestamp\":\"2026-11-28T12:00:00Z\",\
                 \"operation\":\"resolve\",\"requester\":{{\"agent_id\":\"a\",\"session_id\":\"{SESSION}\"}},\
                 \"task\":{{\"goal\":\"Reply\",\"risk_tier\":\"low\"}}}}"
            ),
            format!(
                "{{\"carp_version\": \"1.0\", \"request_id\": \"r\", \"timestamp\": \"t\",\n \
                 \"operation\": \"resolve\",\n \
                 \"requester\": {{\"agent_id\": \"a\", \"session_id\": \"{SESSION}\", \"parent_session_id\": null}},\n \
                 \"task\": {{\"goal\": \"g\", \"risk_tier\": \"low\", \"context_hints\": [],\n \
                 \"required_capabilities\": []}},\n \"atlas_ids\": [], \"context\": {{}}}}\n"
            ),
        ];
        for text in &requests {
            let fast = scan(text);
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, serde_reading(text));
        }
    }

    proptest! {
        #[test]
        fn a_key_starts_exactly_the_texts_that_start_with_it(
            member in 0..TASK_MEMBERS.len() + REQUESTER_MEMBERS.len(),
            cut in 0usize..30,
            tail in "[a-z\":{}]{0,20}",
        ) {
            let key = match TASK_MEMBERS.get(member) {
                Some((key, _)) => key,
                None => &REQUESTER_MEMBERS[member - TASK_MEMBERS.len()].0,
            };
            // The key or a part of it, and then anything.
            let mut text = key.compact.as_bytes()[..cut.min(key.compact.len())].to_vec();
            text.extend_from_slice(tail.as_bytes());
            prop_assert_eq!(key.starts(&text), text.starts_with(key.compact.as_bytes()));
        }
    }

    #[test]
    fn each_key_is_its_name_quoted_with_a_colon() {
        let keys = REQUEST_MEMBERS.iter().map(|(key, _)| key);
        let keys = keys.chain(REQUESTER_MEMBERS.iter().map(|(key, _)| key));
        for key in keys.chain(TASK_MEMBERS.iter().map(|(key, _)| key)) {
            assert_eq!(format!("\"{}\":", key.name()), key.compact);
            assert!(key
                .name()
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte == b'_'));
        }
    }

    #[test]
    fn gives_up_on_what_it_does_not_read_itself() {
        let good = format!(
            "{{\"carp_version\":\"1.0\",\"request_id\":\"r\",\"timestamp\":\"t\",\"operation\":\"resolve\",\
             \"requester\":{{\"agent_id\":\"a\",\"session_id\":\"{SESSION}\"}},\"task\":{{\"goal\":\"g\"}}}}"
        );
        assert!(scan(&good).is_some());
        let variants = [
            good.replace("\"r\"", "\"r\\n\""),                     // an escape
            good.replace("\"g\"", "\"g\u{1}\""),                   // a control character
            good.replace("\"t\",", "\"t\",\"extra\":1,"),          // an unknown member
            good.replace("\"r\",", "\"r\",\"request_id\":\"s\","), // a repeated member
            good.replace("\"timestamp\":\"t\",", ""),              // a missing member
            good.replace("{\"goal\":\"g\"}", "{\"goal\":5}"),      // a mistyped member
            good.replace("}}", "},\"context\":{\"x\":1}}"),        // a non-empty context
            format!("{good} x"),                                   // trailing text
            good.replace("}}", "}"),                               // cut short
        ];
        for text in &variants {
            assert!(scan(text).is_none(), "{text}");
        }
    }

    /// JSON texts of string values; unless `plain`, some of them are
    /// left to serde by the scanner.
    fn string_value(plain: bool) -> BoxedStrategy<String> {
        let simple = "[a-z0-9 .:-]{0,12}".prop_map(|s| format!("\"{s}\""));
        if plain {
            return simple.boxed();
        }
        let tricky = prop::sample::select(vec![
            "\"\"",
            "\"é ✓\"",
            "\"a\\\"b\"",
            "\"\\u0041\"",
            "\"tab\there\"",
            "\"nl\\n\"",
            "\"ctl\u{1}\"",
            "\"back\\\\\"",
            "\"unterminated",
        ]);
        prop_oneof![4 => simple, 1 => tricky.prop_map(str::to_owned)].boxed()
    }

    /// JSON texts of any value a member might hold, well formed or not.
    fn odd_value() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "null",
            "nul",
            "true",
            "12",
            "-1.5e3",
            "[]",
            "[\"a\", \"b\"]",
            "[\"a\",1]",
            "[\"a\",]",
            "[",
            "{}",
            "{ }",
            "{\"a\":1}",
            "{",
            "\"x\"",
            "\"\\u00e9\"",
        ])
        .prop_map(str::to_owned)
    }

    /// The strategies of one run: `plain` ones produce only what the
    /// scanner reads itself.
    #[derive(Clone, Copy)]
    struct Shapes {
        plain: bool,
    }

    impl Shapes {
        fn value(self, good: BoxedStrategy<String>) -> BoxedStrategy<String> {
            if self.plain {
                return good;
            }
            prop_oneof![8 => good, 2 => string_value(false), 1 => odd_value()].boxed()
        }

        fn text(self, good: &'static str) -> BoxedStrategy<String> {
            self.value(Just(format!("\"{good}\"")).boxed())
        }

        fn string(self) -> BoxedStrategy<String> {
            self.value(string_value(self.plain))
        }

        fn strings(self) -> BoxedStrategy<String> {
            let array = prop::collection::vec(string_value(self.plain), 0..3)
                .prop_map(|items| format!("[{}]", items.join(",")));
            self.value(prop_oneof![3 => array, 1 => Just("null".to_owned())].boxed())
        }

        /// An object of `members`, in their order (as hosts send them) or
        /// a random one; optional ones may be left out, and unless plain,
        /// any may be, or come twice, or have its key spelled otherwise
        /// (see [`spelled`]), or an unknown member may join.
        fn object(
            self,
            members: Vec<(&'static str, bool, BoxedStrategy<String>)>,
        ) -> BoxedStrategy<String> {
            let count = members.len();
            let spelling = if self.plain {
                Just(0).boxed()
            } else {
                prop_oneof![12 => Just(0), 1 => 1..4usize].boxed()
            };
            let values: Vec<_> = members
                .into_iter()
                .map(|(key, required, value)| {
                    let value = if required && self.plain {
                        value.prop_map(Some).boxed()
                    } else {
                        prop::option::weighted(0.85, value).boxed()
                    };
                    (Just(key), value, spelling.clone())
                })
                .collect();
            let extra = if self.plain {
                Just(None).boxed()
            } else {
                prop::option::weighted(0.15, (0..count, odd_value())).boxed()
            };
            let in_order = Just((0..count).collect::<Vec<_>>());
            let order = prop_oneof![in_order.clone(), in_order.prop_shuffle()];
            (values, order, extra)
                .prop_map(|(values, order, extra)| {
                    let mut parts: Vec<String> = order
                        .iter()
                        .filter_map(|&i| {
                            let (key, value, spelling) = &values[i];
                            let value = value.as_ref()?;
                            Some(format!("{}:{value}", spelled(key, *spelling)))
                        })
                        .collect();
                    if let Some((position, value)) = extra {
                        let key = if position % 2 == 0 {
                            values[position].0
                        } else {
                            "unknown"
                        };
                        parts.insert(position.min(parts.len()), format!("\"{key}\":{value}"));
                    }
                    format!("{{{}}}", parts.join(","))
                })
                .boxed()
        }

        fn request(self) -> BoxedStrategy<String> {
            let requester = self.object(vec![
                ("agent_id", true, self.string()),
                ("session_id", true, self.text(SESSION)),
                (
                    "parent_session_id",
                    false,
                    self.value(Just("null".to_owned()).boxed()),
                ),
            ]);
            let task = self.object(vec![
                ("goal", true, self.string()),
                ("risk_tier", false, self.text("high")),
                ("context_hints", false, self.strings()),
                ("required_capabilities", false, self.strings()),
            ]);
            self.object(vec![
                ("carp_version", true, self.text("1.0")),
                ("request_id", true, self.string()),
                ("timestamp", true, self.text("2026-11-28T12:00:00Z")),
                ("operation", true, self.text("resolve")),
                ("requester", true, self.value(requester)),
                ("task", true, self.value(task)),
                ("atlas_ids", false, self.strings()),
                ("context", false, self.value(Just("{}".to_owned()).boxed())),
            ])
        }
    }

    /// The JSON text of the key `name`: as is (`spelling` 0), with an
    /// escape that serde reads as `name` (1), or as a longer (2) or a
    /// shorter (3) name, which no member has.
    fn spelled(name: &str, spelling: usize) -> String {
        match spelling {
            0 => format!("\"{name}\""),
            1 => format!("\"\\u{:04x}{}\"", name.as_bytes()[0], &name[1..]),
            2 => format!("\"{name}s\""),
            _ => format!("\"{}\"", &name[..name.len() - 1]),
        }
    }

    /// Spreads JSON whitespace around the structural characters outside strings.
    fn with_whitespace(text: &str, spaces: &[usize]) -> String {
        const SPACES: [&str; 6] = ["", "", " ", "\n", "\t  ", "\r\n"];
        let mut out = String::with_capacity(text.len() * 2);
        let mut next = spaces.iter().cycle().map(|&i| SPACES[i % SPACES.len()]);
        let (mut in_string, mut escaped) = (false, false);
        for c in text.chars() {
            let structural = !in_string && matches!(c, '{' | '}' | '[' | ']' | ':' | ',');
            if structural {
                out.push_str(next.next().unwrap_or(""));
            }
            out.push(c);
            if structural {
                out.push_str(next.next().unwrap_or(""));
            }
            if in_string && !escaped && c == '"' {
                in_string = false;
            } else if !in_string && c == '"' {
                in_string = true;
            }
            escaped = in_string && !escaped && c == '\\';
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn reads_exactly_what_serde_reads(
            text in Shapes { plain: false }.request(),
            spaces in prop::collection::vec(0usize..6, 1..8),
            tail in prop::sample::select(vec!["", " ", "\n", "x", "}", ","]),
        ) {
            let text = with_whitespace(&text, &spaces) + tail;
            if let Some(fast) = scan(&text) {
                prop_assert_eq!(Some(fast), serde_reading(&text), "{}", text);
            }
        }

        #[test]
        fn reads_every_request_of_the_common_shape(
            text in Shapes { plain: true }.request(),
            spaces in prop::collection::vec(0usize..6, 1..8),
        ) {
            let text = with_whitespace(&text, &spaces);
            let fast = scan(&text);
            prop_assert!(fast.is_some(), "{}", text);
            prop_assert_eq!(fast, serde_reading(&text), "{}", text);
        }
    }
}
