//! TRACE timestamps: UTC, RFC 3339, exactly six fractional digits, `Z`.

use super::clock::UnixMicros;
use std::borrow::Cow;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Length of a formatted timestamp: `2026-11-28T12:00:00.000250Z`.
pub const TIMESTAMP_LEN: usize = 27;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// Where the fraction starts in a formatted timestamp.
const FRACTION_START: usize = 20;

/// Formats `micros` since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
///
/// Times outside years 0000–9999 are clamped to that range: they cannot be
/// written in this format and only arise from a broken clock.
pub fn format_timestamp(micros: UnixMicros) -> [u8; TIMESTAMP_LEN] {
    const DAY: i64 = 86_400_000_000;
    let micros = within_format(micros);
    let (days, of_day) = (micros.div_euclid(DAY), micros.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    let seconds = of_day / MICROS_PER_SECOND;
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    // The clamp keeps every field within its digits.
    put_digits(&mut out[0..4], year as u32);
    put_digits(&mut out[5..7], month);
    put_digits(&mut out[8..10], day);
    put_digits(&mut out[11..13], (seconds / 3600) as u32);
    put_digits(&mut out[14..16], (seconds / 60 % 60) as u32);
    put_digits(&mut out[17..19], (seconds % 60) as u32);
    put_digits(
        &mut out[FRACTION_START..TIMESTAMP_LEN - 1],
        (of_day % MICROS_PER_SECOND) as u32,
    );
    out
}

/// `micros` clamped to the years the format can write, 0000–9999.
fn within_format(micros: UnixMicros) -> UnixMicros {
    const MIN: i64 = -62_167_219_200_000_000; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799_999_999; // 9999-12-31T23:59:59.999999Z
    micros.clamp(MIN, MAX)
}

/// The proleptic Gregorian (year, month, day) of a day number counted from
/// 1970-01-01: Howard Hinnant's `civil_from_days`, which counts in 400-year
/// eras of 146 097 days whose years start on March 1 (so a leap day ends
/// its year).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468; // from 0000-03-01
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097); // 0..=146_096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // 0..=399
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0..=365
    let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32; // 1..=31
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends the formatted timestamp of `micros` to `out`.
pub fn push_timestamp(out: &mut String, micros: UnixMicros) {
    let text = format_timestamp(micros);
    // Only ASCII digits and separators are ever written.
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// Writes `value` as zero-padded decimal filling `slot`, which holds an
/// even number of digits, two at a time.
fn put_digits(slot: &mut [u8], mut value: u32) {
    for pair in slot.rchunks_exact_mut(2) {
        pair.copy_from_slice(&DIGIT_PAIRS[(value % 100) as usize]);
        value /= 100;
    }
}

/// "00" to "99".
const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0; 2]; 100];
    let mut value = 0;
    while value < 100 {
        pairs[value] = [b'0' + (value / 10) as u8, b'0' + (value % 10) as u8];
        value += 1;
    }
    pairs
};

/// Parses any RFC 3339 timestamp (offsets, any fraction) to microseconds
/// since the epoch, a fraction of a microsecond rounded toward zero. A leap
/// second (`23:59:60`, valid RFC 3339) reads as the second that follows it.
pub fn parse_rfc3339(text: &str) -> Option<UnixMicros> {
    let (text, leap) = match as_second_59(text) {
        Some(text) => (Cow::Owned(text), MICROS_PER_SECOND),
        None => (Cow::Borrowed(text), 0),
    };
    let nanos = OffsetDateTime::parse(&text, &Rfc3339)
        .ok()?
        .unix_timestamp_nanos();
    i64::try_from(nanos / 1000).ok()?.checked_add(leap)
}

/// `text` with its seconds written `59` instead of a leap second's `60`,
/// if it has one.
fn as_second_59(text: &str) -> Option<String> {
    // `YYYY-MM-DDTHH:MM:SS`: the seconds follow the colon at byte 16.
    let (head, rest) = text.split_at_checked(17)?;
    let rest = rest.strip_prefix("60")?;
    (head.as_bytes()[16] == b':').then(|| format!("{head}59{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// What the `time` crate makes of `micros`, clamped like `format_timestamp`.
    fn formatted_by_time(micros: UnixMicros) -> String {
        let micros = micros.clamp(-62_167_219_200_000_000, 253_402_300_799_999_999);
        let moment = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).unwrap();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            moment.year(),
            u8::from(moment.month()),
            moment.day(),
            moment.hour(),
            moment.minute(),
            moment.second(),
            moment.microsecond()
        )
    }

    #[test]
    fn clamps_to_the_years_it_can_write() {
        assert_eq!(formatted(i64::MIN), "0000-01-01T00:00:00.000000Z");
        assert_eq!(formatted(i64::MAX), "9999-12-31T23:59:59.999999Z");
        assert_eq!(
            formatted(951_782_400_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    proptest! {
        #[test]
        fn formats_as_the_time_crate_does(micros in any::<i64>(), near in -4_102_444_800_000_000i64..4_102_444_800_000_000) {
            prop_assert_eq!(formatted(micros), formatted_by_time(micros));
            prop_assert_eq!(formatted(near), formatted_by_time(near));
        }
    }

    #[test]
    fn fractions_of_a_microsecond_round_toward_zero() {
        for (text, micros) in [
            ("1970-01-01T00:00:00.0000009Z", 0),
            ("1969-12-31T23:59:59.9999995Z", 0),
            ("1969-12-31T23:59:59.999998001Z", -1),
            ("1969-12-31T23:59:59.000001Z", -999_999),
        ] {
            assert_eq!(parse_rfc3339(text), Some(micros), "{text}");
        }
    }

    #[test]
    fn a_leap_second_reads_as_the_second_after_it() {
        let new_year_2017 = 1_483_228_800_000_000;
        for (text, micros) in [
            ("2016-12-31T23:59:60Z", new_year_2017),
            ("2016-12-31T23:59:60.25Z", new_year_2017 + 250_000),
            ("2017-01-01T00:59:60+01:00", new_year_2017),
            ("2015-06-30T23:59:60Z", 1_435_708_800_000_000),
        ] {
            assert_eq!(parse_rfc3339(text), Some(micros), "{text}");
        }
        for text in [
            "2016-12-31T23:59:61Z",
            "2016-12-31T23:60:00Z",
            "2016-12-31T24:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
    }

    #[test]
    fn round_trips_through_the_parser() {
        for micros in [0, 1, 1_795_867_200_123_456, 4_102_444_800_000_001] {
            let text = formatted(micros);
            assert_eq!(parse_rfc3339(&text), Some(micros), "{text}");
        }
    }
}
