//! iCalendar (RFC 5545) text: events with their start in their own time zone (`TZID=`), and a
//! `VTIMEZONE` for each zone used, written from the tz database for the years the events span,
//! so a calendar app shows the right local time whatever its own copy of the rules.
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use std::collections::BTreeMap;

/// One event of a feed.
pub struct Event {
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub zone: Tz,
    pub summary: String,
    pub cancelled: bool,
    pub stamp: DateTime<Utc>,
}

/// A whole calendar.
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Hearth//Meetings//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    let mut spans: BTreeMap<&str, (Tz, i32, i32)> = BTreeMap::new();
    for e in events {
        let year = e.starts_at.with_timezone(&e.zone).year();
        let span = spans.entry(e.zone.name()).or_insert((e.zone, year, year));
        span.1 = span.1.min(year);
        span.2 = span.2.max(year);
    }
    for (zone, first, last) in spans.values() {
        timezone(&mut out, *zone, *first, *last);
    }
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", text(&e.uid)));
        line(
            &mut out,
            &format!("DTSTAMP:{}", e.stamp.format("%Y%m%dT%H%M%SZ")),
        );
        line(
            &mut out,
            &format!(
                "DTSTART;TZID={}:{}",
                e.zone.name(),
                local(e.zone, e.starts_at)
            ),
        );
        line(
            &mut out,
            &format!("DTEND;TZID={}:{}", e.zone.name(), local(e.zone, e.ends_at)),
        );
        line(&mut out, &format!("SUMMARY:{}", text(&e.summary)));
        line(
            &mut out,
            if e.cancelled {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            },
        );
        line(&mut out, "TRANSP:OPAQUE");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn local(zone: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone).format("%Y%m%dT%H%M%S").to_string()
}

/// A content line, folded at 75 octets (RFC 5545 §3.1) and ended by CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// A TEXT value, escaped (RFC 5545 §3.3.11).
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    if s % 60 == 0 {
        format!("{sign}{:02}{:02}", s / 3600, (s / 60) % 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", s / 3600, (s / 60) % 60, s % 60)
    }
}

/// The offset in force at an instant, and whether it is daylight time.
fn offset_at(zone: Tz, at: DateTime<Utc>) -> (i32, bool, String) {
    let offset = zone.offset_from_utc_datetime(&at.naive_utc());
    let name = offset.abbreviation().unwrap_or_default().to_owned();
    (
        offset.fix().local_minus_utc(),
        !offset.dst_offset().is_zero(),
        name,
    )
}

/// The instants the zone's offset changes in `[from, to)`: found day by day, then to the
/// second.
fn transitions(zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut found = Vec::new();
    let mut day = from;
    while day < to {
        let next = day + Duration::days(1);
        if offset_at(zone, day).0 != offset_at(zone, next).0 {
            // In whole seconds: zones change on a second (in practice, on a minute).
            let (mut low, mut high) = (day.timestamp(), next.timestamp());
            let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or(day);
            let before = offset_at(zone, day).0;
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                if offset_at(zone, at(middle)).0 == before {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            found.push(at(high));
        }
        day = next;
    }
    found
}

/// A `VTIMEZONE` for `zone` from the start of the year before `first` to the end of `last`:
/// the offset at that start, then each change.
fn timezone(out: &mut String, zone: Tz, first: i32, last: i32) {
    let start = Utc
        .with_ymd_and_hms(first - 1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let end = Utc
        .with_ymd_and_hms(last + 1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", zone.name()));
    let (offset, daylight, name) = offset_at(zone, start);
    observance(
        out,
        daylight,
        start + Duration::seconds(offset.into()),
        offset,
        offset,
        &name,
    );
    for at in transitions(zone, start, end) {
        let before = offset_at(zone, at - Duration::minutes(1)).0;
        let (after, daylight, name) = offset_at(zone, at);
        // Its DTSTART is the wall-clock time just before the change, as RFC 5545 writes it.
        observance(
            out,
            daylight,
            at + Duration::seconds(before.into()),
            before,
            after,
            &name,
        );
    }
    line(out, "END:VTIMEZONE");
}

fn observance(
    out: &mut String,
    daylight: bool,
    local_start: DateTime<Utc>,
    from: i32,
    to: i32,
    name: &str,
) {
    let kind = if daylight { "DAYLIGHT" } else { "STANDARD" };
    let start: NaiveDateTime = local_start.naive_utc();
    line(out, &format!("BEGIN:{kind}"));
    line(out, &format!("DTSTART:{}", start.format("%Y%m%dT%H%M%S")));
    line(out, &format!("TZOFFSETFROM:{}", offset_text(from)));
    line(out, &format!("TZOFFSETTO:{}", offset_text(to)));
    if !name.is_empty() {
        line(out, &format!("TZNAME:{}", text(name)));
    }
    line(out, &format!("END:{kind}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_york_changes_twice_a_year_at_2am_local() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let found = transitions(ny, from, to);
        assert_eq!(
            found.iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(),
            ["2026-03-08T07:00:00+00:00", "2026-11-01T06:00:00+00:00"]
        );
    }

    #[test]
    fn lines_fold_at_75_octets_and_text_is_escaped() {
        let mut out = String::new();
        line(
            &mut out,
            &format!("SUMMARY:{}", text(&"é, x; \\".repeat(20))),
        );
        for l in out.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert!(out.contains("\\,") && out.contains("\\;") && out.contains("\\\\"));
        assert_eq!(offset_text(-18000), "-0500");
        assert_eq!(offset_text(19800), "+0530");
    }
}
