//! Builds the touchpoint timeline from events other services publish.
//! Contact never reads their tables: everything a touchpoint says comes in
//! the event.

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, TypedId};
use attend_proto::booking::v1::BookingCreated;

use crate::store::{self, NewTouchpoint};

pub const SPEC: Spec = Spec {
    purpose: "timeline",
    events: "booking.created",
};

pub struct Timeline;

/// How a provider is shown on the timeline.
pub fn provider_label(provider: &str) -> String {
    match provider {
        "wix" => "Wix".to_owned(),
        "calendly" => "Calendly".to_owned(),
        "manual" => "Manual".to_owned(),
        other => other.to_owned(),
    }
}

impl Handler for Timeline {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let payload: BookingCreated = event.payload()?;
        let booking = payload
            .booking
            .ok_or_else(|| HandleError::Reject(anyhow::anyhow!("booking.created without a booking")))?;
        let contact = ContactId::parse_uuid(&booking.contact_id)
            .map_err(|e| HandleError::Reject(anyhow::anyhow!("booking.contact_id: {e}")))?;
        let occurred_at = event
            .envelope
            .occurred_at
            .as_ref()
            .and_then(from_timestamp)
            .ok_or_else(|| HandleError::Reject(anyhow::anyhow!("event has no occurred_at")))?;
        let appointment_at = booking
            .appointment_at
            .as_ref()
            .and_then(from_timestamp)
            .map(|t| t.timestamp());
        let touchpoint = NewTouchpoint {
            contact,
            occurred_at,
            kind: "booking_created",
            source: provider_label(&booking.provider),
            channel: (!booking.service_name.is_empty()).then(|| booking.service_name.clone()),
            details: serde_json::json!({
                "booking_id": attend_kit::ids::BookingId::parse_uuid(&booking.id).map(|b| b.to_string()).unwrap_or_default(),
                "appointment_datetime": appointment_at,
                "service_type": booking.service_type,
                "status": booking.status,
                "new_patient": payload.contact_created,
            }),
            is_attribution_event: false,
            source_event_id: Some(event.id.uuid()),
        };
        match store::add_touchpoint(tx, event.org, &touchpoint).await {
            Ok(_) => Ok(()),
            // The contact isn't visible (yet): retry, then dead-letter.
            Err(e) if attend_kit::db::is_violation(&e, "touchpoints_contact_id_fkey") => Err(HandleError::Retry(
                anyhow::anyhow!("contact {} does not exist in this organisation", contact),
            )),
            Err(e) => Err(e.into()),
        }
    }
}
