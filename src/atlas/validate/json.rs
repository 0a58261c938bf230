//! Reading the manifest JSON value by value, with the JSON type checks every
//! rule starts with, while keeping each value's original text.
//!
//! The walk reads borrowed [`RawValue`]s rather than a `serde_json::Value`
//! tree: schemas and policy parameters are kept exactly as written (a `Value`
//! would re-order their keys), objects keep their members in document order
//! so duplicate names can be refused, and a hostile manifest costs no more
//! than a few pointers per walked value (with `arbitrary_precision`, a
//! `Value` would allocate a string for every number, schemas included).

use super::pointer::At;
use crate::error::{Error, ErrorKind, Result};
use crate::json::well_formed::AnyJson;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fmt;

/// Checks that `json` is exactly one well-formed JSON value.
///
/// Runs before the walk so that a broken document is reported as
/// `InvalidJson` with serde_json's line and column, whatever its content.
/// NaN and Infinity are not JSON, and nesting deeper than serde_json's
/// recursion limit (128) is refused here too, so the walk and everyone who
/// later parses a kept schema are safe from stack exhaustion.
pub(super) fn check_syntax(json: &str) -> Result<()> {
    serde_json::from_str::<AnyJson>(json)
        .map(|_| ())
        .map_err(not_json)
}

/// The error for a document that serde_json cannot read, with its line and column.
fn not_json(err: serde_json::Error) -> Error {
    Error::new(ErrorKind::InvalidJson, format!("not valid JSON: {err}"))
}

/// One manifest value and where it is.
pub(super) struct Node<'a, 'p> {
    raw: &'a RawValue,
    at: At<'p>,
}

/// The JSON type of a value, told by its first character.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum JsonType {
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

impl<'a> Node<'a, 'static> {
    /// The document's top-level value. `json` must have passed [`check_syntax`].
    pub(super) fn root(json: &'a str) -> Result<Node<'a, 'static>> {
        let raw = serde_json::from_str(json).map_err(not_json)?;
        Ok(Node { raw, at: At::Root })
    }
}

impl<'a, 'p> Node<'a, 'p> {
    pub(super) fn at(&self) -> &At<'p> {
        &self.at
    }

    /// An `InvalidAtlas` error about this value.
    pub(super) fn invalid(&self, message: impl fmt::Display) -> Error {
        Error::at(ErrorKind::InvalidAtlas, &self.at.pointer(), message)
    }

    /// This value as an object. Refuses duplicate member names: JSON parsers
    /// disagree on which one wins, and a manifest that means different
    /// things to different tools has no place in a policy file.
    pub(super) fn object(&self) -> Result<Object<'a, 'p>> {
        let Members(members) = self.parse_as(JsonType::Object, "must be an object")?;
        if let Some(name) = first_repeated_name(&members) {
            return Err(self.invalid(format!(
                "member {} appears more than once",
                super::quote::quoted(name)
            )));
        }
        Ok(Object {
            members,
            at: self.at,
        })
    }

    /// This value as an array, each item read by `read_item` in order; the
    /// first item that fails stops the walk.
    pub(super) fn list<T>(
        &self,
        mut read_item: impl FnMut(&Node<'a, '_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let items: Vec<&'a RawValue> = self.parse_as(JsonType::Array, "must be an array")?;
        items
            .into_iter()
            .enumerate()
            .map(|(index, raw)| {
                read_item(&Node {
                    raw,
                    at: self.at.index(index),
                })
            })
            .collect()
    }

    pub(super) fn string(&self) -> Result<String> {
        self.parse_as(JsonType::String, "must be a string")
    }

    pub(super) fn boolean(&self) -> Result<bool> {
        self.parse_as(JsonType::Boolean, "must be a boolean")
    }

    /// This value as an integer that fits in 64 bits, signed or unsigned
    /// (`i64::MIN..=u64::MAX`).
    ///
    /// With `arbitrary_precision` the raw text is the literal as written, so
    /// `1.0` and `1e3` are told apart from `1000` and refused: a count or a
    /// priority written as a float is more likely a mistake than a wish.
    pub(super) fn integer(&self) -> Result<i128> {
        let literal = self.raw.get();
        let is_integer_literal =
            self.json_type() == JsonType::Number && !literal.contains(['.', 'e', 'E']);
        if !is_integer_literal {
            return Err(self.invalid("must be an integer"));
        }
        let sixty_four_bits = i128::from(i64::MIN)..=i128::from(u64::MAX);
        literal
            .parse::<i128>()
            .ok()
            .filter(|value| sixty_four_bits.contains(value))
            .ok_or_else(|| self.invalid("integer does not fit in 64 bits"))
    }

    /// This value's original text, if it is an object or a boolean (the two
    /// forms of a JSON Schema).
    pub(super) fn schema_text(&self) -> Result<Box<RawValue>> {
        match self.json_type() {
            JsonType::Object | JsonType::Boolean => Ok(self.original_text()),
            _ => Err(self.invalid("must be an object or a boolean")),
        }
    }

    /// This value exactly as written in the manifest.
    pub(super) fn original_text(&self) -> Box<RawValue> {
        self.raw.to_owned()
    }

    fn json_type(&self) -> JsonType {
        // A borrowed RawValue starts at the value's first character (serde_json
        // skips the whitespace before it), and that character fixes the type.
        match self.raw.get().as_bytes().first() {
            Some(b'{') => JsonType::Object,
            Some(b'[') => JsonType::Array,
            Some(b'"') => JsonType::String,
            Some(b't' | b'f') => JsonType::Boolean,
            Some(b'n') => JsonType::Null,
            _ => JsonType::Number,
        }
    }

    /// Deserializes this value as `T` once its JSON type is known to be `expected`.
    fn parse_as<T: Deserialize<'a>>(&self, expected: JsonType, type_error: &str) -> Result<T> {
        if self.json_type() != expected {
            return Err(self.invalid(type_error));
        }
        // Cannot fail after check_syntax; kept as an error rather than a panic.
        serde_json::from_str(self.raw.get())
            .map_err(|err| Error::at(ErrorKind::InvalidJson, &self.at.pointer(), err))
    }
}

/// A manifest object: its members in document order, and where it is.
pub(super) struct Object<'a, 'p> {
    members: Vec<(String, &'a RawValue)>,
    at: At<'p>,
}

impl<'a, 'p> Object<'a, 'p> {
    /// An `InvalidAtlas` error about this object as a whole.
    pub(super) fn invalid(&self, message: impl fmt::Display) -> Error {
        Error::at(ErrorKind::InvalidAtlas, &self.at.pointer(), message)
    }

    /// The member `name`, if present.
    pub(super) fn get(&self, name: &'static str) -> Option<Node<'a, '_>> {
        self.members
            .iter()
            .find(|(member, _)| member == name)
            .map(|&(_, raw)| Node {
                raw,
                at: self.at.member(name),
            })
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.members.iter().any(|(member, _)| member == name)
    }

    /// Reads the required member `name` with `rule`; a missing member is
    /// reported at this object's pointer.
    pub(super) fn read<T>(
        &self,
        name: &'static str,
        rule: impl FnOnce(&Node<'a, '_>) -> Result<T>,
    ) -> Result<T> {
        match self.get(name) {
            Some(node) => rule(&node),
            None => Err(self.invalid(format!("missing required member '{name}'"))),
        }
    }

    /// Reads the member `name` with `rule` when it is present.
    pub(super) fn read_optional<T>(
        &self,
        name: &'static str,
        rule: impl FnOnce(&Node<'a, '_>) -> Result<T>,
    ) -> Result<Option<T>> {
        self.get(name).map(|node| rule(&node)).transpose()
    }
}

/// The first member name that repeats an earlier one, in document order.
fn first_repeated_name<'m>(members: &'m [(String, &RawValue)]) -> Option<&'m str> {
    let mut seen = HashSet::new();
    members
        .iter()
        .map(|(name, _)| name.as_str())
        .find(|name| !seen.insert(*name))
}

/// An object's members in document order, duplicates included.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor(std::marker::PhantomData))
    }
}

struct MembersVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for MembersVisitor<'a> {
    type Value = Members<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Members<'a>, M::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, &'a RawValue>()? {
            members.push(member);
        }
        Ok(Members(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax_error(json: &str) -> String {
        let err = check_syntax(json).expect_err(json);
        assert_eq!(err.kind(), ErrorKind::InvalidJson, "{json}");
        err.message().to_owned()
    }

    fn with_root<T>(json: &str, read: impl FnOnce(&Node<'_, '_>) -> T) -> T {
        check_syntax(json).unwrap();
        read(&Node::root(json).unwrap())
    }

    #[test]
    fn well_formed_documents_pass_the_syntax_check() {
        for json in [
            "{}",
            " [1, -2.5e-3, \"x\\u00e9\", true, false, null, {\"a\": [[]]}] ",
            "123456789012345678901234567890",
            "1e400",
        ] {
            check_syntax(json).unwrap_or_else(|err| panic!("{json}: {err}"));
        }
    }

    #[test]
    fn broken_documents_report_serde_json_line_and_column() {
        assert_eq!(
            syntax_error("[NaN]"),
            "not valid JSON: expected value at line 1 column 2"
        );
        assert_eq!(
            syntax_error("{\"a\": Infinity}"),
            "not valid JSON: expected value at line 1 column 7"
        );
        assert_eq!(
            syntax_error("{\"a\": 1,\n}"),
            "not valid JSON: trailing comma at line 2 column 1"
        );
        assert_eq!(
            syntax_error("{} x"),
            "not valid JSON: trailing characters at line 1 column 4"
        );
        assert_eq!(
            syntax_error(""),
            "not valid JSON: EOF while parsing a value at line 1 column 0"
        );
        assert!(syntax_error("\"\\ud800\"").starts_with("not valid JSON: "));
    }

    #[test]
    fn nesting_beyond_the_recursion_limit_is_invalid_json() {
        let depth = 10_000;
        let arrays = "[".repeat(depth) + &"]".repeat(depth);
        assert_eq!(
            syntax_error(&arrays),
            "not valid JSON: recursion limit exceeded at line 1 column 128"
        );
        let objects = "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth);
        assert!(syntax_error(&objects).contains("recursion limit exceeded"));
    }

    #[test]
    fn type_errors_name_the_expected_type() {
        with_root("[]", |node| {
            assert_eq!(
                node.object().err().unwrap().message(),
                "/: must be an object"
            );
            assert_eq!(node.string().unwrap_err().message(), "/: must be a string");
            assert_eq!(
                node.boolean().unwrap_err().message(),
                "/: must be a boolean"
            );
            assert_eq!(
                node.integer().unwrap_err().message(),
                "/: must be an integer"
            );
            assert_eq!(
                node.schema_text().unwrap_err().message(),
                "/: must be an object or a boolean"
            );
        });
        with_root("null", |node| {
            assert_eq!(
                node.list(|_| Ok(())).unwrap_err().message(),
                "/: must be an array"
            );
            assert_eq!(node.string().unwrap_err().message(), "/: must be a string");
        });
    }

    #[test]
    fn integers_keep_their_literal() {
        let integer = |json: &str| {
            with_root(json, |node| {
                node.integer().map_err(|e| e.message().to_owned())
            })
        };
        assert_eq!(integer("0"), Ok(0));
        assert_eq!(integer("-0"), Ok(0));
        assert_eq!(integer("-9223372036854775808"), Ok(i64::MIN.into()));
        assert_eq!(integer("18446744073709551615"), Ok(u64::MAX.into()));
        let too_big = Err("/: integer does not fit in 64 bits".to_owned());
        assert_eq!(integer("18446744073709551616"), too_big);
        assert_eq!(integer("-9223372036854775809"), too_big);
        assert_eq!(integer(&"9".repeat(100)), too_big);
        let not_integer = Err("/: must be an integer".to_owned());
        for json in ["1.0", "1.5", "1e3", "1E3", "-2e-1", "\"1\"", "true"] {
            assert_eq!(integer(json), not_integer, "{json}");
        }
    }

    #[test]
    fn strings_are_unescaped() {
        with_root(r#""a\"b\u00e9\n""#, |node| {
            assert_eq!(node.string().unwrap(), "a\"bé\n");
        });
    }

    #[test]
    fn objects_keep_document_order_and_refuse_duplicates() {
        with_root(r#"{"b": 1, "a": {"x": 1}}"#, |node| {
            let object = node.object().unwrap();
            assert!(object.has("a"));
            assert!(!object.has("c"));
            let inner = object.get("a").unwrap();
            assert_eq!(inner.at().pointer(), "/a");
            assert_eq!(
                object.read("c", |_| Ok(())).unwrap_err().message(),
                "/: missing required member 'c'"
            );
            assert_eq!(object.read_optional("c", |_| Ok(())).unwrap(), None);
        });
        with_root(r#"{"a": 1, "b": 2, "a": 3}"#, |node| {
            assert_eq!(
                node.object().err().unwrap().message(),
                "/: member 'a' appears more than once"
            );
        });
        // Escapes are decoded before names are compared.
        with_root(r#"{"a": 1, "\u0061": 2}"#, |node| {
            assert!(node.object().is_err());
        });
    }

    #[test]
    fn lists_point_at_each_item_and_stop_at_the_first_failure() {
        with_root(r#"["a", 1, 2]"#, |node| {
            let err = node.list(|item| item.string()).unwrap_err();
            assert_eq!(err.message(), "/1: must be a string");
        });
    }

    #[test]
    fn schemas_keep_their_exact_text() {
        let json = r#"{"s": {"b" : 1.50,  "a": [1e3]}, "t": true}"#;
        with_root(json, |node| {
            let object = node.object().unwrap();
            let schema = object.read("s", |n| n.schema_text()).unwrap();
            assert_eq!(schema.get(), r#"{"b" : 1.50,  "a": [1e3]}"#);
            assert_eq!(object.read("t", |n| n.schema_text()).unwrap().get(), "true");
        });
    }
}
