//! Care plans (spec 001's `care_plans`): goals with target dates and
//! status, and a weekly schedule with the team member doing each
//! activity; exported as iCalendar for a family's calendar app.

use attend_kit::audit::{self, Entry};
use attend_kit::bus::timestamp;
use attend_kit::grpc::Caller;
use attend_kit::ids::{TypedId, UserId};
use attend_kit::{Error, FieldError, text};
use attend_proto::care::v1 as pb;
use chrono::{Datelike, Duration, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::access;
use crate::api::Api;
use crate::clients::{client_id, optional_date, parse_date};
use crate::ics;
use crate::store::{self, PlanRow};

const GOAL_STATUSES: [&str; 4] = ["not_started", "in_progress", "achieved", "dropped"];
const DAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Goal {
    goal: String,
    #[serde(default)]
    target_date: String,
    status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Activity {
    day_of_week: String,
    time: String,
    duration_minutes: i32,
    activity: String,
    #[serde(default)]
    assigned_to: String,
    #[serde(default)]
    assigned_name: String,
}

fn weekday(name: &str) -> Option<Weekday> {
    DAYS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
}

fn goals(problems: &mut Vec<FieldError>, given: &[pb::Goal]) -> Vec<Goal> {
    if given.len() > 50 {
        problems.push(FieldError::new("goals", "lists more than 50 goals"));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, g) in given.iter().enumerate() {
        let field = |name: &str| format!("goals[{i}].{name}");
        let goal = text::collect(problems, &field("goal"), text::required_line(&g.goal, 300));
        let target = match g.target_date.trim() {
            "" => Some(String::new()),
            d => text::collect(problems, &field("target_date"), parse_date(d).map(|d| d.to_string())),
        };
        let status = match g.status.trim() {
            "" => Some("not_started".to_owned()),
            s if GOAL_STATUSES.contains(&s) => Some(s.to_owned()),
            _ => {
                problems.push(FieldError::new(
                    field("status"),
                    format!("must be one of {}", GOAL_STATUSES.join(", ")),
                ));
                None
            }
        };
        if let (Some(goal), Some(target_date), Some(status)) = (goal, target, status) {
            out.push(Goal {
                goal,
                target_date,
                status,
            });
        }
    }
    out
}

fn schedule(problems: &mut Vec<FieldError>, given: &[pb::ScheduledActivity]) -> Vec<Activity> {
    if given.len() > 100 {
        problems.push(FieldError::new("schedule", "lists more than 100 activities"));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, a) in given.iter().enumerate() {
        let field = |name: &str| format!("schedule[{i}].{name}");
        let day = a.day_of_week.trim().to_lowercase();
        if weekday(&day).is_none() {
            problems.push(FieldError::new(field("day_of_week"), "must be monday to sunday"));
        }
        let time = text::collect(
            problems,
            &field("time"),
            NaiveTime::parse_from_str(a.time.trim(), "%H:%M")
                .map(|t| t.format("%H:%M").to_string())
                .map_err(|_| "must be a time of day, HH:MM".to_owned()),
        );
        let minutes = match a.duration_minutes {
            0 => 60,
            m @ 5..=720 => m,
            _ => {
                problems.push(FieldError::new(field("duration_minutes"), "must be between 5 and 720"));
                0
            }
        };
        let activity = text::collect(problems, &field("activity"), text::required_line(&a.activity, 200));
        let assigned_to = match a.assigned_to.trim() {
            "" => Some(String::new()),
            u => text::collect(
                problems,
                &field("assigned_to"),
                UserId::parse_uuid(u)
                    .map(|u| u.uuid().to_string())
                    .map_err(|_| "is not a user id".to_owned()),
            ),
        };
        let assigned_name = text::collect(problems, &field("assigned_name"), text::line(&a.assigned_name, 100));
        if let (Some(time), Some(activity), Some(assigned_to), Some(assigned_name)) =
            (time, activity, assigned_to, assigned_name)
        {
            out.push(Activity {
                day_of_week: day,
                time,
                duration_minutes: minutes,
                activity,
                assigned_to,
                assigned_name,
            });
        }
    }
    out
}

fn plan_proto(row: PlanRow, zone: &str) -> pb::CarePlan {
    let goals: Vec<Goal> = serde_json::from_value(row.goals).unwrap_or_default();
    let schedule: Vec<Activity> = serde_json::from_value(row.schedule).unwrap_or_default();
    pb::CarePlan {
        id: row.id.to_string(),
        client_id: row.client_id.to_string(),
        coordinator_id: row.coordinator_id.to_string(),
        title: row.title,
        description: row.description.unwrap_or_default(),
        start_date: row.start_date.to_string(),
        end_date: row.end_date.map(|d| d.to_string()).unwrap_or_default(),
        goals: goals
            .into_iter()
            .map(|g| pb::Goal {
                goal: g.goal,
                target_date: g.target_date,
                status: g.status,
            })
            .collect(),
        schedule: schedule
            .into_iter()
            .map(|a| pb::ScheduledActivity {
                day_of_week: a.day_of_week,
                time: a.time,
                duration_minutes: a.duration_minutes,
                activity: a.activity,
                assigned_to: a.assigned_to,
                assigned_name: a.assigned_name,
            })
            .collect(),
        status: row.status,
        created_at: Some(timestamp(row.created_at)),
        updated_at: Some(timestamp(row.updated_at)),
        time_zone: zone.to_owned(),
    }
}

impl Api {
    /// The client's active plan, read by the caller (audited as `action`).
    async fn read_plan(
        &self,
        caller: &Caller,
        req: &pb::GetCarePlanRequest,
        action: &str,
    ) -> Result<(store::ClientRow, PlanRow), Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let mut tx = self.db.tenant(org).await?;
        let (client, _) = access::resolve(&mut tx, org, caller, id).await?;
        let row = store::active_plan(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("care plan".to_owned()))?;
        audit::record_read(&self.outbox, &mut tx, caller, Entry::on(action, "client", id)).await?;
        tx.commit().await?;
        Ok((client, row))
    }

    pub(crate) async fn get_care_plan(
        &self,
        caller: Caller,
        req: pb::GetCarePlanRequest,
    ) -> Result<pb::CarePlan, Error> {
        let (client, row) = self.read_plan(&caller, &req, "care_plan.read").await?;
        Ok(plan_proto(row, &client.time_zone))
    }

    pub(crate) async fn put_care_plan(
        &self,
        caller: Caller,
        req: pb::PutCarePlanRequest,
    ) -> Result<pb::CarePlan, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let coordinator = caller
            .user
            .ok_or_else(|| Error::Forbidden("care plans are written by a person".to_owned()))?;
        let mut problems = Vec::new();
        let title = text::collect(&mut problems, "title", text::required_line(&req.title, 200));
        let description = text::collect(&mut problems, "description", text::multiline(&req.description, 5000));
        let start = text::collect(&mut problems, "start_date", parse_date(&req.start_date));
        let end = optional_date(&mut problems, "end_date", &req.end_date);
        if let (Some(s), Some(Some(e))) = (start, end)
            && e < s
        {
            problems.push(FieldError::new("end_date", "is before start_date"));
        }
        let goals = goals(&mut problems, &req.goals);
        let schedule = schedule(&mut problems, &req.schedule);
        let (Some(title), Some(description), Some(start), Some(end), true) =
            (title, description, start, end, problems.is_empty())
        else {
            return Err(Error::Invalid(problems));
        };
        let mut tx = self.db.tenant(org).await?;
        let (client, access) = access::resolve(&mut tx, org, &caller, id).await?;
        access.require_manager("write the care plan")?;
        let row = store::put_plan(
            &mut tx,
            org,
            &PlanRow {
                id: uuid::Uuid::now_v7(),
                client_id: id.uuid(),
                coordinator_id: coordinator.uuid(),
                title,
                description: Some(description).filter(|d| !d.is_empty()),
                start_date: start,
                end_date: end,
                goals: serde_json::to_value(&goals).unwrap_or_default(),
                schedule: serde_json::to_value(&schedule).unwrap_or_default(),
                status: "active".to_owned(),
                created_at: self.clock.now(),
                updated_at: self.clock.now(),
            },
        )
        .await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("care_plan.write", "client", id),
        )
        .await?;
        tx.commit().await?;
        Ok(plan_proto(row, &client.time_zone))
    }

    pub(crate) async fn care_plan_calendar(
        &self,
        caller: Caller,
        req: pb::GetCarePlanRequest,
    ) -> Result<pb::Calendar, Error> {
        let (client, row) = self.read_plan(&caller, &req, "care_plan.calendar").await?;
        let zone = client.zone();
        let schedule: Vec<Activity> = serde_json::from_value(row.schedule.clone()).unwrap_or_default();
        let events: Vec<ics::Event> = schedule
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let day = weekday(&a.day_of_week)?;
                let time = NaiveTime::parse_from_str(&a.time, "%H:%M").ok()?;
                // The first such weekday on or after the plan's start.
                let ahead = (7 + day.num_days_from_monday() - row.start_date.weekday().num_days_from_monday()) % 7;
                let first = row.start_date + Duration::days(i64::from(ahead));
                Some(ics::Event {
                    uid: format!("plan-{}-{i}@attend", row.id),
                    summary: a.activity.clone(),
                    description: match a.assigned_name.as_str() {
                        "" => format!("{}'s care plan: {}", client.name, row.title),
                        who => format!("With {who}. {}'s care plan: {}", client.name, row.title),
                    },
                    location: String::new(),
                    start: first.and_time(time),
                    minutes: i64::from(a.duration_minutes),
                    weekly_until: Some(ics::Weekly {
                        byday: ics::byday(day),
                        until: row.end_date,
                    }),
                    cancelled: false,
                })
            })
            .collect();
        Ok(pb::Calendar {
            ics: ics::calendar(
                &format!("{}: care schedule", client.name),
                zone,
                &events,
                self.clock.now(),
            ),
            file_name: "care-plan.ics".to_owned(),
        })
    }
}
