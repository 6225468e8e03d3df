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
use serde::{Deserialize, Serialize};

use super::{text, unix_seconds};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/bookings/{id}", get(show))
        .route("/api/bookings/{id}/outcome", post(outcome))
        .route("/api/bookings/{id}/confirm", post(confirm))
        .route("/api/admin/service-types", get(service_types).put(set_service_type))
}

/// A booking as the API shows it (seed 000's shape, times as Unix seconds).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Booking {
    /// `booking_…`.
    pub id: String,
    /// `contact_…`.
    pub contact_id: String,
    /// Unix seconds.
    pub appointment_datetime: Option<i64>,
    /// Unix seconds.
    pub appointment_end_datetime: Option<i64>,
    pub service_type: String,
    pub service_name: Option<String>,
    pub status: String,
    /// Null until recorded.
    pub outcome: Option<String>,
    /// Unix seconds.
    pub outcome_recorded_at: Option<i64>,
    pub urgency_level: String,
    pub payment_status: String,
    pub first_touch_attribution: Option<String>,
    pub last_touch_attribution: Option<String>,
    pub reschedule_count: i32,
    /// Where it was booked, e.g. `wix`.
    pub provider: String,
}

/// A booking as the API shows it (seed 000's shape, times as Unix seconds).
pub fn booking_json(b: &pb::Booking) -> Result<Booking, Error> {
    Ok(Booking {
        id: BookingId::parse_uuid(&b.id)?.to_string(),
        contact_id: ContactId::parse_uuid(&b.contact_id)?.to_string(),
        appointment_datetime: unix_seconds(&b.appointment_at),
        appointment_end_datetime: unix_seconds(&b.appointment_end_at),
        service_type: b.service_type.clone(),
        service_name: text(&b.service_name),
        status: b.status.clone(),
        outcome: text(&b.outcome),
        outcome_recorded_at: unix_seconds(&b.outcome_recorded_at),
        urgency_level: b.urgency_level.clone(),
        payment_status: b.payment_status.clone(),
        first_touch_attribution: text(&b.first_touch_attribution),
        last_touch_attribution: text(&b.last_touch_attribution),
        reschedule_count: b.reschedule_count,
        provider: b.provider.clone(),
    })
}

/// One change in a booking's history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BookingChange {
    /// `created`, `confirmed`, `rescheduled`, `cancelled`, `updated` or
    /// `outcome`.
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// Unix seconds.
    pub from_appointment_datetime: Option<i64>,
    /// Unix seconds.
    pub to_appointment_datetime: Option<i64>,
    pub outcome: Option<String>,
    /// Who did it: `user_…`, `system`, or `provider:wix`.
    pub actor: String,
    /// A reason or staff notes.
    pub note: Option<String>,
    /// Unix seconds.
    pub occurred_at: Option<i64>,
}

/// A booking with its history, oldest change first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BookingDetail {
    #[serde(flatten)]
    pub booking: Booking,
    pub history: Vec<BookingChange>,
}

/// A booking after a change: `{"success": true, "booking": …}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BookingChanged {
    pub success: bool,
    pub booking: Booking,
}

impl BookingChanged {
    fn json(b: &pb::Booking) -> Result<Json<BookingChanged>, Error> {
        Ok(Json(BookingChanged {
            success: true,
            booking: booking_json(b)?,
        }))
    }
}

/// The call, carrying the caller's `Idempotency-Key` if they sent one
/// (checked there: a malformed key is refused naming it).
pub fn keyed<T>(call: tonic::Request<T>, headers: &HeaderMap) -> Result<tonic::Request<T>, Error> {
    match headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        Some(key) => with_idempotency_key(call, key),
        None => Ok(call),
    }
}

#[utoipa::path(operation_id = "bookings_show", get, path = "/api/bookings/{id}", tag = "bookings", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = BookingDetail), crate::openapi::Problems))]
async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<BookingDetail>, Problem> {
    caller.require_permission(Permission::BookingsRead)?;
    let id = BookingId::parse_public_at("id", &id)?.uuid().to_string();
    let (mut a, mut b) = (state.bookings.clone(), state.bookings.clone());
    let (found, history) = futures::join!(
        a.get_booking(request(pb::GetBookingRequest { id: id.clone() }, &caller)),
        b.get_booking_history(request(pb::GetBookingHistoryRequest { booking_id: id }, &caller)),
    );
    let found = found.into_answer("booking")?;
    let history = history.into_answer("booking")?;
    let history = history
        .changes
        .iter()
        .map(|c| BookingChange {
            kind: c.kind.clone(),
            from_status: text(&c.from_status),
            to_status: text(&c.to_status),
            from_appointment_datetime: unix_seconds(&c.from_appointment_at),
            to_appointment_datetime: unix_seconds(&c.to_appointment_at),
            outcome: text(&c.outcome),
            actor: c.actor.clone(),
            note: text(&c.note),
            occurred_at: unix_seconds(&c.occurred_at),
        })
        .collect();
    Ok(Json(BookingDetail {
        booking: booking_json(&found)?,
        history,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Outcome {
    outcome: String,
    #[serde(default)]
    notes: String,
}

#[utoipa::path(operation_id = "bookings_outcome", post, path = "/api/bookings/{id}/outcome", tag = "bookings", params(("id" = String, Path, description = "id")), request_body = Outcome, responses((status = 200, description = "OK", body = BookingChanged), crate::openapi::Problems))]
async fn outcome(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Outcome>,
) -> Result<Json<BookingChanged>, Problem> {
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
    Ok(BookingChanged::json(&booking)?)
}

/// `POST /api/bookings/{id}/confirm`: the patient confirmed (staff took
/// the call); a confirmed booking stays as it is, a cancelled or begun one
/// is a 409.
#[utoipa::path(operation_id = "bookings_confirm", post, path = "/api/bookings/{id}/confirm", tag = "bookings", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = BookingChanged), crate::openapi::Problems))]
async fn confirm(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
) -> Result<Json<BookingChanged>, Problem> {
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
    Ok(BookingChanged::json(&booking)?)
}

/// How a provider's service maps to one of the organisation's service types.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceTypeMapping {
    /// e.g. `wix`.
    pub provider: String,
    /// The provider's id for the service.
    pub external_service_id: String,
    pub service_type: String,
    pub urgency_level: String,
    /// Months until a recall; 0: the default (6 months for high_risk, 12
    /// for the rest).
    pub recall_months: i32,
}

/// The organisation's service-type mappings.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceTypes {
    pub service_types: Vec<ServiceTypeMapping>,
}

fn mapping_json(m: &pb::ServiceTypeMapping) -> ServiceTypeMapping {
    ServiceTypeMapping {
        provider: m.provider.clone(),
        external_service_id: m.external_service_id.clone(),
        service_type: m.service_type.clone(),
        urgency_level: m.urgency_level.clone(),
        recall_months: m.recall_months,
    }
}

#[utoipa::path(operation_id = "bookings_service_types", get, path = "/api/admin/service-types", tag = "bookings", responses((status = 200, description = "OK", body = ServiceTypes), crate::openapi::Problems))]
async fn service_types(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<ServiceTypes>, Problem> {
    caller.require_permission(Permission::BookingsRead)?;
    let list = state
        .bookings
        .clone()
        .list_service_types(request(pb::ListServiceTypesRequest {}, &caller))
        .await
        .into_answer("booking")?;
    Ok(Json(ServiceTypes {
        service_types: list.mappings.iter().map(mapping_json).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
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

#[utoipa::path(operation_id = "bookings_set_service_type", put, path = "/api/admin/service-types", tag = "bookings", request_body = Mapping, responses((status = 200, description = "OK", body = ServiceTypeMapping), crate::openapi::Problems))]
async fn set_service_type(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    JsonBody(m): JsonBody<Mapping>,
) -> Result<Json<ServiceTypeMapping>, Problem> {
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

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(show, outcome, confirm, service_types, set_service_type))]
pub struct Api;
