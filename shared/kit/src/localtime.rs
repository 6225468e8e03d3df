//! An organisation's local wall clock: business hours, and the instant a
//! local time falls on, correct across daylight-saving changes.
//!
//! "48 hours before" is elapsed time and needs none of this; "end of
//! business day", quiet hours, "today" and report weeks are read on the
//! local clock. A local time the clocks skip (02:30 on the night they
//! spring forward) falls on the instant they jump past it; a local time
//! they show twice (the night they fall back) on the first showing not
//! before the given instant.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use attend_proto::identity::v1 as pb;

/// The first instant at or after `not_before` when the clocks in `tz` show
/// `local`, or, when they skip it, the instant they jump past it.
pub fn instant_showing(local: NaiveDateTime, tz: Tz, not_before: DateTime<Utc>) -> DateTime<Utc> {
    let instant = match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(first, second) => {
            let first = first.to_utc();
            if first >= not_before { first } else { second.to_utc() }
        }
        LocalResult::None => after_gap(local, tz).unwrap_or(not_before),
    };
    instant.max(not_before)
}

/// The instant `local` falls on in `tz`: the first showing when the clocks
/// show it twice, the jump when they skip it.
pub fn instant_of(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.to_utc(),
        LocalResult::None => after_gap(local, tz).unwrap_or_else(|| local.and_utc()),
    }
}

/// The local date in `tz` at `now`.
pub fn local_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// The first minute the clocks show after `skipped`, which they skip: the
/// instant of the jump. Transitions fall on whole minutes, and no zone has
/// skipped more than a day (Samoa, 2011).
fn after_gap(skipped: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    let minute = skipped.with_second(0)?.with_nanosecond(0)?;
    (1..=26 * 60).find_map(|m| {
        let later = minute.checked_add_signed(TimeDelta::minutes(m))?;
        tz.from_local_datetime(&later).earliest().map(|t| t.to_utc())
    })
}

/// Opening hours per weekday, Monday first, in local wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    days: [Vec<(NaiveTime, NaiveTime)>; 7],
}

impl Default for BusinessHours {
    /// Monday to Friday, 09:00 to 17:00 (identity's default).
    fn default() -> Self {
        let day = || vec![(hm(9, 0), hm(17, 0))];
        Self {
            days: [day(), day(), day(), day(), day(), Vec::new(), Vec::new()],
        }
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl BusinessHours {
    /// Identity's hours; the default when none are set or they don't read
    /// (identity checks them when they are saved).
    pub fn from_proto(hours: Option<&pb::BusinessHours>) -> Self {
        let Some(hours) = hours.filter(|h| h.days.len() == 7) else {
            return Self::default();
        };
        let time = |t: &str| NaiveTime::parse_from_str(t, "%H:%M").ok();
        let mut days: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
        for (slot, day) in days.iter_mut().zip(&hours.days) {
            for interval in &day.intervals {
                match (time(&interval.opens), time(&interval.closes)) {
                    (Some(opens), Some(closes)) if opens < closes => slot.push((opens, closes)),
                    _ => return Self::default(),
                }
            }
            slot.sort();
        }
        Self { days }
    }

    /// The hours of one weekday: a list of (opens, closes), empty when closed.
    pub fn on(&self, date: NaiveDate) -> &[(NaiveTime, NaiveTime)] {
        let index = usize::try_from(date.weekday().num_days_from_monday()).unwrap_or(0);
        self.days.get(index).map(Vec::as_slice).unwrap_or_default()
    }

    /// Whether the practice opens at all in a week.
    pub fn ever_open(&self) -> bool {
        self.days.iter().any(|d| !d.is_empty())
    }

    /// The end of the business day at `now`: today's close when the
    /// practice is open today and hasn't closed yet, else the close of the
    /// next day it opens. Never open: the end of the local day.
    pub fn end_of_business_day(&self, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let today = local_date(now, tz);
        if !self.ever_open() {
            let midnight = today.succ_opt().unwrap_or(today).and_time(NaiveTime::MIN);
            return instant_showing(midnight, tz, now);
        }
        let mut day = today;
        for _ in 0..8 {
            if let Some(&(_, closes)) = self.on(day).last() {
                let close = instant_of(day.and_time(closes), tz);
                if close > now {
                    return close;
                }
            }
            day = match day.succ_opt() {
                Some(next) => next,
                None => break,
            };
        }
        now
    }

    /// When the practice next opens at or after `now` (`now` when open).
    pub fn next_open(&self, now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        if !self.ever_open() {
            return now;
        }
        let mut day = local_date(now, tz);
        for _ in 0..8 {
            for &(opens, closes) in self.on(day) {
                let (open, close) = (
                    instant_of(day.and_time(opens), tz),
                    instant_of(day.and_time(closes), tz),
                );
                if now < close {
                    return open.max(now);
                }
            }
            day = match day.succ_opt() {
                Some(next) => next,
                None => break,
            };
        }
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Australia::Sydney;

    fn sydney(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Sydney.with_ymd_and_hms(y, mo, d, h, mi, 0).earliest().unwrap().to_utc()
    }

    #[test]
    fn before_close_the_end_of_the_business_day_is_todays_close() {
        let hours = BusinessHours::default();
        // Tuesday 10 March 2026, 10:00 in Sydney.
        assert_eq!(
            hours.end_of_business_day(sydney(2026, 3, 10, 10, 0), Sydney),
            sydney(2026, 3, 10, 17, 0)
        );
    }

    #[test]
    fn after_hours_it_is_the_next_business_days_close() {
        let hours = BusinessHours::default();
        // Tuesday 18:30 → Wednesday 17:00; Friday 18:00 → Monday 17:00.
        assert_eq!(
            hours.end_of_business_day(sydney(2026, 3, 10, 18, 30), Sydney),
            sydney(2026, 3, 11, 17, 0)
        );
        assert_eq!(
            hours.end_of_business_day(sydney(2026, 3, 13, 18, 0), Sydney),
            sydney(2026, 3, 16, 17, 0)
        );
        // Saturday morning → Monday.
        assert_eq!(
            hours.end_of_business_day(sydney(2026, 3, 14, 9, 0), Sydney),
            sydney(2026, 3, 16, 17, 0)
        );
    }

    #[test]
    fn the_close_is_local_across_both_sydney_transitions() {
        let hours = BusinessHours::default();
        // Daylight saving ends on Sunday 5 April 2026: Friday evening's
        // "next close" is Monday 17:00 AEST, 07:00 UTC (not 06:00).
        let close = hours.end_of_business_day(sydney(2026, 4, 3, 19, 0), Sydney);
        assert_eq!(close, Utc.with_ymd_and_hms(2026, 4, 6, 7, 0, 0).unwrap());
        // It starts on Sunday 4 October 2026: Monday 17:00 AEDT is 06:00 UTC.
        let close = hours.end_of_business_day(sydney(2026, 10, 2, 19, 0), Sydney);
        assert_eq!(close, Utc.with_ymd_and_hms(2026, 10, 5, 6, 0, 0).unwrap());
    }

    #[test]
    fn hours_come_from_identity_or_default() {
        let mut proto = pb::BusinessHours::default();
        for i in 0..7 {
            proto.days.push(pb::business_hours::Day {
                intervals: match i {
                    5 => vec![pb::business_hours::Interval {
                        opens: "08:00".to_owned(),
                        closes: "12:00".to_owned(),
                    }],
                    _ => Vec::new(),
                },
            });
        }
        let hours = BusinessHours::from_proto(Some(&proto));
        // Only Saturday mornings: Tuesday's end of day is Saturday noon.
        assert_eq!(
            hours.end_of_business_day(sydney(2026, 3, 10, 10, 0), Sydney),
            sydney(2026, 3, 14, 12, 0)
        );
        assert_eq!(BusinessHours::from_proto(None), BusinessHours::default());
        let closed = BusinessHours {
            days: Default::default(),
        };
        assert!(!closed.ever_open());
        assert_eq!(
            closed.end_of_business_day(sydney(2026, 3, 10, 10, 0), Sydney),
            sydney(2026, 3, 11, 0, 0)
        );
    }

    #[test]
    fn a_local_time_the_clocks_skip_falls_on_the_jump() {
        // 02:30 on 4 October 2026 doesn't exist in Sydney: 03:00 AEDT.
        let skipped = NaiveDate::from_ymd_opt(2026, 10, 4)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            instant_of(skipped, Sydney),
            Utc.with_ymd_and_hms(2026, 10, 3, 16, 0, 0).unwrap()
        );
    }

    #[test]
    fn the_next_opening_skips_closed_days() {
        let hours = BusinessHours::default();
        assert_eq!(
            hours.next_open(sydney(2026, 3, 13, 18, 0), Sydney),
            sydney(2026, 3, 16, 9, 0)
        );
        let open = sydney(2026, 3, 10, 11, 0);
        assert_eq!(hours.next_open(open, Sydney), open);
    }
}
