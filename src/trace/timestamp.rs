//! TRACE timestamps: UTC, RFC 3339, exactly six fractional digits, `Z`.

use crate::clock::UnixMicros;
use std::cell::RefCell;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Length of a formatted timestamp: `2026-11-28T12:00:00.000250Z`.
pub const TIMESTAMP_LEN: usize = 27;

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
/// its year). This runs for every resolve, where `time`'s general
/// conversion cost several times as much.
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

/// Formats timestamps, reusing the last text: the events of one operation
/// share their time, so a run of them is formatted once.
#[derive(Default)]
pub struct TimestampText {
    last: Option<(UnixMicros, [u8; TIMESTAMP_LEN])>,
}

impl TimestampText {
    /// The text of `micros`.
    pub fn of(&mut self, micros: UnixMicros) -> [u8; TIMESTAMP_LEN] {
        match self.last {
            Some((at, text)) if at == micros => text,
            _ => {
                let text = format_timestamp(micros);
                self.last = Some((micros, text));
                text
            }
        }
    }
}

/// Appends the formatted timestamp to `out`.
///
/// Each resolve writes two into its resolution (when it was issued and when
/// it expires), so each thread keeps the text of the last two seconds it
/// wrote, up to their fraction, as web servers keep their `Date` header: a
/// timestamp within one of them costs only its six fraction digits (the
/// two of a resolve: 270 instructions instead of 610, by callgrind).
pub fn push_timestamp(out: &mut String, micros: UnixMicros) {
    RECENT_SECONDS.with_borrow_mut(|recent| recent.push(out, micros));
}

thread_local! {
    static RECENT_SECONDS: RefCell<RecentSeconds> = const { RefCell::new(RecentSeconds::new()) };
}

const MICROS_PER_SECOND: i64 = 1_000_000;

/// Where the fraction starts in a formatted timestamp.
const FRACTION_START: usize = 20;

/// The text before the fraction (`2026-11-28T12:00:00.`) of two seconds.
struct RecentSeconds {
    seconds: [i64; 2],
    heads: [String; 2],
    /// The slot the next second not found replaces.
    oldest: usize,
}

impl RecentSeconds {
    const fn new() -> RecentSeconds {
        RecentSeconds {
            // Below every clamped time: no slot matches until written.
            seconds: [i64::MIN; 2],
            heads: [String::new(), String::new()],
            oldest: 0,
        }
    }

    fn push(&mut self, out: &mut String, micros: UnixMicros) {
        let micros = within_format(micros);
        out.push_str(self.head(micros));
        let mut fraction = [0; 6];
        put_digits(&mut fraction, micros.rem_euclid(MICROS_PER_SECOND) as u32);
        // Pushed as characters: ASCII digits need no UTF-8 check then.
        for digit in fraction {
            out.push(char::from(digit));
        }
        out.push('Z');
    }

    /// The text before the fraction of the second `micros` falls in.
    fn head(&mut self, micros: UnixMicros) -> &str {
        let second = micros.div_euclid(MICROS_PER_SECOND);
        let slot = match self.seconds.iter().position(|&known| known == second) {
            Some(slot) => slot,
            None => {
                let slot = self.oldest;
                self.oldest = 1 - slot;
                let text = format_timestamp(micros);
                let head = &mut self.heads[slot];
                head.clear();
                // The text holds only ASCII digits and separators.
                head.push_str(std::str::from_utf8(&text[..FRACTION_START]).unwrap_or_default());
                self.seconds[slot] = second;
                slot
            }
        };
        &self.heads[slot]
    }
}

/// Writes `value` as zero-padded decimal filling `slot`, which holds an
/// even number of digits: two at a time, from a table, as `itoa` does.
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

/// Parses any RFC 3339 timestamp (offsets, any fraction) to microseconds since the epoch.
pub fn parse_rfc3339(text: &str) -> Option<UnixMicros> {
    if let Some(micros) = parse_utc_fast(text) {
        return Some(micros);
    }
    let nanos = OffsetDateTime::parse(text, &Rfc3339)
        .ok()?
        .unix_timestamp_nanos();
    i64::try_from(nanos / 1000).ok()
}

/// Microseconds since the epoch of the form hosts usually send,
/// `YYYY-MM-DDTHH:MM:SS[.f…]Z` with at most nine fractional digits;
/// `None` for anything else, which the general parser then reads (a leap
/// second too: `time` reads `23:59:60` at the end of a month as `:59.999…`).
/// Every request's timestamp is read here, so this checks the calendar
/// and counts the days itself instead of building `time`'s values.
fn parse_utc_fast(text: &str) -> Option<UnixMicros> {
    let bytes = text.as_bytes();
    let (head, rest) = bytes.split_at_checked(19)?;
    let fraction = match rest {
        [b'Z'] => &[][..],
        [b'.', digits @ .., b'Z'] if (1..=9).contains(&digits.len()) => digits,
        _ => return None,
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| head[at] != byte) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| digits_value(&head[range]);
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let valid_date = (1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day);
    if !valid_date || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let seconds =
        days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    let nanos = digits_value(fraction)? * NANOS_PER_DIGIT[fraction.len()];
    Some(micros_toward_zero(seconds, nanos))
}

/// What one unit of a fraction of `n` digits is worth in nanoseconds, by `n`.
const NANOS_PER_DIGIT: [u32; 10] = [
    0,
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
];

/// `seconds` and `nanos` (a fraction of a second) in whole microseconds,
/// rounded toward zero as the general parser's division of nanoseconds is:
/// before the epoch, a fraction of a microsecond rounds up.
fn micros_toward_zero(seconds: i64, nanos: u32) -> UnixMicros {
    let micros = seconds * 1_000_000 + i64::from(nanos / 1000);
    let partial = !nanos.is_multiple_of(1000);
    micros + i64::from(seconds < 0 && partial)
}

/// The days of `month` (1–12) in `year`, in the proleptic Gregorian calendar.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// The day number, counted from 1970-01-01, of a valid date of years
/// 0000–9999: the inverse of [`civil_from_days`], also Howard Hinnant's.
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    // Years start on March 1, so a leap day ends its year. Counting them
    // from year -400 (an era before 0000) keeps every number unsigned.
    let year = year + 400 - u32::from(month <= 2);
    let (era, year_of_era) = (year / 400, year % 400);
    let month_from_march = (month + 9) % 12; // 0..=11
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days_from_minus_400 = i64::from(era * 146_097 + day_of_era);
    days_from_minus_400 - 146_097 - 719_468
}

/// The value of a run of ASCII digits (at most nine); `None` if any byte is not one.
fn digits_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
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

        #[test]
        fn pushed_timestamps_read_as_formatted_ones(
            // Times in a few seconds after a random one (1840–2100), and
            // their expiry, and now and then anywhere, clamped years
            // included.
            start in -4_102_444_800_000_000i64..4_102_444_800_000_000,
            steps in prop::collection::vec((0i64..3_000_000, any::<bool>(), prop::option::weighted(0.05, any::<i64>())), 1..40),
        ) {
            let mut out = String::new();
            let mut expected = String::new();
            for (step, expiry, anywhere) in steps {
                let micros = anywhere.unwrap_or(start.saturating_add(step));
                let micros = if expiry { micros.saturating_add(300_000_000) } else { micros };
                push_timestamp(&mut out, micros);
                expected.push_str(&formatted(micros));
            }
            prop_assert_eq!(out, expected);
        }

        #[test]
        fn counts_days_as_the_inverse_of_civil_from_days(
            days in -719_528i64..2_932_897, // 0000-01-01 to 9999-12-31
        ) {
            let (year, month, day) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(year as u32, month, day), days);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn the_fast_parse_agrees_with_the_time_crate(
            fields in (0u32..10_000, 0u32..14, 0u32..33, 0u32..25, 0u32..61, 0u32..62),
            fraction in prop::option::of("[0-9]{1,10}"),
            zone in prop::sample::select(vec!["Z", "z", "+01:00", "-00:30", ""]),
        ) {
            let (year, month, day, hour, minute, second) = fields;
            let digits = fraction.as_ref().map_or(0, String::len);
            let fraction = fraction.map(|digits| format!(".{digits}")).unwrap_or_default();
            let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{zone}");
            let by_time = OffsetDateTime::parse(&text, &Rfc3339)
                .ok()
                .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1000).ok());
            let fast = parse_utc_fast(&text);
            if fast.is_some() {
                prop_assert_eq!(fast, by_time, "{}", text);
            }
            // The fast path reads every valid timestamp of its form.
            if by_time.is_some() && zone == "Z" && digits <= 9 && second < 60 {
                prop_assert!(fast.is_some(), "{}", text);
            }
            prop_assert_eq!(parse_rfc3339(&text), by_time, "{}", text);
        }
    }

    #[test]
    fn the_fast_parse_reads_the_usual_forms() {
        for text in [
            "2026-11-28T12:00:00Z",
            "2026-11-28T12:00:00.5Z",
            "1969-12-31T23:59:59.999999999Z",
            "2000-02-29T00:00:00Z",
            "0000-02-29T00:00:00Z",
        ] {
            assert!(parse_utc_fast(text).is_some(), "{text}");
        }
        for text in [
            "2026-11-28T12:00:00+00:00",
            "2026-02-29T12:00:00Z",
            "1900-02-29T12:00:00Z",
            "2026-04-31T12:00:00Z",
            "2026-11-28t12:00:00Z",
            "2026-11-28T12:00:00.Z",
            "2026-12-31T23:59:60Z",
        ] {
            assert!(parse_utc_fast(text).is_none(), "{text}");
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
        // A leap second, which only the general parser reads.
        assert_eq!(
            parse_rfc3339("2016-12-31T23:59:60Z"),
            Some(1_483_228_799_999_999)
        );
    }

    #[test]
    fn round_trips_through_the_parser() {
        for micros in [0, 1, 1_795_867_200_123_456, 4_102_444_800_000_001] {
            let text = formatted(micros);
            assert_eq!(parse_rfc3339(&text), Some(micros), "{text}");
        }
    }
}
