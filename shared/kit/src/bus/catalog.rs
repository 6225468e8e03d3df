//! Every event in the platform: which payload message carries it and its
//! type (`<domain>.<name>`, which is also the subject suffix). The owning
//! service is the domain, except `audit`, which every service records and
//! identity keeps. Adding an event means adding a line here and the
//! message beside the owner's API in `/proto`.

use super::Event;
use attend_proto::{automation, booking, care, contact, events, ingest, messaging};

macro_rules! events {
    ($($payload:ty => $type:literal;)*) => {
        $(impl Event for $payload {
            const TYPE: &'static str = $type;
        })*

        /// Every event type, for documentation and tests.
        pub const ALL: &[&str] = &[$($type),*];
    };
}

events! {
    ingest::v1::ExternalBookingReceived => "ingest.booking_received";
    ingest::v1::LeadReceived => "ingest.lead_received";
    ingest::v1::SmsReceived => "ingest.sms_received";
    ingest::v1::SmsStatusReported => "ingest.sms_status";
    ingest::v1::EmailEventReported => "ingest.email_event";
    contact::v1::ContactCreated => "contact.created";
    contact::v1::LeadCreated => "contact.lead_created";
    contact::v1::ContactUpdated => "contact.updated";
    contact::v1::ContactStageChanged => "contact.stage_changed";
    contact::v1::ContactMerged => "contact.merged";
    contact::v1::ContactMergeUndone => "contact.merge_undone";
    contact::v1::TouchpointLogged => "contact.touchpoint_logged";
    booking::v1::BookingCreated => "booking.created";
    booking::v1::BookingConfirmed => "booking.confirmed";
    booking::v1::BookingRescheduled => "booking.rescheduled";
    booking::v1::BookingCancelled => "booking.cancelled";
    booking::v1::BookingOutcomeRecorded => "booking.outcome_recorded";
    booking::v1::BookingUpdated => "booking.updated";
    booking::v1::RecallSet => "booking.recall_set";
    booking::v1::RecallClosed => "booking.recall_closed";
    messaging::v1::SmsSent => "messaging.sms_sent";
    messaging::v1::SmsDelivered => "messaging.sms_delivered";
    messaging::v1::SmsFailed => "messaging.sms_failed";
    messaging::v1::SmsReceived => "messaging.sms_received";
    messaging::v1::ConsentChanged => "messaging.consent_changed";
    messaging::v1::EmailDelivered => "messaging.email_delivered";
    messaging::v1::EmailOpened => "messaging.email_opened";
    messaging::v1::EmailClicked => "messaging.email_clicked";
    messaging::v1::EmailBounced => "messaging.email_bounced";
    automation::v1::TaskCreated => "automation.task_created";
    automation::v1::TaskCompleted => "automation.task_completed";
    automation::v1::TaskCancelled => "automation.task_cancelled";
    automation::v1::TaskChanged => "automation.task_changed";
    automation::v1::ReminderSent => "automation.reminder_sent";
    care::v1::NoteWritten => "care.note_written";
    care::v1::NoteUrgent => "care.note_urgent";
    care::v1::MessageSent => "care.message_sent";
    care::v1::MessageRead => "care.message_read";
    events::v1::AuditRecorded => "audit.recorded";
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_type_is_domain_dot_name() {
        for t in super::ALL {
            let parts: Vec<_> = t.split('.').collect();
            assert_eq!(parts.len(), 2, "{t}");
            assert!(
                parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_')),
                "{t}"
            );
        }
    }
}
