//! Identifiers as TRACE.md writes them: UUIDv7s, lowercase and
//! hyphenated, and the two a session's events share.

use super::shape::is_uuid;
use crate::time::UnixMicros;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::cell::RefCell;
use uuid::{Builder, Uuid};

/// Length of a hyphenated UUID.
pub const UUID_TEXT_LEN: usize = 36;

/// The two ids every event of a session shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainIds {
    pub session_id: Uuid,
    pub trace_id: Uuid,
}

thread_local! {
    /// Ids are minted on many threads at once; a generator per thread keeps
    /// them off a shared lock and off a system call per id.
    static RANDOM: RefCell<SmallRng> = RefCell::new(rand::make_rng());
}

/// A new UUIDv7 for the moment `at`: its millisecond, then 74 random bits
/// that make it unique.
pub fn new_v7(at: UnixMicros) -> Uuid {
    RANDOM.with(|rng| IdMinter::mint_with(&mut rng.borrow_mut(), at))
}

/// Mints UUIDv7s from a generator of its own, for code that mints many in
/// a row: sealing takes two ids per event, and reaching the thread's
/// generator costs a thread-local lookup each time (a call into the
/// dynamic loader, in the shared library).
pub struct IdMinter {
    rng: SmallRng,
}

impl IdMinter {
    /// A minter seeded from this thread's generator.
    pub fn new() -> IdMinter {
        IdMinter {
            rng: RANDOM.with(|rng| SmallRng::from_rng(&mut *rng.borrow_mut())),
        }
    }

    /// A new UUIDv7 for the moment `at`, as [`new_v7`].
    pub fn mint(&mut self, at: UnixMicros) -> Uuid {
        Self::mint_with(&mut self.rng, at)
    }

    /// The millisecond of `at` (the epoch for earlier times), then 74
    /// random bits, laid out by the uuid crate.
    fn mint_with(rng: &mut SmallRng, at: UnixMicros) -> Uuid {
        let millis = at.max(0) as u64 / 1000;
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
        random[8..].copy_from_slice(&rng.next_u64().to_le_bytes()[..2]);
        Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
    }
}

impl Default for IdMinter {
    fn default() -> IdMinter {
        IdMinter::new()
    }
}

/// Formats `id` into `buf` without allocating and returns the text.
pub fn uuid_text<'a>(id: &Uuid, buf: &'a mut [u8; UUID_TEXT_LEN]) -> &'a str {
    id.hyphenated().encode_lower(buf)
}

/// The texts of the ids every event of a chain carries, formatted once.
#[derive(Debug)]
pub struct ChainTexts {
    pub session_id: String,
    pub trace_id: String,
}

impl ChainTexts {
    pub fn new(ids: ChainIds) -> ChainTexts {
        ChainTexts {
            session_id: ids.session_id.hyphenated().to_string(),
            trace_id: ids.trace_id.hyphenated().to_string(),
        }
    }
}

/// Parses the canonical text form (36 characters, lowercase, hyphenated).
/// Other spellings (braces, upper case, no hyphens) are refused so that an
/// id has exactly one text.
pub fn parse_uuid(text: &str) -> Option<Uuid> {
    is_uuid(text).then(|| Uuid::try_parse(text).ok())?
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn v7_ids_carry_their_millisecond_and_are_unique() {
        let at = 1_795_867_200_123_456;
        let mut minter = IdMinter::new();
        let ids = [new_v7(at), new_v7(at), minter.mint(at), minter.mint(at)];
        for (n, id) in ids.iter().enumerate() {
            assert!(ids[n + 1..].iter().all(|other| other != id));
            assert_eq!(id.get_version(), Some(uuid::Version::SortRand));
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
            let (secs, nanos) = id.get_timestamp().unwrap().to_unix();
            assert_eq!(
                secs * 1000 + u64::from(nanos) / 1_000_000,
                1_795_867_200_123
            );
        }
        // Before the epoch, the clock reads as the epoch itself.
        let (secs, _) = minter.mint(-5).get_timestamp().unwrap().to_unix();
        assert_eq!(secs, 0);
    }

    proptest! {
        #[test]
        fn parses_exactly_the_canonical_texts_uuid_accepts(
            text in "[0-9a-fA-F{}-]{30,38}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-fg]{4}-[0-9a-f]{12}",
        ) {
            let canonical = text.len() == UUID_TEXT_LEN
                && !text.bytes().any(|byte| byte.is_ascii_uppercase() || byte == b'{');
            let expected = if canonical { Uuid::try_parse(&text).ok() } else { None };
            prop_assert_eq!(parse_uuid(&text), expected, "{}", text);
        }
    }

    #[test]
    fn text_form_is_lowercase_hyphenated_and_parses_back() {
        let id = new_v7(1);
        let mut buf = [0u8; UUID_TEXT_LEN];
        let text = uuid_text(&id, &mut buf).to_owned();
        assert_eq!(text, text.to_lowercase());
        assert_eq!(parse_uuid(&text), Some(id));
        assert_eq!(parse_uuid(&text.to_uppercase()), None);
        assert_eq!(parse_uuid(&text.replace('-', "")), None);
        assert_eq!(parse_uuid("not-a-uuid"), None);
        assert_eq!(parse_uuid(""), None);
    }

    #[test]
    fn text_form_is_the_uuid_crates_hyphenated_lowercase() {
        let mut buf = [0u8; UUID_TEXT_LEN];
        for seed in 0..=255u8 {
            let id = Uuid::from_bytes(std::array::from_fn(|i| {
                seed.wrapping_mul(31).wrapping_add(i as u8 * 17)
            }));
            assert_eq!(uuid_text(&id, &mut buf), id.hyphenated().to_string());
        }
        assert_eq!(
            uuid_text(&Uuid::max(), &mut buf),
            "ffffffff-ffff-ffff-ffff-ffffffffffff"
        );
    }
}
