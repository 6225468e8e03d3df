//! Spec 000's task priority, exactly:
//!
//! ```text
//! score = base(type)
//! score *= urgency multiplier (high 1.5, medium 1.2, low 1.0), when the task is about a booking
//! score += min(100, 20 × whole hours overdue), when overdue
//! score += (contact's warmness − 50) / 2
//! round(score)
//! ```
//!
//! The score is computed when a task is read, never stored: an overdue
//! task rises in the queue without a job rewriting rows. The database
//! sorts with the same formula ([`SQL`]); a test holds the two together.
//!
//! Bounds: the base is 20 to 100, so with a high urgency at most 150;
//! overdue adds at most 100; warmness −25 to +25. Scores are therefore
//! −5 to 275; below 0 reads as 0 (spec 000 calls the score 0-200 but its
//! formula reaches 275, and the formula wins).

use chrono::{DateTime, Utc};

/// Spec 000's task types, plus the forms its rules use (`call`,
/// `recall_call`) and `call_hot_lead`, the base score of a `call` a rule
/// marks high priority.
pub const TASK_TYPES: &[&str] = &[
    "call",
    "call_hot_lead",
    "welcome_call",
    "sms_followup",
    "rescue_call",
    "recall_reminder",
    "recall_call",
    "review_request",
    "referral_invite",
    "no_show_followup",
    "confirmation_call",
];

/// Spec 000's base scores; any other type scores 50.
pub fn base(task_type: &str) -> f64 {
    match task_type {
        "rescue_call" => 100.0,
        "call_hot_lead" => 90.0,
        "no_show_followup" => 80.0,
        "confirmation_call" => 75.0,
        "welcome_call" => 60.0,
        "recall_call" => 50.0,
        "review_request" => 30.0,
        "referral_invite" => 20.0,
        _ => 50.0,
    }
}

/// The type whose base score a task takes: a `call` a rule marks high
/// priority is spec 000's `call_hot_lead`.
pub fn scored_type<'a>(task_type: &'a str, hint: Option<&str>) -> &'a str {
    match (task_type, hint) {
        ("call", Some("high" | "urgent")) => "call_hot_lead",
        (t, _) => t,
    }
}

/// The urgency multiplier of the task's booking (none: 1).
pub fn urgency_multiplier(urgency: Option<&str>) -> f64 {
    match urgency {
        Some("high") => 1.5,
        Some("medium") => 1.2,
        _ => 1.0,
    }
}

/// What the formula needs of a task.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The type scored (see [`scored_type`]).
    pub scored_type: &'a str,
    /// The booking's urgency, when the task is about a booking.
    pub urgency: Option<&'a str>,
    pub due_at: DateTime<Utc>,
    /// The contact's warmness (50 when unknown: no boost).
    pub warmness: i32,
}

/// The score at `now`.
pub fn score(task: Inputs<'_>, now: DateTime<Utc>) -> i32 {
    let mut score = base(task.scored_type);
    score *= urgency_multiplier(task.urgency);
    if now > task.due_at {
        let hours = (now - task.due_at).num_seconds() / 3600;
        score += (20.0 * hours as f64).min(100.0);
    }
    score += f64::from(task.warmness - 50) / 2.0;
    // Math.round: halves go up.
    let rounded = (score + 0.5).floor();
    (rounded as i32).max(0)
}

/// URGENT ≥ 150, HIGH ≥ 100, MEDIUM ≥ 50, LOW below.
pub fn category(score: i32) -> &'static str {
    match score {
        s if s >= 150 => "URGENT",
        s if s >= 100 => "HIGH",
        s if s >= 50 => "MEDIUM",
        _ => "LOW",
    }
}

/// The same formula in SQL over `automation.tasks t` joined with
/// `automation.contacts c` and `automation.bookings b`, at `$now`
/// (parameter `$1`): for sorting the queue in the database.
pub const SQL: &str = "greatest(0, floor(
      (case t.scored_type when 'rescue_call' then 100 when 'call_hot_lead' then 90
         when 'no_show_followup' then 80 when 'confirmation_call' then 75 when 'welcome_call' then 60
         when 'recall_call' then 50 when 'review_request' then 30 when 'referral_invite' then 20 else 50 end)::numeric
      * (case when t.booking_id is null then 1.0
              when b.urgency_level = 'high' then 1.5 when b.urgency_level = 'medium' then 1.2 else 1.0 end)
      + (case when $1 > t.due_at
              then least(100, 20 * floor(extract(epoch from ($1 - t.due_at)) / 3600)) else 0 end)
      + (coalesce(c.warmness, 50) - 50) / 2.0
      + 0.5))::int";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use proptest::prelude::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_773_100_800 + h * 3600, 0).unwrap()
    }

    fn task<'a>(t: &'a str, urgency: Option<&'a str>, warmness: i32) -> Inputs<'a> {
        Inputs {
            scored_type: t,
            urgency,
            due_at: at(0),
            warmness,
        }
    }

    #[test]
    fn the_spec_s_example_is_150() {
        // A rescue call for a high-urgency booking, a contact at 50.
        assert_eq!(score(task("rescue_call", Some("high"), 50), at(0)), 150);
        assert_eq!(category(150), "URGENT");
    }

    #[test]
    fn each_term_counts_as_the_spec_says() {
        assert_eq!(score(task("welcome_call", None, 50), at(0)), 60);
        assert_eq!(score(task("welcome_call", Some("medium"), 50), at(0)), 72);
        // Overdue by 2h59m is 2 whole hours: +40.
        let late = at(0) + TimeDelta::minutes(179);
        assert_eq!(score(task("welcome_call", None, 50), late), 100);
        // Capped at +100.
        assert_eq!(score(task("welcome_call", None, 50), at(30)), 160);
        // Warmness 85: +17.5, rounded half up.
        assert_eq!(score(task("welcome_call", None, 85), at(0)), 78);
        assert_eq!(score(task("referral_invite", None, 0), at(0)), 0, "20 - 25 reads as 0");
        assert_eq!(score(task("something_else", None, 50), at(0)), 50);
    }

    #[test]
    fn a_hot_lead_call_scores_as_call_hot_lead() {
        assert_eq!(scored_type("call", Some("high")), "call_hot_lead");
        assert_eq!(scored_type("call", Some("medium")), "call");
        assert_eq!(scored_type("rescue_call", Some("urgent")), "rescue_call");
    }

    #[test]
    fn categories_have_the_spec_s_thresholds() {
        assert_eq!(category(149), "HIGH");
        assert_eq!(category(100), "HIGH");
        assert_eq!(category(99), "MEDIUM");
        assert_eq!(category(50), "MEDIUM");
        assert_eq!(category(49), "LOW");
    }

    proptest! {
        #[test]
        fn scores_stay_within_their_bounds(
            t in prop::sample::select(TASK_TYPES),
            urgency in prop::option::of(prop::sample::select(&["high", "medium", "low", "odd"][..])),
            warmness in 0..=100i32,
            hours in -1000i64..10_000,
        ) {
            let s = score(Inputs { scored_type: t, urgency, due_at: at(0), warmness }, at(hours));
            prop_assert!((0..=275).contains(&s), "{s}");
        }

        #[test]
        fn an_older_task_never_scores_lower(
            t in prop::sample::select(TASK_TYPES),
            warmness in 0..=100i32,
            a in 0i64..100_000,
            b in 0i64..100_000,
        ) {
            let task = Inputs { scored_type: t, urgency: Some("high"), due_at: at(0), warmness };
            let (early, late) = (a.min(b), a.max(b));
            let now = |s: i64| at(0) + TimeDelta::seconds(s);
            prop_assert!(score(task, now(early)) <= score(task, now(late)));
        }

        #[test]
        fn a_warmer_contact_never_scores_lower(t in prop::sample::select(TASK_TYPES), w in 0..100i32) {
            let s = |w| score(Inputs { scored_type: t, urgency: None, due_at: at(0), warmness: w }, at(0));
            prop_assert!(s(w) <= s(w + 1));
        }
    }
}
