//! The condition language of spec 000's rules.
//!
//! A condition set is a JSON object; every entry must hold (AND):
//!
//! ```json
//! {"current_pipeline": "lead_to_booking",
//!  "current_stage": {"in": ["new_lead", "contacted"]},
//!  "warmness": {"gte": 70},
//!  "message_body": {"matches": "^(y|yes|confirm|confirmed|yep|yeah)$"},
//!  "recall_due_date": {"lte": "today"}}
//! ```
//!
//! - A bare value is equality (`{"eq": value}` says the same).
//! - `gte`, `gt`, `lte`, `lt` compare numbers, and dates (`YYYY-MM-DD`, or
//!   `"today"`: the organisation's local date when the rule runs).
//! - `in` takes a list of values.
//! - `matches` is a regular expression, case-insensitive, tested on the
//!   trimmed value.
//! - Several operators on one field must all hold.
//!
//! Every field is known, with a type ([`Field`]); a condition on an unknown
//! field, an unknown operator, or a value of the wrong type is refused
//! when the rule is saved, naming the JSON path of the fault. A fact that
//! is unknown when the rule runs (a contact without a booking has no
//! `urgency_level`) fails every test but `eq null`.

use chrono::NaiveDate;
use serde_json::Value;

use attend_kit::FieldError;

/// What a condition can look at, and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    Text,
    Bool,
    Date,
}

/// A fact a rule can test, as spec 000's rules name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The contact's warmness score, 0..100.
    Warmness,
    /// The contact's HOT, WARM or COOL.
    WarmnessLabel,
    IsExistingPatient,
    CurrentPipeline,
    CurrentStage,
    /// The contact's intent and first-touch source.
    Intent,
    Source,
    /// The booking's urgency (high, medium, low), status, service type
    /// and outcome.
    UrgencyLevel,
    BookingStatus,
    ServiceType,
    IsHighRisk,
    Outcome,
    /// An inbound text: its body and what it means.
    MessageBody,
    Classification,
    /// A reminder that was sent: its template.
    Template,
    /// Seconds since the contact's latest touchpoint.
    LastTouchpointAgeSeconds,
    /// No text from the contact since the latest one we sent.
    NoReplyReceived,
    /// The contact's open recall: when it is due.
    RecallDueDate,
    /// Hours until the booking's appointment (negative once it began).
    HoursUntilAppointment,
}

impl Field {
    pub const ALL: &'static [Field] = &[
        Field::Warmness,
        Field::WarmnessLabel,
        Field::IsExistingPatient,
        Field::CurrentPipeline,
        Field::CurrentStage,
        Field::Intent,
        Field::Source,
        Field::UrgencyLevel,
        Field::BookingStatus,
        Field::ServiceType,
        Field::IsHighRisk,
        Field::Outcome,
        Field::MessageBody,
        Field::Classification,
        Field::Template,
        Field::LastTouchpointAgeSeconds,
        Field::NoReplyReceived,
        Field::RecallDueDate,
        Field::HoursUntilAppointment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Warmness => "warmness",
            Field::WarmnessLabel => "warmness_label",
            Field::IsExistingPatient => "is_existing_patient",
            Field::CurrentPipeline => "current_pipeline",
            Field::CurrentStage => "current_stage",
            Field::Intent => "intent",
            Field::Source => "source",
            Field::UrgencyLevel => "urgency_level",
            Field::BookingStatus => "booking_status",
            Field::ServiceType => "service_type",
            Field::IsHighRisk => "is_high_risk",
            Field::Outcome => "outcome",
            Field::MessageBody => "message_body",
            Field::Classification => "classification",
            Field::Template => "template",
            Field::LastTouchpointAgeSeconds => "last_touchpoint_age_seconds",
            Field::NoReplyReceived => "no_reply_received",
            Field::RecallDueDate => "recall_due_date",
            Field::HoursUntilAppointment => "hours_until_appointment",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Field::Warmness | Field::LastTouchpointAgeSeconds | Field::HoursUntilAppointment => Kind::Number,
            Field::IsExistingPatient | Field::IsHighRisk | Field::NoReplyReceived => Kind::Bool,
            Field::RecallDueDate => Kind::Date,
            _ => Kind::Text,
        }
    }

    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.name() == name)
    }

    pub fn names() -> String {
        Field::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
    }
}

/// One test of a field.
#[derive(Debug, Clone)]
pub enum Test {
    Eq(Value),
    Gte(Value),
    Gt(Value),
    Lte(Value),
    Lt(Value),
    In(Vec<Value>),
    /// The pattern as written, and compiled case-insensitive.
    Matches(String, regex::Regex),
}

impl Test {
    pub fn op(&self) -> &'static str {
        match self {
            Test::Eq(_) => "eq",
            Test::Gte(_) => "gte",
            Test::Gt(_) => "gt",
            Test::Lte(_) => "lte",
            Test::Lt(_) => "lt",
            Test::In(_) => "in",
            Test::Matches(..) => "matches",
        }
    }

    pub fn expected(&self) -> Value {
        match self {
            Test::Eq(v) | Test::Gte(v) | Test::Gt(v) | Test::Lte(v) | Test::Lt(v) => v.clone(),
            Test::In(values) => Value::Array(values.clone()),
            Test::Matches(pattern, _) => Value::String(pattern.clone()),
        }
    }
}

/// A field and one test of it.
#[derive(Debug, Clone)]
pub struct Condition {
    pub field: Field,
    pub test: Test,
}

/// Conditions that must all hold.
#[derive(Debug, Clone, Default)]
pub struct Conditions(pub Vec<Condition>);

/// What one condition saw when it ran.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checked {
    pub field: String,
    pub op: String,
    pub expected: Value,
    pub seen: Value,
    pub passed: bool,
}

/// The operators, for error messages.
const OPS: &str = "eq, gte, gt, lte, lt, in, matches";

impl Conditions {
    /// Reads a condition set at JSON path `at` (`conditions`,
    /// `actions[2].conditions`); `null` or absent is none.
    pub fn parse(value: Option<&Value>, at: &str, problems: &mut Vec<FieldError>) -> Conditions {
        let map = match value {
            None | Some(Value::Null) => return Conditions::default(),
            Some(Value::Object(map)) => map,
            Some(_) => {
                problems.push(FieldError::new(at, "must be an object of field: test"));
                return Conditions::default();
            }
        };
        let mut out = Vec::new();
        for (name, test) in map {
            let path = format!("{at}.{name}");
            let Some(field) = Field::parse(name) else {
                problems.push(FieldError::new(
                    path,
                    format!("is not a field a rule can test; one of {}", Field::names()),
                ));
                continue;
            };
            match test {
                Value::Object(ops) if ops.is_empty() => {
                    problems.push(FieldError::new(path, format!("needs a test: one of {OPS}")));
                }
                // No field holds an object, so an object is its tests.
                Value::Object(ops) => {
                    for (op, expected) in ops {
                        if let Some(test) = parse_test(field, op, expected, &format!("{path}.{op}"), problems) {
                            out.push(Condition { field, test });
                        }
                    }
                }
                literal => {
                    if let Some(test) = parse_test(field, "eq", literal, &path, problems) {
                        out.push(Condition { field, test });
                    }
                }
            }
        }
        Conditions(out)
    }

    /// The fields these conditions look at.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.0.iter().map(|c| c.field)
    }

    /// Every condition checked against the facts, in order.
    pub fn check(&self, facts: &dyn Fn(Field) -> Value, today: NaiveDate) -> Vec<Checked> {
        self.0
            .iter()
            .map(|c| {
                let seen = facts(c.field);
                Checked {
                    field: c.field.name().to_owned(),
                    op: c.test.op().to_owned(),
                    expected: c.test.expected(),
                    passed: holds(&c.test, &seen, today),
                    seen,
                }
            })
            .collect()
    }
}

fn parse_test(field: Field, op: &str, value: &Value, at: &str, problems: &mut Vec<FieldError>) -> Option<Test> {
    let kind = field.kind();
    let mut fail = |why: String| {
        problems.push(FieldError::new(at, why));
        None
    };
    match op {
        "eq" => match typed(kind, value) {
            Ok(v) => Some(Test::Eq(v)),
            Err(why) => fail(why),
        },
        "gte" | "gt" | "lte" | "lt" => {
            if !matches!(kind, Kind::Number | Kind::Date) {
                return fail(format!(
                    "{op} compares numbers or dates; {} is {}",
                    field.name(),
                    kind_name(kind)
                ));
            }
            let v = match typed(kind, value) {
                Ok(v) if !v.is_null() => v,
                Ok(_) => return fail("must not be null".to_owned()),
                Err(why) => return fail(why),
            };
            Some(match op {
                "gte" => Test::Gte(v),
                "gt" => Test::Gt(v),
                "lte" => Test::Lte(v),
                _ => Test::Lt(v),
            })
        }
        "in" => {
            let Value::Array(items) = value else {
                return fail("must be a list of values".to_owned());
            };
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match typed(kind, item) {
                    Ok(v) => values.push(v),
                    Err(why) => {
                        problems.push(FieldError::new(format!("{at}[{i}]"), why));
                        return None;
                    }
                }
            }
            if values.is_empty() {
                return fail("must list at least one value".to_owned());
            }
            Some(Test::In(values))
        }
        "matches" => {
            if kind != Kind::Text {
                return fail(format!("matches tests text; {} is {}", field.name(), kind_name(kind)));
            }
            let Value::String(pattern) = value else {
                return fail("must be a regular expression, as text".to_owned());
            };
            match regex::RegexBuilder::new(pattern)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
            {
                Ok(re) => Some(Test::Matches(pattern.clone(), re)),
                Err(e) => fail(format!("is not a regular expression: {}", first_line(&e.to_string()))),
            }
        }
        other => fail(format!("{other:?} is not an operator; one of {OPS}")),
    }
}

fn first_line(text: &str) -> String {
    text.lines().last().unwrap_or(text).trim().to_owned()
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Number => "a number",
        Kind::Text => "text",
        Kind::Bool => "true or false",
        Kind::Date => "a date",
    }
}

/// A literal of the field's type (null allowed: "the fact is unknown").
fn typed(kind: Kind, value: &Value) -> Result<Value, String> {
    match (kind, value) {
        (_, Value::Null) => Ok(Value::Null),
        (Kind::Number, Value::Number(_)) | (Kind::Bool, Value::Bool(_)) | (Kind::Text, Value::String(_)) => {
            Ok(value.clone())
        }
        (Kind::Date, Value::String(s)) if s == "today" || NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
            Ok(value.clone())
        }
        (Kind::Date, _) => Err("must be a date, YYYY-MM-DD, or \"today\"".to_owned()),
        (kind, _) => Err(format!("must be {}", kind_name(kind))),
    }
}

/// Whether a test holds for what was seen.
fn holds(test: &Test, seen: &Value, today: NaiveDate) -> bool {
    let resolve = |v: &Value| match v.as_str() {
        Some("today") => Value::String(today.format("%Y-%m-%d").to_string()),
        _ => v.clone(),
    };
    match test {
        Test::Eq(expected) => equal(seen, &resolve(expected)),
        Test::In(values) => values.iter().any(|v| equal(seen, &resolve(v))),
        Test::Gte(e) => compare(seen, &resolve(e)).is_some_and(|o| o.is_ge()),
        Test::Gt(e) => compare(seen, &resolve(e)).is_some_and(|o| o.is_gt()),
        Test::Lte(e) => compare(seen, &resolve(e)).is_some_and(|o| o.is_le()),
        Test::Lt(e) => compare(seen, &resolve(e)).is_some_and(|o| o.is_lt()),
        Test::Matches(_, re) => seen.as_str().is_some_and(|s| re.is_match(s.trim())),
    }
}

/// Equality; text case-insensitive ("High" is "high"), numbers by value.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.trim().eq_ignore_ascii_case(y.trim()),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => {
            let (x, y) = (
                NaiveDate::parse_from_str(x, "%Y-%m-%d").ok()?,
                NaiveDate::parse_from_str(y, "%Y-%m-%d").ok()?,
            );
            Some(x.cmp(&y))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Conditions, Vec<FieldError>> {
        let mut problems = Vec::new();
        let c = Conditions::parse(Some(&v), "conditions", &mut problems);
        if problems.is_empty() { Ok(c) } else { Err(problems) }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
    }

    fn passes(conditions: Value, facts: &[(Field, Value)]) -> bool {
        let c = parse(conditions).unwrap();
        let lookup = |f: Field| {
            facts
                .iter()
                .find(|(g, _)| *g == f)
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null)
        };
        c.check(&lookup, day()).iter().all(|r| r.passed)
    }

    #[test]
    fn equality_is_a_bare_value_or_eq_and_text_ignores_case() {
        let facts = [(Field::CurrentStage, json!("contacted"))];
        assert!(passes(json!({"current_stage": "contacted"}), &facts));
        assert!(passes(json!({"current_stage": {"eq": "Contacted"}}), &facts));
        assert!(!passes(json!({"current_stage": "engaged"}), &facts));
        assert!(passes(
            json!({"is_existing_patient": false}),
            &[(Field::IsExistingPatient, json!(false))]
        ));
        assert!(!passes(
            json!({"is_existing_patient": false}),
            &[(Field::IsExistingPatient, json!(true))]
        ));
    }

    #[test]
    fn numbers_compare_with_gte_gt_lte_lt() {
        let warm = |w: i64| [(Field::Warmness, json!(w))];
        assert!(passes(json!({"warmness": {"gte": 70}}), &warm(70)));
        assert!(!passes(json!({"warmness": {"gt": 70}}), &warm(70)));
        assert!(passes(json!({"warmness": {"lt": 70}}), &warm(69)));
        assert!(passes(json!({"warmness": {"lte": 69}}), &warm(69)));
        assert!(!passes(json!({"warmness": {"lte": 69}}), &warm(70)));
        assert!(passes(json!({"warmness": {"gte": 40, "lt": 70}}), &warm(50)));
        assert!(!passes(json!({"warmness": {"gte": 40, "lt": 70}}), &warm(80)));
    }

    #[test]
    fn in_takes_a_list() {
        let stage = |s: &str| [(Field::CurrentStage, json!(s))];
        let c = json!({"current_stage": {"in": ["new_lead", "contacted"]}});
        assert!(passes(c.clone(), &stage("new_lead")));
        assert!(passes(c.clone(), &stage("contacted")));
        assert!(!passes(c, &stage("engaged")));
    }

    #[test]
    fn matches_is_case_insensitive_on_the_trimmed_value() {
        let c = json!({"message_body": {"matches": "^(y|yes|confirm|confirmed|yep|yeah)$"}});
        let body = |b: &str| [(Field::MessageBody, json!(b))];
        for yes in ["Y", " yes ", "YEP", "Confirmed"] {
            assert!(passes(c.clone(), &body(yes)), "{yes}");
        }
        for no in ["yes please", "no", ""] {
            assert!(!passes(c.clone(), &body(no)), "{no}");
        }
    }

    #[test]
    fn dates_compare_and_today_is_the_local_date() {
        let c = json!({"recall_due_date": {"lte": "today"}});
        assert!(passes(c.clone(), &[(Field::RecallDueDate, json!("2026-03-10"))]));
        assert!(passes(c.clone(), &[(Field::RecallDueDate, json!("2025-12-01"))]));
        assert!(!passes(c.clone(), &[(Field::RecallDueDate, json!("2026-03-11"))]));
        assert!(!passes(c, &[]), "no recall: not due");
    }

    #[test]
    fn an_unknown_fact_fails_every_test_but_eq_null() {
        assert!(!passes(json!({"urgency_level": "high"}), &[]));
        assert!(!passes(json!({"warmness": {"gte": 0}}), &[]));
        assert!(passes(json!({"urgency_level": null}), &[]));
    }

    #[test]
    fn faults_are_refused_naming_their_json_path() {
        let paths = |v: Value| -> Vec<String> { parse(v).unwrap_err().into_iter().map(|e| e.field).collect() };
        assert_eq!(paths(json!({"warmnes": {"gte": 70}})), ["conditions.warmnes"]);
        assert_eq!(paths(json!({"warmness": {"gte": "hot"}})), ["conditions.warmness.gte"]);
        assert_eq!(
            paths(json!({"current_stage": {"gte": 3}})),
            ["conditions.current_stage.gte"]
        );
        assert_eq!(
            paths(json!({"message_body": {"matches": "(unclosed"}})),
            ["conditions.message_body.matches"]
        );
        assert_eq!(
            paths(json!({"current_stage": {"in": ["a", 3]}})),
            ["conditions.current_stage.in[1]"]
        );
        assert_eq!(
            paths(json!({"recall_due_date": {"lte": "tomorrow"}})),
            ["conditions.recall_due_date.lte"]
        );
        assert_eq!(paths(json!(["warmness"])), ["conditions"]);
        assert_eq!(
            paths(json!({"current_stage": {"gtee": 1}})),
            ["conditions.current_stage.gtee"]
        );
        assert_eq!(
            paths(json!({"warmness": {"gte": 1, "between": [1, 2]}})),
            ["conditions.warmness.between"]
        );
        assert_eq!(paths(json!({"warmness": {}})), ["conditions.warmness"]);
    }

    #[test]
    fn checks_record_what_they_saw() {
        let c = parse(json!({"warmness": {"gte": 70}})).unwrap();
        let checked = c.check(&|_| json!(45), day());
        assert_eq!(
            checked,
            [Checked {
                field: "warmness".to_owned(),
                op: "gte".to_owned(),
                expected: json!(70),
                seen: json!(45),
                passed: false
            }]
        );
    }
}
