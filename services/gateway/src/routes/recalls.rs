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
use serde::{Deserialize, Serialize};

use super::bookings::keyed;
use super::{public_id, text, unix_seconds};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/contacts/{id}/recall", get(show).put(set))
        .route("/api/contacts/{id}/recall/close", post(close))
}

/// When a patient is due back.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Recall {
    /// `recall_…`.
    pub id: String,
    /// `contact_…`.
    pub contact_id: String,
    /// `booking_…`: the visit it follows, if any.
    pub booking_id: Option<String>,
    /// `YYYY-MM-DD`, the organisation's local date.
    pub due_on: String,
    /// `high_risk`, `routine`, `procedure_followup`, … (the service type it
    /// came from).
    pub reason: Option<String>,
    /// Months after the visit: 6, 12, or the service type's own.
    pub months: i32,
    /// `open`, `booked` or `closed`.
    pub status: String,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// Unix seconds; null while open.
    pub closed_at: Option<i64>,
}

fn recall_json(r: &pb::Recall) -> Result<Recall, Error> {
    Ok(Recall {
        id: RecallId::parse_uuid(&r.id)?.to_string(),
        contact_id: ContactId::parse_uuid(&r.contact_id)?.to_string(),
        booking_id: public_id::<BookingId>(&r.booking_id)?,
        due_on: r.due_on.clone(),
        reason: text(&r.reason),
        months: r.months,
        status: r.status.clone(),
        created_at: unix_seconds(&r.created_at),
        closed_at: unix_seconds(&r.closed_at),
    })
}

/// A contact's open recall.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneRecall {
    pub recall: Recall,
}

/// A recall after a change: `{"success": true, "recall": …}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RecallChanged {
    pub success: bool,
    pub recall: Recall,
}

fn changed(r: &pb::Recall) -> Result<Json<RecallChanged>, Error> {
    Ok(Json(RecallChanged {
        success: true,
        recall: recall_json(r)?,
    }))
}

/// `GET /api/contacts/{id}/recall`: the open recall.
#[utoipa::path(operation_id = "recalls_show", get, path = "/api/contacts/{id}/recall", tag = "recalls", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = OneRecall), crate::openapi::Problems))]
async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<OneRecall>, Problem> {
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
    Ok(Json(OneRecall {
        recall: recall_json(&recall)?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
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
#[utoipa::path(operation_id = "recalls_set", put, path = "/api/contacts/{id}/recall", tag = "recalls", params(("id" = String, Path, description = "id")), request_body = Setting, responses((status = 200, description = "OK", body = RecallChanged), crate::openapi::Problems))]
async fn set(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Setting>,
) -> Result<Json<RecallChanged>, Problem> {
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
    Ok(changed(&recall)?)
}

#[derive(Deserialize, utoipa::ToSchema)]
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
#[utoipa::path(operation_id = "recalls_close", post, path = "/api/contacts/{id}/recall/close", tag = "recalls", params(("id" = String, Path, description = "id")), request_body = Closing, responses((status = 200, description = "OK", body = RecallChanged), crate::openapi::Problems))]
async fn close(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Closing>,
) -> Result<Json<RecallChanged>, Problem> {
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
    Ok(changed(&recall)?)
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(show, set, close))]
pub struct Api;
