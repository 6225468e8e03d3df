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
use serde::{Deserialize, Serialize};

use super::bookings::keyed;
use super::{public_id, text, unix_seconds};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tasks", get(queue).post(create))
        .route("/api/tasks/assignees", get(assignees))
        .route("/api/tasks/{id}", get(show))
        .route("/api/tasks/{id}/complete", post(complete))
        .route("/api/tasks/{id}/claim", post(claim))
        .route("/api/tasks/{id}/reassign", post(reassign))
        .route("/api/tasks/{id}/snooze", post(snooze))
        .route("/api/tasks/{id}/cancel", post(cancel))
}

/// Who a task is about.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskContact {
    /// `contact_…`.
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmness_score: Option<i32>,
}

/// The booking a task is about.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskBooking {
    /// `booking_…`.
    pub id: Option<String>,
    /// Unix seconds.
    pub appointment_datetime: Option<i64>,
    pub urgency_level: Option<String>,
    pub status: String,
}

/// A task as spec 000 shows it: the contact and booking it is about, its
/// priority as of now, times as Unix seconds.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Task {
    /// `task_…`.
    pub id: Option<String>,
    /// `call`, `welcome_call`, `rescue_call`, `confirmation_call`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub contact: TaskContact,
    pub booking: Option<TaskBooking>,
    /// Spec 000's formula, as of the moment it was read.
    pub priority_score: i32,
    /// `URGENT`, `HIGH`, `MEDIUM` or `LOW`.
    pub priority_category: String,
    /// A rule's hint: `urgent`, `high`, `medium`, `low`.
    pub priority_hint: Option<String>,
    /// Unix seconds.
    pub due_datetime: Option<i64>,
    /// `todo`, `in_progress`, `completed`, `cancelled`.
    pub status: String,
    pub notes: String,
    /// `user_…`; absent when unassigned.
    pub assigned_to: Option<String>,
    pub created_by: String,
    pub created_at: Option<i64>,
    pub completed_at: Option<i64>,
    /// `success`, `no_answer`, … as the person completing it said.
    pub outcome: Option<String>,
    pub rule_id: Option<String>,
    pub rule_version: Option<i32>,
    pub run_id: Option<String>,
}

/// A task as spec 000 shows it.
pub fn task_json(t: &pb::Task) -> Result<Task, Error> {
    let contact = match &t.contact {
        Some(c) => TaskContact {
            id: public_id::<ContactId>(&c.id)?,
            name: Some(c.name.clone()),
            phone: text(&c.phone),
            warmness_score: Some(c.warmness_score),
        },
        None => TaskContact {
            id: public_id::<ContactId>(&t.contact_id)?,
            name: None,
            phone: None,
            warmness_score: None,
        },
    };
    let booking = match &t.booking {
        Some(b) => Some(TaskBooking {
            id: public_id::<BookingId>(&b.id)?,
            appointment_datetime: unix_seconds(&b.appointment_at),
            urgency_level: text(&b.urgency_level),
            status: b.status.clone(),
        }),
        None => None,
    };
    Ok(Task {
        id: public_id::<TaskId>(&t.id)?,
        kind: t.r#type.clone(),
        contact,
        booking,
        priority_score: t.priority_score,
        priority_category: t.priority_category.clone(),
        priority_hint: text(&t.priority_hint),
        due_datetime: unix_seconds(&t.due_at),
        status: t.status.clone(),
        notes: t.notes.clone(),
        assigned_to: public_id::<UserId>(&t.assigned_to)?,
        created_by: t.created_by.clone(),
        created_at: unix_seconds(&t.created_at),
        completed_at: unix_seconds(&t.completed_at),
        outcome: text(&t.outcome),
        rule_id: text(&t.rule_id),
        rule_version: (t.rule_version > 0).then_some(t.rule_version),
        run_id: text(&t.run_id),
    })
}

/// Spec 000's answer to a change: `{"success": true, "task": …}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskChanged {
    pub success: bool,
    pub task: Task,
}

/// One task.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneTask {
    pub task: Task,
}

/// How many of the caller's open tasks are overdue, due today, and later.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskCounts {
    pub overdue: u32,
    pub today: u32,
    pub upcoming: u32,
}

/// A page of the queue, highest priority first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskQueue {
    pub tasks: Vec<Task>,
    pub counts: TaskCounts,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn changed(answer: Result<tonic::Response<pb::Task>, tonic::Status>) -> Result<Json<TaskChanged>, Problem> {
    let task = answer.into_answer("automation")?;
    Ok(Json(TaskChanged {
        success: true,
        task: task_json(&task)?,
    }))
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Queue {
    /// A user id, `me`, `all` or `unassigned`; default: the caller.
    assigned_to: Option<String>,
    status: Option<String>,
    timeframe: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(operation_id = "tasks_queue", get, path = "/api/tasks", tag = "tasks", params(Queue), responses((status = 200, description = "OK", body = TaskQueue), crate::openapi::Problems))]
async fn queue(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<Queue>,
) -> Result<Json<TaskQueue>, Problem> {
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
    Ok(Json(TaskQueue {
        tasks: found.tasks.iter().map(task_json).collect::<Result<Vec<_>, _>>()?,
        counts: TaskCounts {
            overdue: counts.overdue,
            today: counts.today,
            upcoming: counts.upcoming,
        },
        next_cursor: text(&found.next_cursor),
    }))
}

#[utoipa::path(operation_id = "tasks_show", get, path = "/api/tasks/{id}", tag = "tasks", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = OneTask), crate::openapi::Problems))]
async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<OneTask>, Problem> {
    caller.require_permission(Permission::TasksRead)?;
    let task = state
        .tasks
        .clone()
        .get_task(request(pb::GetTaskRequest { id: task_uuid(&id)? }, &caller))
        .await
        .into_answer("automation")?;
    Ok(Json(OneTask {
        task: task_json(&task)?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
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

#[utoipa::path(operation_id = "tasks_create", post, path = "/api/tasks", tag = "tasks", request_body = Create, responses((status = 201, description = "OK", body = TaskChanged), crate::openapi::Problems))]
async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Create>,
) -> Result<(StatusCode, Json<TaskChanged>), Problem> {
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
        Json(TaskChanged {
            success: true,
            task: task_json(&task)?,
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Complete {
    #[serde(default)]
    notes: String,
    #[serde(default)]
    outcome: String,
}

#[utoipa::path(operation_id = "tasks_complete", post, path = "/api/tasks/{id}/complete", tag = "tasks", params(("id" = String, Path, description = "id")), request_body = Complete, responses((status = 200, description = "OK", body = TaskChanged), crate::openapi::Problems))]
async fn complete(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Complete>,
) -> Result<Json<TaskChanged>, Problem> {
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

#[utoipa::path(operation_id = "tasks_claim", post, path = "/api/tasks/{id}/claim", tag = "tasks", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = TaskChanged), crate::openapi::Problems))]
async fn claim(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<TaskChanged>, Problem> {
    caller.require_permission(Permission::TasksWrite)?;
    changed(
        state
            .tasks
            .clone()
            .claim_task(request(pb::ClaimTaskRequest { id: task_uuid(&id)? }, &caller))
            .await,
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Reassign {
    /// A user id, or null/empty for nobody.
    #[serde(default)]
    assigned_to: Option<String>,
}

#[utoipa::path(operation_id = "tasks_reassign", post, path = "/api/tasks/{id}/reassign", tag = "tasks", params(("id" = String, Path, description = "id")), request_body = Reassign, responses((status = 200, description = "OK", body = TaskChanged), crate::openapi::Problems))]
async fn reassign(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Reassign>,
) -> Result<Json<TaskChanged>, Problem> {
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Snooze {
    /// Unix seconds.
    until: i64,
}

#[utoipa::path(operation_id = "tasks_snooze", post, path = "/api/tasks/{id}/snooze", tag = "tasks", params(("id" = String, Path, description = "id")), request_body = Snooze, responses((status = 200, description = "OK", body = TaskChanged), crate::openapi::Problems))]
async fn snooze(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Snooze>,
) -> Result<Json<TaskChanged>, Problem> {
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Cancel {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(operation_id = "tasks_cancel", post, path = "/api/tasks/{id}/cancel", tag = "tasks", params(("id" = String, Path, description = "id")), request_body = Cancel, responses((status = 200, description = "OK", body = TaskChanged), crate::openapi::Problems))]
async fn cancel(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Cancel>,
) -> Result<Json<TaskChanged>, Problem> {
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

/// This module's routes in the OpenAPI document.
/// Somebody a task can go to.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Assignee {
    /// `user_…`.
    pub id: String,
    pub name: String,
    /// `admin` or `staff`.
    pub role: String,
}

/// The organisation's active practice staff, by name.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Assignees {
    pub assignees: Vec<Assignee>,
}

/// Who a task can be reassigned to: the organisation's active admins and
/// staff (names and roles only), for anyone who may change tasks.
#[utoipa::path(operation_id = "tasks_assignees", get, path = "/api/tasks/assignees", tag = "tasks", responses((status = 200, description = "OK", body = Assignees), crate::openapi::Problems))]
async fn assignees(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Assignees>, Problem> {
    caller.require_permission(Permission::TasksWrite)?;
    let list = state
        .identity
        .clone()
        .list_assignees(request(attend_proto::identity::v1::ListAssigneesRequest {}, &caller))
        .await
        .into_answer("identity")?;
    let mut assignees = list
        .users
        .iter()
        .map(|u| {
            Ok(Assignee {
                id: UserId::parse_uuid(&u.id)?.to_string(),
                name: u.name.clone(),
                role: u.role.clone(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    assignees.sort_by_key(|a| a.name.to_lowercase());
    Ok(Json(Assignees { assignees }))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(queue, create, show, complete, claim, reassign, snooze, cancel, assignees))]
pub struct Api;
