//! The rules every organisation starts with: each rule of spec 000's
//! "Automation Rules Specification", as written there, and the rules the
//! spec implies but doesn't spell out. docs/automation.md lists them and
//! says why each implied one exists.
//!
//! Some of the spec's actions are done by the service that owns the data
//! when the event arrives (contact matching, warmness scoring, creating the
//! booking, logging the touchpoint the event itself is). They stay in the
//! rules as written, and a run records them as done on arrival, not twice.

/// A rule an organisation starts with.
pub struct Seed {
    pub id: &'static str,
    pub definition: &'static str,
}

pub const SEEDS: &[Seed] = &[
    Seed {
        id: "rule_on_lead_created",
        definition: r#"{
  "name": "On lead created",
  "description": "Spec 000, pipeline A: welcome text, a call for a hot lead or an SMS follow-up for the rest, into new_lead.",
  "trigger": "lead_created",
  "conditions": null,
  "actions": [
    {"type": "calculate_warmness", "inputs": ["source", "intent", "engagement_signals"]},
    {"type": "send_sms", "template": "welcome_lead", "delay_seconds": 0,
     "message": "Hi {name}! Thanks for reaching out to {clinic}. We've received your inquiry about {intent}. A team member will call you within 5 minutes. Quick question: {booking_link}"},
    {"type": "create_task", "task_type": "call", "conditions": {"warmness": {"gte": 70}}, "priority": "high", "due_in_seconds": 300},
    {"type": "create_task", "task_type": "sms_followup", "conditions": {"warmness": {"lt": 70}}, "priority": "medium", "due_in_seconds": 300},
    {"type": "update_pipeline", "pipeline": "lead_to_booking", "stage": "new_lead"},
    {"type": "log_touchpoint", "touchpoint_type": "lead_created", "is_attribution": true}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_sms_reply_received",
        definition: r#"{
  "name": "On SMS reply received",
  "description": "Spec 000, pipeline A: a lead who replies is engaged and gets a call within two hours.",
  "trigger": "sms_received",
  "conditions": {"current_pipeline": "lead_to_booking", "current_stage": {"in": ["new_lead", "contacted"]}},
  "actions": [
    {"type": "log_touchpoint", "touchpoint_type": "sms_received", "update_last_touch": true},
    {"type": "update_pipeline", "stage": "engaged"},
    {"type": "cancel_pending_tasks", "task_types": ["sms_followup", "call"]},
    {"type": "create_task", "task_type": "call", "priority": "high", "due_in_seconds": 7200,
     "notes": "Lead replied to SMS - follow up call needed"},
    {"type": "update_warmness", "delta": 10, "reason": "Replied within engagement window"}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_no_response_4_hours",
        definition: r#"{
  "name": "On no response (4 hours)",
  "description": "Spec 000, pipeline A, checked every hour: a contacted lead silent for four hours gets a follow-up text and a call today.",
  "trigger": "cron_check",
  "schedule": "hourly",
  "conditions": {"current_stage": "contacted", "last_touchpoint_age_seconds": {"gte": 14400}, "no_reply_received": true},
  "actions": [
    {"type": "send_sms", "template": "follow_up_no_response",
     "message": "Hi {name}, just checking if you saw my earlier message. Would {day} at {time} work for your appointment? Book here: {link}"},
    {"type": "create_task", "task_type": "call", "priority": "medium", "due_at": "end_of_business_day"},
    {"type": "update_warmness", "delta": -5, "reason": "No response after 4 hours"}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_booking_created",
        definition: r#"{
  "name": "On booking created",
  "description": "Spec 000, pipeline B: confirmation text, a welcome call for a new patient, reminders 48, 24 and 2 hours before.",
  "trigger": "booking_created",
  "conditions": null,
  "actions": [
    {"type": "match_or_create_contact", "by": "phone"},
    {"type": "create_booking", "capture_attribution": true},
    {"type": "update_pipeline", "pipeline": "pre_appointment", "stage": "booking_confirmed"},
    {"type": "send_sms", "template": "booking_confirmation", "delay_seconds": 0,
     "message": "Great news {name}! Your appointment is confirmed for {date} at {time}. We'll send reminders. Reply STOP to opt out."},
    {"type": "create_task", "task_type": "welcome_call", "conditions": {"is_existing_patient": false}, "due_at": "end_of_business_day"},
    {"type": "schedule_reminders", "reminders": [
      {"type": "sms", "template": "reminder_48hr", "time_before_appointment": 172800},
      {"type": "sms", "template": "reminder_24hr", "time_before_appointment": 86400},
      {"type": "sms", "template": "reminder_2hr", "time_before_appointment": 7200}
    ]},
    {"type": "log_touchpoint", "touchpoint_type": "booking_created"}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_confirmation_reply",
        definition: r#"{
  "name": "On confirmation reply (Y/Yes)",
  "description": "Spec 000, pipeline B: a reminded patient who replies yes is confirmed.",
  "trigger": "sms_received",
  "conditions": {"message_body": {"matches": "^(y|yes|confirm|confirmed|yep|yeah)$"}, "current_pipeline": "pre_appointment", "current_stage": "reminded"},
  "actions": [
    {"type": "update_booking", "status": "confirmed"},
    {"type": "update_pipeline", "stage": "confirmed"},
    {"type": "cancel_pending_tasks", "task_types": ["confirmation_call"]},
    {"type": "update_warmness", "delta": 10, "reason": "Confirmed appointment"},
    {"type": "log_touchpoint", "touchpoint_type": "booking_confirmed_reply"}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_booking_cancelled",
        definition: r#"{
  "name": "On booking cancelled",
  "description": "Spec 000, pipeline B: the booking's tasks go, the contact goes to rescue, a rescue text, and an urgent call when the appointment was high urgency.",
  "trigger": "booking_cancelled",
  "conditions": null,
  "actions": [
    {"type": "update_booking", "status": "cancelled"},
    {"type": "cancel_all_tasks", "booking_id": "{booking_id}"},
    {"type": "update_pipeline", "pipeline": "post_appointment", "stage": "cancelled_rescue"},
    {"type": "create_task", "task_type": "rescue_call", "conditions": {"urgency_level": "high"}, "priority": "urgent", "due_in_seconds": 3600},
    {"type": "send_sms", "template": "cancellation_rescue", "delay_seconds": 0,
     "message": "Hi {name}, we're sorry you need to cancel. Is everything okay? We'd love to help reschedule."},
    {"type": "log_touchpoint", "touchpoint_type": "booking_cancelled"}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_attended_appointment",
        definition: r#"{
  "name": "On attended appointment",
  "description": "Spec 000, pipeline C: thank-you text, a review request after a day, a referral invite after three, the recall date.",
  "trigger": "booking_outcome_updated",
  "conditions": {"outcome": "attended"},
  "actions": [
    {"type": "update_pipeline", "pipeline": "post_appointment", "stage": "attended"},
    {"type": "send_sms", "template": "thank_you_attended",
     "message": "Thanks for visiting us today, {name}! Your care is our priority. We'll follow up soon."},
    {"type": "create_task", "task_type": "review_request", "due_in_seconds": 86400},
    {"type": "create_task", "task_type": "referral_invite", "due_in_seconds": 259200},
    {"type": "calculate_recall_date", "service_type_mapping": {"high_risk": 15552000, "routine": 31536000, "procedure_followup": "per_provider"}},
    {"type": "log_touchpoint", "touchpoint_type": "appointment_attended"}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_recall_due",
        definition: r#"{
  "name": "On recall due",
  "description": "Spec 000, pipeline C, checked daily: a patient whose recall date has come gets the recall text, and a call when high risk.",
  "trigger": "cron_check",
  "schedule": "daily",
  "conditions": {"recall_due_date": {"lte": "today"}},
  "actions": [
    {"type": "update_pipeline", "stage": "recall_due"},
    {"type": "send_sms", "template": "recall_reminder",
     "message": "Hi {name}, it's been {months} since your last visit. Dr. {doctor} recommends a follow-up. Book here: {link}"},
    {"type": "create_task", "task_type": "recall_call", "conditions": {"is_high_risk": true}, "priority": "high"}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_no_show",
        definition: r#"{
  "name": "On no-show",
  "description": "Implied by spec 000: its no_show_followup template and task type, for a patient who didn't come.",
  "trigger": "booking_outcome_updated",
  "conditions": {"outcome": "no_show"},
  "actions": [
    {"type": "update_pipeline", "pipeline": "post_appointment", "stage": "did_not_attend"},
    {"type": "send_sms", "template": "no_show_followup"},
    {"type": "create_task", "task_type": "no_show_followup", "priority": "high", "due_in_seconds": 3600}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_reminder_sent",
        definition: r#"{
  "name": "On reminder sent",
  "description": "Implied by spec 000: a reminded patient is in the reminded stage (which its confirmation rule looks for), and a 24-hour reminder the patient hasn't confirmed four hours later (still reminded, not confirmed) becomes a confirmation call.",
  "trigger": "reminder_sent",
  "conditions": null,
  "actions": [
    {"type": "update_pipeline", "pipeline": "pre_appointment", "stage": "reminded",
     "conditions": {"current_pipeline": "pre_appointment", "current_stage": {"in": ["booking_confirmed", "needs_attention"]}}},
    {"type": "create_task", "task_type": "confirmation_call", "delay_seconds": 14400, "due_in_seconds": 0,
     "conditions": {"template": "reminder_24hr", "current_stage": "reminded"}}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_first_text_sent",
        definition: r#"{
  "name": "On first text sent to a new lead",
  "description": "Implied by spec 000: a new lead we have texted is contacted, which the no-response check looks for.",
  "trigger": "sms_sent",
  "conditions": {"current_pipeline": "lead_to_booking", "current_stage": "new_lead"},
  "actions": [
    {"type": "update_pipeline", "stage": "contacted"}
  ],
  "priority": 100
}"#,
    },
    Seed {
        id: "rule_on_booking_rescheduled",
        definition: r#"{
  "name": "On booking rescheduled",
  "description": "Implied by spec 000: the patient is told the new time (the reminders move with the booking by themselves).",
  "trigger": "booking_rescheduled",
  "conditions": null,
  "actions": [
    {"type": "update_pipeline", "pipeline": "pre_appointment", "stage": "booking_confirmed",
     "conditions": {"current_pipeline": {"in": ["lead_to_booking", "post_appointment", "partnership", "consultation"]}}},
    {"type": "send_sms", "template": "booking_confirmation"}
  ],
  "priority": 100
}"#,
    },
];
