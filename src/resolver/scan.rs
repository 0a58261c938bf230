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
mod tests;
