//! Action patterns: `*`, an exact id, `prefix.*`, `*.suffix`.

use crate::id_grammar::{is_action_id, is_dotted_segments};
use std::fmt;

/// A parsed action pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// `*`: every action.
    Any,
    /// An exact action id.
    Exact(String),
    /// `billing.*`: ids that start with the stored text (which includes the dot, `"billing."`).
    Prefix(String),
    /// `*.delete`: ids that end with the stored text (which includes the dot, `".delete"`).
    Suffix(String),
}

impl Pattern {
    /// Reads a pattern as written in a policy's `actions` list.
    ///
    /// The wildcard may only be the whole pattern or a whole first or last
    /// segment; anything else (`*foo`, `a.*.b`, `**`, `a*`, `*.`, `.*`) is
    /// rejected rather than guessed at, because a policy that silently
    /// matches more or less than its author meant is a security bug.
    /// The error is the reason, such as `'*foo' is not a valid pattern`.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        if text == "*" {
            return Ok(Pattern::Any);
        }
        let parsed = if let Some(prefix) = text.strip_suffix(".*") {
            is_dotted_segments(prefix).then(|| Pattern::Prefix(format!("{prefix}.")))
        } else if let Some(suffix) = text.strip_prefix("*.") {
            is_dotted_segments(suffix).then(|| Pattern::Suffix(format!(".{suffix}")))
        } else {
            is_action_id(text).then(|| Pattern::Exact(text.to_owned()))
        };
        parsed.ok_or_else(|| format!("'{}' is not a valid pattern", text.escape_debug()))
    }

    /// Whether the action `action_id` is one this pattern names.
    pub fn matches(&self, action_id: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(id) => action_id == id,
            Pattern::Prefix(prefix) => action_id.starts_with(prefix.as_str()),
            Pattern::Suffix(suffix) => action_id.ends_with(suffix.as_str()),
        }
    }
}

/// Writes the pattern as it appears in a manifest (`billing.*`), for messages and traces.
impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Any => f.write_str("*"),
            Pattern::Exact(id) => f.write_str(id),
            Pattern::Prefix(prefix) => write!(f, "{prefix}*"),
            Pattern::Suffix(suffix) => write!(f, "*{suffix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(text: &str) -> Pattern {
        Pattern::parse(text).unwrap_or_else(|reason| panic!("{text:?}: {reason}"))
    }

    #[test]
    fn parses_the_four_forms() {
        assert_eq!(parsed("*"), Pattern::Any);
        assert_eq!(
            parsed("billing.charge"),
            Pattern::Exact("billing.charge".into())
        );
        assert_eq!(parsed("billing.*"), Pattern::Prefix("billing.".into()));
        assert_eq!(
            parsed("billing.invoice.*"),
            Pattern::Prefix("billing.invoice.".into())
        );
        assert_eq!(parsed("*.delete"), Pattern::Suffix(".delete".into()));
        assert_eq!(
            parsed("*.invoice.delete"),
            Pattern::Suffix(".invoice.delete".into())
        );
    }

    #[test]
    fn rejects_every_other_use_of_the_wildcard() {
        for text in [
            "*foo", "foo*", "a*", "**", "*.", ".*", "*.*", "a.*.b", "*.a.*", "a.**", "**.a",
            "a.b*", "a.*b", "*a.b", "a..*", "*..a", "*.A", "A.*", "a-b.*", "*.2fa",
        ] {
            assert_eq!(
                Pattern::parse(text),
                Err(format!("'{text}' is not a valid pattern")),
                "{text:?}"
            );
        }
    }

    #[test]
    fn an_exact_pattern_must_be_an_action_id() {
        for text in [
            "",
            "billing",
            "Billing.charge",
            "billing.",
            "billing.re-fund",
            " a.b",
        ] {
            assert!(Pattern::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn the_reason_escapes_control_characters_and_quotes() {
        assert_eq!(
            Pattern::parse("a\n'b"),
            Err(r"'a\n\'b' is not a valid pattern".to_owned())
        );
    }

    #[test]
    fn matches_by_form() {
        let any = parsed("*");
        let exact = parsed("billing.charge");
        let prefix = parsed("billing.*");
        let suffix = parsed("*.delete");

        assert!(any.matches("anything.at.all"));
        assert!(exact.matches("billing.charge"));
        assert!(!exact.matches("billing.charge.extra"));
        assert!(!exact.matches("billing.char"));

        assert!(prefix.matches("billing.charge"));
        assert!(prefix.matches("billing.invoice.create"));
        assert!(!prefix.matches("billing"));
        assert!(!prefix.matches("billingx.charge"));
        assert!(!prefix.matches("crm.billing.charge"));

        assert!(suffix.matches("crm.contact.delete"));
        assert!(suffix.matches("billing.delete"));
        assert!(!suffix.matches("billing.undelete"));
        assert!(!suffix.matches("billing.delete.now"));
        assert!(!suffix.matches("delete"));
    }

    #[test]
    fn displays_as_written() {
        for text in ["*", "billing.charge", "billing.*", "*.delete", "a.b.*"] {
            assert_eq!(parsed(text).to_string(), text);
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(text in "[a-b.*A-]{0,8}") {
            if let Ok(pattern) = Pattern::parse(&text) {
                prop_assert_eq!(pattern.to_string(), text);
            }
        }

        #[test]
        fn an_id_is_matched_by_itself_its_prefixes_and_its_suffixes(
            segments in proptest::collection::vec("[a-c][a-c0-1]{0,2}", 2..5)
        ) {
            let id = segments.join(".");
            prop_assert!(parsed("*").matches(&id));
            prop_assert!(parsed(&id).matches(&id));
            for cut in 1..segments.len() {
                let prefix = format!("{}.*", segments[..cut].join("."));
                let suffix = format!("*.{}", segments[cut..].join("."));
                prop_assert!(parsed(&prefix).matches(&id), "{} should match {}", prefix, id);
                prop_assert!(parsed(&suffix).matches(&id), "{} should match {}", suffix, id);
            }
        }
    }
}
