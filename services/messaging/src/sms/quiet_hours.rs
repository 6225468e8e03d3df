//! Quiet hours: when a message may reach someone, by the clock on their
//! wall.
//!
//! A [`Window`] is the part of each day when nothing is sent, from `start`
//! (quiet) to `end` (allowed again), in local time:
//!
//! | window | quiet when the local time `t` is | example |
//! | --- | --- | --- |
//! | over midnight (`start > end`), the usual | `t >= start` or `t < end` | 20:00–08:00 (the default) |
//! | within a day (`start < end`) | `start <= t < end` | 12:00–14:00 |
//! | empty (`start == end`) | never | 00:00–00:00 |
//!
//! [`next_allowed`] is `now` outside the window, else the window's end on
//! the local day it next comes, never earlier than `now`. Across daylight
//! saving:
//! - The window is read on the wall clock, so it is as many hours long as
//!   the clocks say: 21:00 on the Saturday DST ends in Sydney is deferred
//!   12 real hours, to 08:00 AEST on Sunday (11 on an ordinary night).
//! - An end the clocks skip (02:30 on Sydney's 4 Oct 2026, when 02:00 AEST
//!   becomes 03:00 AEDT) has passed once the clocks jump: the message goes
//!   at the jump, 03:00 AEDT.
//! - An end the clocks show twice (02:30 on 5 Apr 2026, once in AEDT and
//!   again in AEST) is its first showing after `now`. The repeated hour is
//!   read on the wall clock too: a window ending at 02:30 is quiet again from
//!   02:00 to 02:30 AEST.
//!
//! [`zone_for`] chooses the zone: the phone's region when that region has
//! one zone, else the organisation's. A number's region is where it was
//! issued, not where its owner is today; for a region with several zones
//! (AU, US, CA, BR, …) the organisation's zone is the best guess, since its
//! patients mostly live near it.
//!
//! | region | zone | note |
//! | --- | --- | --- |
//! | NZ | Pacific/Auckland | the Chatham Islands (+45 min, ~600 people) are read as Auckland |
//! | GB, JE, GG, IM | Europe/London | the Channel Islands and Man share +44 and the clock |
//! | IE | Europe/Dublin | |
//! | SG | Asia/Singapore | |
//! | HK | Asia/Hong_Kong | |
//! | JP | Asia/Tokyo | |
//! | KR | Asia/Seoul | |
//! | TW | Asia/Taipei | |
//! | PH | Asia/Manila | |
//! | TH | Asia/Bangkok | |
//! | MY | Asia/Kuala_Lumpur | Sabah and Sarawak keep the same time |
//! | CN | Asia/Shanghai | one official zone |
//! | IN | Asia/Kolkata | |
//! | AE | Asia/Dubai | |
//! | IL | Asia/Jerusalem | |
//! | ZA | Africa/Johannesburg | |
//! | FJ | Pacific/Fiji | |
//! | DE, FR, IT, NL, BE, CH, AT, DK, SE, NO, FI, PL | their capitals' zones | metropolitan numbers only: overseas France has its own calling codes |
//!
//! Not in the table because a region spans zones: AU, US, CA, MX, BR, RU,
//! ID, ES (the Canaries), PT (the Azores), CL (Easter Island), among others.

use attend_kit::contact_point::Region;
use attend_kit::localtime::instant_showing;
#[cfg(test)]
use attend_kit::text;
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;

/// The part of each day when nothing is sent, in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Quiet from here (inclusive).
    pub start: NaiveTime,
    /// Allowed again from here.
    pub end: NaiveTime,
}

/// A quiet-hours setting that isn't a time of day; reads after the
/// setting's name.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WindowError {
    #[error("{field}: {shown} is not a time of day like 20:00")]
    NotATime { field: &'static str, shown: String },
}

impl Window {
    /// From "HH:MM" (24-hour, white space around ignored): `parse("20:00", "08:00")`.
    /// (Organisations' windows come already read, from identity's settings.)
    #[cfg(test)]
    pub(crate) fn parse(start: &str, end: &str) -> Result<Window, WindowError> {
        let time = |field: &'static str, raw: &str| {
            NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| WindowError::NotATime {
                field,
                shown: text::shown(raw),
            })
        };
        Ok(Window {
            start: time("start", start)?,
            end: time("end", end)?,
        })
    }

    /// Whether a local time of day is quiet.
    pub(crate) fn contains(&self, local: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }

    /// Never quiet.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl Default for Window {
    /// 20:00 to 08:00.
    fn default() -> Self {
        Window {
            start: NaiveTime::from_hms_opt(20, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

/// The first moment at or after `now` outside `window`, in `tz`.
pub(crate) fn next_allowed(now: DateTime<Utc>, window: &Window, tz: Tz) -> DateTime<Utc> {
    let mut at = now;
    // Usually one step. A window that ends in a skipped hour can leave the
    // jump itself still quiet (a window of almost a whole day), so look
    // again; the next day's end always exists.
    for _ in 0..4 {
        let local = at.with_timezone(&tz).naive_local();
        if !window.contains(local.time()) {
            return at;
        }
        let day = if window.start > window.end && local.time() >= window.start {
            local.date().succ_opt()
        } else {
            Some(local.date())
        };
        // Only past the end of the calendar (year 262143) is there no next day.
        let Some(day) = day else {
            return at;
        };
        at = instant_showing(day.and_time(window.end), tz, at);
    }
    at.max(now)
}

/// The zone to read quiet hours in: the phone's region's when it has just
/// one (the table in the module docs), else the organisation's.
pub(crate) fn zone_for(phone_region: Option<Region>, org_zone: Tz) -> Tz {
    phone_region.and_then(|r| single_zone(r.as_str())).unwrap_or(org_zone)
}

fn single_zone(region: &str) -> Option<Tz> {
    use chrono_tz::{Africa, Asia, Europe, Pacific};
    Some(match region {
        "NZ" => Pacific::Auckland,
        "GB" | "JE" | "GG" | "IM" => Europe::London,
        "IE" => Europe::Dublin,
        "SG" => Asia::Singapore,
        "HK" => Asia::Hong_Kong,
        "JP" => Asia::Tokyo,
        "KR" => Asia::Seoul,
        "TW" => Asia::Taipei,
        "PH" => Asia::Manila,
        "TH" => Asia::Bangkok,
        "MY" => Asia::Kuala_Lumpur,
        "CN" => Asia::Shanghai,
        "IN" => Asia::Kolkata,
        "AE" => Asia::Dubai,
        "IL" => Asia::Jerusalem,
        "ZA" => Africa::Johannesburg,
        "FJ" => Pacific::Fiji,
        "DE" => Europe::Berlin,
        "FR" => Europe::Paris,
        "IT" => Europe::Rome,
        "NL" => Europe::Amsterdam,
        "BE" => Europe::Brussels,
        "CH" => Europe::Zurich,
        "AT" => Europe::Vienna,
        "DK" => Europe::Copenhagen,
        "SE" => Europe::Stockholm,
        "NO" => Europe::Oslo,
        "FI" => Europe::Helsinki,
        "PL" => Europe::Warsaw,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};
    use chrono_tz::Australia::Sydney;
    use proptest::prelude::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn window(start: &str, end: &str) -> Window {
        Window::parse(start, end).unwrap()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    /// A wall-clock time in Sydney that exists once.
    fn sydney(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Sydney.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap().to_utc()
    }

    fn region(code: &str) -> Option<Region> {
        Some(code.parse().unwrap())
    }

    #[test]
    fn the_default_window_is_eight_in_the_evening_to_eight_in_the_morning() {
        assert_eq!(
            Window::default(),
            Window {
                start: hm(20, 0),
                end: hm(8, 0)
            }
        );
        assert_eq!(window("20:00", "08:00"), Window::default());
    }

    #[test]
    fn times_are_read_as_twenty_four_hour_hh_mm() {
        assert_eq!(
            window(" 21:30 ", "7:05"),
            Window {
                start: hm(21, 30),
                end: hm(7, 5)
            }
        );
        assert_eq!(
            window("00:00", "23:59"),
            Window {
                start: hm(0, 0),
                end: hm(23, 59)
            }
        );
        for bad in ["24:00", "8pm", "20", "20:00:00", "", "20:60"] {
            assert!(Window::parse(bad, "08:00").is_err(), "{bad:?}");
        }
        assert_eq!(
            Window::parse("20:00", "8am").unwrap_err().to_string(),
            "end: \"8am\" is not a time of day like 20:00"
        );
    }

    #[test]
    fn a_window_over_midnight_is_quiet_from_its_start_until_its_end() {
        let w = Window::default();
        for (time, quiet) in [
            (hm(19, 59), false),
            (hm(20, 0), true),
            (hm(23, 59), true),
            (hm(0, 0), true),
            (hm(7, 59), true),
            (NaiveTime::from_hms_opt(7, 59, 59).unwrap(), true),
            (hm(8, 0), false),
            (hm(12, 0), false),
        ] {
            assert_eq!(w.contains(time), quiet, "{time}");
        }
    }

    #[test]
    fn a_window_within_a_day_is_quiet_between_its_start_and_its_end() {
        let w = window("12:00", "14:00");
        for (time, quiet) in [
            (hm(11, 59), false),
            (hm(12, 0), true),
            (hm(13, 59), true),
            (hm(14, 0), false),
        ] {
            assert_eq!(w.contains(time), quiet, "{time}");
        }
    }

    #[test]
    fn an_empty_window_is_never_quiet() {
        let w = window("10:00", "10:00");
        assert!(w.is_empty());
        assert!(!w.contains(hm(10, 0)) && !w.contains(hm(3, 0)));
        let now = sydney(2026, 6, 15, 23, 0);
        assert_eq!(next_allowed(now, &w, Sydney), now);
        assert!(!Window::default().is_empty());
    }

    #[test]
    fn outside_the_window_a_message_goes_now() {
        let w = Window::default();
        for now in [
            sydney(2026, 6, 15, 8, 0),
            sydney(2026, 6, 15, 12, 0),
            sydney(2026, 6, 15, 19, 59),
        ] {
            assert_eq!(next_allowed(now, &w, Sydney), now);
        }
        let just_before = sydney(2026, 6, 15, 19, 59) + TimeDelta::seconds(59);
        assert_eq!(next_allowed(just_before, &w, Sydney), just_before);
    }

    #[test]
    fn inside_the_window_a_message_waits_for_its_end_on_the_right_day() {
        let w = Window::default();
        // Winter, AEST (UTC+10): 08:00 on 16 June is 22:00 UTC on the 15th.
        let morning = utc(2026, 6, 15, 22, 0);
        assert_eq!(morning, sydney(2026, 6, 16, 8, 0));
        for now in [
            sydney(2026, 6, 15, 20, 0),
            sydney(2026, 6, 15, 23, 59),
            sydney(2026, 6, 16, 0, 0),
            sydney(2026, 6, 16, 3, 0),
            sydney(2026, 6, 16, 7, 59),
        ] {
            assert_eq!(next_allowed(now, &w, Sydney), morning, "{now}");
        }
        let w = window("12:00", "14:00");
        assert_eq!(
            next_allowed(sydney(2026, 6, 15, 13, 0), &w, Sydney),
            sydney(2026, 6, 15, 14, 0)
        );
    }

    #[test]
    fn a_send_on_the_evening_dst_ends_waits_until_eight_standard_time() {
        // Sat 4 Apr 2026 21:00 AEDT (UTC+11) is 10:00 UTC; DST ends at 03:00
        // on Sunday, and 08:00 AEST (UTC+10) is 22:00 UTC: 12 hours later, not 11.
        let now = utc(2026, 4, 4, 10, 0);
        assert_eq!(now, sydney(2026, 4, 4, 21, 0));
        let allowed = next_allowed(now, &Window::default(), Sydney);
        assert_eq!(allowed, utc(2026, 4, 4, 22, 0));
        assert_eq!(allowed - now, TimeDelta::hours(12));
        // Both 02:30s of that night wait for the same 08:00.
        for now in [utc(2026, 4, 4, 15, 30), utc(2026, 4, 4, 16, 30)] {
            assert_eq!(next_allowed(now, &Window::default(), Sydney), utc(2026, 4, 4, 22, 0));
        }
    }

    #[test]
    fn a_send_on_the_evening_dst_starts_waits_until_eight_daylight_time() {
        // Sat 3 Oct 2026 21:00 AEST (UTC+10) is 11:00 UTC; DST starts at 02:00
        // on Sunday, and 08:00 AEDT (UTC+11) is 21:00 UTC: 10 hours later, not 11.
        let now = utc(2026, 10, 3, 11, 0);
        assert_eq!(now, sydney(2026, 10, 3, 21, 0));
        let allowed = next_allowed(now, &Window::default(), Sydney);
        assert_eq!(allowed, utc(2026, 10, 3, 21, 0));
        assert_eq!(allowed - now, TimeDelta::hours(10));
    }

    #[test]
    fn an_end_the_clocks_skip_is_reached_when_they_jump() {
        // 02:30 doesn't exist on 4 Oct 2026: 02:00 AEST (16:00 UTC) is 03:00 AEDT.
        let w = window("22:00", "02:30");
        let now = sydney(2026, 10, 3, 23, 0);
        assert_eq!(next_allowed(now, &w, Sydney), utc(2026, 10, 3, 16, 0));
        assert_eq!(next_allowed(now, &w, Sydney), sydney(2026, 10, 4, 3, 0));
    }

    #[test]
    fn an_end_the_clocks_show_twice_is_its_next_showing() {
        // 02:30 on 5 Apr 2026 is 15:30 UTC (AEDT) and again 16:30 UTC (AEST).
        let w = window("22:00", "02:30");
        assert_eq!(
            next_allowed(sydney(2026, 4, 4, 23, 0), &w, Sydney),
            utc(2026, 4, 4, 15, 30)
        );
        // Between the two, the wall clock says 02:00-02:30 again: quiet again.
        assert_eq!(
            next_allowed(utc(2026, 4, 4, 15, 45), &w, Sydney),
            utc(2026, 4, 4, 15, 45)
        );
        assert_eq!(
            next_allowed(utc(2026, 4, 4, 16, 15), &w, Sydney),
            utc(2026, 4, 4, 16, 30)
        );
    }

    #[test]
    fn a_window_of_almost_a_day_ending_in_a_skipped_hour_waits_for_the_next_days_end() {
        // Allowed only 02:30-02:45, which 4 Oct 2026 doesn't have.
        let w = window("02:45", "02:30");
        let now = sydney(2026, 10, 4, 1, 0);
        assert_eq!(next_allowed(now, &w, Sydney), sydney(2026, 10, 5, 2, 30));
    }

    #[test]
    fn a_region_with_one_zone_is_read_in_it_and_any_other_in_the_organisations() {
        use chrono_tz::{America, Asia, Europe, Pacific};
        assert_eq!(zone_for(region("NZ"), Sydney), Pacific::Auckland);
        assert_eq!(zone_for(region("gb"), Sydney), Europe::London);
        assert_eq!(zone_for(region("IN"), Sydney), Asia::Kolkata);
        assert_eq!(zone_for(region("SG"), America::New_York), Asia::Singapore);
        assert_eq!(zone_for(region("AU"), Sydney), Sydney);
        assert_eq!(
            zone_for(region("AU"), chrono_tz::Australia::Perth),
            chrono_tz::Australia::Perth
        );
        assert_eq!(zone_for(region("US"), America::Chicago), America::Chicago);
        assert_eq!(zone_for(region("CA"), Sydney), Sydney);
        assert_eq!(
            zone_for(region("ES"), Sydney),
            Sydney,
            "the Canaries are an hour behind"
        );
        assert_eq!(zone_for(None, Sydney), Sydney);
    }

    #[test]
    fn every_region_in_the_table_is_a_real_region() {
        for code in [
            "NZ", "GB", "JE", "GG", "IM", "IE", "SG", "HK", "JP", "KR", "TW", "PH", "TH", "MY", "CN", "IN", "AE", "IL",
            "ZA", "FJ", "DE", "FR", "IT", "NL", "BE", "CH", "AT", "DK", "SE", "NO", "FI", "PL",
        ] {
            let r = region(code);
            assert!(single_zone(code).is_some(), "{code}");
            assert_eq!(zone_for(r, Sydney), single_zone(code).unwrap(), "{code}");
        }
    }

    fn any_zone() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            Sydney,
            chrono_tz::Australia::Lord_Howe, // moves by half an hour
            chrono_tz::Pacific::Auckland,
            chrono_tz::Pacific::Chatham,
            chrono_tz::America::New_York,
            chrono_tz::America::Havana, // changes at midnight
            chrono_tz::America::Santiago,
            chrono_tz::Europe::London,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
        ])
    }

    fn any_window() -> impl Strategy<Value = Window> {
        let minute = (0u32..24 * 60).prop_map(|m| hm(m / 60, m % 60));
        prop_oneof![
            Just(Window::default()),
            (minute.clone(), minute).prop_map(|(start, end)| Window { start, end }),
        ]
    }

    proptest! {
        #[test]
        fn the_next_allowed_moment_is_never_before_now_nor_quiet_and_is_the_first(
            seconds in 1_767_225_600i64..1_830_297_600, // 2026 to 2027
            window in any_window(),
            tz in any_zone(),
        ) {
            let now = DateTime::from_timestamp(seconds, 0).unwrap();
            let allowed = next_allowed(now, &window, tz);
            prop_assert!(allowed >= now);
            prop_assert!(!window.contains(allowed.with_timezone(&tz).time()), "{} is quiet", allowed.with_timezone(&tz));
            let quiet_now = window.contains(now.with_timezone(&tz).time());
            prop_assert_eq!(allowed == now, !quiet_now);
            // The minute before was still quiet: nothing earlier was allowed.
            let before = allowed - TimeDelta::minutes(1);
            if before > now {
                prop_assert!(window.contains(before.with_timezone(&tz).time()), "{} was allowed", before.with_timezone(&tz));
            }
            prop_assert!(allowed - now <= TimeDelta::hours(49));
        }
    }
}
