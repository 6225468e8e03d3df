//! `/api/bookings/*` (read, record the outcome, confirm) and the
//! organisation's service types.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{request, with_idempotency_key};
use attend_kit::http::{JsonBody, PathParam, Problem};
use attend_kit::ids::{BookingId, ContactId, TypedId};
use attend_proto::booking::v1 as pb;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::unix;
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/bookings/{id}", get(show))
        .route("/api/bookings/{id}/outcome", post(outcome))
        .route("/api/bookings/{id}/confirm", post(confirm))
        .route("/api/admin/service-types", get(service_types).put(set_service_type))
}

fn empty_to_null(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

/// A booking as the API shows it (seed 000's shape, times as Unix seconds).
pub fn booking_json(b: &pb::Booking) -> Result<Value, Error> {
    Ok(json!({
        "id": BookingId::parse_uuid(&b.id)?.to_string(),
        "contact_id": ContactId::parse_uuid(&b.contact_id)?.to_string(),
        "appointment_datetime": unix(&b.appointment_at),
        "appointment_end_datetime": unix(&b.appointment_end_at),
        "service_type": b.service_type,
        "service_name": empty_to_null(&b.service_name),
        "status": b.status,
        "outcome": empty_to_null(&b.outcome),
        "outcome_recorded_at": unix(&b.outcome_recorded_at),
        "urgency_level": b.urgency_level,
        "payment_status": b.payment_status,
        "first_touch_attribution": empty_to_null(&b.first_touch_attribution),
        "last_touch_attribution": empty_to_null(&b.last_touch_attribution),
        "reschedule_count": b.reschedule_count,
        "provider": b.provider,
    }))
}

/// The call, carrying the caller's `Idempotency-Key` if they sent one
/// (checked there: a malformed key is refused naming it).
pub fn keyed<T>(call: tonic::Request<T>, headers: &HeaderMap) -> Result<tonic::Request<T>, Error> {
    match headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        Some(key) => with_idempotency_key(call, key),
        None => Ok(call),
    }
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::BookingsRead)?;
    let id = BookingId::parse_public_at("id", &id)?.uuid().to_string();
    let (mut a, mut b) = (state.bookings.clone(), state.bookings.clone());
    let (found, history) = futures::join!(
        a.get_booking(request(pb::GetBookingRequest { id: id.clone() }, &caller)),
        b.get_booking_history(request(pb::GetBookingHistoryRequest { booking_id: id }, &caller)),
    );
    let found = found.into_answer("booking")?;
    let history = history.into_answer("booking")?;
    let mut body = booking_json(&found)?;
    body["history"] = history
        .changes
        .iter()
        .map(|c| {
            json!({
                "kind": c.kind,
                "from_status": empty_to_null(&c.from_status),
                "to_status": empty_to_null(&c.to_status),
                "from_appointment_datetime": unix(&c.from_appointment_at),
                "to_appointment_datetime": unix(&c.to_appointment_at),
                "outcome": empty_to_null(&c.outcome),
                "actor": c.actor,
                "note": empty_to_null(&c.note),
                "occurred_at": unix(&c.occurred_at),
            })
        })
        .collect::<Vec<_>>()
        .into();
    Ok(Json(body))
}

#[derive(Deserialize)]
struct Outcome {
    outcome: String,
    #[serde(default)]
    notes: String,
}

async fn outcome(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Outcome>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::BookingsWrite)?;
    let id = BookingId::parse_public_at("id", &id)?;
    let call = keyed(
        request(
            pb::RecordOutcomeRequest {
                booking_id: id.uuid().to_string(),
                outcome: body.outcome,
                notes: body.notes,
            },
            &caller,
        ),
        &headers,
    )?;
    let booking = state
        .bookings
        .clone()
        .record_outcome(call)
        .await
        .into_answer("booking")?;
    Ok(Json(json!({ "success": true, "booking": booking_json(&booking)? })))
}

/// `POST /api/bookings/{id}/confirm`: the patient confirmed (staff took
/// the call); a confirmed booking stays as it is, a cancelled or begun one
/// is a 409.
async fn confirm(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::BookingsWrite)?;
    let id = BookingId::parse_public_at("id", &id)?;
    let call = keyed(
        request(
            pb::ConfirmBookingRequest {
                booking_id: id.uuid().to_string(),
                note: String::new(),
            },
            &caller,
        ),
        &headers,
    )?;
    let booking = state
        .bookings
        .clone()
        .confirm_booking(call)
        .await
        .into_answer("booking")?;
    Ok(Json(json!({ "success": true, "booking": booking_json(&booking)? })))
}

fn mapping_json(m: &pb::ServiceTypeMapping) -> Value {
    json!({
        "provider": m.provider,
        "external_service_id": m.external_service_id,
        "service_type": m.service_type,
        "urgency_level": m.urgency_level,
        // 0: the default (6 months for high_risk, 12 for the rest).
        "recall_months": m.recall_months,
    })
}

async fn service_types(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::BookingsRead)?;
    let list = state
        .bookings
        .clone()
        .list_service_types(request(pb::ListServiceTypesRequest {}, &caller))
        .await
        .into_answer("booking")?;
    Ok(Json(
        json!({ "service_types": list.mappings.iter().map(mapping_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
struct Mapping {
    #[serde(default = "wix")]
    provider: String,
    external_service_id: String,
    service_type: String,
    #[serde(default)]
    urgency_level: String,
    #[serde(default)]
    recall_months: i32,
}

fn wix() -> String {
    "wix".to_owned()
}

async fn set_service_type(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    JsonBody(m): JsonBody<Mapping>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let saved = state
        .bookings
        .clone()
        .set_service_type(request(
            pb::SetServiceTypeRequest {
                mapping: Some(pb::ServiceTypeMapping {
                    provider: m.provider,
                    external_service_id: m.external_service_id,
                    service_type: m.service_type,
                    urgency_level: m.urgency_level,
                    recall_months: m.recall_months,
                }),
            },
            &caller,
        ))
        .await
        .into_answer("booking")?;
    Ok(Json(mapping_json(&saved)))
}
