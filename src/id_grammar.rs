//! The identifier grammars of CARP.md (atlas ids, action ids, semantic versions).
//!
//! The matchers are written by hand instead of with a regex engine: the
//! grammars are tiny, and a hand-written check has no dependency, no
//! compile step at start-up and obviously linear cost on hostile input.
//! Every check is strict: no surrounding whitespace, no trailing newline
//! (unlike a regex `$`, which would let `"a.b\n"` through).

/// Whether `text` is an atlas id: `^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)+$`,
/// a reverse-domain name such as `com.example.billing`.
///
/// Only the segments after the first may contain `-`, like domain labels
/// under a top-level domain (`com.acme-corp.billing`).
pub fn is_atlas_id(text: &str) -> bool {
    match text.split_once('.') {
        Some((first, rest)) => {
            is_segment(first, Hyphens::Forbidden)
                && rest
                    .split('.')
                    .all(|segment| is_segment(segment, Hyphens::Allowed))
        }
        None => false,
    }
}

/// Whether `text` is an action id: `^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)+$`,
/// at least two dotted segments such as `billing.invoice.create`.
pub fn is_action_id(text: &str) -> bool {
    text.contains('.') && is_dotted_segments(text)
}

/// Whether `text` is one or more action-id segments (`[a-z][a-z0-9]*`)
/// joined by dots: the grammar of the fixed part of the patterns
/// `prefix.*` and `*.suffix`, where a single segment is enough (`billing.*`).
pub fn is_dotted_segments(text: &str) -> bool {
    text.split('.')
        .all(|segment| is_segment(segment, Hyphens::Forbidden))
}

/// Whether `text` is a full semantic version `MAJOR.MINOR.PATCH`, with
/// optional pre-release and build parts (`1.4.0-rc.1+build.7`), as the
/// `semver` crate reads it (no leading zeros, no `v` prefix, no spaces).
pub fn is_semantic_version(text: &str) -> bool {
    semver::Version::parse(text).is_ok()
}

/// Whether a segment may contain `-` after its first character.
#[derive(Clone, Copy)]
enum Hyphens {
    Allowed,
    Forbidden,
}

/// Whether `segment` is `[a-z]` followed by `[a-z0-9]*` (plus `-` when allowed).
/// An empty segment (from `a..b`, `.a` or `a.`) fails because it has no first letter.
fn is_segment(segment: &str, hyphens: Hyphens) -> bool {
    let mut bytes = segment.bytes();
    let starts_with_letter = bytes.next().is_some_and(|byte| byte.is_ascii_lowercase());
    starts_with_letter
        && bytes.all(|byte| {
            byte.is_ascii_lowercase()
                || byte.is_ascii_digit()
                || (byte == b'-' && matches!(hyphens, Hyphens::Allowed))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn atlas_ids_follow_the_reverse_domain_grammar() {
        for valid in [
            "com.example",
            "com.example.billing",
            "a.b",
            "a1.b2.c3",
            "com.acme-corp.billing",
            "com.x-",
            "com.a--b",
            "io.example.v2",
        ] {
            assert!(is_atlas_id(valid), "{valid:?} should be an atlas id");
        }
        for invalid in [
            "",
            "com",
            "com.",
            ".com",
            "com..example",
            "Com.example",
            "com.Example",
            "1com.example",
            "com.1example",
            "com.-example",
            "acme-corp.billing",
            "com.example_billing",
            "com.example.billing\n",
            " com.example",
            "com.example ",
            "com.exämple",
            "com.example.",
        ] {
            assert!(
                !is_atlas_id(invalid),
                "{invalid:?} should not be an atlas id"
            );
        }
    }

    #[test]
    fn action_ids_are_two_or_more_lowercase_segments_without_hyphens() {
        for valid in ["billing.charge", "a.b", "billing.invoice.create", "v2.x9"] {
            assert!(is_action_id(valid), "{valid:?} should be an action id");
        }
        for invalid in [
            "",
            "billing",
            "billing.",
            ".charge",
            "billing..charge",
            "billing.Charge",
            "billing.2fa",
            "2fa.billing",
            "billing.re-fund",
            "billing.charge*",
            "billing.*",
            "*.charge",
            "billing.charge\n",
            "billing_charge.x",
        ] {
            assert!(
                !is_action_id(invalid),
                "{invalid:?} should not be an action id"
            );
        }
    }

    #[test]
    fn dotted_segments_accept_a_single_segment() {
        assert!(is_dotted_segments("billing"));
        assert!(is_dotted_segments("billing.invoice"));
        assert!(!is_dotted_segments(""));
        assert!(!is_dotted_segments("billing."));
        assert!(!is_dotted_segments("*"));
        assert!(!is_dotted_segments("bill-ing"));
    }

    #[test]
    fn semantic_versions_need_three_parts_and_allow_pre_release_and_build() {
        for valid in [
            "0.0.0",
            "1.0.0",
            "10.20.30",
            "1.0.0-alpha",
            "1.0.0-rc.1+build.5",
            "1.0.0+20240101",
        ] {
            assert!(is_semantic_version(valid), "{valid:?} should be a version");
        }
        for invalid in [
            "", "1", "1.0", "v1.0.0", "01.0.0", "1.0.0 ", " 1.0.0", "1.0.0-", "1.0.0.0",
        ] {
            assert!(
                !is_semantic_version(invalid),
                "{invalid:?} should not be a version"
            );
        }
    }

    /// An independent reading of the atlas-id grammar, as a state machine over
    /// characters, to cross-check the segment-based matcher on random input.
    fn atlas_id_reference(text: &str) -> bool {
        #[derive(PartialEq)]
        enum State {
            Start,
            FirstSegment,
            AfterDot,
            LaterSegment,
        }
        let mut state = State::Start;
        for c in text.chars() {
            state = match (state, c) {
                (State::Start, 'a'..='z') => State::FirstSegment,
                (State::FirstSegment, 'a'..='z' | '0'..='9') => State::FirstSegment,
                (State::FirstSegment | State::LaterSegment, '.') => State::AfterDot,
                (State::AfterDot, 'a'..='z') => State::LaterSegment,
                (State::LaterSegment, 'a'..='z' | '0'..='9' | '-') => State::LaterSegment,
                _ => return false,
            };
        }
        state == State::LaterSegment
    }

    /// The same cross-check for action ids.
    fn action_id_reference(text: &str) -> bool {
        let mut dots = 0;
        let mut previous: Option<char> = None;
        for c in text.chars() {
            let ok = match c {
                'a'..='z' => true,
                '0'..='9' => previous.is_some_and(|p| p != '.'),
                '.' => previous.is_some_and(|p| p != '.'),
                _ => false,
            };
            if !ok {
                return false;
            }
            dots += usize::from(c == '.');
            previous = Some(c);
        }
        dots > 0 && previous.is_some_and(|p| p != '.')
    }

    proptest! {
        #[test]
        fn matchers_agree_with_reference_state_machines(text in "[a-c0-1.A_-]{0,12}") {
            prop_assert_eq!(is_atlas_id(&text), atlas_id_reference(&text));
            prop_assert_eq!(is_action_id(&text), action_id_reference(&text));
        }

        #[test]
        fn every_action_id_is_an_atlas_id(text in "[a-c][a-c0-1]{0,3}(\\.[a-c][a-c0-1]{0,3}){1,3}") {
            prop_assert!(is_action_id(&text));
            prop_assert!(is_atlas_id(&text));
        }
    }
}
