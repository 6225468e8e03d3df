//! Turns bookings that providers told ingest about into our bookings.
//!
//! For `ingest.booking_received` (created): match or create the contact by
//! phone through the contact service, create the booking with the id ingest
//! assigned, capture attribution, and publish `booking.created`, all in the
//! transaction that records the event in the inbox. The contact call carries
//! an idempotency key derived from the event id, so a redelivered event
//! never makes a second contact.

use attend_kit::audit::{self, Entry};
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::outbox::Outbox;
use attend_kit::bus::{Draft, from_timestamp};
use attend_kit::db::Tx;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, Traced, request, with_idempotency_key};
use attend_kit::ids::{BookingId, ContactId, TypedId};
use attend_proto::booking::v1 as pb;
use attend_proto::contact::v1::MatchOrCreateContactRequest;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::ingest::v1::{BookingAction, BookingStatus, ExternalBookingReceived, PaymentStatus};

use crate::store::{self, NewBooking};

pub const SPEC: Spec = Spec {
    purpose: "intake",
    events: "ingest.booking_received",
};

pub struct Intake {
    pub contacts: ContactServiceClient<Traced>,
    pub outbox: Outbox,
}

/// How a provider is named as a first-touch source.
pub fn source_label(provider: &str) -> String {
    match provider {
        "wix" => "Wix".to_owned(),
        "calendly" => "Calendly".to_owned(),
        other => other.to_owned(),
    }
}

fn status(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Cancelled => "cancelled",
        BookingStatus::Scheduled | BookingStatus::Unspecified => "scheduled",
    }
}

fn payment(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Paid => "paid",
        PaymentStatus::Pending => "pending",
        PaymentStatus::Unpaid | PaymentStatus::Unspecified => "unpaid",
    }
}

impl Handler for Intake {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let received: ExternalBookingReceived = event.payload()?;
        let action = received.action();
        if action != BookingAction::Created {
            return Err(HandleError::Reject(anyhow::anyhow!(
                "booking action {action:?} is not handled by this version"
            )));
        }
        let reject = |why: String| HandleError::Reject(anyhow::anyhow!(why));
        let id = BookingId::parse_uuid(&received.booking_id).map_err(|e| reject(format!("booking_id: {e}")))?;
        if store::exists(tx, event.org, id).await? {
            // Created by an earlier delivery of the same provider booking.
            return Ok(());
        }
        let appointment_at = received
            .start_time
            .as_ref()
            .and_then(from_timestamp)
            .ok_or_else(|| reject("start_time is missing".to_owned()))?;
        let customer = received.customer.clone().unwrap_or_default();

        let call = request(
            MatchOrCreateContactRequest {
                name: customer.name.clone(),
                phone: customer.phone.clone(),
                email: customer.email.clone(),
                source: source_label(&received.provider),
            },
            &Caller::system(event.org),
        );
        let call = with_idempotency_key(call, &format!("booking-intake:{}", event.id.uuid()))?;
        let matched = self
            .contacts
            .clone()
            .match_or_create_contact(call)
            .await
            .into_answer("contact")?;
        let contact = matched
            .contact
            .ok_or_else(|| HandleError::Retry(anyhow::anyhow!("contact service returned no contact")))?;
        let contact_id =
            ContactId::parse_uuid(&contact.id).map_err(|e| HandleError::Retry(anyhow::anyhow!("contact id: {e}")))?;

        let new = NewBooking {
            id,
            contact: contact_id,
            provider: received.provider.clone(),
            external_booking_id: Some(received.external_booking_id.clone()).filter(|s| !s.is_empty()),
            external_service_id: Some(received.external_service_id.clone()).filter(|s| !s.is_empty()),
            appointment_at,
            appointment_end_at: received.end_time.as_ref().and_then(from_timestamp),
            // Until the organisation maps its services, a provider's service
            // is unclassified and of medium urgency.
            service_type: "unclassified",
            service_name: Some(received.service_name.clone()).filter(|s| !s.is_empty()),
            urgency_level: "medium",
            status: status(received.status()),
            payment_status: payment(received.payment_status()),
            first_touch_attribution: contact.source.clone(),
            last_touch_attribution: matched.last_touch_source.clone(),
            source_event_id: event.id.uuid(),
        };
        let Some(row) = store::insert(tx, event.org, &new).await? else {
            // The same provider booking already exists under another id.
            tracing::warn!(booking = %id, "provider booking already recorded; not creating it twice");
            return Ok(());
        };
        let booking = row.into_proto();
        let created = pb::BookingCreated {
            booking: Some(booking),
            contact_created: matched.created,
        };
        self.outbox
            .add(
                tx,
                Draft::new(event.org, &created)
                    .about("booking_id", id)
                    .about("contact_id", contact_id)
                    .caused_by(&event.envelope),
            )
            .await?;
        audit::record(
            &self.outbox,
            tx,
            &Caller::system(event.org),
            Entry::on("booking.create", "booking", id)
                .with_details(serde_json::json!({ "provider": received.provider, "contact": contact_id.to_string() })),
        )
        .await?;
        Ok(())
    }
}
