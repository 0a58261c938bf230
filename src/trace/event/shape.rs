//! The shape rules of TRACE.md for an event's members: which texts are
//! UUIDs, timestamps and hashes. `trace_verify.py` calls the same checks
//! `shape_error`.
//!
//! Each check looks at every byte of its field and combines the verdicts
//! without stopping early: a fixed-length loop with no branch per byte,
//! which the compiler can turn into vector instructions.

use super::fields::EventView;

/// What is wrong with the shape of `event`'s members, as trace_verify.py
/// words it, or `None` (the member types are already right in a view).
pub(crate) fn shape_error(view: &EventView<'_>) -> Option<String> {
    let event = &view.fields;
    if event.trace_version != "1.0" {
        return Some("trace_version is not 1.0".to_owned());
    }
    for (name, value) in [
        ("event_id", event.event_id),
        ("trace_id", event.trace_id),
        ("span_id", event.span_id),
        ("session_id", event.session_id),
    ] {
        if !is_uuid(value) {
            return Some(format!("{name} is not a lowercase hyphenated UUID"));
        }
    }
    if event.parent_span_id.is_some_and(|parent| !is_uuid(parent)) {
        return Some("parent_span_id is neither null nor a UUID".to_owned());
    }
    if !is_timestamp(event.timestamp) {
        return Some("timestamp is not RFC 3339 UTC with 6 fractional digits".to_owned());
    }
    if event.event_type.is_empty() {
        return Some("event_type is not a non-empty string".to_owned());
    }
    for (name, value) in [
        ("event_hash", view.event_hash),
        ("previous_event_hash", event.previous_event_hash),
    ] {
        if !is_hex64(value) {
            return Some(format!("{name} is not 64 lowercase hex digits"));
        }
    }
    None
}

/// `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
pub(crate) fn is_uuid(text: &str) -> bool {
    matches_template(text, b"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
}

/// 64 lowercase hex digits.
pub(crate) fn is_hex64(text: &str) -> bool {
    matches_template(text, &[b'x'; 64])
}

/// `\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z`, ASCII digits only.
pub(crate) fn is_timestamp(text: &str) -> bool {
    matches_template(text, b"dddd-dd-ddTdd:dd:dd.ddddddZ")
}

/// Whether `text` has the template's length and, byte for byte, a lowercase
/// hex digit where the template has `x`, an ASCII digit where it has `d`,
/// and the template's own byte elsewhere.
fn matches_template<const N: usize>(text: &str, template: &[u8; N]) -> bool {
    let Ok(bytes) = <&[u8; N]>::try_from(text.as_bytes()) else {
        return false;
    };
    bytes
        .iter()
        .zip(template)
        .fold(true, |all, (&byte, &slot)| {
            let digit = byte.wrapping_sub(b'0') < 10;
            let hex_letter = byte.wrapping_sub(b'a') < 6;
            // Arithmetic on booleans rather than a `match`, to stay free of branches.
            let (hex_slot, digit_slot) = (slot == b'x', slot == b'd');
            let literal_slot = !hex_slot & !digit_slot;
            let fits = (hex_slot & (digit | hex_letter))
                | (digit_slot & digit)
                | (literal_slot & (byte == slot));
            all & fits
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::hex::GENESIS_HASH_HEX;

    #[test]
    fn shape_checkers_take_ascii_forms_only() {
        assert!(is_uuid("01936f2a-7c00-7000-8000-000000000100"));
        assert!(is_uuid("abcdef01-2345-6789-abcd-ef0123456789"));
        assert!(!is_uuid("01936f2a-7c00-7000-8000-00000000010"));
        assert!(!is_uuid("01936f2a-7c00-7000-8000-0000000001000"));
        assert!(!is_uuid("01936f2a_7c00-7000-8000-000000000100"));
        assert!(!is_uuid("01936f2a-7c00-7000-8000-00000000010é"));
        assert!(!is_uuid("01936F2A-7c00-7000-8000-000000000100"));
        assert!(!is_uuid("01936f2a07c00-7000-8000-000000000100"));
        assert!(is_timestamp("2026-11-28T12:00:00.000250Z"));
        assert!(!is_timestamp("2026-11-28T12:00:00.000250z"));
        assert!(!is_timestamp("2026-11-28T12:00:00.000250Z\n"));
        assert!(!is_timestamp("2026-11-28T12:00:00,000250Z"));
        assert!(!is_timestamp("2026-11-28T12:00:00.00025aZ"));
        assert!(is_hex64(GENESIS_HASH_HEX));
        assert!(!is_hex64(&"g".repeat(64)));
        assert!(!is_hex64(&"A".repeat(64)));
        assert!(!is_hex64(&"0".repeat(63)));
    }

    #[test]
    fn every_byte_outside_a_class_is_refused() {
        for byte in 0..=255u8 {
            let hex = byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
            let mut uuid = *b"01936f2a-7c00-7000-8000-000000000100";
            uuid[35] = byte;
            let text = String::from_utf8_lossy(&uuid);
            assert_eq!(is_uuid(&text), hex, "byte {byte:#04x}");
            let mut stamp = *b"2026-11-28T12:00:00.000250Z";
            stamp[25] = byte;
            let text = String::from_utf8_lossy(&stamp);
            assert_eq!(
                is_timestamp(&text),
                byte.is_ascii_digit(),
                "byte {byte:#04x}"
            );
        }
    }
}
