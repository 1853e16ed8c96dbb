//! When a series meets. Its start is a wall-clock time in its own time zone, and each date the
//! rule gives is turned into an instant by that zone's rules for that date: a weekly 19:00 in
//! New York stays 19:00 on both sides of a DST change. As RFC 5545 reads a local DATE-TIME, a
//! time that happens twice (the hour repeated when clocks go back) is the first of the two, and
//! a time that does not happen (the hour skipped when clocks go forward) is read with the offset
//! before the gap: 02:30 on the morning clocks go forward becomes 03:30.
use chrono::{DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use entity::enums::MeetingFrequency;

/// The dates most one expansion returns, whatever range it is asked for.
pub const MOST_DATES: usize = 400;

/// A series' rule: its first date and how often it repeats, up to an optional last date.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub first_date: NaiveDate,
    pub frequency: MeetingFrequency,
    pub until: Option<NaiveDate>,
}

impl Rule {
    /// The dates of the rule from `from` to `to` (both included), in order, at most
    /// [`MOST_DATES`].
    pub fn dates(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let last = match self.until {
            Some(until) => to.min(until),
            None => to,
        };
        let from = from.max(self.first_date);
        if from > last {
            return Vec::new();
        }
        match self.frequency {
            MeetingFrequency::Once => vec![self.first_date]
                .into_iter()
                .filter(|d| (from..=last).contains(d))
                .collect(),
            MeetingFrequency::Weekly => self.every_days(7, from, last),
            MeetingFrequency::Biweekly => self.every_days(14, from, last),
            MeetingFrequency::Monthly => self.monthly(from, last),
        }
    }

    fn every_days(&self, step: u64, from: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
        let behind = u64::try_from((from - self.first_date).num_days()).unwrap_or(0);
        let skip = behind.div_ceil(step);
        (skip..)
            .map_while(|k| self.first_date.checked_add_days(Days::new(k * step)))
            .take_while(|d| *d <= last)
            .take(MOST_DATES)
            .collect()
    }

    /// The n-th weekday of each month, as the first date is (the 2nd Tuesday); a month without
    /// a 5th such weekday has no meeting (RFC 5545 `BYDAY=5TU`).
    fn monthly(&self, from: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
        let weekday = self.first_date.weekday();
        let nth = u8::try_from((self.first_date.day0() / 7) + 1).unwrap_or(1);
        let first_month = self.first_date.with_day(1).unwrap_or(self.first_date);
        let mut dates = Vec::new();
        for k in 0.. {
            let Some(month) = first_month.checked_add_months(Months::new(k)) else {
                break;
            };
            if month > last || dates.len() >= MOST_DATES {
                break;
            }
            let date =
                NaiveDate::from_weekday_of_month_opt(month.year(), month.month(), weekday, nth);
            if let Some(date) = date.filter(|d| *d >= from && *d <= last) {
                dates.push(date);
            }
        }
        dates
    }
}

/// The instant a wall-clock time on a date names in a zone (RFC 5545's reading, above).
pub fn instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: the offset in force a day before (no zone changes twice in a day).
            let before = zone.offset_from_utc_datetime(&(local - chrono::Duration::days(1)));
            let offset = chrono::Offset::fix(&before);
            DateTime::<Utc>::from_naive_utc_and_offset(local - offset, Utc)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn time(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    fn zone(name: &str) -> Tz {
        name.parse().unwrap()
    }

    fn rule(first: &str, frequency: MeetingFrequency) -> Rule {
        Rule {
            first_date: day(first),
            frequency,
            until: None,
        }
    }

    /// The local wall-clock time of an instant in a zone, `YYYY-MM-DD HH:MM`.
    fn seen_in(at: DateTime<Utc>, name: &str) -> String {
        at.with_timezone(&zone(name))
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    #[test]
    fn a_weekly_new_york_evening_stays_at_19_00_across_both_dst_changes() {
        let ny = zone("America/New_York");
        // Clocks went forward on 8 March 2026 and go back on 1 November 2026.
        let dates = rule("2026-03-05", MeetingFrequency::Weekly)
            .dates(day("2026-03-01"), day("2026-03-12"));
        assert_eq!(dates, [day("2026-03-05"), day("2026-03-12")]);
        let utc: Vec<String> = dates
            .iter()
            .map(|d| instant(ny, *d, time("19:00")).to_rfc3339())
            .collect();
        assert_eq!(
            utc,
            ["2026-03-06T00:00:00+00:00", "2026-03-12T23:00:00+00:00"]
        );
        let autumn = rule("2026-10-29", MeetingFrequency::Weekly)
            .dates(day("2026-10-29"), day("2026-11-05"));
        let utc: Vec<String> = autumn
            .iter()
            .map(|d| instant(ny, *d, time("19:00")).to_rfc3339())
            .collect();
        assert_eq!(
            utc,
            ["2026-10-29T23:00:00+00:00", "2026-11-06T00:00:00+00:00"]
        );
        for d in dates.iter().chain(&autumn) {
            assert_eq!(
                seen_in(instant(ny, *d, time("19:00")), "America/New_York"),
                format!("{d} 19:00")
            );
        }
    }

    #[test]
    fn a_person_in_berlin_sees_the_new_york_meeting_at_the_right_local_time_each_week() {
        let ny = zone("America/New_York");
        // New York moves on 8 March, Berlin on 29 March: three weeks apart.
        let at = |d: &str| seen_in(instant(ny, day(d), time("19:00")), "Europe/Berlin");
        assert_eq!(at("2026-03-05"), "2026-03-06 01:00");
        assert_eq!(at("2026-03-12"), "2026-03-13 00:00");
        assert_eq!(at("2026-04-02"), "2026-04-03 01:00");
    }

    #[test]
    fn berlin_and_sydney_keep_their_wall_clock_times() {
        let berlin = zone("Europe/Berlin");
        // Berlin: 29 March and 25 October 2026.
        assert_eq!(
            instant(berlin, day("2026-03-26"), time("18:30")).to_rfc3339(),
            "2026-03-26T17:30:00+00:00"
        );
        assert_eq!(
            instant(berlin, day("2026-04-02"), time("18:30")).to_rfc3339(),
            "2026-04-02T16:30:00+00:00"
        );
        assert_eq!(
            instant(berlin, day("2026-10-29"), time("18:30")).to_rfc3339(),
            "2026-10-29T17:30:00+00:00"
        );
        // Sydney, southern hemisphere: summer time ends 5 April 2026, starts 4 October 2026.
        let sydney = zone("Australia/Sydney");
        assert_eq!(
            instant(sydney, day("2026-04-01"), time("10:00")).to_rfc3339(),
            "2026-03-31T23:00:00+00:00"
        );
        assert_eq!(
            instant(sydney, day("2026-04-08"), time("10:00")).to_rfc3339(),
            "2026-04-08T00:00:00+00:00"
        );
        assert_eq!(
            instant(sydney, day("2026-10-07"), time("10:00")).to_rfc3339(),
            "2026-10-06T23:00:00+00:00"
        );
    }

    #[test]
    fn a_start_in_a_skipped_hour_moves_forward_by_the_gap_and_one_in_a_repeated_hour_is_the_first()
    {
        let ny = zone("America/New_York");
        // 02:30 does not exist on 8 March 2026: read with EST's offset, it is 03:30 EDT.
        let skipped = instant(ny, day("2026-03-08"), time("02:30"));
        assert_eq!(skipped.to_rfc3339(), "2026-03-08T07:30:00+00:00");
        assert_eq!(seen_in(skipped, "America/New_York"), "2026-03-08 03:30");
        // 01:30 happens twice on 1 November 2026: the first, EDT.
        let repeated = instant(ny, day("2026-11-01"), time("01:30"));
        assert_eq!(repeated.to_rfc3339(), "2026-11-01T05:30:00+00:00");
        // Sydney's clocks go forward at 02:00 on 4 October 2026 and back at 03:00 on 5 April.
        let sydney = zone("Australia/Sydney");
        assert_eq!(
            seen_in(
                instant(sydney, day("2026-10-04"), time("02:15")),
                "Australia/Sydney"
            ),
            "2026-10-04 03:15"
        );
        assert_eq!(
            instant(sydney, day("2026-04-05"), time("02:30")).to_rfc3339(),
            "2026-04-04T15:30:00+00:00"
        );
        // The week after, the series is back at its wall-clock time.
        assert_eq!(
            seen_in(
                instant(ny, day("2026-03-15"), time("02:30")),
                "America/New_York"
            ),
            "2026-03-15 02:30"
        );
    }

    #[test]
    fn rules_give_the_dates_rfc_5545_gives() {
        let biweekly = rule("2026-01-06", MeetingFrequency::Biweekly)
            .dates(day("2026-01-10"), day("2026-02-20"));
        assert_eq!(
            biweekly,
            [day("2026-01-20"), day("2026-02-03"), day("2026-02-17")]
        );
        // The 2nd Tuesday of each month.
        let monthly = rule("2026-01-13", MeetingFrequency::Monthly)
            .dates(day("2026-01-01"), day("2026-04-30"));
        assert_eq!(
            monthly,
            [
                day("2026-01-13"),
                day("2026-02-10"),
                day("2026-03-10"),
                day("2026-04-14")
            ]
        );
        // The 5th Thursday: only months that have one.
        let fifth = rule("2026-01-29", MeetingFrequency::Monthly)
            .dates(day("2026-01-01"), day("2026-06-30"));
        assert_eq!(fifth, [day("2026-01-29"), day("2026-04-30")]);
        let once = rule("2026-05-01", MeetingFrequency::Once);
        assert_eq!(
            once.dates(day("2026-01-01"), day("2026-12-31")),
            [day("2026-05-01")]
        );
        assert!(once.dates(day("2026-05-02"), day("2026-12-31")).is_empty());
        let until = Rule {
            until: Some(day("2026-01-20")),
            ..rule("2026-01-06", MeetingFrequency::Weekly)
        };
        assert_eq!(until.dates(day("2026-01-01"), day("2026-12-31")).len(), 3);
        let forever = rule("2026-01-01", MeetingFrequency::Weekly)
            .dates(day("2026-01-01"), day("2100-01-01"));
        assert_eq!(forever.len(), MOST_DATES);
    }
}
