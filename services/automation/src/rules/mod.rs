//! Rules as data (spec 000's `automation_rules`): a trigger, conditions,
//! actions and a priority (execution order), per organisation, versioned.
//!
//! A rule's definition is JSON:
//!
//! ```json
//! {"name": "On lead created", "trigger": "lead_created", "conditions": null,
//!  "actions": [{"type": "send_sms", "template": "welcome_lead"}], "priority": 100}
//! ```
//!
//! `cron_check` rules also say how often they run: `"schedule": "hourly"`
//! or `"daily"`. The [`conditions`] and [`actions`] modules read the rest.

pub(crate) mod actions;
pub(crate) mod conditions;
pub(crate) mod seeds;

use serde_json::{Map, Value, json};

use attend_kit::FieldError;

use actions::Step;
use conditions::{Conditions, Field};

/// What starts a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// `contact.lead_created`.
    LeadCreated,
    /// `messaging.sms_received`: a text from a contact.
    SmsReceived,
    /// `messaging.sms_sent`: a text we sent went to the provider.
    SmsSent,
    /// `booking.created`, `booking.rescheduled`, `booking.cancelled`,
    /// `booking.confirmed`.
    BookingCreated,
    BookingRescheduled,
    BookingCancelled,
    BookingConfirmed,
    /// `booking.outcome_recorded`: attended or no-show.
    BookingOutcomeUpdated,
    /// A booking reminder this service sent.
    ReminderSent,
    /// The periodic check.
    CronCheck(Schedule),
}

/// How often a `cron_check` rule runs, once per period across replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Schedule {
    /// Every hour, on the hour, local time.
    Hourly,
    /// Once a local day, at the organisation's opening (09:00 by default).
    Daily,
}

impl Schedule {
    pub fn as_str(self) -> &'static str {
        match self {
            Schedule::Hourly => "hourly",
            Schedule::Daily => "daily",
        }
    }
}

impl Trigger {
    pub const NAMES: &'static [&'static str] = &[
        "lead_created",
        "sms_received",
        "sms_sent",
        "booking_created",
        "booking_rescheduled",
        "booking_cancelled",
        "booking_confirmed",
        "booking_outcome_updated",
        "reminder_sent",
        "cron_check",
    ];

    pub fn name(self) -> &'static str {
        match self {
            Trigger::LeadCreated => "lead_created",
            Trigger::SmsReceived => "sms_received",
            Trigger::SmsSent => "sms_sent",
            Trigger::BookingCreated => "booking_created",
            Trigger::BookingRescheduled => "booking_rescheduled",
            Trigger::BookingCancelled => "booking_cancelled",
            Trigger::BookingConfirmed => "booking_confirmed",
            Trigger::BookingOutcomeUpdated => "booking_outcome_updated",
            Trigger::ReminderSent => "reminder_sent",
            Trigger::CronCheck(_) => "cron_check",
        }
    }

    /// The key rules are stored and found under (`cron_check:hourly`).
    pub fn key(self) -> String {
        match self {
            Trigger::CronCheck(s) => format!("cron_check:{}", s.as_str()),
            other => other.name().to_owned(),
        }
    }

    /// The facts an event of this trigger carries itself.
    pub fn carries(self, field: Field) -> bool {
        matches!(
            (self, field),
            (Trigger::SmsReceived, Field::MessageBody | Field::Classification)
                | (Trigger::ReminderSent, Field::Template)
                | (Trigger::BookingOutcomeUpdated, Field::Outcome)
        )
    }
}

/// A rule's definition, read and checked.
#[derive(Debug, Clone)]
pub struct Definition {
    pub trigger: Trigger,
    pub conditions: Conditions,
    pub steps: Vec<Step>,
    /// Execution order: lower runs first.
    pub priority: i32,
    /// The JSON it was read from, normalised.
    pub json: Value,
}

/// Event-only facts no trigger but one carries: refused on other triggers.
const EVENT_FIELDS: &[Field] = &[Field::MessageBody, Field::Classification, Field::Template];

impl Definition {
    /// Reads a definition; every fault named by its JSON path.
    pub fn parse(value: &Value) -> Result<Definition, Vec<FieldError>> {
        let mut problems = Vec::new();
        let Value::Object(map) = value else {
            return Err(vec![FieldError::new(
                "definition",
                "must be an object: name, trigger, conditions, actions, priority",
            )]);
        };
        for key in map.keys() {
            if ![
                "name",
                "description",
                "trigger",
                "schedule",
                "conditions",
                "actions",
                "priority",
            ]
            .contains(&key.as_str())
            {
                problems.push(FieldError::new(
                    key.as_str(),
                    "is not part of a rule; it has name, description, trigger, schedule, conditions, actions, priority",
                ));
            }
        }
        match map
            .get("name")
            .and_then(Value::as_str)
            .map(|n| attend_kit::text::line(n, 200))
        {
            Some(Ok(n)) if !n.is_empty() => {}
            Some(Err(why)) => problems.push(FieldError::new("name", why)),
            _ => problems.push(FieldError::new("name", "is required")),
        }
        match map.get("description") {
            None | Some(Value::Null) => {}
            Some(Value::String(d)) => {
                if let Err(why) = attend_kit::text::multiline(d, 2000) {
                    problems.push(FieldError::new("description", why));
                }
            }
            Some(_) => problems.push(FieldError::new("description", "must be text")),
        }
        let trigger = trigger(map, &mut problems);
        let conditions = Conditions::parse(map.get("conditions"), "conditions", &mut problems);
        let priority = match map.get("priority") {
            None | Some(Value::Null) => 100,
            Some(v) => match v.as_i64().and_then(|p| i32::try_from(p).ok()) {
                Some(p) if (0..=10_000).contains(&p) => p,
                _ => {
                    problems.push(FieldError::new("priority", "must be a whole number from 0 to 10000"));
                    100
                }
            },
        };
        let mut steps = Vec::new();
        match map.get("actions") {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= 50 => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(step) = actions::parse(item, &format!("actions[{i}]"), &mut problems) {
                        steps.push(step);
                    }
                }
            }
            _ => problems.push(FieldError::new("actions", "must list 1 to 50 actions")),
        }
        if let Some(trigger) = trigger {
            check_fits(trigger, &conditions, &steps, &mut problems);
        }
        match (trigger, problems.is_empty()) {
            (Some(trigger), true) => {
                let json = normalised(map);
                Ok(Definition {
                    trigger,
                    conditions,
                    steps,
                    priority,
                    json,
                })
            }
            _ => Err(problems),
        }
    }

    /// The SMS templates the rule sends, each with its JSON path.
    pub fn templates(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            match &step.action {
                actions::Action::SendSms { template } => {
                    out.push((format!("actions[{i}].template"), template.as_str()))
                }
                actions::Action::ScheduleReminders { reminders } => {
                    for (j, r) in reminders.iter().enumerate() {
                        out.push((format!("actions[{i}].reminders[{j}].template"), r.template.as_str()));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

fn trigger(map: &Map<String, Value>, problems: &mut Vec<FieldError>) -> Option<Trigger> {
    let name = map.get("trigger").and_then(Value::as_str).unwrap_or_default();
    let schedule = map.get("schedule").and_then(Value::as_str);
    let t = match name {
        "lead_created" => Trigger::LeadCreated,
        "sms_received" => Trigger::SmsReceived,
        "sms_sent" => Trigger::SmsSent,
        "booking_created" => Trigger::BookingCreated,
        "booking_rescheduled" => Trigger::BookingRescheduled,
        "booking_cancelled" => Trigger::BookingCancelled,
        "booking_confirmed" => Trigger::BookingConfirmed,
        "booking_outcome_updated" => Trigger::BookingOutcomeUpdated,
        "reminder_sent" => Trigger::ReminderSent,
        "cron_check" => match schedule {
            Some("hourly") => Trigger::CronCheck(Schedule::Hourly),
            Some("daily") => Trigger::CronCheck(Schedule::Daily),
            _ => {
                problems.push(FieldError::new(
                    "schedule",
                    "a cron_check rule runs \"hourly\" or \"daily\"",
                ));
                return None;
            }
        },
        "" => {
            problems.push(FieldError::new("trigger", "is required"));
            return None;
        }
        other => {
            problems.push(FieldError::new(
                "trigger",
                format!(
                    "{:?} is not a trigger; one of {}",
                    attend_kit::text::shown(other),
                    Trigger::NAMES.join(", ")
                ),
            ));
            return None;
        }
    };
    if schedule.is_some() && !matches!(t, Trigger::CronCheck(_)) {
        problems.push(FieldError::new("schedule", "only a cron_check rule has a schedule"));
    }
    Some(t)
}

/// Refuses what can never work with the trigger: event-only facts on
/// another trigger, and a periodic check that can't say whom it checks.
fn check_fits(trigger: Trigger, conditions: &Conditions, steps: &[Step], problems: &mut Vec<FieldError>) {
    let mut all: Vec<(String, Field)> = conditions
        .fields()
        .map(|f| (format!("conditions.{}", f.name()), f))
        .collect();
    for (i, step) in steps.iter().enumerate() {
        all.extend(
            step.conditions
                .fields()
                .map(|f| (format!("actions[{i}].conditions.{}", f.name()), f)),
        );
    }
    for (path, field) in all {
        if EVENT_FIELDS.contains(&field) && !trigger.carries(field) {
            problems.push(FieldError::new(
                path,
                format!("{} is known only to a rule whose trigger carries it", field.name()),
            ));
        }
    }
    if let Trigger::CronCheck(_) = trigger {
        let chooses = conditions
            .0
            .iter()
            .any(|c| matches!(c.field, Field::CurrentStage | Field::RecallDueDate));
        if !chooses {
            problems.push(FieldError::new(
                "conditions",
                "a cron_check rule needs a condition on current_stage or recall_due_date: it chooses the contacts checked",
            ));
        }
    }
}

fn normalised(map: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for key in [
        "name",
        "description",
        "trigger",
        "schedule",
        "conditions",
        "actions",
        "priority",
    ] {
        if let Some(v) = map.get(key).filter(|v| !v.is_null()) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    out.entry("priority").or_insert(json!(100));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: Value) -> Vec<String> {
        Definition::parse(&v)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_rule_reads_and_keeps_its_json() {
        let d = Definition::parse(&json!({"name": "On lead", "trigger": "lead_created",
            "actions": [{"type": "send_sms", "template": "welcome_lead"}]}))
        .unwrap();
        assert_eq!(d.trigger, Trigger::LeadCreated);
        assert_eq!(d.priority, 100);
        assert_eq!(d.json["priority"], 100);
        assert_eq!(d.templates(), [("actions[0].template".to_owned(), "welcome_lead")]);
    }

    #[test]
    fn faults_are_named_by_their_path() {
        assert_eq!(
            fields(json!({"trigger": "lead_created", "actions": []})),
            ["name", "actions"]
        );
        assert_eq!(
            fields(json!({"name": "x", "trigger": "lead_arrived", "actions": [{"type": "send_sms", "template": "a"}]})),
            ["trigger"]
        );
        assert_eq!(
            fields(json!({"name": "x", "trigger": "cron_check", "actions": [{"type": "send_sms", "template": "a"}]})),
            ["schedule"]
        );
        assert_eq!(
            fields(json!({"name": "x", "trigger": "cron_check", "schedule": "hourly",
                "actions": [{"type": "send_sms", "template": "a"}]})),
            ["conditions"]
        );
        assert_eq!(
            fields(
                json!({"name": "x", "trigger": "lead_created", "conditions": {"message_body": "y"},
                "actions": [{"type": "send_sms", "template": "a"}]})
            ),
            ["conditions.message_body"]
        );
        assert_eq!(
            fields(json!({"name": "x", "trigger": "lead_created", "prio": 1,
                "actions": [{"type": "send_sms", "template": "a"}]})),
            ["prio"]
        );
    }

    #[test]
    fn every_seeded_rule_reads() {
        for seed in seeds::SEEDS {
            let json: Value = serde_json::from_str(seed.definition).unwrap();
            if let Err(e) = Definition::parse(&json) {
                panic!("{}: {e:?}", seed.id);
            }
        }
    }
}
