//! Booking's rules, pure: the status a provider's report means, the
//! urgency a service type implies, which events are too old to apply,
//! when a booking can be confirmed, and how recalls are read and timed.
//! No I/O here; the intake consumer and the API apply these.

use attend_proto::ingest::v1::{BookingAction, BookingStatus, PaymentStatus};
use chrono::{DateTime, Utc};

/// How a provider is named as a first-touch source.
pub(crate) fn source_label(provider: &str) -> String {
    match provider {
        "wix" => "Wix".to_owned(),
        "calendly" => "Calendly".to_owned(),
        other => other.to_owned(),
    }
}

/// Urgency a service type implies when the practice set none.
pub(crate) fn default_urgency(service_type: &str) -> &'static str {
    match service_type {
        "procedure" | "high_risk" => "high",
        "routine" => "low",
        _ => "medium",
    }
}

pub(crate) fn status(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Cancelled => "cancelled",
        BookingStatus::Scheduled | BookingStatus::Unspecified => "scheduled",
    }
}

pub(crate) fn payment(s: PaymentStatus) -> Option<&'static str> {
    match s {
        PaymentStatus::Paid => Some("paid"),
        PaymentStatus::Pending => Some("pending"),
        PaymentStatus::Unpaid => Some("unpaid"),
        PaymentStatus::Unspecified => None,
    }
}

/// The status a new booking starts with, given the first event seen.
pub(crate) fn initial_status(action: BookingAction, reported: BookingStatus) -> &'static str {
    match action {
        BookingAction::Confirmed => "confirmed",
        BookingAction::Rescheduled => "rescheduled",
        BookingAction::Cancelled | BookingAction::Declined => "cancelled",
        _ => status(reported),
    }
}

/// Whether an event the provider timed at `at` is older than what was applied.
pub(crate) fn is_stale(at: Option<DateTime<Utc>>, last_applied: Option<DateTime<Utc>>) -> bool {
    matches!((at, last_applied), (Some(at), Some(last)) if at < last)
}

pub(crate) fn cancel_reason(action: BookingAction) -> String {
    match action {
        BookingAction::Declined => "declined".to_owned(),
        _ => "cancelled".to_owned(),
    }
}

/// The stored text as one of our static words (the table's checks admit no others).
pub(crate) fn static_type(t: &str) -> &'static str {
    match t {
        "procedure" => "procedure",
        "follow_up" => "follow_up",
        "routine" => "routine",
        "high_risk" => "high_risk",
        _ => "unclassified",
    }
}

pub(crate) fn static_urgency(u: &str) -> &'static str {
    match u {
        "high" => "high",
        "low" => "low",
        _ => "medium",
    }
}

/// What confirming a booking (the patient said yes) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Confirmation {
    /// Scheduled or rescheduled, still to come: it becomes confirmed.
    Confirm,
    /// Confirmed already: nothing changes.
    Already,
    /// Why it can't be.
    Refused(&'static str),
}

/// Whether a booking with this status, outcome and time can be confirmed now.
pub(crate) fn confirmation(
    status: &str,
    outcome: Option<&str>,
    appointment_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Confirmation {
    match status {
        "confirmed" => Confirmation::Already,
        "cancelled" => Confirmation::Refused("the booking is cancelled; a cancelled booking can't be confirmed"),
        _ if outcome.is_some() || appointment_at <= now => {
            Confirmation::Refused("the appointment has begun; only one still to come can be confirmed")
        }
        _ => Confirmation::Confirm,
    }
}

/// Longest recall months taken (ten years).
pub(crate) const MAX_RECALL_MONTHS: i32 = 120;

/// Months until a patient of a service is due back: the service's own
/// (`own` > 0), else 6 for high risk and 12 for the rest (spec 000's
/// `calculate_recall_date`).
pub(crate) fn recall_months(service_type: &str, own: i32) -> i32 {
    match (own, service_type) {
        (1.., _) => own,
        (_, "high_risk") => 6,
        _ => 12,
    }
}

/// How a recall ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecallEnd {
    /// The contact booked again.
    Booked,
    /// Staff closed it.
    Closed,
}

impl RecallEnd {
    pub(crate) fn parse(text: &str) -> Option<RecallEnd> {
        match text {
            "booked" => Some(RecallEnd::Booked),
            "closed" => Some(RecallEnd::Closed),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RecallEnd::Booked => "booked",
            RecallEnd::Closed => "closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_standing_appointment_still_to_come_is_confirmed() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let later = now + chrono::Duration::hours(2);
        let earlier = now - chrono::Duration::minutes(1);
        assert_eq!(confirmation("scheduled", None, later, now), Confirmation::Confirm);
        assert_eq!(confirmation("rescheduled", None, later, now), Confirmation::Confirm);
        assert_eq!(
            confirmation("confirmed", None, earlier, now),
            Confirmation::Already,
            "confirming twice changes nothing"
        );
        let Confirmation::Refused(why) = confirmation("cancelled", None, later, now) else {
            panic!("a cancelled booking stays cancelled");
        };
        assert!(why.contains("cancelled"));
        let Confirmation::Refused(why) = confirmation("scheduled", None, earlier, now) else {
            panic!("a begun appointment is past confirming");
        };
        assert!(why.contains("begun"));
        assert!(matches!(
            confirmation("scheduled", Some("no_show"), later, now),
            Confirmation::Refused(_)
        ));
        assert!(matches!(
            confirmation("scheduled", None, now, now),
            Confirmation::Refused(_)
        ));
    }

    #[test]
    fn a_recall_is_six_months_for_high_risk_and_twelve_for_the_rest_unless_the_service_says() {
        assert_eq!(recall_months("high_risk", 0), 6);
        assert_eq!(recall_months("routine", 0), 12);
        assert_eq!(recall_months("procedure", 0), 12);
        assert_eq!(recall_months("unclassified", 0), 12);
        assert_eq!(recall_months("procedure", 3), 3, "the provider's own follow-up");
        assert_eq!(recall_months("high_risk", 24), 24);
    }

    #[test]
    fn a_recall_ends_booked_or_closed() {
        for end in [RecallEnd::Booked, RecallEnd::Closed] {
            assert_eq!(RecallEnd::parse(end.as_str()), Some(end));
        }
        assert_eq!(RecallEnd::parse("open"), None, "open is no end");
    }

    #[test]
    fn urgency_follows_the_service_type() {
        assert_eq!(default_urgency("procedure"), "high");
        assert_eq!(default_urgency("high_risk"), "high");
        assert_eq!(default_urgency("follow_up"), "medium");
        assert_eq!(default_urgency("routine"), "low");
        assert_eq!(default_urgency("unclassified"), "medium");
    }

    #[test]
    fn the_first_event_seen_sets_the_starting_status() {
        assert_eq!(
            initial_status(BookingAction::Created, BookingStatus::Confirmed),
            "confirmed"
        );
        assert_eq!(
            initial_status(BookingAction::Created, BookingStatus::Scheduled),
            "scheduled"
        );
        assert_eq!(
            initial_status(BookingAction::Cancelled, BookingStatus::Confirmed),
            "cancelled"
        );
        assert_eq!(
            initial_status(BookingAction::Declined, BookingStatus::Scheduled),
            "cancelled"
        );
        assert_eq!(
            initial_status(BookingAction::Rescheduled, BookingStatus::Scheduled),
            "rescheduled"
        );
    }

    #[test]
    fn only_events_older_than_the_last_applied_are_stale() {
        let t = |s: i64| DateTime::from_timestamp(s, 0);
        assert!(is_stale(t(10), t(20)));
        assert!(!is_stale(t(20), t(20)));
        assert!(!is_stale(t(30), t(20)));
        assert!(!is_stale(None, t(20)), "an undated event is applied");
        assert!(!is_stale(t(10), None));
    }
}
