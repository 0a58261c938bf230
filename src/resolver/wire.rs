//! The wire shape of a CARP request and the generic (serde) way to read it,
//! which also explains, with a JSON pointer, why a text is not a request.

use crate::error::{Error, ErrorKind, Result};
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A JSON object holding a `T`. serde's derived structs also accept their
/// members as an array in order; CARP requests are objects, nothing else.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// The wire shape. Unknown members are ignored so newer hosts can add some.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct Wire<'a> {
    #[serde(borrow)]
    pub carp_version: Cow<'a, str>,
    #[serde(borrow)]
    pub request_id: Cow<'a, str>,
    #[serde(borrow)]
    pub timestamp: Cow<'a, str>,
    #[serde(borrow)]
    pub operation: Cow<'a, str>,
    #[serde(borrow)]
    pub requester: Object<WireRequester<'a>>,
    #[serde(borrow)]
    pub task: Object<WireTask<'a>>,
    #[serde(borrow, default)]
    pub atlas_ids: Option<Vec<Cow<'a, str>>>,
    /// Read to check it is JSON, then ignored.
    #[serde(default)]
    #[allow(dead_code)]
    pub context: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct WireRequester<'a> {
    #[serde(borrow)]
    pub agent_id: Cow<'a, str>,
    #[serde(borrow)]
    pub session_id: Cow<'a, str>,
    /// Must be a string or null; its value is not used.
    #[serde(borrow, default)]
    #[allow(dead_code)]
    pub parent_session_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct WireTask<'a> {
    #[serde(borrow)]
    pub goal: Cow<'a, str>,
    #[serde(borrow, default)]
    pub risk_tier: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub context_hints: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow, default)]
    pub required_capabilities: Option<Vec<Cow<'a, str>>>,
}

/// Reads `json` as a request with serde.
///
/// Errors: `InvalidJson` when it is not JSON, `InvalidRequest` naming the
/// JSON pointer of the member of the wrong shape.
pub fn deserialize(json: &str) -> Result<Wire<'_>> {
    deserialize_object(json)
}

/// Reads `json` as a JSON object of shape `T` with serde (requests of
/// every operation). Errors: as [`deserialize`].
pub fn deserialize_object<'a, T: Deserialize<'a>>(json: &'a str) -> Result<T> {
    // Most requests are well formed: parse without path tracking, and only
    // parse again with it to explain a failure.
    match serde_json::from_str::<Object<T>>(json) {
        Ok(Object(wire)) => Ok(wire),
        Err(_) => Err(explain_failure::<T>(json)),
    }
}

/// Why `json` is not a valid `T`, with the JSON pointer of the problem.
fn explain_failure<'a, T: Deserialize<'a>>(json: &'a str) -> Error {
    // Syntax wins over shape: a shape error can come before a syntax error
    // later in the text, and "not JSON" must be reported as such.
    if let Err(syntax) = serde_json::from_str::<IgnoredAny>(json) {
        return not_json(&syntax);
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    match serde_path_to_error::deserialize::<_, Object<T>>(&mut deserializer) {
        Err(err) => Error::at(
            ErrorKind::InvalidRequest,
            &json_pointer(err.path()),
            without_position(err.inner()),
        ),
        Ok(_) => Error::new(ErrorKind::Internal, "request failed to parse only once"),
    }
}

fn not_json(err: &serde_json::Error) -> Error {
    Error::new(
        ErrorKind::InvalidJson,
        format!("request is not valid JSON: {err}"),
    )
}

/// serde's path (`task.goal`, `atlas_ids[1]`) as a JSON pointer (`/task/goal`).
fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => pointer.push_str(variant),
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}

/// serde's message without "at line 1 column 80": the pointer says where.
fn without_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].replace("field", "member"),
        None => message.replace("field", "member"),
    }
}
