//! The actions of spec 000's rules, read and checked.
//!
//! Every action is a JSON object with a `type`, optional `conditions`
//! (checked when the action runs, against the facts of that moment) and
//! an optional `delay_seconds` (when it runs, after the rule fired). The
//! rest depends on the type; a key the type doesn't know is refused, so a
//! typo never silently does nothing.

use serde_json::{Map, Value};

use attend_kit::FieldError;

use super::conditions::Conditions;
use crate::tasks::priority::TASK_TYPES;

/// An action, with what every action has.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: Action,
    pub conditions: Conditions,
    pub delay_seconds: u64,
    /// The action as written (kept in runs and shown by the API).
    pub json: Value,
}

/// What an action does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A text from a template, through messaging (consent and quiet hours
    /// are messaging's).
    SendSms {
        template: String,
    },
    CreateTask {
        task_type: String,
        priority: Option<String>,
        due: Due,
        notes: Option<String>,
    },
    /// Moves the contact, along an allowed transition.
    UpdatePipeline {
        pipeline: Option<String>,
        stage: String,
    },
    /// Only "confirmed" is done here; a cancellation is the booking
    /// system's, and has happened when the event arrives.
    UpdateBooking {
        status: String,
    },
    CancelPendingTasks {
        task_types: Vec<String>,
    },
    /// The booking's open tasks (`"booking_id": "{booking_id}"`), else all
    /// of the contact's.
    CancelAllTasks {
        booking_only: bool,
    },
    UpdateWarmness {
        delta: i32,
        reason: String,
    },
    LogTouchpoint {
        touchpoint_type: String,
        is_attribution: bool,
    },
    ScheduleReminders {
        reminders: Vec<Reminder>,
    },
    CalculateRecallDate {
        mapping: Vec<(String, RecallAfter)>,
    },
    /// Done by the service that owns the data when the event arrived
    /// (contact matching and scoring, booking creation): recorded, not
    /// run twice.
    Performed {
        what: &'static str,
    },
}

/// When a task is due.
#[derive(Debug, Clone, PartialEq)]
pub enum Due {
    /// This long after the action runs.
    In(u64),
    /// The organisation's close that local day (the next business day's
    /// after hours).
    EndOfBusinessDay,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub template: String,
    /// Elapsed seconds before the appointment.
    pub before_seconds: u64,
}

/// How long after a visit a patient is due back.
#[derive(Debug, Clone, PartialEq)]
pub enum RecallAfter {
    Seconds(u64),
    /// The service type's own `recall_months`.
    PerProvider,
}

/// The action types, and who performs the ones done on arrival.
pub const TYPES: &[&str] = &[
    "send_sms",
    "create_task",
    "update_pipeline",
    "update_booking",
    "cancel_pending_tasks",
    "cancel_all_tasks",
    "update_warmness",
    "log_touchpoint",
    "schedule_reminders",
    "calculate_recall_date",
    "calculate_warmness",
    "match_or_create_contact",
    "create_booking",
];

/// The longest delay an action may have: a year.
const MAX_DELAY: u64 = 366 * 24 * 3600;

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::SendSms { .. } => "send_sms",
            Action::CreateTask { .. } => "create_task",
            Action::UpdatePipeline { .. } => "update_pipeline",
            Action::UpdateBooking { .. } => "update_booking",
            Action::CancelPendingTasks { .. } => "cancel_pending_tasks",
            Action::CancelAllTasks { .. } => "cancel_all_tasks",
            Action::UpdateWarmness { .. } => "update_warmness",
            Action::LogTouchpoint { .. } => "log_touchpoint",
            Action::ScheduleReminders { .. } => "schedule_reminders",
            Action::CalculateRecallDate { .. } => "calculate_recall_date",
            Action::Performed { what } => what,
        }
    }
}

/// Reads one action at JSON path `at` (`actions[2]`).
pub fn parse(value: &Value, at: &str, problems: &mut Vec<FieldError>) -> Option<Step> {
    let Value::Object(map) = value else {
        problems.push(FieldError::new(at, "must be an object with a type"));
        return None;
    };
    let before = problems.len();
    let kind = match map.get("type") {
        Some(Value::String(t)) if TYPES.contains(&t.as_str()) => t.as_str(),
        Some(Value::String(t)) => {
            problems.push(FieldError::new(
                format!("{at}.type"),
                format!("{t:?} is not an action type; one of {}", TYPES.join(", ")),
            ));
            return None;
        }
        _ => {
            problems.push(FieldError::new(format!("{at}.type"), "is required"));
            return None;
        }
    };
    let mut r = Reader { map, at, problems };
    let conditions = Conditions::parse(map.get("conditions"), &format!("{at}.conditions"), r.problems);
    let delay_seconds = r.seconds("delay_seconds", MAX_DELAY).unwrap_or(0);
    let action = match kind {
        "send_sms" => {
            r.known(&["template", "message", "delay_seconds"]);
            Action::SendSms {
                template: r.identifier("template", true)?,
            }
        }
        "create_task" => {
            r.known(&["task_type", "priority", "due_in_seconds", "due_at", "notes"]);
            let task_type = r.text("task_type", true)?.unwrap_or_default();
            if !TASK_TYPES.contains(&task_type.as_str()) {
                r.fail(
                    "task_type",
                    format!("is not a task type; one of {}", TASK_TYPES.join(", ")),
                );
            }
            let priority = r.text("priority", false)?;
            if let Some(p) = &priority
                && !["urgent", "high", "medium", "low"].contains(&p.as_str())
            {
                r.fail("priority", "must be urgent, high, medium or low");
            }
            let due = match (map.get("due_in_seconds"), map.get("due_at")) {
                (Some(_), Some(_)) => {
                    r.fail("due_at", "give due_in_seconds or due_at, not both");
                    Due::In(0)
                }
                (_, Some(Value::String(s))) if s == "end_of_business_day" => Due::EndOfBusinessDay,
                (_, Some(Value::String(s))) if s == "now" => Due::In(0),
                (_, Some(_)) => {
                    r.fail("due_at", "must be \"end_of_business_day\" or \"now\"");
                    Due::In(0)
                }
                _ => Due::In(r.seconds("due_in_seconds", MAX_DELAY).unwrap_or(0)),
            };
            Action::CreateTask {
                task_type,
                priority,
                due,
                notes: r.text("notes", false)?,
            }
        }
        "update_pipeline" => {
            r.known(&["pipeline", "stage"]);
            Action::UpdatePipeline {
                pipeline: r.identifier("pipeline", false),
                stage: r.identifier("stage", true).unwrap_or_default(),
            }
        }
        "update_booking" => {
            r.known(&["status"]);
            let status = r.text("status", true)?.unwrap_or_default();
            if !["confirmed", "cancelled"].contains(&status.as_str()) {
                r.fail("status", "must be confirmed or cancelled");
            }
            Action::UpdateBooking { status }
        }
        "cancel_pending_tasks" => {
            r.known(&["task_types"]);
            let task_types = r.list("task_types")?;
            for (i, t) in task_types.iter().enumerate() {
                if !TASK_TYPES.contains(&t.as_str()) {
                    r.fail(&format!("task_types[{i}]"), format!("{t:?} is not a task type"));
                }
            }
            Action::CancelPendingTasks { task_types }
        }
        "cancel_all_tasks" => {
            r.known(&["booking_id"]);
            let booking_only = match map.get("booking_id") {
                None => false,
                Some(Value::String(s)) if s == "{booking_id}" => true,
                Some(_) => {
                    r.fail(
                        "booking_id",
                        "must be \"{booking_id}\" (the booking the event is about), or absent",
                    );
                    false
                }
            };
            Action::CancelAllTasks { booking_only }
        }
        "update_warmness" => {
            r.known(&["delta", "reason"]);
            let delta = match map.get("delta").and_then(Value::as_i64) {
                Some(d) if d != 0 && (-100..=100).contains(&d) => i32::try_from(d).unwrap_or(0),
                _ => {
                    r.fail("delta", "must be a whole number from -100 to 100, not 0");
                    0
                }
            };
            Action::UpdateWarmness {
                delta,
                reason: r.text("reason", true)?.unwrap_or_default(),
            }
        }
        "log_touchpoint" => {
            r.known(&["touchpoint_type", "is_attribution", "update_last_touch"]);
            Action::LogTouchpoint {
                touchpoint_type: r.identifier("touchpoint_type", true).unwrap_or_default(),
                is_attribution: r.flag("is_attribution"),
            }
        }
        "schedule_reminders" => {
            r.known(&["reminders"]);
            let mut reminders = Vec::new();
            match map.get("reminders") {
                Some(Value::Array(items)) if !items.is_empty() => {
                    for (i, item) in items.iter().enumerate() {
                        let at = format!("{at}.reminders[{i}]");
                        if let Some(reminder) = reminder(item, &at, r.problems) {
                            reminders.push(reminder);
                        }
                    }
                }
                _ => r.fail("reminders", "must list at least one reminder"),
            }
            Action::ScheduleReminders { reminders }
        }
        "calculate_recall_date" => {
            r.known(&["service_type_mapping"]);
            let mut mapping = Vec::new();
            match map.get("service_type_mapping") {
                Some(Value::Object(m)) if !m.is_empty() => {
                    for (service_type, after) in m {
                        let path = format!("{at}.service_type_mapping.{service_type}");
                        match after {
                            Value::String(s) if s == "per_provider" => {
                                mapping.push((service_type.clone(), RecallAfter::PerProvider));
                            }
                            Value::Number(n) if n.as_u64().is_some_and(|s| s > 0) => {
                                mapping.push((service_type.clone(), RecallAfter::Seconds(n.as_u64().unwrap_or(0))));
                            }
                            _ => r.problems.push(FieldError::new(
                                path,
                                "must be seconds after the visit, or \"per_provider\"",
                            )),
                        }
                    }
                }
                _ => r.fail(
                    "service_type_mapping",
                    "must map service types to seconds or \"per_provider\"",
                ),
            }
            Action::CalculateRecallDate { mapping }
        }
        "calculate_warmness" => {
            r.known(&["inputs"]);
            Action::Performed {
                what: "calculate_warmness",
            }
        }
        "match_or_create_contact" => {
            r.known(&["by"]);
            Action::Performed {
                what: "match_or_create_contact",
            }
        }
        _ => {
            r.known(&["capture_attribution"]);
            Action::Performed { what: "create_booking" }
        }
    };
    (problems.len() == before).then(|| Step {
        action,
        conditions,
        delay_seconds,
        json: value.clone(),
    })
}

fn reminder(item: &Value, at: &str, problems: &mut Vec<FieldError>) -> Option<Reminder> {
    let Value::Object(map) = item else {
        problems.push(FieldError::new(at, "must be {type, template, time_before_appointment}"));
        return None;
    };
    let before = problems.len();
    let mut r = Reader { map, at, problems };
    r.known(&["type", "template", "time_before_appointment"]);
    if map.get("type").is_some_and(|t| t != "sms") {
        r.fail("type", "must be \"sms\"");
    }
    let template = r.identifier("template", true);
    let before_seconds = match map.get("time_before_appointment").and_then(Value::as_u64) {
        Some(s) if s > 0 && s <= MAX_DELAY => s,
        _ => {
            r.fail(
                "time_before_appointment",
                "must be seconds before the appointment, more than 0",
            );
            0
        }
    };
    let template = template?;
    (problems.len() == before).then_some(Reminder {
        template,
        before_seconds,
    })
}

/// Reads an action's keys, collecting what is wrong.
struct Reader<'a> {
    map: &'a Map<String, Value>,
    at: &'a str,
    problems: &'a mut Vec<FieldError>,
}

impl Reader<'_> {
    fn fail(&mut self, key: &str, why: impl Into<String>) {
        self.problems.push(FieldError::new(format!("{}.{key}", self.at), why));
    }

    /// Refuses keys the type doesn't know.
    fn known(&mut self, keys: &[&str]) {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !matches!(k.as_str(), "type" | "conditions" | "delay_seconds") && !keys.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unknown {
            let why = if keys.is_empty() {
                "is not a field of this action".to_owned()
            } else {
                format!("is not a field of this action; it has {}", keys.join(", "))
            };
            self.fail(&k, why);
        }
    }

    fn text(&mut self, key: &str, required: bool) -> Option<Option<String>> {
        match self.map.get(key) {
            None | Some(Value::Null) if !required => Some(None),
            Some(Value::String(s)) if !s.trim().is_empty() => match attend_kit::text::line(s, 500) {
                Ok(s) => Some(Some(s)),
                Err(why) => {
                    self.fail(key, why);
                    Some(None)
                }
            },
            _ => {
                self.fail(
                    key,
                    if required {
                        "is required, as text"
                    } else {
                        "must be text"
                    },
                );
                Some(None)
            }
        }
    }

    /// A snake_case name (a stage, a touchpoint type).
    fn identifier(&mut self, key: &str, required: bool) -> Option<String> {
        match self.map.get(key) {
            None | Some(Value::Null) if !required => None,
            Some(Value::String(s)) if is_identifier(s) => Some(s.clone()),
            _ => {
                self.fail(key, "must be a snake_case name, e.g. new_lead");
                None
            }
        }
    }

    fn seconds(&mut self, key: &str, max: u64) -> Option<u64> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(s) if s <= max => Some(s),
                _ => {
                    self.fail(key, format!("must be whole seconds from 0 to {max}"));
                    None
                }
            },
        }
    }

    fn flag(&mut self, key: &str) -> bool {
        match self.map.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.fail(key, "must be true or false");
                false
            }
        }
    }

    fn list(&mut self, key: &str) -> Option<Vec<String>> {
        match self.map.get(key) {
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(s) if is_identifier(s) => out.push(s.to_owned()),
                        _ => self.fail(&format!("{key}[{i}]"), "must be a snake_case name"),
                    }
                }
                Some(out)
            }
            _ => {
                self.fail(key, "must list at least one name");
                Some(Vec::new())
            }
        }
    }
}

/// `new_lead`, `reminder_24hr`: lower-case letters, digits and underscores,
/// starting with a letter, at most 64 characters.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Result<Step, Vec<String>> {
        let mut problems = Vec::new();
        match parse(&v, "actions[0]", &mut problems) {
            Some(step) if problems.is_empty() => Ok(step),
            _ => Err(problems.into_iter().map(|p| p.field).collect()),
        }
    }

    #[test]
    fn the_spec_s_actions_read() {
        let step = read(
            json!({"type": "send_sms", "template": "welcome_lead", "delay_seconds": 0,
            "message": "Hi {name}!"}),
        )
        .unwrap();
        assert_eq!(
            step.action,
            Action::SendSms {
                template: "welcome_lead".to_owned()
            }
        );
        let step = read(
            json!({"type": "create_task", "task_type": "call", "conditions": {"warmness": {"gte": 70}},
            "priority": "high", "due_in_seconds": 300}),
        )
        .unwrap();
        assert_eq!(step.conditions.0.len(), 1);
        assert!(matches!(step.action, Action::CreateTask { due: Due::In(300), .. }));
        let step = read(json!({"type": "create_task", "task_type": "welcome_call",
            "conditions": {"is_existing_patient": false}, "due_at": "end_of_business_day"}))
        .unwrap();
        assert!(matches!(
            step.action,
            Action::CreateTask {
                due: Due::EndOfBusinessDay,
                ..
            }
        ));
        let step = read(json!({"type": "schedule_reminders", "reminders": [
            {"type": "sms", "template": "reminder_48hr", "time_before_appointment": 172800},
            {"type": "sms", "template": "reminder_2hr", "time_before_appointment": 7200}]}))
        .unwrap();
        assert!(matches!(step.action, Action::ScheduleReminders { ref reminders } if reminders.len() == 2));
        let step = read(json!({"type": "calculate_recall_date", "service_type_mapping": {
            "high_risk": 15552000, "routine": 31536000, "procedure_followup": "per_provider"}}))
        .unwrap();
        assert!(matches!(step.action, Action::CalculateRecallDate { ref mapping } if mapping.len() == 3));
        let step = read(json!({"type": "cancel_all_tasks", "booking_id": "{booking_id}"})).unwrap();
        assert_eq!(step.action, Action::CancelAllTasks { booking_only: true });
        let step = read(json!({"type": "calculate_warmness", "inputs": ["source", "intent"]})).unwrap();
        assert_eq!(step.action.kind(), "calculate_warmness");
    }

    #[test]
    fn faults_name_their_json_path() {
        assert_eq!(read(json!({"type": "send_email"})).unwrap_err(), ["actions[0].type"]);
        assert_eq!(read(json!({"template": "x"})).unwrap_err(), ["actions[0].type"]);
        assert_eq!(
            read(json!({"type": "send_sms", "template": "Welcome Lead"})).unwrap_err(),
            ["actions[0].template"]
        );
        assert_eq!(
            read(json!({"type": "send_sms", "template": "welcome_lead", "tempalte": "x"})).unwrap_err(),
            ["actions[0].tempalte"]
        );
        assert_eq!(
            read(json!({"type": "create_task", "task_type": "dance"})).unwrap_err(),
            ["actions[0].task_type"]
        );
        assert_eq!(
            read(json!({"type": "create_task", "task_type": "call", "conditions": {"warmth": 1}})).unwrap_err(),
            ["actions[0].conditions.warmth"]
        );
        assert_eq!(
            read(json!({"type": "update_warmness", "delta": 0, "reason": "x"})).unwrap_err(),
            ["actions[0].delta"]
        );
        assert_eq!(
            read(json!({"type": "schedule_reminders", "reminders": [{"type": "sms", "template": "reminder_48hr"}]}))
                .unwrap_err(),
            ["actions[0].reminders[0].time_before_appointment"]
        );
        assert_eq!(
            read(json!({"type": "send_sms", "template": "welcome_lead", "delay_seconds": -5})).unwrap_err(),
            ["actions[0].delay_seconds"]
        );
    }

    #[test]
    fn identifiers_are_snake_case() {
        assert!(is_identifier("reminder_24hr"));
        for bad in ["", "Reminder", "9a", "a b", "a-b", &"a".repeat(65)] {
            assert!(!is_identifier(bad), "{bad:?}");
        }
    }
}
