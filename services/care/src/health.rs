//! Health logs (spec 001's `health_logs`): one entry per client per day,
//! written by the care team; the weekly view gives each day and the
//! series a vitals chart draws, with a gap where a day has no reading.
//! Notes are sealed (`care.health_logs.notes:<client>:<date>`).

use attend_kit::audit::{self, Entry};
use attend_kit::bus::timestamp;
use attend_kit::grpc::Caller;
use attend_kit::ids::{HealthLogId, TypedId};
use attend_kit::{Error, FieldError, localtime, text};
use attend_proto::care::v1 as pb;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access;
use crate::api::Api;
use crate::clients::{client_id, lines, parse_date};
use crate::store::{self, HealthRow};

pub(crate) fn notes_context(client: Uuid, date: NaiveDate) -> String {
    format!("care.health_logs.notes:{client}:{date}")
}

/// The vitals as stored: each reading with the unit it was taken in.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Vitals {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    systolic: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    diastolic: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    heart_rate: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    temperature_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weight_unit: Option<String>,
}

impl Vitals {
    fn celsius(&self) -> Option<f64> {
        let t = self.temperature?;
        Some(match self.temperature_unit.as_deref() {
            Some("F") => ((t - 32.0) * 5.0 / 9.0 * 10.0).round() / 10.0,
            _ => t,
        })
    }

    fn kilograms(&self) -> Option<f64> {
        let w = self.weight?;
        Some(match self.weight_unit.as_deref() {
            Some("lb") => (w * 0.453_592_37 * 10.0).round() / 10.0,
            _ => w,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meal {
    meal_type: String,
    content: String,
    #[serde(default)]
    time: String,
}

/// A reading within its plausible range, or the field named.
fn within<T: PartialOrd + std::fmt::Display + Copy>(
    problems: &mut Vec<FieldError>,
    field: &str,
    value: Option<T>,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) -> Option<T> {
    let v = value?;
    if range.contains(&v) {
        Some(v)
    } else {
        problems.push(FieldError::new(
            field,
            format!(
                "{v} {unit} is outside the plausible range {} to {} {unit}",
                range.start(),
                range.end()
            ),
        ));
        None
    }
}

fn vitals(problems: &mut Vec<FieldError>, given: Option<&pb::Vitals>) -> Vitals {
    let Some(v) = given else {
        return Vitals::default();
    };
    if !matches!(v.blood_pressure_unit.trim(), "" | "mmHg") {
        problems.push(FieldError::new("vitals.blood_pressure_unit", "must be mmHg"));
    }
    if !matches!(v.heart_rate_unit.trim(), "" | "bpm") {
        problems.push(FieldError::new("vitals.heart_rate_unit", "must be bpm"));
    }
    let systolic = within(problems, "vitals.systolic", v.systolic, 50..=260, "mmHg");
    let diastolic = within(problems, "vitals.diastolic", v.diastolic, 30..=160, "mmHg");
    match (systolic, diastolic) {
        (Some(s), Some(d)) if s <= d => problems.push(FieldError::new(
            "vitals.diastolic",
            "must be below the systolic pressure",
        )),
        (Some(_), None) if v.diastolic.is_none() => {
            problems.push(FieldError::new("vitals.diastolic", "is needed with systolic"))
        }
        (None, Some(_)) if v.systolic.is_none() => {
            problems.push(FieldError::new("vitals.systolic", "is needed with diastolic"))
        }
        _ => {}
    }
    let heart_rate = within(problems, "vitals.heart_rate", v.heart_rate, 20..=250, "bpm");
    let temperature_unit = match (v.temperature.is_some(), v.temperature_unit.trim()) {
        (false, _) => None,
        (true, "" | "C") => Some("C"),
        (true, "F") => Some("F"),
        (true, _) => {
            problems.push(FieldError::new("vitals.temperature_unit", "must be C or F"));
            None
        }
    };
    let temperature = match temperature_unit {
        Some("F") => within(problems, "vitals.temperature", v.temperature, 86.0..=113.0, "°F"),
        Some(_) => within(problems, "vitals.temperature", v.temperature, 30.0..=45.0, "°C"),
        None => None,
    };
    let weight_unit = match (v.weight.is_some(), v.weight_unit.trim()) {
        (false, _) => None,
        (true, "" | "kg") => Some("kg"),
        (true, "lb") => Some("lb"),
        (true, _) => {
            problems.push(FieldError::new("vitals.weight_unit", "must be kg or lb"));
            None
        }
    };
    let weight = match weight_unit {
        Some("lb") => within(problems, "vitals.weight", v.weight, 2.0..=900.0, "lb"),
        Some(_) => within(problems, "vitals.weight", v.weight, 1.0..=400.0, "kg"),
        None => None,
    };
    Vitals {
        systolic,
        diastolic,
        heart_rate,
        temperature,
        temperature_unit: temperature.and(temperature_unit).map(str::to_owned),
        weight,
        weight_unit: weight.and(weight_unit).map(str::to_owned),
    }
}

fn meals(problems: &mut Vec<FieldError>, given: &[pb::Meal]) -> Vec<Meal> {
    if given.len() > 10 {
        problems.push(FieldError::new("meals", "lists more than 10 meals"));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, m) in given.iter().enumerate() {
        let field = |name: &str| format!("meals[{i}].{name}");
        let kind = m.meal_type.trim();
        if !matches!(kind, "breakfast" | "lunch" | "dinner" | "snack") {
            problems.push(FieldError::new(
                field("meal_type"),
                "must be breakfast, lunch, dinner or snack",
            ));
        }
        let content = text::collect(problems, &field("content"), text::line(&m.content, 500));
        let time = match m.time.trim() {
            "" => Some(String::new()),
            t => text::collect(
                problems,
                &field("time"),
                NaiveTime::parse_from_str(t, "%H:%M")
                    .map(|t| t.format("%H:%M").to_string())
                    .map_err(|_| "must be a time of day, HH:MM".to_owned()),
            ),
        };
        if let (Some(content), Some(time)) = (content, time) {
            out.push(Meal {
                meal_type: kind.to_owned(),
                content,
                time,
            });
        }
    }
    out
}

impl Api {
    fn health_proto(&self, row: HealthRow) -> Result<pb::HealthLog, Error> {
        let notes = match (&row.notes_sealed, &row.notes_key) {
            (Some(bytes), Some(key)) => String::from_utf8(self.keys.open(
                &notes_context(row.client_id, row.log_date),
                key,
                bytes,
            )?)
            .unwrap_or_default(),
            _ => String::new(),
        };
        let v: Vitals = serde_json::from_value(row.vitals).unwrap_or_default();
        let meals: Vec<Meal> = serde_json::from_value(row.meals).unwrap_or_default();
        Ok(pb::HealthLog {
            id: row.id.to_string(),
            client_id: row.client_id.to_string(),
            log_date: row.log_date.format("%Y-%m-%d").to_string(),
            vitals: Some(pb::Vitals {
                systolic: v.systolic,
                diastolic: v.diastolic,
                blood_pressure_unit: if v.systolic.is_some() {
                    "mmHg".to_owned()
                } else {
                    String::new()
                },
                heart_rate: v.heart_rate,
                heart_rate_unit: if v.heart_rate.is_some() {
                    "bpm".to_owned()
                } else {
                    String::new()
                },
                temperature: v.temperature,
                temperature_unit: v.temperature_unit.unwrap_or_default(),
                weight: v.weight,
                weight_unit: v.weight_unit.unwrap_or_default(),
            }),
            medications_taken: row.medications_taken,
            medications_missed: row.medications_missed,
            meals: meals
                .into_iter()
                .map(|m| pb::Meal {
                    meal_type: m.meal_type,
                    content: m.content,
                    time: m.time,
                })
                .collect(),
            mood: row.mood.unwrap_or_default(),
            activities: row.activities,
            sleep_hours: row.sleep_hours,
            notes,
            created_by_id: row.created_by_id.to_string(),
            created_at: Some(timestamp(row.created_at)),
            updated_at: Some(timestamp(row.updated_at)),
        })
    }

    pub(crate) async fn record_health_log(
        &self,
        caller: Caller,
        req: pb::RecordHealthLogRequest,
    ) -> Result<pb::HealthLog, Error> {
        let org = caller.org()?;
        let client_id = client_id(&req.client_id)?;
        let author = caller
            .user
            .ok_or_else(|| Error::Forbidden("health logs are written by a person".to_owned()))?;
        let mut problems = Vec::new();
        let date = text::collect(&mut problems, "log_date", parse_date(&req.log_date));
        let v = vitals(&mut problems, req.vitals.as_ref());
        let taken = lines(&mut problems, "medications_taken", &req.medications_taken, 200);
        let missed = lines(&mut problems, "medications_missed", &req.medications_missed, 200);
        let meals = meals(&mut problems, &req.meals);
        let mood = text::collect(&mut problems, "mood", text::line(&req.mood, 100));
        let activities = lines(&mut problems, "activities", &req.activities, 200);
        if let Some(h) = req.sleep_hours
            && !(0.0..=24.0).contains(&h)
        {
            problems.push(FieldError::new("sleep_hours", format!("{h} is outside 0 to 24 hours")));
        }
        let notes = text::collect(&mut problems, "notes", text::multiline(&req.notes, 5_000));
        let (Some(date), Some(mood), Some(notes), true) = (date, mood, notes, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        let mut tx = self.db.tenant(org).await?;
        let (client, access) = access::resolve(&mut tx, org, &caller, client_id).await?;
        access.require_team("records health logs")?;
        if date > localtime::local_date(self.clock.now(), client.zone()) {
            return Err(Error::invalid("log_date", "is in the future on the client's clock"));
        }
        let sealed = match notes.is_empty() {
            true => None,
            false => Some(self.keys.seal(&notes_context(client.id, date), notes.as_bytes())?),
        };
        let now = self.clock.now();
        let row = store::upsert_health(
            &mut tx,
            org,
            &HealthRow {
                id: HealthLogId::new().uuid(),
                client_id: client.id,
                log_date: date,
                vitals: serde_json::to_value(&v).unwrap_or_default(),
                medications_taken: taken,
                medications_missed: missed,
                meals: serde_json::to_value(&meals).unwrap_or_default(),
                mood: Some(mood).filter(|m| !m.is_empty()),
                activities,
                sleep_hours: req.sleep_hours.map(|h| (h * 100.0).round() / 100.0),
                notes_key: sealed.as_ref().map(|s| s.key.clone()),
                notes_sealed: sealed.map(|s| s.bytes),
                created_by_id: author.uuid(),
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("health_log.record", "client", client_id)
                .with_details(serde_json::json!({ "log_date": date.to_string() })),
        )
        .await?;
        tx.commit().await?;
        self.health_proto(row)
    }

    pub(crate) async fn health_week(
        &self,
        caller: Caller,
        req: pb::HealthWeekRequest,
    ) -> Result<pb::HealthWeekResponse, Error> {
        let org = caller.org()?;
        let client_id = client_id(&req.client_id)?;
        let week = match req.week.trim() {
            "" => None,
            w => Some(parse_date(w).map_err(|reason| Error::invalid("week", reason))?),
        };
        let mut tx = self.db.tenant(org).await?;
        let (client, _) = access::resolve(&mut tx, org, &caller, client_id).await?;
        let zone = client.zone();
        let any_day = week.unwrap_or_else(|| localtime::local_date(self.clock.now(), zone));
        let monday = any_day - Duration::days(i64::from(any_day.weekday().num_days_from_monday()));
        let sunday = monday + Duration::days(6);
        let rows = store::health_between(&mut tx, org, client_id, monday, sunday).await?;
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("health_log.week", "client", client_id)
                .with_details(serde_json::json!({ "week": monday.to_string() })),
        )
        .await?;
        tx.commit().await?;
        let dates: Vec<NaiveDate> = (0..7).map(|i| monday + Duration::days(i)).collect();
        let by_date: std::collections::BTreeMap<NaiveDate, HealthRow> =
            rows.into_iter().map(|r| (r.log_date, r)).collect();
        let vitals_of = |d: &NaiveDate| -> Vitals {
            by_date
                .get(d)
                .and_then(|r| serde_json::from_value(r.vitals.clone()).ok())
                .unwrap_or_default()
        };
        let series = |name: &str, unit: &str, read: &dyn Fn(&Vitals) -> Option<f64>| pb::Series {
            name: name.to_owned(),
            unit: unit.to_owned(),
            points: dates
                .iter()
                .map(|d| pb::Point {
                    date: d.to_string(),
                    value: read(&vitals_of(d)),
                })
                .collect(),
        };
        let all_series = vec![
            series("systolic", "mmHg", &|v| v.systolic.map(f64::from)),
            series("diastolic", "mmHg", &|v| v.diastolic.map(f64::from)),
            series("heart_rate", "bpm", &|v| v.heart_rate.map(f64::from)),
            series("temperature", "°C", &Vitals::celsius),
            series("weight", "kg", &Vitals::kilograms),
        ];
        let mut days = Vec::with_capacity(7);
        let mut by_date = by_date;
        for d in &dates {
            let log = match by_date.remove(d) {
                Some(row) => Some(self.health_proto(row)?),
                None => None,
            };
            days.push(pb::HealthDay {
                date: d.to_string(),
                log,
            });
        }
        Ok(pb::HealthWeekResponse {
            week_start: monday.to_string(),
            week_end: sunday.to_string(),
            days,
            series: all_series,
            time_zone: client.time_zone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: pb::Vitals) -> (Vitals, Vec<FieldError>) {
        let mut problems = Vec::new();
        let out = vitals(&mut problems, Some(&v));
        (out, problems)
    }

    #[test]
    fn implausible_readings_are_refused_naming_the_field() {
        let (_, problems) = check(pb::Vitals {
            systolic: Some(400),
            diastolic: Some(80),
            heart_rate: Some(5),
            temperature: Some(52.0),
            weight: Some(0.2),
            ..Default::default()
        });
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "vitals.systolic",
                "vitals.heart_rate",
                "vitals.temperature",
                "vitals.weight"
            ]
        );
        assert!(problems[0].reason.contains("400 mmHg"), "{:?}", problems[0]);
    }

    #[test]
    fn units_are_kept_and_charted_in_one_unit() {
        let (v, problems) = check(pb::Vitals {
            systolic: Some(128),
            diastolic: Some(82),
            temperature: Some(98.6),
            temperature_unit: "F".to_owned(),
            weight: Some(154.0),
            weight_unit: "lb".to_owned(),
            ..Default::default()
        });
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(v.temperature_unit.as_deref(), Some("F"));
        assert_eq!(v.celsius(), Some(37.0));
        assert_eq!(v.kilograms(), Some(69.9));
    }

    #[test]
    fn a_pressure_needs_both_numbers_and_an_unknown_unit_is_named() {
        let (_, problems) = check(pb::Vitals {
            systolic: Some(120),
            temperature: Some(37.0),
            temperature_unit: "K".to_owned(),
            ..Default::default()
        });
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["vitals.diastolic", "vitals.temperature_unit"]);
    }
}
