//! Insights: sentences computed from a period's figures and the period
//! before, each naming the numbers behind it. A table of rules, checked in
//! order; each rule speaks only when its figures say something worth a
//! practice manager's Monday morning. No model, no guessing.

use crate::figures::{FIVE_MINUTES, Figures, ratio};

/// A rule: the current and previous figures in, a sentence out (or none).
type Rule = fn(&Figures, &Figures) -> Option<String>;

/// Every rule, in the order its sentence is shown.
const RULES: &[(&str, Rule)] = &[
    ("attendance_moved", attendance_moved),
    ("attended_moved", attended_moved),
    ("speed_to_lead_below_target", speed_to_lead_below_target),
    ("leads_not_contacted", leads_not_contacted),
    ("rescue_below_target", rescue_below_target),
    ("high_urgency_cancellations", high_urgency_cancellations),
    ("recall_conversion_below_target", recall_conversion_below_target),
    ("top_channel", top_channel),
    ("outcomes_unrecorded", outcomes_unrecorded),
];

/// The sentences for `now` compared with `before`.
pub fn insights(now: &Figures, before: &Figures) -> Vec<String> {
    RULES.iter().filter_map(|(_, rule)| rule(now, before)).collect()
}

fn percent(r: f64) -> String {
    format!("{:.0}%", r * 100.0)
}

/// Attendance moved five points or more; with where most no-shows came from.
fn attendance_moved(now: &Figures, before: &Figures) -> Option<String> {
    let (a, b) = (
        before.appointments.attendance_rate()?,
        now.appointments.attendance_rate()?,
    );
    if (b - a).abs() < 0.05 {
        return None;
    }
    let verb = if b < a { "fell" } else { "rose" };
    let mut s = format!("Attendance {verb} from {} to {}", percent(a), percent(b));
    let no_shows = now.appointments.no_shows;
    if b < a
        && no_shows >= 2
        && let Some((channel, c)) = now
            .channels
            .iter()
            .max_by_key(|(name, c)| (c.no_shows, std::cmp::Reverse(*name)))
        && c.no_shows * 2 >= no_shows
    {
        s.push_str(&format!(
            "; {} of {no_shows} no-shows came from {channel} leads",
            c.no_shows
        ));
        if c.no_shows_booked_far_ahead * 2 >= c.no_shows {
            s.push_str(&format!(
                " ({} booked more than 10 days ahead)",
                c.no_shows_booked_far_ahead
            ));
        }
    }
    s.push('.');
    Some(s)
}

/// Attended appointments moved by a tenth or more.
fn attended_moved(now: &Figures, before: &Figures) -> Option<String> {
    let (a, b) = (before.appointments.attended, now.appointments.attended);
    let change = ratio(b, a)? - 1.0;
    if change.abs() < 0.10 {
        return None;
    }
    let verb = if change < 0.0 { "fell" } else { "rose" };
    Some(format!(
        "Attended appointments {verb} {} ({a} → {b}).",
        percent(change.abs())
    ))
}

/// Fewer than 80% of new leads reached by a person within five minutes.
fn speed_to_lead_below_target(now: &Figures, _: &Figures) -> Option<String> {
    let f = &now.funnel;
    let share = ratio(f.under_five_minutes, f.new_leads)?;
    (share < 0.80).then(|| {
        format!(
            "{} of {} new leads ({}) were reached by a person within {} minutes; the target is 80%.",
            f.under_five_minutes,
            f.new_leads,
            percent(share),
            FIVE_MINUTES / 60
        )
    })
}

/// New leads nobody has contacted yet.
fn leads_not_contacted(now: &Figures, _: &Figures) -> Option<String> {
    let f = &now.funnel;
    let waiting = f.new_leads.checked_sub(f.contacted).filter(|n| *n > 0)?;
    Some(format!(
        "{waiting} of {} new leads have not been contacted by a person yet.",
        f.new_leads
    ))
}

/// Fewer than half of the cancellations rebooked.
fn rescue_below_target(now: &Figures, _: &Figures) -> Option<String> {
    let a = &now.attention;
    let rate = ratio(a.rebooked, a.cancellations)?;
    (rate < 0.50).then(|| {
        format!(
            "{} of {} cancellations were rebooked ({}; the target is 50%); {} still in rescue.",
            a.rebooked,
            a.cancellations,
            percent(rate),
            a.still_in_rescue
        )
    })
}

/// High-urgency cancellations, always worth a call.
fn high_urgency_cancellations(now: &Figures, _: &Figures) -> Option<String> {
    let n = now.attention.high_urgency;
    (n > 0).then(|| {
        let (noun, verb) = if n == 1 {
            ("cancellation", "was")
        } else {
            ("cancellations", "were")
        };
        format!(
            "{n} high-urgency {noun} {verb} among {} cancellations: call them first.",
            now.attention.cancellations
        )
    })
}

/// Fewer than 30% of recalls sent have booked.
fn recall_conversion_below_target(now: &Figures, _: &Figures) -> Option<String> {
    let r = &now.reactivation;
    let rate = ratio(r.recall_booked, r.recall_sent)?;
    (rate < 0.30).then(|| {
        format!(
            "{} of {} recalled patients have booked ({}; the target is 30%).",
            r.recall_booked,
            r.recall_sent,
            percent(rate)
        )
    })
}

/// The channel that brought the most attended appointments.
fn top_channel(now: &Figures, _: &Figures) -> Option<String> {
    let total = now.appointments.attended;
    let (name, c) = now
        .channels
        .iter()
        .filter(|(_, c)| c.attended > 0)
        .max_by_key(|(name, c)| (c.attended, std::cmp::Reverse(*name)))?;
    Some(format!(
        "{name} brought {} of {total} attended appointments ({}).",
        c.attended,
        percent(ratio(c.attended, total)?)
    ))
}

/// Appointments past with no outcome: attendance counts recorded ones only.
fn outcomes_unrecorded(now: &Figures, _: &Figures) -> Option<String> {
    let n = now.appointments.unrecorded;
    (n > 0).then(|| {
        format!(
            "{n} of {} appointments have no outcome recorded; attendance counts only recorded ones.",
            now.appointments.scheduled
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{Appointments, Attention, ChannelCount, Funnel, Reactivation};

    fn with_attendance(attended: u32, no_shows: u32) -> Figures {
        Figures {
            appointments: Appointments {
                scheduled: attended + no_shows,
                attended,
                no_shows,
                ..Appointments::default()
            },
            ..Figures::default()
        }
    }

    #[test]
    fn every_rule_is_named_once() {
        let mut names: Vec<_> = RULES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }

    #[test]
    fn attendance_falling_names_the_channel_of_most_no_shows() {
        let before = with_attendance(22, 3); // 88%
        let mut now = with_attendance(23, 6); // 79%
        now.channels.insert(
            "Meta Ads".to_owned(),
            ChannelCount {
                attended: 5,
                no_shows: 4,
                no_shows_booked_far_ahead: 4,
            },
        );
        now.channels.insert(
            "Wix".to_owned(),
            ChannelCount {
                attended: 18,
                no_shows: 2,
                no_shows_booked_far_ahead: 0,
            },
        );
        assert_eq!(
            attendance_moved(&now, &before).unwrap(),
            "Attendance fell from 88% to 79%; 4 of 6 no-shows came from Meta Ads leads (4 booked more than 10 days ahead)."
        );
        assert_eq!(
            attendance_moved(&before, &now).unwrap(),
            "Attendance rose from 79% to 88%."
        );
        // A small move, or no figures to compare: nothing to say.
        assert_eq!(
            attendance_moved(&with_attendance(86, 14), &with_attendance(88, 12)),
            None
        );
        assert_eq!(attendance_moved(&now, &Figures::default()), None);
    }

    #[test]
    fn attended_moving_a_tenth_is_said_with_both_counts() {
        assert_eq!(
            attended_moved(&with_attendance(47, 0), &with_attendance(42, 0)).unwrap(),
            "Attended appointments rose 12% (42 → 47)."
        );
        assert_eq!(attended_moved(&with_attendance(44, 0), &with_attendance(42, 0)), None);
        assert_eq!(attended_moved(&with_attendance(4, 0), &with_attendance(0, 0)), None);
    }

    fn with_funnel(new_leads: u32, contacted: u32, under: u32) -> Figures {
        Figures {
            funnel: Funnel {
                new_leads,
                contacted,
                under_five_minutes: under,
                ..Funnel::default()
            },
            ..Figures::default()
        }
    }

    #[test]
    fn slow_speed_to_lead_is_named_against_the_target() {
        let none = Figures::default();
        assert_eq!(
            speed_to_lead_below_target(&with_funnel(40, 38, 25), &none).unwrap(),
            "25 of 40 new leads (62%) were reached by a person within 5 minutes; the target is 80%."
        );
        assert_eq!(speed_to_lead_below_target(&with_funnel(40, 40, 32), &none), None);
        assert_eq!(speed_to_lead_below_target(&none, &none), None);
    }

    #[test]
    fn leads_nobody_reached_are_counted() {
        let none = Figures::default();
        assert_eq!(
            leads_not_contacted(&with_funnel(40, 33, 30), &none).unwrap(),
            "7 of 40 new leads have not been contacted by a person yet."
        );
        assert_eq!(leads_not_contacted(&with_funnel(40, 40, 30), &none), None);
    }

    fn with_cancellations(cancellations: u32, high: u32, rebooked: u32, rescue: u32) -> Figures {
        Figures {
            attention: Attention {
                cancellations,
                high_urgency: high,
                rebooked,
                still_in_rescue: rescue,
            },
            ..Figures::default()
        }
    }

    #[test]
    fn a_weak_rescue_rate_says_how_many_wait() {
        let none = Figures::default();
        assert_eq!(
            rescue_below_target(&with_cancellations(8, 0, 3, 5), &none).unwrap(),
            "3 of 8 cancellations were rebooked (38%; the target is 50%); 5 still in rescue."
        );
        assert_eq!(rescue_below_target(&with_cancellations(8, 0, 4, 4), &none), None);
        assert_eq!(rescue_below_target(&none, &none), None);
    }

    #[test]
    fn high_urgency_cancellations_are_always_said() {
        let none = Figures::default();
        assert_eq!(
            high_urgency_cancellations(&with_cancellations(5, 1, 0, 0), &none).unwrap(),
            "1 high-urgency cancellation was among 5 cancellations: call them first."
        );
        assert_eq!(
            high_urgency_cancellations(&with_cancellations(5, 2, 0, 0), &none).unwrap(),
            "2 high-urgency cancellations were among 5 cancellations: call them first."
        );
        assert_eq!(high_urgency_cancellations(&with_cancellations(5, 0, 0, 0), &none), None);
    }

    #[test]
    fn weak_recall_conversion_is_named() {
        let none = Figures::default();
        let recalls = |sent, booked| Figures {
            reactivation: Reactivation {
                recall_sent: sent,
                recall_booked: booked,
                cancelled_rebooked: 0,
            },
            ..Figures::default()
        };
        assert_eq!(
            recall_conversion_below_target(&recalls(20, 4), &none).unwrap(),
            "4 of 20 recalled patients have booked (20%; the target is 30%)."
        );
        assert_eq!(recall_conversion_below_target(&recalls(20, 6), &none), None);
        assert_eq!(recall_conversion_below_target(&recalls(0, 0), &none), None);
    }

    #[test]
    fn the_top_channel_is_the_one_with_most_attended() {
        let mut now = with_attendance(47, 0);
        for (name, attended) in [("Meta Ads", 18), ("Wix", 12), ("Referral", 17)] {
            now.channels.insert(
                name.to_owned(),
                ChannelCount {
                    attended,
                    ..ChannelCount::default()
                },
            );
        }
        assert_eq!(
            top_channel(&now, &Figures::default()).unwrap(),
            "Meta Ads brought 18 of 47 attended appointments (38%)."
        );
        assert_eq!(top_channel(&Figures::default(), &Figures::default()), None);
    }

    #[test]
    fn unrecorded_outcomes_are_pointed_out() {
        let mut now = with_attendance(10, 2);
        now.appointments.unrecorded = 3;
        now.appointments.scheduled = 15;
        assert_eq!(
            outcomes_unrecorded(&now, &Figures::default()).unwrap(),
            "3 of 15 appointments have no outcome recorded; attendance counts only recorded ones."
        );
        assert_eq!(outcomes_unrecorded(&with_attendance(10, 2), &Figures::default()), None);
    }

    #[test]
    fn an_empty_period_says_nothing() {
        assert!(insights(&Figures::default(), &Figures::default()).is_empty());
    }
}
