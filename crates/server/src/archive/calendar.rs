//! Calendar arithmetic for `$filter` dates: where a local day starts in a time zone, which wall
//! times exist there, and the days, weeks, months, quarters, halves and years around today that
//! the date periods (`thisWeek`, `next(col,3,month)`, …) name.
//!
//! Weeks start on Monday, as ISO 8601 and SuperOffice's Nordic home markets count them. Every
//! date is kept within the years .NET's `DateTime` holds (1 to 9999; a range may end on the first
//! day of year 10000), so nothing here can overflow, and a period beyond them is `None`.

use chrono::{Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone};
use chrono_tz::{OffsetComponents, Tz};
use sobatch_core::Timestamp;
use sobatch_wire::odata::Period;

/// The first year a date may have.
const FIRST_YEAR: i32 = 1;
/// The year whose first day may end a range: the day after .NET's last.
const END_YEAR: i32 = 10_000;

fn in_range(day: NaiveDate) -> Option<NaiveDate> {
    let year = day.year();
    let fits = (FIRST_YEAR..END_YEAR).contains(&year) || day == first_day_of(END_YEAR)?;
    fits.then_some(day)
}

fn first_day_of(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 1, 1)
}

/// The first instant of `day` in `zone`: usually local midnight; where midnight is skipped (a
/// clock change at 00:00) the moment the clocks jump to, and where it comes twice the first.
pub fn day_start(day: NaiveDate, zone: Tz) -> Option<Timestamp> {
    let day = in_range(day)?;
    let midnight = day.and_hms_opt(0, 0, 0)?;
    match zone.from_local_datetime(&midnight) {
        LocalResult::Single(start) | LocalResult::Ambiguous(start, _) => Some(start.to_utc()),
        LocalResult::None => {
            // Midnight falls in a gap: read it with the offset in force before the gap, which
            // gives the instant the gap ends at, the first one whose local date is `day`.
            let before = midnight.checked_sub_signed(TimeDelta::days(1))?;
            let offset = zone.offset_from_utc_datetime(&before).fix();
            let utc =
                midnight.checked_sub_signed(TimeDelta::seconds(offset.local_minus_utc().into()))?;
            Some(utc.and_utc())
        }
    }
}

/// The instant of a wall time in `zone`, or `None` if the clocks skip it there. A wall time that
/// comes twice is taken in standard time, as .NET and `sobatch_wire::parse_date` take it.
pub fn wall_time(wall: NaiveDateTime, zone: Tz) -> Option<Timestamp> {
    in_range(wall.date())?;
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(local) => Some(local.to_utc()),
        LocalResult::Ambiguous(first, second) => {
            let standard = if first.offset().dst_offset().is_zero() {
                first
            } else {
                second
            };
            Some(standard.to_utc())
        }
        LocalResult::None => None,
    }
}

/// The day after `day`, within range.
pub fn next_day(day: NaiveDate) -> Option<NaiveDate> {
    in_range(day.checked_add_days(Days::new(1))?)
}

/// The local date `now` falls on in `zone`.
pub fn today(now: Timestamp, zone: Tz) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

/// The days from the start of the period `first` periods after the one `today` is in, up to (not
/// including) the start of the period `last + 1` after it: `(0, 0)` is this period, `(1, 3)` the
/// next three, `(-1, 1)` the previous, this and the next. `None` when `first > last` would leave
/// nothing or the range leaves the years dates may have.
pub fn period_days(
    today: NaiveDate,
    period: Period,
    first: i64,
    last: i64,
) -> Option<(NaiveDate, NaiveDate)> {
    if first > last {
        return None;
    }
    let start = period_start(today, period, first)?;
    let end = period_start(today, period, last.checked_add(1)?)?;
    Some((start, end))
}

/// The first day of the period `offset` periods from the one `today` is in.
fn period_start(today: NaiveDate, period: Period, offset: i64) -> Option<NaiveDate> {
    let day = match period {
        Period::Day => add_days(today, offset)?,
        Period::Week => {
            let monday = add_days(today, -i64::from(today.weekday().num_days_from_monday()))?;
            add_days(monday, offset.checked_mul(7)?)?
        }
        Period::Month => months_from(today, 1, offset)?,
        Period::Quarter => months_from(today, 3, offset)?,
        Period::Half => months_from(today, 6, offset)?,
        Period::Year => months_from(today, 12, offset)?,
    };
    in_range(day)
}

fn add_days(day: NaiveDate, offset: i64) -> Option<NaiveDate> {
    let days = Days::new(offset.unsigned_abs());
    if offset < 0 {
        day.checked_sub_days(days)
    } else {
        day.checked_add_days(days)
    }
}

/// The first day of the `length`-month period (1, 3, 6 or 12 months, counted from January)
/// `offset` periods from the one `today` is in.
fn months_from(today: NaiveDate, length: i64, offset: i64) -> Option<NaiveDate> {
    let month_index = i64::from(today.year())
        .checked_mul(12)?
        .checked_add(i64::from(today.month0()))?;
    let period_index = month_index.div_euclid(length).checked_add(offset)?;
    let first_month = period_index.checked_mul(length)?;
    let year = i32::try_from(first_month.div_euclid(12)).ok()?;
    let month = u32::try_from(first_month.rem_euclid(12)).ok()? + 1;
    NaiveDate::from_ymd_opt(year, month, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(text: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn a_day_starts_at_local_midnight_converted_to_utc() {
        assert_eq!(
            day_start(date(2024, 5, 2), Tz::Europe__Oslo),
            Some(utc("2024-05-01T22:00:00Z"))
        );
        assert_eq!(
            day_start(date(2024, 1, 2), Tz::Europe__Oslo),
            Some(utc("2024-01-01T23:00:00Z"))
        );
        assert_eq!(
            day_start(date(2024, 1, 2), Tz::America__New_York),
            Some(utc("2024-01-02T05:00:00Z"))
        );
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() {
        // São Paulo moved its clocks from 00:00 to 01:00 on 2018-11-04.
        let start = day_start(date(2018, 11, 4), Tz::America__Sao_Paulo).unwrap();
        assert_eq!(start, utc("2018-11-04T03:00:00Z"));
        let local = start.with_timezone(&Tz::America__Sao_Paulo);
        assert_eq!(local.date_naive(), date(2018, 11, 4));
    }

    #[test]
    fn skipped_wall_times_do_not_exist_and_repeated_ones_are_standard_time() {
        let skipped = date(2024, 3, 31).and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(wall_time(skipped, Tz::Europe__Oslo), None);
        let repeated = date(2024, 10, 27).and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(
            wall_time(repeated, Tz::Europe__Oslo),
            Some(utc("2024-10-27T01:30:00Z"))
        );
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2024-05-02 is a Thursday.
        let today = date(2024, 5, 2);
        assert_eq!(
            period_days(today, Period::Week, 0, 0),
            Some((date(2024, 4, 29), date(2024, 5, 6)))
        );
        assert_eq!(
            period_days(today, Period::Week, -1, -1),
            Some((date(2024, 4, 22), date(2024, 4, 29)))
        );
        // A Sunday belongs to the week that began six days earlier.
        assert_eq!(
            period_days(date(2024, 5, 5), Period::Week, 0, 0),
            Some((date(2024, 4, 29), date(2024, 5, 6)))
        );
    }

    #[test]
    fn months_quarters_halves_and_years_count_from_january() {
        let today = date(2024, 5, 2);
        assert_eq!(
            period_days(today, Period::Month, -1, -1),
            Some((date(2024, 4, 1), date(2024, 5, 1)))
        );
        assert_eq!(
            period_days(today, Period::Month, 1, 12),
            Some((date(2024, 6, 1), date(2025, 6, 1)))
        );
        assert_eq!(
            period_days(today, Period::Quarter, 0, 0),
            Some((date(2024, 4, 1), date(2024, 7, 1)))
        );
        assert_eq!(
            period_days(date(2024, 1, 15), Period::Quarter, -1, -1),
            Some((date(2023, 10, 1), date(2024, 1, 1)))
        );
        assert_eq!(
            period_days(today, Period::Half, 0, 0),
            Some((date(2024, 1, 1), date(2024, 7, 1)))
        );
        assert_eq!(
            period_days(date(2024, 11, 30), Period::Half, -1, 1),
            Some((date(2024, 1, 1), date(2025, 7, 1)))
        );
        assert_eq!(
            period_days(today, Period::Year, 0, 0),
            Some((date(2024, 1, 1), date(2025, 1, 1)))
        );
        assert_eq!(
            period_days(today, Period::Day, -2, 0),
            Some((date(2024, 4, 30), date(2024, 5, 3)))
        );
    }

    #[test]
    fn empty_and_out_of_range_periods_are_none() {
        let today = date(2024, 5, 2);
        assert_eq!(period_days(today, Period::Day, 1, 0), None);
        assert_eq!(
            period_days(today, Period::Year, 0, i64::from(u32::MAX)),
            None
        );
        assert_eq!(
            period_days(today, Period::Day, -i64::from(u32::MAX), 0),
            None
        );
        assert_eq!(period_days(today, Period::Week, i64::MAX, i64::MAX), None);
        assert_eq!(
            period_days(date(9999, 6, 1), Period::Year, 0, 0),
            Some((date(9999, 1, 1), date(10_000, 1, 1)))
        );
        assert_eq!(day_start(date(10_000, 1, 2), Tz::UTC), None);
        assert!(day_start(date(1, 1, 1), Tz::Europe__Oslo).is_some());
    }
}
