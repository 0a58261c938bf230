//! The rules for single values that every section of a manifest shares:
//! texts and ids within their size limits, id grammars, risk tiers,
//! integers, and ids that must be unique within the atlas.

use super::json::Node;
pub(super) use super::quote::quoted;
use crate::atlas::manifest::{RiskTier, TierSet};
use crate::error::Result;
use crate::id_grammar::{is_action_id, is_atlas_id, is_semantic_version};
use crate::limits::{MAX_ID_LEN, MAX_TEXT_LEN};
use std::collections::HashMap;

/// A string of at most `limit` bytes.
pub(super) fn bounded_string(node: &Node<'_, '_>, limit: usize) -> Result<String> {
    let text = node.string()?;
    if text.len() > limit {
        return Err(node.invalid(format!("must be at most {limit} bytes long")));
    }
    Ok(text)
}

/// Free text: a name, a description, a reason.
pub(super) fn text(node: &Node<'_, '_>) -> Result<String> {
    bounded_string(node, MAX_TEXT_LEN)
}

/// A list of free texts (`domains`).
pub(super) fn text_list(node: &Node<'_, '_>) -> Result<Vec<String>> {
    node.list(text)
}

/// An id without a grammar of its own (capability, policy and pack ids):
/// any non-empty string of at most `MAX_ID_LEN` bytes.
pub(super) fn plain_id(node: &Node<'_, '_>) -> Result<String> {
    let id = bounded_string(node, MAX_ID_LEN)?;
    if id.is_empty() {
        return Err(node.invalid("must not be empty"));
    }
    Ok(id)
}

/// A reverse-domain atlas id (`com.example.billing`).
pub(super) fn atlas_id(node: &Node<'_, '_>) -> Result<String> {
    let id = bounded_string(node, MAX_ID_LEN)?;
    if !is_atlas_id(&id) {
        return Err(node.invalid(format!("{} is not a valid atlas id", quoted(&id))));
    }
    Ok(id)
}

/// A dotted action id (`billing.invoice.create`).
pub(super) fn action_id(node: &Node<'_, '_>) -> Result<String> {
    let id = bounded_string(node, MAX_ID_LEN)?;
    if !is_action_id(&id) {
        return Err(node.invalid(format!("{} is not a valid action id", quoted(&id))));
    }
    Ok(id)
}

/// A semantic version, kept as written (`1.4.0-rc.1`).
pub(super) fn semantic_version(node: &Node<'_, '_>) -> Result<String> {
    let version = bounded_string(node, MAX_ID_LEN)?;
    if !is_semantic_version(&version) {
        return Err(node.invalid(format!(
            "{} is not a valid semantic version (MAJOR.MINOR.PATCH)",
            quoted(&version)
        )));
    }
    Ok(version)
}

/// One of `low`, `medium`, `high`, `critical`.
pub(super) fn risk_tier(node: &Node<'_, '_>) -> Result<RiskTier> {
    let name = node.string()?;
    RiskTier::parse(&name).ok_or_else(|| {
        node.invalid(format!(
            "{} is not a risk tier (expected low, medium, high or critical)",
            quoted(&name)
        ))
    })
}

/// `conditions.risk_tiers`: a non-empty list of tiers.
pub(super) fn risk_tier_set(node: &Node<'_, '_>) -> Result<TierSet> {
    let tiers = condition_list(node, risk_tier)?;
    Ok(tiers.into_iter().collect())
}

/// A list inside `conditions`, which must not be empty.
///
/// CARP.md does not say what an empty list means, and both readings are
/// plausible yet opposite (`"risk_tiers": []` as "no tier", so the policy
/// never applies, or as "no condition", so it always does). For a deny
/// policy the difference is a security hole either way, so the manifest
/// must say which it means by leaving the member out.
pub(super) fn condition_list<T>(
    node: &Node<'_, '_>,
    read_item: impl FnMut(&Node<'_, '_>) -> Result<T>,
) -> Result<Vec<T>> {
    let items = node.list(read_item)?;
    if items.is_empty() {
        return Err(node.invalid("must not be empty (leave the member out to mean no condition)"));
    }
    Ok(items)
}

/// A list that must hold at least one item (a policy's or capability's `actions`).
pub(super) fn non_empty_list<T>(
    node: &Node<'_, '_>,
    read_item: impl FnMut(&Node<'_, '_>) -> Result<T>,
) -> Result<Vec<T>> {
    let items = node.list(read_item)?;
    if items.is_empty() {
        return Err(node.invalid("must not be empty"));
    }
    Ok(items)
}

/// A signed 64-bit integer (priorities).
pub(super) fn signed_integer(node: &Node<'_, '_>) -> Result<i64> {
    let value = node.integer()?;
    i64::try_from(value).map_err(|_| node.invalid("integer does not fit in 64 bits"))
}

/// An integer of at least 1 (`max_calls`, `window_seconds`).
pub(super) fn positive_count(node: &Node<'_, '_>) -> Result<u64> {
    let value = node.integer()?;
    if value < 1 {
        return Err(node.invalid("must be at least 1"));
    }
    // `integer` already capped the value at u64::MAX.
    u64::try_from(value).map_err(|_| node.invalid("integer does not fit in 64 bits"))
}

/// The ids of one kind seen so far in the atlas, to refuse a second use.
pub(super) struct UniqueIds {
    /// What the ids are, for the message (`"action id"`).
    kind: &'static str,
    /// Each id and the pointer where it was first used.
    first_use: HashMap<String, String>,
}

impl UniqueIds {
    pub(super) fn new(kind: &'static str) -> UniqueIds {
        UniqueIds {
            kind,
            first_use: HashMap::new(),
        }
    }

    /// Records `id`, read from `node`, or fails if it was used before.
    pub(super) fn claim(&mut self, id: String, node: &Node<'_, '_>) -> Result<String> {
        if let Some(first) = self.first_use.get(&id) {
            return Err(node.invalid(format!(
                "duplicate {} {} (already used at {first})",
                self.kind,
                quoted(&id)
            )));
        }
        self.first_use.insert(id.clone(), node.at().pointer());
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::json::check_syntax;
    use super::*;

    /// Runs `rule` on the JSON value `json` and returns its result, with the
    /// error as its message.
    fn apply<T>(
        json: &str,
        rule: impl FnOnce(&Node<'_, '_>) -> Result<T>,
    ) -> std::result::Result<T, String> {
        check_syntax(json).unwrap();
        rule(&Node::root(json).unwrap()).map_err(|err| err.message().to_owned())
    }

    fn json_string(text: &str) -> String {
        serde_json::to_string(text).unwrap()
    }

    #[test]
    fn texts_are_limited_in_bytes() {
        let at_limit = json_string(&"a".repeat(MAX_TEXT_LEN));
        assert_eq!(apply(&at_limit, text).map(|t| t.len()), Ok(MAX_TEXT_LEN));
        let over = json_string(&"a".repeat(MAX_TEXT_LEN + 1));
        assert_eq!(
            apply(&over, text),
            Err("/: must be at most 65536 bytes long".into())
        );
        assert_eq!(apply("\"\"", text), Ok(String::new()));
        assert_eq!(apply("1", text), Err("/: must be a string".into()));
    }

    #[test]
    fn plain_ids_are_non_empty_and_limited() {
        assert_eq!(apply("\"any Id/ok\"", plain_id), Ok("any Id/ok".into()));
        assert_eq!(apply("\"\"", plain_id), Err("/: must not be empty".into()));
        let long = json_string(&"a".repeat(MAX_ID_LEN + 1));
        assert_eq!(
            apply(&long, plain_id),
            Err("/: must be at most 256 bytes long".into())
        );
    }

    #[test]
    fn ids_check_length_before_grammar() {
        let long_id = format!("com.{}", "a".repeat(MAX_ID_LEN));
        assert_eq!(
            apply(&json_string(&long_id), atlas_id),
            Err("/: must be at most 256 bytes long".into())
        );
        assert_eq!(
            apply(&json_string(&long_id), action_id),
            Err("/: must be at most 256 bytes long".into())
        );
        assert_eq!(
            apply("\"Com.example\"", atlas_id),
            Err("/: 'Com.example' is not a valid atlas id".into())
        );
        assert_eq!(
            apply("\"billing\"", action_id),
            Err("/: 'billing' is not a valid action id".into())
        );
        assert_eq!(
            apply("\"1.0\"", semantic_version),
            Err("/: '1.0' is not a valid semantic version (MAJOR.MINOR.PATCH)".into())
        );
        assert_eq!(
            apply("\"1.0.0-rc.1\"", semantic_version),
            Ok("1.0.0-rc.1".into())
        );
    }

    #[test]
    fn risk_tiers_are_the_four_names() {
        assert_eq!(apply("\"critical\"", risk_tier), Ok(RiskTier::Critical));
        assert_eq!(
            apply("\"Low\"", risk_tier),
            Err("/: 'Low' is not a risk tier (expected low, medium, high or critical)".into())
        );
        let set = apply(r#"["low", "high", "low"]"#, risk_tier_set).unwrap();
        assert_eq!(set, [RiskTier::Low, RiskTier::High].into_iter().collect());
        assert_eq!(
            apply("[]", risk_tier_set),
            Err("/: must not be empty (leave the member out to mean no condition)".into())
        );
        assert_eq!(
            apply(r#"["low", "extreme"]"#, risk_tier_set),
            Err("/1: 'extreme' is not a risk tier (expected low, medium, high or critical)".into())
        );
    }

    #[test]
    fn integers_by_use() {
        assert_eq!(apply("-5", signed_integer), Ok(-5));
        assert_eq!(
            apply("9223372036854775808", signed_integer),
            Err("/: integer does not fit in 64 bits".into())
        );
        assert_eq!(apply("18446744073709551615", positive_count), Ok(u64::MAX));
        assert_eq!(apply("1", positive_count), Ok(1));
        assert_eq!(
            apply("0", positive_count),
            Err("/: must be at least 1".into())
        );
        assert_eq!(
            apply("-3", positive_count),
            Err("/: must be at least 1".into())
        );
        assert_eq!(
            apply("2.0", positive_count),
            Err("/: must be an integer".into())
        );
    }

    #[test]
    fn lists_that_must_not_be_empty() {
        assert_eq!(
            apply("[]", |node| non_empty_list(node, text)),
            Err("/: must not be empty".into())
        );
        assert_eq!(
            apply(r#"["a"]"#, |node| non_empty_list(node, text)),
            Ok(vec!["a".into()])
        );
    }

    #[test]
    fn unique_ids_name_the_first_use() {
        let json = r#"["a", "b", "a"]"#;
        let mut ids = UniqueIds::new("policy id");
        let result = apply(json, |node| {
            node.list(|item| ids.claim(plain_id(item)?, item))
        });
        assert_eq!(
            result,
            Err("/2: duplicate policy id 'a' (already used at /0)".into())
        );
    }
}
