//! Reading JSON that repeats no member name: TRACE.md makes such lines
//! malformed, since readers disagree on which copy of a repeated member
//! wins.

use serde::de::{Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// Fails unless `text`, one JSON value, repeats no member name in any of
/// its objects (and holds no lone surrogate).
pub fn check_unique_members(text: &str) -> serde_json::Result<()> {
    serde_json::from_str::<UniqueMembers>(text).map(drop)
}

/// Any JSON value, read to the end and dropped, with no member name
/// repeated in any of its objects. Strings are decoded, so a lone surrogate
/// fails it too.
pub struct UniqueMembers;

impl<'de> Deserialize<'de> for UniqueMembers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueMembersVisitor)
    }
}

struct UniqueMembersVisitor;

impl<'de> Visitor<'de> for UniqueMembersVisitor {
    type Value = UniqueMembers;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(UniqueMembers)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Self::Value, A::Error> {
        while items.next_element::<UniqueMembers>()?.is_some() {}
        Ok(UniqueMembers)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Self::Value, A::Error> {
        let mut names = HashSet::new();
        while let Some(name) = members.next_key::<Cow<'de, str>>()? {
            if !names.insert(name.clone()) {
                return Err(A::Error::custom(format_args!("duplicate member {name:?}")));
            }
            members.next_value::<UniqueMembers>()?;
        }
        Ok(UniqueMembers)
    }
}
