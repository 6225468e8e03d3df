//! `/api/contacts/{id}/recall`: when a patient is due back. Read the open
//! recall, set one (replacing it), close it.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem};
use attend_kit::ids::{BookingId, ContactId, RecallId, TypedId};
use attend_proto::booking::v1 as pb;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::bookings::keyed;
use super::unix;
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/contacts/{id}/recall", get(show).put(set))
        .route("/api/contacts/{id}/recall/close", post(close))
}

fn recall_json(r: &pb::Recall) -> Result<Value, Error> {
    let booking = match r.booking_id.as_str() {
        "" => Value::Null,
        id => json!(BookingId::parse_uuid(id)?.to_string()),
    };
    Ok(json!({
        "id": RecallId::parse_uuid(&r.id)?.to_string(),
        "contact_id": ContactId::parse_uuid(&r.contact_id)?.to_string(),
        "booking_id": booking,
        "due_on": r.due_on,
        "reason": if r.reason.is_empty() { Value::Null } else { json!(r.reason) },
        "months": r.months,
        "status": r.status,
        "created_at": unix(&r.created_at),
        "closed_at": unix(&r.closed_at),
    }))
}

/// `GET /api/contacts/{id}/recall`: the open recall.
async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::BookingsRead)?;
    let contact = ContactId::parse_public_at("id", &id)?;
    let recall = state
        .bookings
        .clone()
        .get_recall(request(
            pb::GetRecallRequest {
                contact_id: contact.uuid().to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("booking")?;
    Ok(Json(json!({ "recall": recall_json(&recall)? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Setting {
    /// YYYY-MM-DD, the organisation's local date.
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    reason: String,
    /// Months since the visit, for the recall text; absent: 12.
    #[serde(default)]
    months: i32,
}

/// `PUT /api/contacts/{id}/recall`: sets the contact's recall, replacing
/// the open one.
async fn set(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Setting>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::BookingsWrite)?;
    let contact = ContactId::parse_public_at("id", &id)?;
    let call = keyed(
        request(
            pb::SetRecallRequest {
                contact_id: contact.uuid().to_string(),
                booking_id: String::new(),
                due_on: body.due_on,
                reason: body.reason,
                months: body.months,
            },
            &caller,
        ),
        &headers,
    )?;
    let recall = state.bookings.clone().set_recall(call).await.into_answer("booking")?;
    Ok(Json(json!({ "success": true, "recall": recall_json(&recall)? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Closing {
    /// booked or closed.
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

/// `POST /api/contacts/{id}/recall/close`: closes the open recall (404
/// when there is none; a retry with the same `Idempotency-Key` replays).
async fn close(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Closing>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::BookingsWrite)?;
    let contact = ContactId::parse_public_at("id", &id)?;
    let call = keyed(
        request(
            pb::CloseRecallRequest {
                recall_id: String::new(),
                status: body.status,
                note: body.note,
                contact_id: contact.uuid().to_string(),
            },
            &caller,
        ),
        &headers,
    )?;
    let recall = state.bookings.clone().close_recall(call).await.into_answer("booking")?;
    Ok(Json(json!({ "success": true, "recall": recall_json(&recall)? })))
}
