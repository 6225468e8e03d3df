//! Booking's rules, pure: the status a provider's report means, the
//! urgency a service type implies, which events are too old to apply.
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

#[cfg(test)]
mod tests {
    use super::*;

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
