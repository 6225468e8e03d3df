//! Reading bookings: one booking, a contact's bookings, a booking's
//! history. Every read is in the audit trail.

use attend_kit::Error;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::{Draft, Event, timestamp};
use attend_kit::grpc::Caller;
use attend_kit::ids::{BookingId, ContactId, OrgId, TypedId};
use attend_proto::booking::v1 as pb;

use crate::api::Api;
use crate::store::{self, BookingRow};

/// An event about a booking: its subjects are the booking and its contact.
pub(crate) fn draft<E: Event>(org: OrgId, booking: &BookingRow, event: &E) -> Draft {
    Draft::new(org, event)
        .about("booking_id", booking.booking_id())
        .about("contact_id", booking.contact())
}

/// A booking id as the fleet carries it (a UUID) or as people see it
/// (`booking_…`).
pub(crate) fn booking_id(field: &str, text: &str) -> Result<BookingId, Error> {
    BookingId::parse_uuid(text).or_else(|_| BookingId::parse_public_at(field, text))
}

impl Api {
    pub(crate) async fn get_booking(&self, caller: Caller, req: pb::GetBookingRequest) -> Result<pb::Booking, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let id = booking_id("id", &req.id)?;
        let mut tx = self.db.tenant(org).await?;
        let row = store::get(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("booking".to_owned()))?;
        audit::record_read(&self.outbox, &mut tx, &caller, Entry::on("booking.read", "booking", id)).await?;
        tx.commit().await?;
        Ok(row.into_proto())
    }

    pub(crate) async fn list_bookings(
        &self,
        caller: Caller,
        req: pb::ListBookingsRequest,
    ) -> Result<pb::ListBookingsResponse, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let contact = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let mut tx = self.db.tenant(org).await?;
        let rows = store::for_contact(&mut tx, org, contact).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("booking.list", "contact", contact),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListBookingsResponse {
            bookings: rows.into_iter().map(BookingRow::into_proto).collect(),
        })
    }

    pub(crate) async fn history(
        &self,
        caller: Caller,
        req: pb::GetBookingHistoryRequest,
    ) -> Result<pb::GetBookingHistoryResponse, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let id = booking_id("booking_id", &req.booking_id)?;
        let mut tx = self.db.tenant(org).await?;
        if store::get(&mut tx, org, id).await?.is_none() {
            return Err(Error::NotFound("booking".to_owned()));
        }
        let rows = store::history(&mut tx, org, id).await?;
        tx.commit().await?;
        Ok(pb::GetBookingHistoryResponse {
            changes: rows
                .into_iter()
                .map(|c| pb::BookingChange {
                    kind: c.kind,
                    from_status: c.from_status.unwrap_or_default(),
                    to_status: c.to_status.unwrap_or_default(),
                    from_appointment_at: c.from_appointment_at.map(timestamp),
                    to_appointment_at: c.to_appointment_at.map(timestamp),
                    outcome: c.outcome.unwrap_or_default(),
                    actor: c.actor,
                    occurred_at: Some(timestamp(c.occurred_at)),
                    note: c.note.unwrap_or_default(),
                })
                .collect(),
        })
    }
}
