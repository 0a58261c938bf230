//! TRACE timestamps: UTC, RFC 3339, exactly six fractional digits, `Z`.

use crate::clock::UnixMicros;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Length of a formatted timestamp: `2026-11-28T12:00:00.000250Z`.
pub const TIMESTAMP_LEN: usize = 27;

/// Formats `micros` since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
///
/// Times outside years 0000–9999 are clamped to that range: they cannot be
/// written in this format and only arise from a broken clock.
pub fn format_timestamp(micros: UnixMicros) -> [u8; TIMESTAMP_LEN] {
    const MIN: i64 = -62_167_219_200_000_000; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799_999_999; // 9999-12-31T23:59:59.999999Z
    let micros = micros.clamp(MIN, MAX);
    let moment = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    put_digits(&mut out[0..4], moment.year() as u32);
    put_digits(&mut out[5..7], u8::from(moment.month()).into());
    put_digits(&mut out[8..10], moment.day().into());
    put_digits(&mut out[11..13], moment.hour().into());
    put_digits(&mut out[14..16], moment.minute().into());
    put_digits(&mut out[17..19], moment.second().into());
    put_digits(&mut out[20..26], moment.microsecond());
    out
}

/// Appends the formatted timestamp to `out`.
pub fn push_timestamp(out: &mut String, micros: UnixMicros) {
    let text = format_timestamp(micros);
    // The buffer holds only ASCII digits and separators.
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// Writes `value` as zero-padded decimal filling `slot`.
fn put_digits(slot: &mut [u8], mut value: u32) {
    for byte in slot.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Parses any RFC 3339 timestamp (offsets, any fraction) to microseconds since the epoch.
pub fn parse_rfc3339(text: &str) -> Option<UnixMicros> {
    let moment = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(moment.unix_timestamp_nanos() / 1000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(micros: UnixMicros) -> String {
        String::from_utf8(format_timestamp(micros).to_vec()).unwrap()
    }

    #[test]
    fn formats_six_fractional_digits_in_utc() {
        // 2026-11-28T12:00:00Z
        let noon = 1_795_867_200_000_000;
        assert_eq!(formatted(noon), "2026-11-28T12:00:00.000000Z");
        assert_eq!(formatted(noon + 250), "2026-11-28T12:00:00.000250Z");
        assert_eq!(formatted(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(formatted(-1), "1969-12-31T23:59:59.999999Z");
    }

    #[test]
    fn parses_any_rfc3339_form() {
        let noon = 1_795_867_200_000_000;
        assert_eq!(parse_rfc3339("2026-11-28T12:00:00Z"), Some(noon));
        assert_eq!(parse_rfc3339("2026-11-28T13:00:00+01:00"), Some(noon));
        assert_eq!(
            parse_rfc3339("2026-11-28T12:00:00.000250Z"),
            Some(noon + 250)
        );
        assert_eq!(parse_rfc3339("2026-11-28 12:00:00"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn round_trips_through_the_parser() {
        for micros in [0, 1, 1_795_867_200_123_456, 4_102_444_800_000_001] {
            let text = formatted(micros);
            assert_eq!(parse_rfc3339(&text), Some(micros), "{text}");
        }
    }
}
