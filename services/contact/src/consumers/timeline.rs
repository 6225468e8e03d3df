//! Builds the touchpoint timeline from events other services publish.
//! Contact never reads their tables: everything a touchpoint says comes in
//! the event.

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::{Event, from_timestamp};
use attend_kit::db::Tx;
use attend_kit::ids::{BookingId, ContactId, TouchpointId, TypedId};
use attend_proto::booking::v1 as booking;
use chrono::{DateTime, Utc};

use crate::store::{self, Added, NewTouchpoint};
use crate::touch::Recorder;

pub const SPEC: Spec = Spec {
    purpose: "timeline",
    events: "booking.>",
};

pub struct Timeline {
    pub recorder: Recorder,
}

/// How a provider is shown on the timeline.
pub fn provider_label(provider: &str) -> String {
    match provider {
        "wix" => "Wix".to_owned(),
        "calendly" => "Calendly".to_owned(),
        "manual" => "Manual".to_owned(),
        other => other.to_owned(),
    }
}

fn reject(why: String) -> HandleError {
    HandleError::Reject(anyhow::anyhow!(why))
}

fn unix(ts: &Option<prost_types::Timestamp>) -> Option<i64> {
    ts.as_ref().and_then(from_timestamp).map(|t| t.timestamp())
}

/// What every booking touchpoint says about the booking.
fn base(b: &booking::Booking) -> Result<(ContactId, serde_json::Map<String, serde_json::Value>), HandleError> {
    let contact = ContactId::parse_uuid(&b.contact_id).map_err(|e| reject(format!("booking.contact_id: {e}")))?;
    let id = BookingId::parse_uuid(&b.id).map_err(|e| reject(format!("booking.id: {e}")))?;
    let mut details = serde_json::Map::new();
    details.insert("booking_id".to_owned(), id.to_string().into());
    details.insert("appointment_datetime".to_owned(), unix(&b.appointment_at).into());
    details.insert("service_type".to_owned(), b.service_type.clone().into());
    details.insert("status".to_owned(), b.status.clone().into());
    Ok((contact, details))
}

impl Timeline {
    async fn record(
        &self,
        tx: &mut Tx,
        event: &Received,
        b: &booking::Booking,
        kind: &'static str,
        mut extra: serde_json::Map<String, serde_json::Value>,
    ) -> Result<ContactId, HandleError> {
        let (contact, mut details) = base(b)?;
        details.append(&mut extra);
        let occurred_at: DateTime<Utc> = event
            .envelope
            .occurred_at
            .as_ref()
            .and_then(from_timestamp)
            .ok_or_else(|| reject("event has no occurred_at".to_owned()))?;
        let touchpoint = NewTouchpoint {
            id: TouchpointId::new(),
            contact,
            occurred_at,
            kind,
            source: provider_label(&b.provider),
            channel: (!b.service_name.is_empty()).then(|| b.service_name.clone()),
            details: serde_json::Value::Object(details),
            is_attribution_event: false,
            source_event_id: Some(event.id.uuid()),
        };
        match self
            .recorder
            .add(tx, event.org, &touchpoint, Some(&event.envelope))
            .await?
        {
            // Recorded on the contact, or on the one it was merged into.
            Added::To(contact) => Ok(contact),
            Added::Already => Ok(contact),
            // The contact isn't visible (yet): retry, then dead-letter.
            Added::NoContact => Err(HandleError::Retry(anyhow::anyhow!(
                "contact {contact} does not exist in this organisation"
            ))),
        }
    }
}

fn extra<const N: usize>(pairs: [(&str, serde_json::Value); N]) -> serde_json::Map<String, serde_json::Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

impl Handler for Timeline {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let t = event.envelope.r#type.as_str();
        let missing = || reject(format!("{t} without a booking"));
        if t == booking::BookingCreated::TYPE {
            let e: booking::BookingCreated = event.payload()?;
            let b = e.booking.ok_or_else(missing)?;
            self.record(
                tx,
                event,
                &b,
                "booking_created",
                extra([("new_patient", e.contact_created.into())]),
            )
            .await?;
        } else if t == booking::BookingConfirmed::TYPE {
            let e: booking::BookingConfirmed = event.payload()?;
            let b = e.booking.ok_or_else(missing)?;
            self.record(tx, event, &b, "booking_confirmed", extra([])).await?;
        } else if t == booking::BookingRescheduled::TYPE {
            let e: booking::BookingRescheduled = event.payload()?;
            let b = e.booking.ok_or_else(missing)?;
            let from = unix(&e.previous_appointment_at);
            self.record(
                tx,
                event,
                &b,
                "booking_rescheduled",
                extra([("from_appointment_datetime", from.into())]),
            )
            .await?;
        } else if t == booking::BookingCancelled::TYPE {
            let e: booking::BookingCancelled = event.payload()?;
            let b = e.booking.ok_or_else(missing)?;
            self.record(tx, event, &b, "booking_cancelled", extra([("reason", e.reason.into())]))
                .await?;
        } else if t == booking::BookingOutcomeRecorded::TYPE {
            let e: booking::BookingOutcomeRecorded = event.payload()?;
            let b = e.booking.ok_or_else(missing)?;
            let (kind, attended) = match e.outcome.as_str() {
                "attended" => ("appointment_attended", true),
                "no_show" => ("appointment_no_show", false),
                other => return Err(reject(format!("unknown outcome {other:?}"))),
            };
            let contact = self.record(tx, event, &b, kind, extra([])).await?;
            if attended && store::mark_existing_patient(tx, event.org, contact).await? {
                // An existing patient scores as one.
                self.recorder
                    .rescore(tx, event.org, contact, Some(&event.envelope))
                    .await?;
            }
        }
        // booking.updated changes details, not the contact's story.
        Ok(())
    }
}
