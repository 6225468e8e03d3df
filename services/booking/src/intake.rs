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
//!   inbox.

use attend_kit::audit::{self, Entry};
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::outbox::Outbox;
use attend_kit::bus::{Draft, Event, from_timestamp, timestamp};
use attend_kit::db::Tx;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, Traced, request, with_idempotency_key};
use attend_kit::ids::{BookingId, ContactId, OrgId, TypedId};
use attend_proto::booking::v1 as pb;
use attend_proto::contact::v1::MatchOrCreateContactRequest;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::ingest::v1::{BookingAction, BookingStatus, ExternalBookingReceived, PaymentStatus};
use chrono::{DateTime, Utc};

use crate::store::{self, BookingRow, Change, HistoryEntry, NewBooking};

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

/// Urgency a service type implies when the practice set none.
pub fn default_urgency(service_type: &str) -> &'static str {
    match service_type {
        "procedure" | "high_risk" => "high",
        "routine" => "low",
        _ => "medium",
    }
}

fn status(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Cancelled => "cancelled",
        BookingStatus::Scheduled | BookingStatus::Unspecified => "scheduled",
    }
}

fn payment(s: PaymentStatus) -> Option<&'static str> {
    match s {
        PaymentStatus::Paid => Some("paid"),
        PaymentStatus::Pending => Some("pending"),
        PaymentStatus::Unpaid => Some("unpaid"),
        PaymentStatus::Unspecified => None,
    }
}

/// The status a new booking starts with, given the first event seen.
fn initial_status(action: BookingAction, reported: BookingStatus) -> &'static str {
    match action {
        BookingAction::Confirmed => "confirmed",
        BookingAction::Rescheduled => "rescheduled",
        BookingAction::Cancelled | BookingAction::Declined => "cancelled",
        _ => status(reported),
    }
}

/// Whether an event the provider timed at `at` is older than what was applied.
pub fn is_stale(at: Option<DateTime<Utc>>, last_applied: Option<DateTime<Utc>>) -> bool {
    matches!((at, last_applied), (Some(at), Some(last)) if at < last)
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
            .add(
                tx,
                Draft::new(cause.org, event)
                    .about("booking_id", booking.booking_id())
                    .about("contact_id", booking.contact())
                    .caused_by(&cause.envelope),
            )
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
                actor: format!("provider:{}", r.provider),
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
        let actor = format!("provider:{}", r.provider);
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

fn cancel_reason(action: BookingAction) -> String {
    match action {
        BookingAction::Declined => "declined".to_owned(),
        _ => "cancelled".to_owned(),
    }
}

/// The stored text as one of our static words (the table's checks admit no others).
pub fn static_type(t: &str) -> &'static str {
    match t {
        "procedure" => "procedure",
        "follow_up" => "follow_up",
        "routine" => "routine",
        "high_risk" => "high_risk",
        _ => "unclassified",
    }
}

pub fn static_urgency(u: &str) -> &'static str {
    match u {
        "high" => "high",
        "low" => "low",
        _ => "medium",
    }
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

/// Re-classifies a provider's service for the organisation, and its
/// upcoming bookings with it. Lives here because the rule for urgency does.
pub async fn reclassify(
    tx: &mut Tx,
    org: OrgId,
    outbox: &Outbox,
    caller: &Caller,
    t: &store::ServiceType,
) -> Result<usize, attend_kit::Error> {
    store::set_service_type(tx, org, t).await?;
    let upcoming = store::upcoming_of_service(tx, org, &t.provider, &t.external_service_id).await?;
    for id in &upcoming {
        let row = store::apply(
            tx,
            org,
            *id,
            &Change {
                service_type: Some(static_type(&t.service_type)),
                urgency_level: Some(static_urgency(&t.urgency_level)),
                ..Change::default()
            },
        )
        .await?;
        store::record(
            tx,
            org,
            *id,
            &HistoryEntry {
                kind: "updated",
                from_status: Some(row.status.clone()),
                to_status: Some(row.status.clone()),
                actor: caller
                    .user
                    .map(|u| u.uuid().to_string())
                    .unwrap_or_else(|| "system".to_owned()),
                note: Some(format!("service type {} ({} urgency)", t.service_type, t.urgency_level)),
                ..HistoryEntry::default()
            },
        )
        .await?;
        let event = pb::BookingUpdated {
            booking: Some(row.clone().into_proto()),
            changed: vec!["service_type".to_owned(), "urgency_level".to_owned()],
        };
        outbox
            .add(
                tx,
                Draft::new(org, &event)
                    .about("booking_id", *id)
                    .about("contact_id", row.contact()),
            )
            .await?;
    }
    Ok(upcoming.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgency_follows_the_service_type() {
        assert_eq!(default_urgency("procedure"), "high");
        assert_eq!(default_urgency("high_risk"), "high");
        assert_eq!(default_urgency("follow_up"), "medium");
        assert_eq!(default_urgency("routine"), "low");
        assert_eq!(default_urgency("unclassified"), "medium");
    }

    #[test]
    fn the_first_event_seen_sets_the_starting_status() {
        assert_eq!(
            initial_status(BookingAction::Created, BookingStatus::Confirmed),
            "confirmed"
        );
        assert_eq!(
            initial_status(BookingAction::Created, BookingStatus::Scheduled),
            "scheduled"
        );
        assert_eq!(
            initial_status(BookingAction::Cancelled, BookingStatus::Confirmed),
            "cancelled"
        );
        assert_eq!(
            initial_status(BookingAction::Declined, BookingStatus::Scheduled),
            "cancelled"
        );
        assert_eq!(
            initial_status(BookingAction::Rescheduled, BookingStatus::Scheduled),
            "rescheduled"
        );
    }

    #[test]
    fn only_events_older_than_the_last_applied_are_stale() {
        let t = |s: i64| DateTime::from_timestamp(s, 0);
        assert!(is_stale(t(10), t(20)));
        assert!(!is_stale(t(20), t(20)));
        assert!(!is_stale(t(30), t(20)));
        assert!(!is_stale(None, t(20)), "an undated event is applied");
        assert!(!is_stale(t(10), None));
    }
}
