//! The public webhook endpoints.
//!
//! Each delivery is verified with its provider's real scheme, parsed,
//! routed to its organisation, then in one transaction appended raw to the
//! event log (deduplicated on the provider's event id) together with the
//! normalised event in the outbox; the answer goes back as soon as that
//! commits. Everything after is asynchronous. A refusal answers with a
//! problem naming the field or header at fault and is recorded, with the
//! body, in `rejected_deliveries`; nothing else is stored.

use std::sync::Arc;

use attend_kit::bus::outbox::Outbox;
use attend_kit::bus::{Draft, timestamp};
use attend_kit::contact_point::{Email, Phone, Region};
use attend_kit::db::Db;
use attend_kit::http::Problem;
use attend_kit::ids::{BookingId, EventId, TypedId};
use attend_kit::orgs::{Directory, Org};
use attend_kit::{Error, FieldError};
use attend_proto::ingest::v1::{Customer, ExternalBookingReceived};
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use crate::signature::{SignatureError, WebhookSecret, WixKey, looks_like_jwt};
use crate::store::{self, Appended, LogEntry, Rejected};
use crate::wix::{self, Notice};

/// Largest webhook body accepted.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Everything the endpoints need.
pub struct Edge {
    pub db: Db,
    pub outbox: Outbox,
    pub orgs: Directory,
    pub wix_key: Option<WixKey>,
    pub webhook_secret: Option<WebhookSecret>,
}

/// The public router (webhooks); the runtime adds ops routes and observation.
pub fn router(edge: Arc<Edge>) -> Router {
    Router::new()
        .route("/webhooks/wix/bookings", post(wix_bookings))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(edge)
}

/// Why a delivery was refused.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
}

impl Rejection {
    fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    fn malformed(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "malformed_body",
            detail,
            errors,
        }
    }

    fn field(code: &'static str, field: &str, reason: impl Into<String>) -> Self {
        Self::malformed(vec![FieldError::new(field, reason)]).with_code(code)
    }

    fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// We can't verify this kind of delivery until an operator configures
    /// it; 503 so the provider retries and nothing is lost meanwhile.
    fn not_configured(var: &str, what: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            format!("{what} can't be verified: {var} is not set on this server"),
        )
    }

    fn into_problem(self) -> Problem {
        let mut problem = Problem::new(self.status, self.code, self.detail);
        problem.errors = self.errors;
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            problem = problem.with_header(http::header::RETRY_AFTER, "30");
        }
        problem
    }
}

impl From<SignatureError> for Rejection {
    fn from(e: SignatureError) -> Self {
        Self::new(e.status(), e.code(), e.to_string())
    }
}

/// A delivery we took.
#[derive(Debug)]
struct Accepted {
    event_id: EventId,
    booking_id: Option<BookingId>,
    handled: bool,
    duplicate: bool,
}

async fn wix_bookings(State(edge): State<Arc<Edge>>, headers: HeaderMap, body: Bytes) -> Response {
    const ENDPOINT: &str = "/webhooks/wix/bookings";
    match edge.accept_wix_booking(ENDPOINT, &headers, &body).await {
        Ok(accepted) => {
            let outcome = if accepted.duplicate { "duplicate" } else { "accepted" };
            metrics::counter!("webhooks_received_total", "provider" => "wix", "outcome" => outcome).increment(1);
            let mut answer = json!({
                "success": true,
                "eventId": accepted.event_id.to_string(),
                "handled": accepted.handled,
                "duplicate": accepted.duplicate,
            });
            if let Some(booking) = accepted.booking_id {
                answer["bookingId"] = json!(booking.to_string());
            }
            (StatusCode::OK, Json(answer)).into_response()
        }
        Err(rejection) => {
            metrics::counter!("webhooks_received_total", "provider" => "wix", "outcome" => "rejected").increment(1);
            edge.record(ENDPOINT, "wix", &rejection, &headers, &body).await;
            rejection.into_problem().into_response()
        }
    }
}

/// Request headers worth keeping, without credentials.
fn kept_headers(headers: &HeaderMap) -> Map<String, Value> {
    headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "authorization" | "proxy-authorization" | "cookie"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            )
        })
        .collect()
}

impl Edge {
    async fn record(&self, endpoint: &str, provider: &str, rejection: &Rejection, headers: &HeaderMap, body: &[u8]) {
        tracing::warn!(provider, endpoint, code = rejection.code, reason = %rejection.detail, "webhook refused");
        let r = Rejected {
            provider,
            endpoint,
            reason_code: rejection.code,
            reason: &rejection.detail,
            http_status: rejection.status.as_u16(),
            headers: &kept_headers(headers),
            body,
        };
        if let Err(e) = store::record_rejection(self.db.pool(), &r).await {
            tracing::error!(error = %e, "cannot record a refused webhook");
        }
    }

    /// Verifies and parses a Wix booking delivery in either accepted form.
    fn verify_wix(&self, headers: &HeaderMap, body: &[u8]) -> Result<Notice, Rejection> {
        let now = chrono::Utc::now().timestamp();
        if headers.contains_key("webhook-signature") {
            let secret = self
                .webhook_secret
                .as_ref()
                .ok_or_else(|| Rejection::not_configured("ATTEND_WEBHOOK_SECRET", "a Standard Webhooks delivery"))?;
            let delivery_id = secret.verify(headers, body, now)?;
            return wix::from_seed_json(body, &delivery_id).map_err(Rejection::malformed);
        }
        if looks_like_jwt(body) {
            let key = self
                .wix_key
                .as_ref()
                .ok_or_else(|| Rejection::not_configured("ATTEND_WIX_PUBLIC_KEY", "a Wix JWT delivery"))?;
            // looks_like_jwt checked the body is ASCII.
            let token = std::str::from_utf8(body).unwrap_or_default().trim();
            let claims = key.verify(token)?;
            return wix::from_wix_claims(&claims).map_err(Rejection::malformed);
        }
        if serde_json::from_slice::<Value>(body).is_ok_and(|v| v.is_object()) {
            return Err(Rejection::new(
                StatusCode::UNAUTHORIZED,
                "missing_signature",
                "a JSON body must be signed with the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature",
            ));
        }
        Err(Rejection::field(
            "malformed_body",
            "body",
            "must be a Wix JWT, or a JSON object signed with Standard Webhooks headers",
        ))
    }

    async fn organisation(&self, instance_id: Option<&str>) -> Result<Org, Rejection> {
        let found = match instance_id {
            Some(id) => self.orgs.resolve("wix", id).await,
            None => self.orgs.resolve("", "").await,
        };
        found.map_err(|e| match e {
            Error::NotFound(_) => match instance_id {
                Some(id) => Rejection::field(
                    "unknown_organisation",
                    "instanceId",
                    format!("no organisation is linked to Wix instance {id:?}"),
                ),
                None => Rejection::field("unknown_organisation", "instanceId", "no organisation exists yet"),
            },
            Error::Conflict(_) => Rejection::field(
                "unknown_organisation",
                "instanceId",
                "is required: several organisations exist, so the delivery must say which Wix instance it is from",
            ),
            other => {
                tracing::warn!(error = %other, "cannot resolve the organisation of a webhook");
                Rejection::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the organisation directory is unavailable; retry shortly",
                )
            }
        })
    }

    async fn accept_wix_booking(
        &self,
        endpoint: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Accepted, Rejection> {
        let notice = self.verify_wix(headers, body)?;
        let org = self.organisation(notice.instance_id.as_deref()).await?;

        // Parse the customer with the organisation's region before storing anything.
        let booking = match &notice.booking {
            Some((action, b)) => {
                let customer = match &b.customer {
                    Some(c) => Some(customer(c, org.phone_region)?),
                    None => None,
                };
                Some((*action, b, customer))
            }
            None => None,
        };

        let unavailable = |e: sqlx::Error| {
            tracing::error!(error = %e, "cannot store a webhook");
            Rejection::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the delivery could not be stored; retry shortly",
            )
        };
        let mut tx = self.db.tenant(org.id).await.map_err(unavailable)?;
        let event_id = EventId::new();
        let mut subject_ids = Map::new();
        let booking_id = match &booking {
            Some((_, b, _)) => {
                let id = store::our_id(
                    &mut tx,
                    org.id,
                    "wix",
                    "booking",
                    &b.external_booking_id,
                    BookingId::new().uuid(),
                )
                .await
                .map_err(unavailable)?;
                subject_ids.insert("booking_id".to_owned(), json!(id.to_string()));
                Some(BookingId::from(id))
            }
            None => None,
        };
        let appended = store::append(
            &mut tx,
            org.id,
            &LogEntry {
                id: event_id.uuid(),
                provider: "wix",
                delivery_id: &notice.delivery_id,
                event_type: &notice.event_type,
                endpoint,
                headers: &kept_headers(headers),
                body,
                subject_ids: &subject_ids,
                published: booking.is_some(),
            },
        )
        .await
        .map_err(unavailable)?;
        if let Appended::Duplicate { id, subject_ids } = appended {
            tx.rollback().await.map_err(unavailable)?;
            let booking_id = subject_ids
                .get("booking_id")
                .and_then(Value::as_str)
                .and_then(|s| BookingId::parse_uuid(s).ok());
            return Ok(Accepted {
                event_id: EventId::from(id),
                handled: booking_id.is_some(),
                booking_id,
                duplicate: true,
            });
        }
        if let (Some((action, b, customer)), Some(booking_id)) = (&booking, booking_id) {
            let event = ExternalBookingReceived {
                provider: "wix".to_owned(),
                action: *action as i32,
                booking_id: booking_id.uuid().to_string(),
                external_booking_id: b.external_booking_id.clone(),
                external_contact_id: b.external_contact_id.clone().unwrap_or_default(),
                customer: customer.clone(),
                external_service_id: b.service_id.clone().unwrap_or_default(),
                service_name: b.service_name.clone().unwrap_or_default(),
                start_time: b.start.map(timestamp),
                end_time: b.end.map(timestamp),
                external_status: b.external_status.clone(),
                external_payment_status: b.external_payment_status.clone(),
                raw_event_id: event_id.uuid().to_string(),
                status: b.status as i32,
                payment_status: b.payment as i32,
                provider_event_time: notice.event_time.map(timestamp),
            };
            // The published event has the event-log row's id.
            let draft = Draft::new(org.id, &event)
                .with_id(event_id)
                .about("booking_id", booking_id);
            self.outbox.add(&mut tx, draft).await.map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(Accepted {
            event_id,
            booking_id,
            handled: booking.is_some(),
            duplicate: false,
        })
    }
}

/// Reads the customer's phone and email, naming the body field at fault.
fn customer(c: &wix::Customer, org_region: Region) -> Result<Customer, Rejection> {
    let region = c
        .country_code
        .as_deref()
        .and_then(|code| code.parse::<Region>().ok())
        .unwrap_or(org_region);
    let mut problems = Vec::new();
    let phone = match &c.phone {
        Some(raw) => Phone::parse(raw, region)
            .map(|p| p.to_string())
            .map_err(|r| problems.push(FieldError::new(&c.phone_field, r)))
            .unwrap_or_default(),
        None => String::new(),
    };
    let email = match &c.email {
        Some(raw) => Email::parse(raw)
            .map(|e| e.to_string())
            .map_err(|r| problems.push(FieldError::new(&c.email_field, r)))
            .unwrap_or_default(),
        None => String::new(),
    };
    if !problems.is_empty() {
        return Err(Rejection::malformed(problems));
    }
    Ok(Customer {
        name: c.name.clone(),
        phone,
        email,
    })
}
