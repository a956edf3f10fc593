//! Dates as SuperOffice writes and reads them (spec §2.9): wall time in a zone, seven fractional
//! digits only when there is a fraction, an optional offset suffix, and `0001-01-01T00:00:00` for
//! "no date". Parsing is lenient and never fails loudly, because clients send back dates this server
//! never reads (the npm client's year-0000 round trip) and those must not break a request.

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::{OffsetComponents, Tz};
use sobatch_core::Timestamp;

/// What .NET's `DateTime.MinValue` renders as; SuperOffice's way of writing "no date".
const EMPTY_DATE: &str = "0001-01-01T00:00:00";

/// How a response renders its dates: the zone whose wall time is written, and whether an offset
/// suffix follows (`SO-TimeZone: …, includeTZOffset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateStyle {
    pub zone: Tz,
    pub include_offset: bool,
}

impl DateStyle {
    /// UTC wall time without a suffix.
    pub fn utc() -> Self {
        DateStyle {
            zone: Tz::UTC,
            include_offset: false,
        }
    }
}

impl Default for DateStyle {
    fn default() -> Self {
        DateStyle::utc()
    }
}

/// Renders `t` as SuperOffice does: `YYYY-MM-DDTHH:mm:ss`, then `.fffffff` when the time has a
/// sub-second part (whole .NET ticks of 100 ns; finer parts are dropped), then `Z` or `+HH:MM` when
/// the style asks for an offset. `None` is the empty date.
pub fn format_date(t: Option<Timestamp>, style: &DateStyle) -> String {
    let Some(t) = t else {
        return if style.include_offset {
            format!("{EMPTY_DATE}Z")
        } else {
            EMPTY_DATE.to_string()
        };
    };
    let local = t.with_timezone(&style.zone);
    let mut text = local.format("%Y-%m-%dT%H:%M:%S").to_string();
    // chrono keeps a leap second as nanoseconds past one billion; it is still a fraction.
    let ticks = (local.nanosecond() % 1_000_000_000) / 100;
    if ticks != 0 {
        text.push_str(&format!(".{ticks:07}"));
    }
    if style.include_offset {
        if is_utc(style.zone) {
            text.push('Z');
        } else {
            push_offset(&mut text, local.offset().fix().local_minus_utc());
        }
    }
    text
}

/// Reads a date the way SuperOffice accepts one: `YYYY-MM-DDTHH:mm:ss`, an optional fraction of one
/// to nine digits (kept to whole 100 ns ticks), then `Z`, `±HH:MM`, `±HHMM` or nothing. An
/// unsuffixed value is wall time in `zone`.
///
/// Returns `None` for anything it cannot read, for years before 1 (which .NET cannot hold, and which
/// the npm client produces from an empty date), and for the empty date itself. A wall time that
/// falls twice in `zone` is taken as standard time, as .NET does; one that falls in a gap is read
/// with the offset in force before the gap.
pub fn parse_date(text: &str, zone: Tz) -> Option<Timestamp> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let (wall, rest) = parse_wall_time(bytes)?;
    let empty = wall.year() == 1 && wall.ordinal() == 1 && wall.time() == NaiveTime::MIN;
    let utc = if rest.is_empty() {
        if empty {
            return None;
        }
        wall_time_in_zone(wall, zone)?
    } else {
        let offset = parse_offset(rest)?;
        if empty {
            return None;
        }
        offset
            .from_local_datetime(&wall)
            .single()?
            .with_timezone(&Utc)
    };
    (utc.year() >= 1).then_some(utc)
}

/// The zones written with `Z`: UTC under any of its names.
pub(crate) fn is_utc(zone: Tz) -> bool {
    matches!(
        zone,
        Tz::UTC
            | Tz::Etc__UTC
            | Tz::UCT
            | Tz::Etc__UCT
            | Tz::Universal
            | Tz::Etc__Universal
            | Tz::Zulu
            | Tz::Etc__Zulu
    )
}

/// Appends `±HH:MM`. Historical local-mean-time offsets have seconds, which RFC 3339 cannot carry;
/// they are dropped, as .NET's whole-minute offsets drop them.
fn push_offset(text: &mut String, seconds: i32) {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    text.push_str(&format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60));
}

/// Reads the fixed-width date and time and an optional fraction; returns them and what follows.
fn parse_wall_time(bytes: &[u8]) -> Option<(NaiveDateTime, &[u8])> {
    let year = digits(bytes, 0, 4)?;
    expect_byte(bytes, 4, b'-')?;
    let month = digits(bytes, 5, 2)?;
    expect_byte(bytes, 7, b'-')?;
    let day = digits(bytes, 8, 2)?;
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(bytes, 11, 2)?;
    expect_byte(bytes, 13, b':')?;
    let minute = digits(bytes, 14, 2)?;
    expect_byte(bytes, 16, b':')?;
    let second = digits(bytes, 17, 2)?;
    let mut at = 19;
    let mut nanos = 0u32;
    if bytes.get(at) == Some(&b'.') {
        let start = at + 1;
        let count = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if !(1..=9).contains(&count) {
            return None;
        }
        let fraction = digits(bytes, start, count)?;
        // Whole ticks only, as .NET holds them: a finer part would be lost on the way out, and a
        // value that differs from its own rendering would not read back as itself.
        nanos = fraction * 10u32.pow(9 - u32::try_from(count).ok()?) / 100 * 100;
        at = start + count;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some((date.and_time(time), &bytes[at..]))
}

/// Reads `Z`, `±HH:MM` or `±HHMM`, and nothing after it.
fn parse_offset(rest: &[u8]) -> Option<FixedOffset> {
    match rest {
        [b'Z' | b'z'] => FixedOffset::east_opt(0),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (hours, minutes) = match tail {
                [_, _, b':', _, _] => (digits(tail, 0, 2)?, digits(tail, 3, 2)?),
                [_, _, _, _] => (digits(tail, 0, 2)?, digits(tail, 2, 2)?),
                _ => return None,
            };
            if minutes > 59 {
                return None;
            }
            let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
            FixedOffset::east_opt(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => None,
    }
}

/// Converts wall time in `zone` to UTC without failing on ambiguous or skipped times.
fn wall_time_in_zone(wall: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(local) => Some(local.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => {
            // .NET assumes standard time for an ambiguous wall time.
            let standard = if first.offset().dst_offset().is_zero() {
                first
            } else {
                second
            };
            Some(standard.with_timezone(&Utc))
        }
        LocalResult::None => {
            // A wall time inside a gap: read it with the offset in force a day earlier, which is
            // the one before the transition, so 02:30 on a spring-forward night becomes 03:30.
            let before = wall.checked_sub_signed(TimeDelta::days(1))?;
            let offset = zone.offset_from_utc_datetime(&before).fix();
            let utc =
                wall.checked_sub_signed(TimeDelta::seconds(offset.local_minus_utc().into()))?;
            Some(Utc.from_utc_datetime(&utc))
        }
    }
}

/// The value of `count` ASCII digits at `start`, or `None` if any is missing or not a digit.
fn digits(bytes: &[u8], start: usize, count: usize) -> Option<u32> {
    let slice = bytes.get(start..start.checked_add(count)?)?;
    slice.iter().try_fold(0u32, |value, byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

fn expect_byte(bytes: &[u8], at: usize, wanted: u8) -> Option<()> {
    (bytes.get(at) == Some(&wanted)).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn style(zone: Tz, include_offset: bool) -> DateStyle {
        DateStyle {
            zone,
            include_offset,
        }
    }

    #[test]
    fn whole_seconds_have_no_fraction_and_fractions_have_seven_digits() {
        let utc = DateStyle::utc();
        assert_eq!(
            format_date(Some(at("2024-05-02T08:15:30Z")), &utc),
            "2024-05-02T08:15:30"
        );
        assert_eq!(
            format_date(Some(at("2024-05-02T08:15:30.5Z")), &utc),
            "2024-05-02T08:15:30.5000000"
        );
        assert_eq!(
            format_date(Some(at("2024-05-02T08:15:30.2468781Z")), &utc),
            "2024-05-02T08:15:30.2468781"
        );
        // Below one tick there is nothing .NET could show.
        assert_eq!(
            format_date(Some(at("2024-05-02T08:15:30.00000005Z")), &utc),
            "2024-05-02T08:15:30"
        );
    }

    #[test]
    fn dates_render_as_wall_time_in_the_zone_with_an_optional_offset() {
        let t = at("2024-05-02T08:15:31Z");
        assert_eq!(
            format_date(Some(t), &style(Tz::Europe__Oslo, false)),
            "2024-05-02T10:15:31"
        );
        assert_eq!(
            format_date(Some(t), &style(Tz::Europe__Oslo, true)),
            "2024-05-02T10:15:31+02:00"
        );
        assert_eq!(
            format_date(Some(t), &style(Tz::America__New_York, true)),
            "2024-05-02T04:15:31-04:00"
        );
        assert_eq!(
            format_date(Some(t), &style(Tz::UTC, true)),
            "2024-05-02T08:15:31Z"
        );
        // London in winter is at +00:00 but is not UTC: only the UTC zone gets `Z`.
        assert_eq!(
            format_date(
                Some(at("2024-01-02T08:15:31Z")),
                &style(Tz::Europe__London, true)
            ),
            "2024-01-02T08:15:31+00:00"
        );
        assert_eq!(
            format_date(Some(t), &style(Tz::Asia__Kolkata, true)),
            "2024-05-02T13:45:31+05:30"
        );
    }

    #[test]
    fn no_date_renders_as_the_dotnet_minimum() {
        assert_eq!(
            format_date(None, &style(Tz::Europe__Oslo, false)),
            "0001-01-01T00:00:00"
        );
        assert_eq!(
            format_date(None, &style(Tz::Europe__Oslo, true)),
            "0001-01-01T00:00:00Z"
        );
        assert_eq!(parse_date("0001-01-01T00:00:00", Tz::Europe__Oslo), None);
        assert_eq!(parse_date("0001-01-01T00:00:00Z", Tz::UTC), None);
    }

    #[test]
    fn every_accepted_suffix_and_fraction_length_parses() {
        let t = at("2024-05-02T08:15:30Z");
        for text in [
            "2024-05-02T08:15:30Z",
            "2024-05-02T08:15:30z",
            "2024-05-02T10:15:30+02:00",
            "2024-05-02T10:15:30+0200",
            "2024-05-02T03:15:30-0500",
            "2024-05-02 08:15:30Z",
            " 2024-05-02T08:15:30Z ",
        ] {
            assert_eq!(parse_date(text, Tz::UTC), Some(t), "{text}");
        }
        assert_eq!(parse_date("2024-05-02T10:15:30", Tz::Europe__Oslo), Some(t));
        assert_eq!(
            parse_date("2024-05-02T08:15:30.1Z", Tz::UTC),
            Some(at("2024-05-02T08:15:30.1Z"))
        );
        assert_eq!(
            parse_date("2024-05-02T08:15:30.2468781+00:00", Tz::UTC),
            Some(at("2024-05-02T08:15:30.2468781Z"))
        );
        assert_eq!(
            parse_date("2024-05-02T08:15:30.000Z", Tz::UTC),
            Some(t),
            "the npm client's millisecond form"
        );
    }

    #[test]
    fn fractions_finer_than_a_tick_are_dropped_on_the_way_in() {
        assert_eq!(
            parse_date("2024-05-02T08:15:30.123456789Z", Tz::UTC),
            Some(at("2024-05-02T08:15:30.1234567Z"))
        );
        // What is left is the empty date, whatever digits followed it.
        assert_eq!(parse_date("0001-01-01 00:00:00.00000001", Tz::UTC), None);
        assert_eq!(parse_date("0001-01-01T00:00:00.00000009Z", Tz::UTC), None);
    }

    #[test]
    fn odd_input_is_none_rather_than_an_error() {
        for text in [
            "",
            "yesterday",
            "0000-12-31T23:06:32.000Z",
            "2024-13-02T08:15:30",
            "2024-02-30T08:15:30",
            "2024-05-02T24:00:00",
            "2024-05-02T08:15",
            "2024-05-02",
            "2024-05-02T08:15:30.",
            "2024-05-02T08:15:30.1234567890Z",
            "2024-05-02T08:15:30+2",
            "2024-05-02T08:15:30+02:60",
            "2024-05-02T08:15:30+25:00",
            "2024-05-02T08:15:30Zjunk",
            "２０２４-05-02T08:15:30",
            "2024-05-02T08:15:30ø",
            "0001-01-01T00:00:00+01:00x",
        ] {
            assert_eq!(parse_date(text, Tz::Europe__Oslo), None, "{text:?}");
        }
        // Year 1 in a zone east of UTC lands in year 0 in UTC, which .NET cannot hold.
        assert_eq!(parse_date("0001-01-01T00:30:00+01:00", Tz::UTC), None);
        // The npm client's empty date from New York is a valid, if meaningless, instant.
        assert_eq!(
            parse_date("0001-01-01T04:56:02.000Z", Tz::UTC),
            Some(at("0001-01-01T04:56:02Z"))
        );
    }

    #[test]
    fn an_ambiguous_wall_time_is_standard_time_and_a_skipped_one_moves_forward() {
        // Oslo fell back from 03:00 CEST to 02:00 CET on 2024-10-27: 02:30 happened twice.
        assert_eq!(
            parse_date("2024-10-27T02:30:00", Tz::Europe__Oslo),
            Some(at("2024-10-27T01:30:00Z")),
            "standard time (+01:00)"
        );
        // Oslo sprang forward from 02:00 CET to 03:00 CEST on 2024-03-31: 02:30 never happened.
        assert_eq!(
            parse_date("2024-03-31T02:30:00", Tz::Europe__Oslo),
            Some(at("2024-03-31T01:30:00Z"))
        );
        // Lord Howe shifts by half an hour; Sydney's southern-hemisphere fall back is in April.
        assert!(parse_date("2024-04-07T01:45:00", Tz::Australia__Lord_Howe).is_some());
        assert_eq!(
            parse_date("2024-04-07T02:30:00", Tz::Australia__Sydney),
            Some(at("2024-04-06T16:30:00Z")),
            "standard time (+10:00)"
        );
    }

    #[test]
    fn the_extremes_of_the_calendar_do_not_panic() {
        for style in [
            style(Tz::UTC, true),
            style(Tz::Pacific__Kiritimati, true),
            style(Tz::America__New_York, false),
        ] {
            for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
                let text = format_date(Some(t), &style);
                let _ = parse_date(&text, style.zone);
            }
        }
        assert!(parse_date("9999-12-31T23:59:59.9999999Z", Tz::UTC).is_some());
        assert!(parse_date("9999-12-31T23:59:59", Tz::Pacific__Kiritimati).is_some());
        assert!(parse_date("0001-01-01T00:00:01", Tz::Etc__GMTMinus14).is_none());
    }
}
