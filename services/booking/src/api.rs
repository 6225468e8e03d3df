//! `BookingService` over gRPC.

use attend_kit::Error;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Db;
use attend_kit::grpc::Caller;
use attend_kit::ids::{BookingId, ContactId, TypedId};
use attend_proto::booking::v1 as pb;
use attend_proto::booking::v1::booking_service_server::BookingService;
use tonic::{Request, Response, Status};

use crate::store;

pub struct Api {
    pub db: Db,
    pub outbox: Outbox,
}

type Reply<T> = Result<Response<T>, Status>;

impl Api {
    async fn get_booking(&self, caller: Caller, req: pb::GetBookingRequest) -> Result<pb::Booking, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let id = BookingId::parse_uuid(&req.id).map_err(|_| Error::invalid("id", "is not a booking id"))?;
        let mut tx = self.db.tenant(org).await?;
        let row = store::get(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("booking".to_owned()))?;
        audit::record(&self.outbox, &mut tx, &caller, Entry::on("booking.read", "booking", id)).await?;
        tx.commit().await?;
        Ok(row.into_proto())
    }

    async fn list_bookings(
        &self,
        caller: Caller,
        req: pb::ListBookingsRequest,
    ) -> Result<pb::ListBookingsResponse, Error> {
        caller.require_permission(Permission::BookingsRead)?;
        let org = caller.org()?;
        let contact =
            ContactId::parse_uuid(&req.contact_id).map_err(|_| Error::invalid("contact_id", "is not a contact id"))?;
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
            bookings: rows.into_iter().map(store::BookingRow::into_proto).collect(),
        })
    }
}

#[tonic::async_trait]
impl BookingService for Api {
    async fn get_booking(&self, request: Request<pb::GetBookingRequest>) -> Reply<pb::Booking> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.get_booking(caller, request.into_inner()).await?))
    }

    async fn list_bookings(&self, request: Request<pb::ListBookingsRequest>) -> Reply<pb::ListBookingsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_bookings(caller, request.into_inner()).await?))
    }
}
