//! Turns what booking providers told ingest into bookings.
//!
//! For each `ingest.booking_received` (created, confirmed, rescheduled,
//! cancelled, declined, updated):
//! - a booking we don't know yet is created from whatever event arrives
//!   first (a cancellation can beat the creation), matching or creating the
//!   contact through the contact service with an idempotency key derived
//!   from the event id;
//! - a known booking changes as the event says, unless the event is older
//!   (by the provider's clock) than the last one applied;
//! - every change is kept in the booking's history and published as a
//!   `booking.*` event, in the transaction that records the event in the
//!   inbox;
//! - a new booking (not cancelled from the start) closes the contact's
//!   open recall as `booked`, in the same transaction.

use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::outbox::Outbox;
use attend_kit::bus::{Event, from_timestamp, timestamp};
use attend_kit::db::Tx;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, Traced, request, with_idempotency_key};
use attend_kit::ids::{BookingId, ContactId, OrgId, TypedId};
use attend_proto::booking::v1 as pb;
use attend_proto::contact::v1::MatchOrCreateContactRequest;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::ingest::v1::{BookingAction, ExternalBookingReceived};
use chrono::{DateTime, Utc};

use crate::bookings::draft;
use crate::recalls;
use crate::rules::{cancel_reason, initial_status, is_stale, payment, source_label, static_type, static_urgency};
use crate::store::{self, BookingRow, Change, HistoryEntry, NewBooking};

pub(crate) const SPEC: Spec = Spec {
    purpose: "intake",
    events: "ingest.booking_received",
};

pub(crate) struct Intake {
    pub contacts: ContactServiceClient<Traced>,
    pub outbox: Outbox,
}

fn reject(why: String) -> HandleError {
    HandleError::Reject(anyhow::anyhow!(why))
}

impl Intake {
    async fn publish<E: Event>(
        &self,
        tx: &mut Tx,
        cause: &Received,
        booking: &BookingRow,
        event: &E,
    ) -> Result<(), HandleError> {
        self.outbox
            .add(tx, draft(cause.org, booking, event).caused_by(&cause.envelope))
            .await?;
        Ok(())
    }

    /// Creates the booking from the first event about it.
    async fn create(
        &self,
        tx: &mut Tx,
        event: &Received,
        r: &ExternalBookingReceived,
        id: BookingId,
    ) -> Result<(), HandleError> {
        let customer = r.customer.clone().ok_or_else(|| {
            // It may still come with a later (or delayed) event.
            HandleError::Retry(anyhow::anyhow!(
                "booking {} is not known yet and this event names no customer",
                r.external_booking_id
            ))
        })?;
        let appointment_at = r
            .start_time
            .as_ref()
            .and_then(from_timestamp)
            .ok_or_else(|| reject("start_time is missing".to_owned()))?;
        let call = request(
            MatchOrCreateContactRequest {
                name: customer.name.clone(),
                phone: customer.phone.clone(),
                email: customer.email.clone(),
                source: source_label(&r.provider),
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
        let mapped = match r.external_service_id.as_str() {
            "" => None,
            service => store::service_type(tx, event.org, &r.provider, service).await?,
        };
        let (service_type, urgency) = match &mapped {
            Some(m) => (static_type(&m.service_type), static_urgency(&m.urgency_level)),
            // Unmapped services stay unclassified until the practice says.
            None => ("unclassified", "medium"),
        };
        let provider_event_at = r.provider_event_time.as_ref().and_then(from_timestamp);
        let new = NewBooking {
            id,
            contact: contact_id,
            provider: r.provider.clone(),
            external_booking_id: Some(r.external_booking_id.clone()).filter(|s| !s.is_empty()),
            external_service_id: Some(r.external_service_id.clone()).filter(|s| !s.is_empty()),
            appointment_at,
            appointment_end_at: r.end_time.as_ref().and_then(from_timestamp),
            service_type,
            service_name: Some(r.service_name.clone()).filter(|s| !s.is_empty()),
            urgency_level: urgency,
            status: initial_status(r.action(), r.status()),
            payment_status: payment(r.payment_status()).unwrap_or("unpaid"),
            first_touch_attribution: contact.source.clone(),
            last_touch_attribution: matched.last_touch_source.clone(),
            source_event_id: event.id.uuid(),
            provider_event_at,
        };
        let Some(row) = store::insert(tx, event.org, &new).await? else {
            // Another event about this booking created it a moment ago (its
            // transaction committed while this one waited): apply this
            // event to that booking on the next delivery.
            return Err(HandleError::Retry(anyhow::anyhow!(
                "booking {id} was created concurrently; applying this event again"
            )));
        };
        store::record(
            tx,
            event.org,
            id,
            &HistoryEntry {
                kind: "created",
                to_status: Some(row.status.clone()),
                to_appointment_at: Some(row.appointment_at),
                actor: Actor::provider(&r.provider).to_string(),
                occurred_at: provider_event_at,
                source_event_id: Some(event.id.uuid()),
                ..HistoryEntry::default()
            },
        )
        .await?;
        let booking = row.clone().into_proto();
        self.publish(
            tx,
            event,
            &row,
            &pb::BookingCreated {
                booking: Some(booking.clone()),
                contact_created: matched.created,
            },
        )
        .await?;
        // First seen already cancelled or confirmed: say so too, so what
        // reacts to those (rescues, reminders) does.
        match r.action() {
            BookingAction::Cancelled | BookingAction::Declined => {
                let reason = cancel_reason(r.action());
                self.publish(
                    tx,
                    event,
                    &row,
                    &pb::BookingCancelled {
                        booking: Some(booking),
                        reason,
                    },
                )
                .await?;
            }
            BookingAction::Confirmed => {
                self.publish(tx, event, &row, &pb::BookingConfirmed { booking: Some(booking) })
                    .await?;
            }
            _ => {}
        }
        if row.status != "cancelled" {
            // The contact booked again: their recall is answered.
            recalls::close_as_booked(&self.outbox, tx, event.org, &row, &event.envelope).await?;
        }
        audit::record(
            &self.outbox,
            tx,
            &Caller::system(event.org),
            Entry::on("booking.create", "booking", id)
                .with_details(serde_json::json!({ "provider": r.provider, "contact": contact_id.to_string() })),
        )
        .await?;
        Ok(())
    }

    /// Applies an event to a booking we know.
    async fn change(
        &self,
        tx: &mut Tx,
        event: &Received,
        r: &ExternalBookingReceived,
        current: BookingRow,
    ) -> Result<(), HandleError> {
        let org = event.org;
        let id = current.booking_id();
        let at = r.provider_event_time.as_ref().and_then(from_timestamp);
        if is_stale(at, current.last_provider_event_at) {
            tracing::info!(booking = %id, "an older provider event arrived late; the booking keeps its newer state");
            return Ok(());
        }
        let actor = Actor::provider(&r.provider).to_string();
        let start = r.start_time.as_ref().and_then(from_timestamp);
        let end = r.end_time.as_ref().and_then(from_timestamp);
        let moved = start.is_some_and(|s| s != current.appointment_at);
        let history = |kind: &'static str, to_status: &str| HistoryEntry {
            kind,
            from_status: Some(current.status.clone()),
            to_status: Some(to_status.to_owned()),
            from_appointment_at: Some(current.appointment_at),
            to_appointment_at: start.or(Some(current.appointment_at)),
            actor: actor.clone(),
            occurred_at: at,
            source_event_id: Some(event.id.uuid()),
            ..HistoryEntry::default()
        };
        match r.action() {
            BookingAction::Created | BookingAction::Unspecified => Ok(()),
            BookingAction::Confirmed => {
                if current.status == "cancelled" || current.status == "confirmed" {
                    return Ok(());
                }
                let row = set_status(tx, org, id, "confirmed", at, history("confirmed", "confirmed")).await?;
                let booking = Some(row.clone().into_proto());
                self.publish(tx, event, &row, &pb::BookingConfirmed { booking }).await
            }
            BookingAction::Cancelled | BookingAction::Declined => {
                if current.status == "cancelled" {
                    return Ok(());
                }
                let reason = cancel_reason(r.action());
                let mut entry = history("cancelled", "cancelled");
                entry.note = Some(reason.clone());
                let row = set_status(tx, org, id, "cancelled", at, entry).await?;
                let booking = Some(row.clone().into_proto());
                self.publish(tx, event, &row, &pb::BookingCancelled { booking, reason })
                    .await
            }
            BookingAction::Rescheduled | BookingAction::Updated => {
                let reported_payment = payment(r.payment_status());
                let paid_changed = reported_payment.is_some_and(|p| p != current.payment_status);
                let reschedule = moved || (r.action() == BookingAction::Rescheduled && start.is_some());
                if !reschedule && !paid_changed {
                    return Ok(());
                }
                let row = store::apply(
                    tx,
                    org,
                    id,
                    &Change {
                        status: (moved && current.status != "cancelled").then_some("rescheduled"),
                        appointment_at: start.filter(|_| moved),
                        appointment_end_at: moved.then_some(end),
                        payment_status: reported_payment.filter(|_| paid_changed),
                        rescheduled: moved,
                        provider_event_at: at,
                        ..Change::default()
                    },
                )
                .await?;
                if moved {
                    store::record(tx, org, id, &history("rescheduled", &row.status)).await?;
                    let booking = Some(row.clone().into_proto());
                    self.publish(
                        tx,
                        event,
                        &row,
                        &pb::BookingRescheduled {
                            booking,
                            previous_appointment_at: Some(timestamp(current.appointment_at)),
                        },
                    )
                    .await?;
                }
                if paid_changed {
                    let mut entry = history("updated", &row.status);
                    entry.note = Some(format!("payment {} -> {}", current.payment_status, row.payment_status));
                    store::record(tx, org, id, &entry).await?;
                    let booking = Some(row.clone().into_proto());
                    self.publish(
                        tx,
                        event,
                        &row,
                        &pb::BookingUpdated {
                            booking,
                            changed: vec!["payment_status".to_owned()],
                        },
                    )
                    .await?;
                }
                Ok(())
            }
        }
    }
}

/// Moves a booking to `status` and records the entry in its history.
async fn set_status(
    tx: &mut Tx,
    org: OrgId,
    id: BookingId,
    status: &'static str,
    at: Option<DateTime<Utc>>,
    entry: HistoryEntry<'_>,
) -> Result<BookingRow, HandleError> {
    let row = store::apply(
        tx,
        org,
        id,
        &Change {
            status: Some(status),
            provider_event_at: at,
            ..Change::default()
        },
    )
    .await?;
    store::record(tx, org, id, &entry).await?;
    Ok(row)
}

impl Handler for Intake {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let received: ExternalBookingReceived = event.payload()?;
        let id = BookingId::parse_uuid(&received.booking_id).map_err(|e| reject(format!("booking_id: {e}")))?;
        match store::get_for_update(tx, event.org, id).await? {
            None => self.create(tx, event, &received, id).await,
            Some(current) => self.change(tx, event, &received, current).await,
        }
    }
}
