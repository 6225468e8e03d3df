//! Booking events: the queue's view of each booking; reminders that follow
//! the booking; and `booking_created`, `booking_rescheduled`,
//! `booking_cancelled`, `booking_confirmed`, `booking_outcome_updated`.

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::{Event, from_timestamp};
use attend_kit::db::Tx;
use attend_proto::booking::v1 as booking;
use uuid::Uuid;

use crate::engine::{Context, Engine, reminders};
use crate::rules::Trigger;
use crate::store::{self, facts::BookingFacts};

pub(crate) const SPEC: Spec = Spec {
    purpose: "bookings",
    events: "booking.*",
};

pub(crate) struct Bookings(pub Engine);

fn reject(why: String) -> HandleError {
    HandleError::Reject(anyhow::anyhow!(why))
}

impl Handler for Bookings {
    /// The jobs the event planned are committed: run the due ones now.
    fn committed(&self, _event: &Received) {
        self.0.wake.notify_one();
    }

    /// The organisation's seeded rules, before the transaction opens.
    async fn prepare(&self, event: &Received) -> Result<(), HandleError> {
        self.0.prepare(event.org).await
    }

    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let t = event.envelope.r#type.as_str();
        let mut outcome = None;
        let (trigger, b) = if t == booking::BookingCreated::TYPE {
            (
                Some(Trigger::BookingCreated),
                event.payload::<booking::BookingCreated>()?.booking,
            )
        } else if t == booking::BookingRescheduled::TYPE {
            (
                Some(Trigger::BookingRescheduled),
                event.payload::<booking::BookingRescheduled>()?.booking,
            )
        } else if t == booking::BookingCancelled::TYPE {
            (
                Some(Trigger::BookingCancelled),
                event.payload::<booking::BookingCancelled>()?.booking,
            )
        } else if t == booking::BookingConfirmed::TYPE {
            (
                Some(Trigger::BookingConfirmed),
                event.payload::<booking::BookingConfirmed>()?.booking,
            )
        } else if t == booking::BookingOutcomeRecorded::TYPE {
            let e = event.payload::<booking::BookingOutcomeRecorded>()?;
            outcome = Some(e.outcome);
            (Some(Trigger::BookingOutcomeUpdated), e.booking)
        } else if t == booking::BookingUpdated::TYPE {
            (None, event.payload::<booking::BookingUpdated>()?.booking)
        } else {
            // Recalls are the booking service's; the daily check reads them.
            return Ok(());
        };
        let b = b.ok_or_else(|| reject(format!("{t} without its booking")))?;
        let booking_id = Uuid::parse_str(&b.id).map_err(|e| reject(format!("booking id: {e}")))?;
        let contact_id = Uuid::parse_str(&b.contact_id).map_err(|e| reject(format!("contact id: {e}")))?;
        let appointment = b.appointment_at.as_ref().and_then(from_timestamp);
        let engine = &self.0;
        let now = engine.clock.now();
        let at = event
            .envelope
            .occurred_at
            .as_ref()
            .and_then(from_timestamp)
            .unwrap_or(now);
        store::facts::upsert_booking(
            tx,
            event.org,
            &BookingFacts {
                booking_id,
                contact_id,
                appointment_at: appointment,
                urgency_level: &b.urgency_level,
                status: &b.status,
                at,
            },
        )
        .await?;
        // Reminders follow the booking, whatever the rules say.
        match trigger {
            Some(Trigger::BookingRescheduled) => {
                if let Some(appointment) = appointment {
                    reminders::replan(tx, event.org, booking_id, contact_id, appointment, now).await?;
                }
            }
            Some(Trigger::BookingCancelled) => {
                store::jobs::cancel_reminders(tx, event.org, booking_id, "the booking was cancelled", now).await?;
            }
            Some(Trigger::BookingOutcomeUpdated) => {
                store::jobs::cancel_reminders(tx, event.org, booking_id, "the appointment happened", now).await?;
            }
            _ => {}
        }
        let Some(trigger) = trigger else {
            return Ok(());
        };
        let mut ctx = Context::new(trigger, t, event.id.into());
        ctx.contact_id = Some(contact_id);
        ctx.booking_id = Some(booking_id);
        ctx.outcome = outcome;
        engine.on_event(tx, event.org, ctx).await
    }
}
