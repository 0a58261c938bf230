//! Reading a JSON value to its end without building it: serde_json checks
//! its syntax and its nesting limit, and nothing is allocated for the
//! value. Optionally, a member name repeated in any object fails it too:
//! TRACE.md makes such lines malformed, since readers disagree on which
//! copy of a repeated member wins.

use serde::de::{Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// Any JSON value, read to its end and dropped; with `UNIQUE_MEMBERS`, one
/// whose objects repeat no member name. Strings are decoded, so a lone
/// surrogate fails it.
pub struct WellFormed<const UNIQUE_MEMBERS: bool>;

/// Any JSON value.
pub type AnyJson = WellFormed<false>;

/// Any JSON value whose objects, at every depth, repeat no member name.
pub type UniqueMembers = WellFormed<true>;

/// Fails unless `text`, one JSON value, repeats no member name in any of
/// its objects.
pub fn check_unique_members(text: &str) -> serde_json::Result<()> {
    serde_json::from_str::<UniqueMembers>(text).map(drop)
}

impl<'de, const UNIQUE_MEMBERS: bool> Deserialize<'de> for WellFormed<UNIQUE_MEMBERS> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WellFormed::<UNIQUE_MEMBERS>)
    }
}

impl<'de, const UNIQUE_MEMBERS: bool> Visitor<'de> for WellFormed<UNIQUE_MEMBERS> {
    type Value = WellFormed<UNIQUE_MEMBERS>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Self::Value, A::Error> {
        while items.next_element::<Self>()?.is_some() {}
        Ok(self)
    }

    // With `arbitrary_precision`, serde_json also hands numbers over as a
    // one-member map holding the literal; visiting it like any map is right.
    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Self::Value, A::Error> {
        if !UNIQUE_MEMBERS {
            while members.next_entry::<Self, Self>()?.is_some() {}
            return Ok(self);
        }
        let mut names = HashSet::new();
        while let Some(name) = members.next_key::<Cow<'de, str>>()? {
            if !names.insert(name.clone()) {
                return Err(A::Error::custom(format_args!("duplicate member {name:?}")));
            }
            members.next_value::<Self>()?;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_members_fail_only_when_asked_to_at_any_depth() {
        let repeated = r#"{"a":[{"b":{"c":1,"c":2}}]}"#;
        assert!(serde_json::from_str::<AnyJson>(repeated).is_ok());
        let err = check_unique_members(repeated).expect_err("repeated");
        assert!(err.to_string().contains("duplicate member \"c\""), "{err}");
        assert!(check_unique_members(r#"{"a":{"a":1},"b":[1e5,"x",null]}"#).is_ok());
        assert!(check_unique_members(r#"{"\u0061":1,"a":2}"#).is_err());
        assert!(check_unique_members(r#"["\ud800"]"#).is_err());
        assert!(serde_json::from_str::<AnyJson>("[1,").is_err());
    }
}
