//! `/api/tasks/*`: the staff task queue (spec 000's `GET /api/tasks` and
//! `POST /api/tasks/:taskId/complete`), and adding, claiming, reassigning,
//! snoozing and cancelling a task.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem, QueryParams};
use attend_kit::ids::{BookingId, ContactId, TaskId, TypedId, UserId};
use attend_proto::automation::v1 as pb;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::bookings::keyed;
use super::{public_or_null, unix};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tasks", get(queue).post(create))
        .route("/api/tasks/{id}", get(show))
        .route("/api/tasks/{id}/complete", post(complete))
        .route("/api/tasks/{id}/claim", post(claim))
        .route("/api/tasks/{id}/reassign", post(reassign))
        .route("/api/tasks/{id}/snooze", post(snooze))
        .route("/api/tasks/{id}/cancel", post(cancel))
}

fn text_or_null(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

/// A task as spec 000 shows it: the contact and booking it is about, its
/// priority as of now, times as Unix seconds.
pub fn task_json(t: &pb::Task) -> Result<Value, Error> {
    let contact = match &t.contact {
        Some(c) => json!({
            "id": public_or_null::<ContactId>(&c.id)?,
            "name": c.name,
            "phone": text_or_null(&c.phone),
            "warmness_score": c.warmness_score,
        }),
        None => json!({ "id": public_or_null::<ContactId>(&t.contact_id)? }),
    };
    let booking = match &t.booking {
        Some(b) => json!({
            "id": public_or_null::<BookingId>(&b.id)?,
            "appointment_datetime": unix(&b.appointment_at),
            "urgency_level": text_or_null(&b.urgency_level),
            "status": b.status,
        }),
        None => Value::Null,
    };
    Ok(json!({
        "id": public_or_null::<TaskId>(&t.id)?,
        "type": t.r#type,
        "contact": contact,
        "booking": booking,
        "priority_score": t.priority_score,
        "priority_category": t.priority_category,
        "priority_hint": text_or_null(&t.priority_hint),
        "due_datetime": unix(&t.due_at),
        "status": t.status,
        "notes": t.notes,
        "assigned_to": public_or_null::<UserId>(&t.assigned_to)?,
        "created_by": t.created_by,
        "created_at": unix(&t.created_at),
        "completed_at": unix(&t.completed_at),
        "outcome": text_or_null(&t.outcome),
        "rule_id": text_or_null(&t.rule_id),
        "rule_version": (t.rule_version > 0).then_some(t.rule_version),
        "run_id": text_or_null(&t.run_id),
    }))
}

/// Spec 000's answer to a change: `{"success": true, "task": …}`.
fn changed(answer: Result<tonic::Response<pb::Task>, tonic::Status>) -> Result<Json<Value>, Problem> {
    let task = answer.into_answer("automation")?;
    Ok(Json(json!({ "success": true, "task": task_json(&task)? })))
}

/// A task id from the path, as the fleet's UUID.
fn task_uuid(id: &str) -> Result<String, Error> {
    Ok(TaskId::parse_public_at("id", id)?.uuid().to_string())
}

/// A user id in a body or query: `user_…`, or one of the given words
/// passed through as they are.
fn user_or(field: &str, raw: &str, words: &[&str]) -> Result<String, Error> {
    match raw.trim() {
        "" => Ok(String::new()),
        w if words.contains(&w) => Ok(w.to_owned()),
        raw => Ok(UserId::parse_public_at(field, raw)?.uuid().to_string()),
    }
}

#[derive(Deserialize)]
struct Queue {
    /// A user id, `me`, `all` or `unassigned`; default: the caller.
    assigned_to: Option<String>,
    status: Option<String>,
    timeframe: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn queue(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<Queue>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksRead)?;
    let assigned_to = match q.assigned_to.as_deref().map(str::trim) {
        None | Some("me") => String::new(),
        Some(raw) => user_or("assigned_to", raw, &["all", "unassigned"])?,
    };
    let found = state
        .tasks
        .clone()
        .query_tasks(request(
            pb::QueryTasksRequest {
                assigned_to,
                status: q.status.unwrap_or_default(),
                timeframe: q.timeframe.unwrap_or_default(),
                limit: q.limit.unwrap_or_default(),
                cursor: q.cursor.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("automation")?;
    let counts = found.counts.unwrap_or_default();
    Ok(Json(json!({
        "tasks": found.tasks.iter().map(task_json).collect::<Result<Vec<_>, _>>()?,
        "counts": {"overdue": counts.overdue, "today": counts.today, "upcoming": counts.upcoming},
        "next_cursor": text_or_null(&found.next_cursor),
    })))
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksRead)?;
    let task = state
        .tasks
        .clone()
        .get_task(request(pb::GetTaskRequest { id: task_uuid(&id)? }, &caller))
        .await
        .into_answer("automation")?;
    Ok(Json(json!({ "task": task_json(&task)? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    contact_id: String,
    #[serde(default)]
    booking_id: String,
    #[serde(rename = "type")]
    kind: String,
    /// Unix seconds; default now.
    due_datetime: Option<i64>,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    assigned_to: String,
}

/// Unix seconds from a body, as a protobuf time.
fn seconds(field: &str, at: i64) -> Result<prost_types::Timestamp, Error> {
    // 2000-01-01 to 2100-01-01: anything else is a typo (or seconds given as milliseconds).
    if !(946_684_800..4_102_444_800).contains(&at) {
        return Err(Error::invalid(field, "must be Unix seconds between 2000 and 2100"));
    }
    chrono::DateTime::from_timestamp(at, 0)
        .map(attend_kit::bus::timestamp)
        .ok_or_else(|| Error::invalid(field, "is not a time in Unix seconds"))
}

async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Create>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    caller.require_permission(Permission::TasksWrite)?;
    let booking_id = match body.booking_id.trim() {
        "" => String::new(),
        raw => BookingId::parse_public_at("booking_id", raw)?.uuid().to_string(),
    };
    let call = keyed(
        request(
            pb::CreateTaskRequest {
                contact_id: ContactId::parse_public_at("contact_id", &body.contact_id)?
                    .uuid()
                    .to_string(),
                booking_id,
                r#type: body.kind,
                due_at: body.due_datetime.map(|at| seconds("due_datetime", at)).transpose()?,
                notes: body.notes,
                assigned_to: user_or("assigned_to", &body.assigned_to, &[])?,
            },
            &caller,
        ),
        &headers,
    )?;
    let task = state.tasks.clone().create_task(call).await.into_answer("automation")?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "success": true, "task": task_json(&task)? })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Complete {
    #[serde(default)]
    notes: String,
    #[serde(default)]
    outcome: String,
}

async fn complete(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Complete>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksWrite)?;
    let call = keyed(
        request(
            pb::CompleteTaskRequest {
                id: task_uuid(&id)?,
                notes: body.notes,
                outcome: body.outcome,
            },
            &caller,
        ),
        &headers,
    )?;
    changed(state.tasks.clone().complete_task(call).await)
}

async fn claim(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksWrite)?;
    changed(
        state
            .tasks
            .clone()
            .claim_task(request(pb::ClaimTaskRequest { id: task_uuid(&id)? }, &caller))
            .await,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reassign {
    /// A user id, or null/empty for nobody.
    #[serde(default)]
    assigned_to: Option<String>,
}

async fn reassign(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Reassign>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksWrite)?;
    let assigned_to = user_or("assigned_to", body.assigned_to.as_deref().unwrap_or_default(), &[])?;
    changed(
        state
            .tasks
            .clone()
            .reassign_task(request(
                pb::ReassignTaskRequest {
                    id: task_uuid(&id)?,
                    assigned_to,
                },
                &caller,
            ))
            .await,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Snooze {
    /// Unix seconds.
    until: i64,
}

async fn snooze(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Snooze>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksWrite)?;
    changed(
        state
            .tasks
            .clone()
            .snooze_task(request(
                pb::SnoozeTaskRequest {
                    id: task_uuid(&id)?,
                    until: Some(seconds("until", body.until)?),
                },
                &caller,
            ))
            .await,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cancel {
    #[serde(default)]
    reason: String,
}

async fn cancel(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Cancel>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::TasksWrite)?;
    changed(
        state
            .tasks
            .clone()
            .cancel_task(request(
                pb::CancelTaskRequest {
                    id: task_uuid(&id)?,
                    reason: body.reason,
                },
                &caller,
            ))
            .await,
    )
}
