//! Wix booking deliveries: `POST /webhooks/wix/bookings`.
//!
//! Two forms arrive on one URL: Wix's own JWT (RS256, the app's public
//! key) and the seed's JSON signed with Standard Webhooks (forwarders such
//! as Zapier and Make). A booking gets our id the first time ingest sees
//! it, so later events about it carry the same id.

use std::sync::Arc;

use attend_kit::FieldError;
use attend_kit::bus::{Draft, timestamp};
use attend_kit::ids::{BookingId, EventId, TypedId};
use attend_kit::orgs::Org;
use attend_proto::ingest::v1::{Customer, ExternalBookingReceived};
use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value, json};

use super::{Accepted, Delivery, Edge, configured, read_phone_and_email};
use crate::payload::wix::{self as parse, Notice};
use crate::refusal::Rejection;
use crate::signature::looks_like_jwt;
use crate::store::{self, LogEntry, Recorded, Reference};

pub(super) const BOOKINGS: &str = "/webhooks/wix/bookings";

pub(super) async fn bookings(State(edge): State<Arc<Edge>>, headers: HeaderMap, body: Bytes) -> Response {
    let delivery = Delivery::new("wix", BOOKINGS, &headers, &body);
    let result = edge.accept_wix_booking(&delivery).await;
    edge.respond(&delivery, result).await
}

impl Edge {
    async fn accept_wix_booking(&self, delivery: &Delivery<'_>) -> Result<Accepted, Rejection> {
        let notice = self.verify_wix(delivery.headers, delivery.body)?;
        let org = self.wix_organisation(notice.instance_id.as_deref()).await?;

        // Parse the customer with the organisation's region before storing anything.
        let customer = notice_customer(&notice, &org)?;
        let booking = notice.booking.as_ref();

        let event_id = EventId::new();
        // A booking's id is assigned the first time ingest sees it; the
        // event carries it, so a later event about a known booking is
        // encoded again with the id it already has.
        let mut candidate = booking.as_ref().map(|_| BookingId::new());
        for _ in 0..2 {
            let mut subject_ids = Map::new();
            if let Some(id) = candidate {
                subject_ids.insert("booking_id".to_owned(), json!(id.uuid().to_string()));
            }
            let event = candidate
                .and_then(|booking_id| booking_draft(&org, &notice, customer.clone(), booking_id, event_id))
                .map(|draft| self.outbox.row(draft));
            let reference = match (booking, candidate) {
                (Some((_, b)), Some(id)) => Some(Reference {
                    kind: "booking",
                    external_id: &b.external_booking_id,
                    fresh: id.uuid(),
                }),
                _ => None,
            };
            let entry = LogEntry {
                id: event_id.uuid(),
                subject_ids: &subject_ids,
                ..delivery.entry(&notice.delivery_id, &notice.event_type)
            };
            match store::record(self.db.pool(), org.id, &entry, reference, event.as_ref()).await? {
                Recorded::New => {
                    self.outbox.wake();
                    return Ok(Accepted {
                        event_id,
                        booking_id: candidate,
                        handled: booking.is_some(),
                        duplicate: false,
                    });
                }
                Recorded::Duplicate { id, subject_ids } => {
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
                Recorded::KnownAs(id) => candidate = Some(BookingId::from(id)),
            }
        }
        Err(Rejection::unstored("the booking's id changed twice while recording"))
    }

    /// Verifies and parses a Wix booking delivery in either accepted form.
    fn verify_wix(&self, headers: &HeaderMap, body: &[u8]) -> Result<Notice, Rejection> {
        let now = chrono::Utc::now().timestamp();
        if headers.contains_key("webhook-signature") {
            let secret = configured(
                &self.webhook_secret,
                "ATTEND_WEBHOOK_SECRET",
                "a Standard Webhooks delivery",
            )?;
            let delivery_id = secret.verify(headers, body, now)?;
            return parse::from_seed_json(body, &delivery_id).map_err(Rejection::malformed);
        }
        if looks_like_jwt(body) {
            let key = configured(&self.wix_key, "ATTEND_WIX_PUBLIC_KEY", "a Wix JWT delivery")?;
            // looks_like_jwt checked the body is ASCII.
            let token = std::str::from_utf8(body).unwrap_or_default().trim();
            let claims = key.verify(token)?;
            return parse::from_wix_claims(&claims).map_err(Rejection::malformed);
        }
        if serde_json::from_slice::<Value>(body).is_ok_and(|v| v.is_object()) {
            return Err(Rejection::unsigned_json());
        }
        Err(Rejection::malformed(vec![FieldError::new(
            "body",
            "must be a Wix JWT, or a JSON object signed with Standard Webhooks headers",
        )]))
    }

    /// The organisation a Wix instance is linked to; without an instance
    /// id, the only organisation there is.
    async fn wix_organisation(&self, instance_id: Option<&str>) -> Result<Org, Rejection> {
        let found = match instance_id {
            Some(id) => self.orgs.resolve("wix", id).await,
            None => self.orgs.resolve("", "").await,
        };
        found.map_err(|e| Rejection::no_wix_organisation(e, instance_id))
    }
}

/// The booking event a notice becomes, under the event-log row's id;
/// `None` when this version maps nothing from it.
pub(crate) fn booking_draft(
    org: &Org,
    notice: &Notice,
    customer: Option<Customer>,
    booking_id: BookingId,
    event_id: EventId,
) -> Option<Draft> {
    let (action, b) = notice.booking.as_ref()?;
    let event = ExternalBookingReceived {
        provider: "wix".to_owned(),
        action: *action as i32,
        booking_id: booking_id.uuid().to_string(),
        external_booking_id: b.external_booking_id.clone(),
        external_contact_id: b.external_contact_id.clone().unwrap_or_default(),
        customer,
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
    Some(
        Draft::new(org.id, &event)
            .with_id(event_id)
            .about("booking_id", booking_id),
    )
}

/// The customer of a notice's booking, read in the organisation's region.
pub(crate) fn notice_customer(notice: &Notice, org: &Org) -> Result<Option<Customer>, Rejection> {
    match &notice.booking {
        Some((_, b)) => b.customer.as_ref().map(|c| customer(c, org)).transpose(),
        None => Ok(None),
    }
}

/// A stored delivery read again, without its signature: it was verified
/// when it arrived, and the log it comes from is append-only.
pub(crate) fn stored_notice(headers: &Map<String, Value>, body: &[u8], delivery_id: &str) -> Result<Notice, Rejection> {
    if headers.contains_key("webhook-signature") {
        return parse::from_seed_json(body, delivery_id).map_err(Rejection::malformed);
    }
    let claims = std::str::from_utf8(body)
        .ok()
        .and_then(|token| token.trim().split('.').nth(1))
        .and_then(|payload| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload.trim_end_matches('='))
                .ok()
        })
        .and_then(|json| serde_json::from_slice::<Value>(&json).ok())
        .ok_or_else(|| Rejection::malformed(vec![FieldError::new("body", "is not a Wix JWT")]))?;
    parse::from_wix_claims(&claims).map_err(Rejection::malformed)
}

/// Reads the customer's phone and email, naming the body field at fault.
/// Wix reports the contact's country; a local number is read in it.
fn customer(c: &parse::Customer, org: &Org) -> Result<Customer, Rejection> {
    let region = c
        .country_code
        .as_deref()
        .and_then(|code| code.parse().ok())
        .unwrap_or(org.phone_region);
    let (phone, email) = read_phone_and_email(
        (c.phone.as_deref(), &c.phone_field),
        (c.email.as_deref(), &c.email_field),
        region,
    )?;
    Ok(Customer {
        name: c.name.clone(),
        phone,
        email,
    })
}
