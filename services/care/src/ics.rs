//! iCalendar (RFC 5545) for calendar apps: a care plan's weekly schedule
//! as recurring events, and appointments as single ones, each at its wall
//! time in the client's zone (`DTSTART;TZID=...`), with the zone's own
//! `VTIMEZONE` so the file stands alone: its observances are the zone's
//! real offset changes over the years the events span, read from the tz
//! database.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, Tz};

/// One event.
pub struct Event {
    /// Globally unique and stable: the same event keeps its UID when the
    /// file is downloaded again, so a calendar app updates instead of doubling.
    pub uid: String,
    pub summary: String,
    pub description: String,
    pub location: String,
    /// The client's wall time.
    pub start: NaiveDateTime,
    pub minutes: i64,
    /// `FREQ=WEEKLY;BYDAY=MO` and its last day, for a schedule's activity.
    pub weekly_until: Option<Weekly>,
    pub cancelled: bool,
}

/// A weekly recurrence: the RFC 5545 day code and the last local date, if any.
pub struct Weekly {
    pub byday: &'static str,
    pub until: Option<NaiveDate>,
}

/// The two-letter RFC 5545 day code of a weekday.
pub fn byday(day: chrono::Weekday) -> &'static str {
    use chrono::Weekday as W;
    match day {
        W::Mon => "MO",
        W::Tue => "TU",
        W::Wed => "WE",
        W::Thu => "TH",
        W::Fri => "FR",
        W::Sat => "SA",
        W::Sun => "SU",
    }
}

/// A whole calendar: `name` is its display name.
pub fn calendar(name: &str, zone: Tz, events: &[Event], now: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//attend//care portal//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", text(name)),
        format!("X-WR-TIMEZONE:{}", zone.name()),
    ];
    let first = events.iter().map(|e| e.start.year()).min().unwrap_or(now.year());
    let last = events
        .iter()
        .map(|e| match &e.weekly_until {
            Some(Weekly { until: Some(d), .. }) => d.year(),
            // Open-ended: the next few years cover what an app shows.
            Some(Weekly { until: None, .. }) => e.start.year().max(now.year()) + 5,
            None => e.start.year(),
        })
        .max()
        .unwrap_or(now.year());
    lines.extend(vtimezone(zone, first - 1, last + 1));
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for e in events {
        let end = e.start + Duration::minutes(e.minutes);
        lines.push("BEGIN:VEVENT".to_owned());
        lines.push(format!("UID:{}", text(&e.uid)));
        lines.push(format!("DTSTAMP:{stamp}"));
        lines.push(format!(
            "DTSTART;TZID={}:{}",
            zone.name(),
            e.start.format("%Y%m%dT%H%M%S")
        ));
        lines.push(format!("DTEND;TZID={}:{}", zone.name(), end.format("%Y%m%dT%H%M%S")));
        if let Some(weekly) = &e.weekly_until {
            let mut rule = format!("RRULE:FREQ=WEEKLY;BYDAY={}", weekly.byday);
            if let Some(until) = weekly.until {
                // With a zoned DTSTART, UNTIL is in UTC: the end of the last local day.
                let local_end = until.and_hms_opt(23, 59, 59).unwrap_or_default();
                let instant = attend_kit::localtime::instant_of(local_end, zone);
                let _ = write!(rule, ";UNTIL={}", instant.format("%Y%m%dT%H%M%SZ"));
            }
            lines.push(rule);
        }
        lines.push(format!("SUMMARY:{}", text(&e.summary)));
        if !e.description.is_empty() {
            lines.push(format!("DESCRIPTION:{}", text(&e.description)));
        }
        if !e.location.is_empty() {
            lines.push(format!("LOCATION:{}", text(&e.location)));
        }
        lines.push(format!(
            "STATUS:{}",
            if e.cancelled { "CANCELLED" } else { "CONFIRMED" }
        ));
        lines.push("END:VEVENT".to_owned());
    }
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|l| fold(l)).collect()
}

/// A TEXT value, escaped (RFC 5545 3.3.11).
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets (never inside a character), CRLF-ended.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

/// The zone's `VTIMEZONE`: one observance per offset change between the
/// start of `first` and the end of `last`, found in the tz database.
fn vtimezone(zone: Tz, first: i32, last: i32) -> Vec<String> {
    let mut lines = vec!["BEGIN:VTIMEZONE".to_owned(), format!("TZID:{}", zone.name())];
    let start = Utc.with_ymd_and_hms(first, 1, 1, 0, 0, 0).single().unwrap_or_default();
    let end = Utc
        .with_ymd_and_hms(last + 1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let offset_at = |t: DateTime<Utc>| zone.offset_from_utc_datetime(&t.naive_utc());
    let mut observances = 0;
    let mut day = start;
    while day < end {
        let next = day + Duration::days(1);
        let (before, after) = (offset_at(day), offset_at(next));
        if before.fix() != after.fix() {
            // The change lies within this day: find its second.
            let (mut lo, mut hi) = (day, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid).fix() == before.fix() {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let new = offset_at(hi);
            // The onset, as the clock read just before it (the prior offset).
            let onset = hi.naive_utc() + Duration::seconds(i64::from(before.fix().local_minus_utc()));
            lines.extend(observance(&new, before.fix().local_minus_utc(), onset));
            observances += 1;
        }
        day = next;
    }
    if observances == 0 {
        // A zone without changes in the span: one standing observance.
        let now = offset_at(start);
        let onset = NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        lines.extend(observance(&now, now.fix().local_minus_utc(), onset));
    }
    lines.push("END:VTIMEZONE".to_owned());
    lines
}

fn observance(offset: &chrono_tz::TzOffset, from: i32, onset: NaiveDateTime) -> Vec<String> {
    let kind = if offset.dst_offset().num_seconds() != 0 {
        "DAYLIGHT"
    } else {
        "STANDARD"
    };
    vec![
        format!("BEGIN:{kind}"),
        format!("DTSTART:{}", onset.format("%Y%m%dT%H%M%S")),
        format!("TZOFFSETFROM:{}", utc_offset(from)),
        format!("TZOFFSETTO:{}", utc_offset(offset.fix().local_minus_utc())),
        format!("TZNAME:{}", text(&offset.to_string())),
        format!("END:{kind}"),
    ]
}

/// `+1100`, `-0330`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let line = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&line);
        for part in folded.split("\r\n").filter(|p| !p.is_empty()) {
            assert!(part.len() <= 75, "{part:?}");
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), line);
    }

    #[test]
    fn text_escapes_what_rfc_5545_reserves() {
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn sydney_has_its_2026_changes_as_observances() {
        let lines = vtimezone(chrono_tz::Australia::Sydney, 2026, 2026);
        let joined = lines.join("\n");
        // 5 April 2026 03:00 AEDT -> 02:00 AEST; 4 October 2026 02:00 AEST -> 03:00 AEDT.
        assert!(
            joined.contains("BEGIN:STANDARD\nDTSTART:20260405T030000\nTZOFFSETFROM:+1100\nTZOFFSETTO:+1000"),
            "{joined}"
        );
        assert!(
            joined.contains("BEGIN:DAYLIGHT\nDTSTART:20261004T020000\nTZOFFSETFROM:+1000\nTZOFFSETTO:+1100"),
            "{joined}"
        );
    }

    #[test]
    fn a_zone_without_changes_has_one_observance() {
        let lines = vtimezone(chrono_tz::Australia::Brisbane, 2026, 2026);
        assert_eq!(lines.iter().filter(|l| l.starts_with("BEGIN:STANDARD")).count(), 1);
        assert!(lines.contains(&"TZOFFSETTO:+1000".to_owned()));
    }
}
