//! Spec 000's SMS templates as data: the eleven core templates, word for
//! word from its "SMS Template System", and the thank-you its "On Attended
//! Appointment" rule sends, word for word from that rule; and the care
//! portal's urgent-update notice and appointment reminder (spec 001 has no
//! text for them).
//!
//! | id | sent when (spec 000's automation rules) | purpose | quiet hours |
//! | --- | --- | --- | --- |
//! | `welcome_lead` | a lead is created | transactional | kept |
//! | `follow_up_no_response` | a contacted lead hasn't replied in 4 hours | transactional | kept |
//! | `booking_confirmation` | a booking is created | transactional | kept |
//! | `reminder_48hr` | 48 hours before the appointment | transactional | kept |
//! | `reminder_24hr` | 24 hours before | transactional | kept |
//! | `reminder_2hr` | 2 hours before | transactional | **ignored** |
//! | `cancellation_rescue` | a booking is cancelled | transactional | kept |
//! | `no_show_followup` | a booking's outcome is a no-show | transactional | kept |
//! | `review_request` | the day after an attended appointment | **marketing** | kept |
//! | `referral_invite` | three days after an attended appointment | **marketing** | kept |
//! | `recall_reminder` | a recall falls due | transactional | kept |
//! | `thank_you_attended` | a booking's outcome is attended | transactional | kept |
//! | `care_urgent_update` | a care update is flagged urgent (care's notifier) | transactional | **ignored** |
//! | `care_appointment_reminder` | the days before a client's appointment a family member chose | transactional | kept |
//!
//! Purpose: marketing messages need the contact's consent, and the sender
//! adds [`OPT_OUT_LINE`] to them (the spec's texts don't carry it, and are
//! kept word for word). Why each is what it is:
//! - Reminders, the booking confirmation and the cancellation rescue are
//!   about an appointment the patient made.
//! - The welcome and the follow-up answer an enquiry the person sent hours
//!   before at most; the no-show follow-up and the thank-you are about the
//!   patient's own appointment, and offer nothing.
//! - The recall reminder is clinical follow-up the doctor recommends (a
//!   high-risk patient is recalled at 6 months): a marketing preference
//!   must not suppress it. A STOP still does, as for every message.
//! - The review request and the referral invite promote the clinic.
//!
//! Quiet hours ([`crate::sms::quiet_hours`]) defer a message to the
//! morning. All are kept except the 2-hour reminder: it is sent two hours
//! before the appointment, so a 9:00 appointment's goes at 7:00, and
//! deferring it would make it useless; and the urgent care update, which
//! a family asked to receive at once (it names no clinical detail). Considered and not exempted: the
//! welcome (it promises a call "within 5 minutes", untrue at night) and the
//! booking confirmation (bookings synced or imported at night would wake
//! patients).
//!
//! Where the spec's rules quote a template differently from its "Core
//! Templates", the core text is kept: the rules write `{day}`, `{time}` and
//! `{link}` in the follow-up, `{doctor}` and `{link}` in the recall, and
//! leave the booking link out of the cancellation rescue.

/// What a template is for, as spec 000 groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Category {
    Welcome,
    FollowUp,
    Confirmation,
    Reminder,
    Rescue,
    NoShow,
    Review,
    Referral,
    Recall,
    ThankYou,
    /// The care portal's notices to a client's family.
    Care,
}

impl Category {
    pub(crate) const ALL: [Category; 11] = [
        Category::Welcome,
        Category::FollowUp,
        Category::Confirmation,
        Category::Reminder,
        Category::Rescue,
        Category::NoShow,
        Category::Review,
        Category::Referral,
        Category::Recall,
        Category::ThankYou,
        Category::Care,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Category::Welcome => "welcome",
            Category::FollowUp => "follow_up",
            Category::Confirmation => "confirmation",
            Category::Reminder => "reminder",
            Category::Rescue => "rescue",
            Category::NoShow => "no_show",
            Category::Review => "review",
            Category::Referral => "referral",
            Category::Recall => "recall",
            Category::ThankYou => "thank_you",
            Category::Care => "care",
        }
    }

    /// The names, for messages: "welcome, follow_up, …".
    pub(crate) fn names() -> String {
        Category::ALL.map(Category::as_str).join(", ")
    }

    /// Exactly one of the names.
    pub(crate) fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// Whether a message needs the contact's consent to marketing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Purpose {
    /// About the person's own enquiry, appointment or care.
    Transactional,
    /// Promotes the clinic: needs consent and carries [`OPT_OUT_LINE`].
    Marketing,
}

impl Purpose {
    pub(crate) const ALL: [Purpose; 2] = [Purpose::Transactional, Purpose::Marketing];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Purpose::Transactional => "transactional",
            Purpose::Marketing => "marketing",
        }
    }

    /// Exactly one of the names.
    pub(crate) fn parse(text: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// What the sender appends to a marketing message, in the words the
/// booking confirmation already uses.
pub(crate) const OPT_OUT_LINE: &str = "Reply STOP to opt out.";

/// A template every organisation starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seed {
    /// Stable, snake_case; automation rules name templates by it.
    pub id: &'static str,
    pub name: &'static str,
    pub category: Category,
    /// With `{placeholder}`s ([`super::render`]).
    pub content: &'static str,
    pub purpose: Purpose,
    /// Whether the recipient's quiet hours defer it.
    pub quiet_hours: bool,
}

/// The seeded templates (the table in the module docs).
pub(crate) const SEEDS: &[Seed] = &[
    Seed {
        id: "welcome_lead",
        name: "Welcome Lead",
        category: Category::Welcome,
        content: "Hi {name}! Thanks for reaching out to {clinic}. We've received your inquiry about {intent}. \
                  A team member will call you within 5 minutes. Quick question: {booking_link}",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
    Seed {
        id: "follow_up_no_response",
        name: "Follow-Up No Response",
        category: Category::FollowUp,
        content: "Hi {name}, just checking if you saw my earlier message. Would {suggested_day} at {suggested_time} \
                  work for your appointment? Book here: {booking_link}",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
    Seed {
        id: "booking_confirmation",
        name: "Booking Confirmation",
        category: Category::Confirmation,
        content: "Great news {name}! Your appointment is confirmed for {date} at {time}. We'll send reminders. \
                  Reply STOP to opt out.",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
    Seed {
        id: "reminder_48hr",
        name: "Reminder T-48hr",
        category: Category::Reminder,
        content: "Hi {name}, reminder: You have an appointment at {clinic} on {date} at {time}. \
                  Reply Y to confirm or call us to reschedule.",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
    Seed {
        id: "reminder_24hr",
        name: "Reminder T-24hr",
        category: Category::Reminder,
        content: "{name}, your appointment is tomorrow ({date}) at {time}. Please reply Y to confirm. See you soon!",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
    Seed {
        id: "reminder_2hr",
        name: "Reminder T-2hr",
        category: Category::Reminder,
        content: "See you in 2 hours, {name}! Your appointment at {clinic} is at {time} today. {address}",
        purpose: Purpose::Transactional,
        quiet_hours: false,
    },
    Seed {
        id: "cancellation_rescue",
        name: "Cancellation Rescue",
        category: Category::Rescue,
        content: "Hi {name}, we're sorry you need to cancel. Is everything okay? \
                  We'd love to help reschedule: {booking_link}",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
    Seed {
        id: "no_show_followup",
        name: "No-Show Follow-Up",
        category: Category::NoShow,
        content: "Hi {name}, we missed you today. Is everything okay? We'd love to reschedule: {booking_link}",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
    Seed {
        id: "review_request",
        name: "Review Request",
        category: Category::Review,
        content: "Hi {name}, we hope your appointment went well! Would you mind leaving us a quick Google review? \
                  {review_link} — it helps others find quality skin care.",
        purpose: Purpose::Marketing,
        quiet_hours: true,
    },
    Seed {
        id: "referral_invite",
        name: "Referral Invite",
        category: Category::Referral,
        content: "Hi {name}! Love our service? Refer family & friends and get {incentive}. Share: {referral_link}",
        purpose: Purpose::Marketing,
        quiet_hours: true,
    },
    Seed {
        id: "recall_reminder",
        name: "Recall Reminder",
        category: Category::Recall,
        content: "Hi {name}, it's been {months} since your last visit. Dr. {doctor_name} recommends a follow-up. \
                  Book here: {booking_link}",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
    Seed {
        id: "thank_you_attended",
        name: "Thank You (Attended)",
        category: Category::ThankYou,
        content: "Thanks for visiting us today, {name}! Your care is our priority. We'll follow up soon.",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
    Seed {
        id: "care_urgent_update",
        name: "Urgent Care Update",
        category: Category::Care,
        content: "Hi {name}, {clinic} has posted an urgent care update about {client_name}. \
                  Please sign in to the family portal to read it.",
        purpose: Purpose::Transactional,
        quiet_hours: false,
    },
    Seed {
        id: "care_appointment_reminder",
        name: "Care Appointment Reminder",
        category: Category::Care,
        content: "Hi {name}, a reminder that {client_name} has an appointment on {date} at {time}. \
                  Details are in the family portal.",
        purpose: Purpose::Transactional,
        quiet_hours: true,
    },
];

/// The seed with this id.
#[cfg(test)]
pub(crate) fn seed(id: &str) -> Option<&'static Seed> {
    SEEDS.iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::text::{Encoding, measure};
    use crate::templates::render::{placeholders, render};
    use std::collections::BTreeMap;

    #[test]
    fn the_eleven_core_templates_the_thank_you_and_the_urgent_care_update_are_seeded() {
        let ids: Vec<&str> = SEEDS.iter().map(|s| s.id).collect();
        assert_eq!(
            ids,
            [
                "welcome_lead",
                "follow_up_no_response",
                "booking_confirmation",
                "reminder_48hr",
                "reminder_24hr",
                "reminder_2hr",
                "cancellation_rescue",
                "no_show_followup",
                "review_request",
                "referral_invite",
                "recall_reminder",
                "thank_you_attended",
                "care_urgent_update",
                "care_appointment_reminder",
            ]
        );
    }

    #[test]
    fn ids_are_unique_and_snake_case() {
        for s in SEEDS {
            let snake = !s.id.is_empty()
                && s.id.starts_with(|c: char| c.is_ascii_lowercase())
                && !s.id.ends_with('_')
                && !s.id.contains("__")
                && s.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            assert!(snake, "{}", s.id);
            assert_eq!(SEEDS.iter().filter(|t| t.id == s.id).count(), 1, "{}", s.id);
            assert_eq!(seed(s.id), Some(s));
        }
        assert_eq!(seed("nope"), None);
    }

    #[test]
    fn every_seeds_placeholders_are_known() {
        for s in SEEDS {
            let used = placeholders(s.content).unwrap_or_else(|e| panic!("{}: {e}", s.id));
            assert!(used.contains(&"name".to_owned()), "{} greets by name", s.id);
        }
        assert_eq!(
            placeholders(seed("reminder_48hr").unwrap().content).unwrap(),
            ["name", "clinic", "date", "time"]
        );
    }

    #[test]
    fn every_seed_renders_with_its_values_and_fails_without() {
        for s in SEEDS {
            let used = placeholders(s.content).unwrap();
            let values: BTreeMap<String, String> = used.iter().map(|p| (p.clone(), format!("<{p}>"))).collect();
            let text = render(s.content, &values).unwrap();
            assert!(!text.contains('{') && !text.contains('}'), "{}: {text}", s.id);
            assert!(render(s.content, &BTreeMap::new()).is_err(), "{}", s.id);
        }
    }

    #[test]
    fn every_seed_costs_at_least_one_segment() {
        for s in SEEDS {
            let m = measure(s.content);
            assert!(m.segments >= 1, "{}", s.id);
            if s.purpose == Purpose::Marketing {
                assert!(measure(&format!("{} {OPT_OUT_LINE}", s.content)).segments >= m.segments);
            }
        }
    }

    #[test]
    fn the_review_requests_em_dash_makes_it_ucs2_and_the_others_are_gsm7() {
        for s in SEEDS {
            let expected = if s.id == "review_request" {
                Encoding::Ucs2
            } else {
                Encoding::Gsm7
            };
            assert_eq!(measure(s.content).encoding, expected, "{}", s.id);
        }
    }

    #[test]
    fn the_texts_are_the_specs_word_for_word() {
        assert_eq!(
            seed("review_request").unwrap().content,
            "Hi {name}, we hope your appointment went well! Would you mind leaving us a quick Google review? \
             {review_link} \u{2014} it helps others find quality skin care."
        );
        assert_eq!(
            seed("reminder_24hr").unwrap().content,
            "{name}, your appointment is tomorrow ({date}) at {time}. Please reply Y to confirm. See you soon!"
        );
        assert_eq!(
            seed("welcome_lead").unwrap().content,
            concat!(
                "Hi {name}! Thanks for reaching out to {clinic}. We've received your inquiry about {intent}. ",
                "A team member will call you within 5 minutes. Quick question: {booking_link}"
            )
        );
        assert_eq!(
            seed("thank_you_attended").unwrap().content,
            "Thanks for visiting us today, {name}! Your care is our priority. We'll follow up soon."
        );
    }

    #[test]
    fn no_text_has_doubled_or_stray_white_space() {
        for s in SEEDS {
            assert!(!s.content.contains("  "), "{}", s.id);
            assert_eq!(s.content.trim(), s.content, "{}", s.id);
            assert!(!s.content.contains('\n'), "{}", s.id);
        }
    }

    #[test]
    fn only_the_review_request_and_the_referral_invite_are_marketing() {
        let marketing: Vec<&str> = SEEDS
            .iter()
            .filter(|s| s.purpose == Purpose::Marketing)
            .map(|s| s.id)
            .collect();
        assert_eq!(marketing, ["review_request", "referral_invite"]);
    }

    #[test]
    fn only_the_two_hour_reminder_and_the_urgent_care_update_ignore_quiet_hours() {
        let ignoring: Vec<&str> = SEEDS.iter().filter(|s| !s.quiet_hours).map(|s| s.id).collect();
        assert_eq!(ignoring, ["reminder_2hr", "care_urgent_update"]);
    }

    #[test]
    fn categories_and_purposes_parse_back_from_their_names() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.as_str()), Some(p));
        }
        assert_eq!(Category::parse("Reminder"), None, "names are exact");
        assert_eq!(Purpose::parse("promo"), None);
    }

    #[test]
    fn every_category_has_a_seed() {
        for c in Category::ALL {
            assert!(SEEDS.iter().any(|s| s.category == c), "{}", c.as_str());
        }
    }
}
