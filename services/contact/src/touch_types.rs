//! The touchpoint types a timeline holds: seed 000's common types, what
//! attend records besides, and the score's own signal names. A touchpoint
//! logged through the API (`LogTouchpoint`: a rule's `log_touchpoint`, a
//! call staff made) must be one of these, so the timeline and the score
//! read one vocabulary.

/// Every type, grouped by where it comes from.
pub const KNOWN: &[&str] = &[
    // Seed 000's "Common Touchpoint Types".
    "ad_click",
    "landing_page_visit",
    "form_submit",
    "manychat_subscribe",
    "manychat_flow_complete",
    "manychat_button_click",
    "sms_sent",
    "sms_received",
    "sms_delivered",
    "sms_failed",
    "email_sent",
    "email_opened",
    "email_clicked",
    "call_attempted",
    "call_connected",
    "call_voicemail",
    "booking_created",
    "booking_confirmed",
    "booking_cancelled",
    "booking_rescheduled",
    "appointment_attended",
    "appointment_no_show",
    "review_requested",
    "review_received",
    // Recorded by attend itself: a new lead, a bounced email, a move
    // along the pipelines.
    "lead_created",
    "email_bounced",
    STAGE_CHANGED,
    // Seed 000's rules: a patient's "Y" to a reminder.
    "booking_confirmed_reply",
    // The score's signal names, which count as they are (warmness.rs).
    "booking_link_click",
    "resource_download",
    "sms_reply_1hr",
    "sms_reply_24hr",
    "email_open",
];

/// A move along the pipelines. Only a change of stage records one (its
/// details say from where to where), so it can't be logged by hand.
pub const STAGE_CHANGED: &str = "stage_changed";

/// Why a type can't be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    /// Known, but only attend records it.
    RecordedOnly,
}

/// A type that may be logged, as the static name the store keeps.
pub fn loggable(text: &str) -> Result<&'static str, Refused> {
    match KNOWN.iter().find(|t| **t == text) {
        Some(&STAGE_CHANGED) => Err(Refused::RecordedOnly),
        Some(t) => Ok(t),
        None => Err(Refused::Unknown),
    }
}

/// The loggable types, as an error message lists them.
pub fn loggable_names() -> String {
    KNOWN
        .iter()
        .filter(|t| **t != STAGE_CHANGED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_types_and_the_rules_types_may_be_logged() {
        for t in [
            "call_attempted",
            "booking_confirmed_reply",
            "review_received",
            "sms_reply_1hr",
        ] {
            assert_eq!(loggable(t), Ok(t));
        }
        assert_eq!(loggable("Call_Attempted"), Err(Refused::Unknown), "names are exact");
        assert_eq!(loggable("fax_sent"), Err(Refused::Unknown));
        assert_eq!(loggable(STAGE_CHANGED), Err(Refused::RecordedOnly));
        assert!(!loggable_names().contains(STAGE_CHANGED));
    }

    #[test]
    fn every_type_the_score_reads_is_known() {
        for t in crate::warmness::SCORED_TYPES {
            assert!(KNOWN.contains(&t), "{t}");
        }
    }

    #[test]
    fn each_type_is_listed_once() {
        let mut sorted = KNOWN.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), KNOWN.len());
    }
}
