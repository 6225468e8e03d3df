//! `GET /api/contacts/{id}` and `GET /api/contacts?phone=...`, in seed
//! 000's response shapes (times as Unix seconds).

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::Problem;
use attend_kit::ids::{ContactId, TaskId, TouchpointId, TypedId};
use attend_proto::automation::v1 as automation;
use attend_proto::booking::v1 as booking;
use attend_proto::contact::v1 as contact;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::unix;
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/contacts", get(find))
        .route("/api/contacts/{id}", get(show))
}

fn public<T: TypedId + std::fmt::Display>(uuid: &str) -> Result<String, Error> {
    Ok(T::parse_uuid(uuid)?.to_string())
}

fn empty_to_null(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

/// HOT/WARM/COOL, as seed 000 maps warmness.
pub fn warmness_label(score: i32) -> &'static str {
    match score {
        70.. => "HOT",
        40..=69 => "WARM",
        _ => "COOL",
    }
}

fn contact_json(c: &contact::Contact) -> Result<Value, Error> {
    Ok(json!({
        "id": public::<ContactId>(&c.id)?,
        "name": c.name,
        "phone": empty_to_null(&c.phone),
        "email": empty_to_null(&c.email),
        "source": c.source,
        "current_pipeline": c.current_pipeline,
        "current_stage": c.current_stage,
        "warmness_score": c.warmness_score,
        "warmness_label": warmness_label(c.warmness_score),
        "is_existing_patient": c.is_existing_patient,
        "created_at": unix(&c.created_at),
    }))
}

fn touchpoint_json(t: &contact::Touchpoint) -> Result<Value, Error> {
    let details: Value = serde_json::from_str(&t.details_json).unwrap_or_else(|_| json!({}));
    Ok(json!({
        "id": public::<TouchpointId>(&t.id)?,
        "timestamp": unix(&t.occurred_at),
        "type": t.r#type,
        "source": t.source,
        "channel": empty_to_null(&t.channel),
        "details": details,
    }))
}

fn task_json(t: &automation::Task) -> Result<Value, Error> {
    Ok(json!({
        "id": public::<TaskId>(&t.id)?,
        "type": t.r#type,
        "status": t.status,
        "priority_score": t.priority_score,
        "due_datetime": unix(&t.due_at),
        "completed_at": unix(&t.completed_at),
    }))
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsRead)?;
    let id: ContactId = id
        .parse()
        .map_err(|e: attend_kit::ids::IdError| Error::invalid("id", e.to_string()))?;
    let uuid = id.uuid().to_string();
    // Tonic clients are cheap handles; each concurrent call needs its own.
    let (mut contacts, mut timeline, mut bookings, mut tasks) = (
        state.contacts.clone(),
        state.contacts.clone(),
        state.bookings.clone(),
        state.tasks.clone(),
    );
    let (found, touchpoints, bookings, tasks) = futures::join!(
        contacts.get_contact(request(contact::GetContactRequest { id: uuid.clone() }, &caller)),
        timeline.list_touchpoints(request(
            contact::ListTouchpointsRequest {
                contact_id: uuid.clone(),
                limit: 100,
            },
            &caller
        )),
        bookings.list_bookings(request(
            booking::ListBookingsRequest {
                contact_id: uuid.clone()
            },
            &caller
        )),
        tasks.list_tasks(request(automation::ListTasksRequest { contact_id: uuid }, &caller)),
    );
    let found = found.into_answer("contact")?;
    let touchpoints = touchpoints.into_answer("contact")?;
    let bookings = bookings.into_answer("booking")?;
    let tasks = tasks.into_answer("automation")?;
    Ok(Json(json!({
        "contact": contact_json(&found)?,
        "bookings": bookings.bookings.iter().map(super::bookings::booking_json).collect::<Result<Vec<_>, _>>()?,
        "touchpoints": touchpoints.touchpoints.iter().map(touchpoint_json).collect::<Result<Vec<_>, _>>()?,
        "tasks": tasks.tasks.iter().map(task_json).collect::<Result<Vec<_>, _>>()?,
    })))
}

#[derive(Deserialize)]
struct FindQuery {
    phone: Option<String>,
    email: Option<String>,
}

async fn find(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    query: Result<Query<FindQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsRead)?;
    let Query(q) = query.map_err(super::bad_query)?;
    let found = state
        .contacts
        .clone()
        .find_contacts(request(
            contact::FindContactsRequest {
                phone: q.phone.unwrap_or_default(),
                email: q.email.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("contact")?;
    Ok(Json(json!({
        "contacts": found.contacts.iter().map(contact_json).collect::<Result<Vec<_>, _>>()?,
    })))
}

#[cfg(test)]
mod tests {
    use super::warmness_label;

    #[test]
    fn warmness_labels_follow_the_seed_thresholds() {
        assert_eq!(warmness_label(100), "HOT");
        assert_eq!(warmness_label(70), "HOT");
        assert_eq!(warmness_label(69), "WARM");
        assert_eq!(warmness_label(40), "WARM");
        assert_eq!(warmness_label(39), "COOL");
        assert_eq!(warmness_label(0), "COOL");
    }
}
