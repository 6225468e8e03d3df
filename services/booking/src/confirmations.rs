//! The patient confirmed (a "Y" to a reminder, or staff on the phone): a
//! scheduled or rescheduled booking still to come becomes confirmed, in
//! its history and as `booking.confirmed`. [`crate::rules::confirmation`]
//! says when it can be.

use attend_kit::Error;
use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::text;
use attend_proto::booking::v1 as pb;

use crate::api::Api;
use crate::bookings::{booking_id, draft};
use crate::rules::{Confirmation, confirmation};
use crate::store::{self, Change, HistoryEntry};

impl Api {
    pub(crate) async fn confirm_booking(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::ConfirmBookingRequest,
    ) -> Result<pb::Booking, Error> {
        caller.require_permission(Permission::BookingsWrite)?;
        let org = caller.org()?;
        let id = booking_id("booking_id", &req.booking_id)?;
        let note = Some(text::multiline(&req.note, 2000).map_err(text::at("note"))?).filter(|n| !n.is_empty());
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "ConfirmBooking", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let current = store::get_for_update(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("booking".to_owned()))?;
        let now = chrono::Utc::now();
        let row = match confirmation(&current.status, current.outcome.as_deref(), current.appointment_at, now) {
            Confirmation::Already => current,
            Confirmation::Refused(why) => return Err(Error::Precondition(why.to_owned())),
            Confirmation::Confirm => {
                let row = store::apply(
                    &mut tx,
                    org,
                    id,
                    &Change {
                        status: Some("confirmed"),
                        ..Change::default()
                    },
                )
                .await?;
                store::record(
                    &mut tx,
                    org,
                    id,
                    &HistoryEntry {
                        kind: "confirmed",
                        from_status: Some(current.status.clone()),
                        to_status: Some(row.status.clone()),
                        actor: Actor::of(&caller).to_string(),
                        note,
                        ..HistoryEntry::default()
                    },
                )
                .await?;
                let event = pb::BookingConfirmed {
                    booking: Some(row.clone().into_proto()),
                };
                self.outbox.add(&mut tx, draft(org, &row, &event)).await?;
                audit::record(
                    &self.outbox,
                    &mut tx,
                    &caller,
                    Entry::on("booking.confirm", "booking", id),
                )
                .await?;
                row
            }
        };
        let response = row.into_proto();
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }
}
