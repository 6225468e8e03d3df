//! Recording whether an appointment was attended or missed: the number
//! everything in attend aims at.

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
use crate::store::{self, Change, HistoryEntry};

impl Api {
    pub(crate) async fn record_outcome(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::RecordOutcomeRequest,
    ) -> Result<pb::Booking, Error> {
        caller.require_permission(Permission::BookingsWrite)?;
        let org = caller.org()?;
        let id = booking_id("booking_id", &req.booking_id)?;
        let outcome = match req.outcome.as_str() {
            "attended" => "attended",
            "no_show" => "no_show",
            _ => return Err(Error::invalid("outcome", "must be attended or no_show")),
        };
        let notes = Some(text::multiline(&req.notes, 2000).map_err(text::at("notes"))?).filter(|n| !n.is_empty());
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "RecordOutcome", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let current = store::get_for_update(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("booking".to_owned()))?;
        if current.status == "cancelled" {
            return Err(Error::Conflict(
                "a cancelled booking has no outcome; it was never attended".to_owned(),
            ));
        }
        if outcome == "no_show" && current.appointment_at > chrono::Utc::now() {
            return Err(Error::Conflict(
                "the appointment has not started yet; a no-show can be recorded once its time has passed".to_owned(),
            ));
        }
        let row = if current.outcome.as_deref() == Some(outcome) {
            // Recorded already: the same answer, no second event.
            current
        } else {
            let row = store::apply(
                &mut tx,
                org,
                id,
                &Change {
                    outcome: Some((outcome, notes.clone())),
                    ..Change::default()
                },
            )
            .await?;
            let actor = Actor::of(&caller).to_string();
            store::record(
                &mut tx,
                org,
                id,
                &HistoryEntry {
                    kind: "outcome",
                    from_status: Some(row.status.clone()),
                    to_status: Some(row.status.clone()),
                    outcome: Some(outcome),
                    actor: actor.clone(),
                    note: notes,
                    ..HistoryEntry::default()
                },
            )
            .await?;
            let event = pb::BookingOutcomeRecorded {
                booking: Some(row.clone().into_proto()),
                outcome: outcome.to_owned(),
                recorded_by: actor,
            };
            self.outbox.add(&mut tx, draft(org, &row, &event)).await?;
            audit::record(
                &self.outbox,
                &mut tx,
                &caller,
                Entry::on("booking.record_outcome", "booking", id)
                    .with_details(serde_json::json!({ "outcome": outcome })),
            )
            .await?;
            row
        };
        let response = row.into_proto();
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }
}
