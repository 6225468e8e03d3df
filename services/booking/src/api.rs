//! `BookingService` over gRPC: the tonic adapter only. Each call reads its
//! caller (and idempotency key) and hands the request to its feature:
//! [`crate::bookings`], [`crate::outcomes`], [`crate::confirmations`],
//! [`crate::service_types`], [`crate::recalls`].

use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Db;
use attend_kit::grpc::{Caller, idempotency_key};
use attend_proto::booking::v1 as pb;
use attend_proto::booking::v1::booking_service_server::BookingService;
use tonic::{Request, Response, Status};

/// What the handlers share.
pub struct Api {
    pub db: Db,
    pub outbox: Outbox,
}

type Reply<T> = Result<Response<T>, Status>;

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

    async fn record_outcome(&self, request: Request<pb::RecordOutcomeRequest>) -> Reply<pb::Booking> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.record_outcome(caller, key, request.into_inner()).await?,
        ))
    }

    async fn get_booking_history(
        &self,
        request: Request<pb::GetBookingHistoryRequest>,
    ) -> Reply<pb::GetBookingHistoryResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.history(caller, request.into_inner()).await?))
    }

    async fn list_service_types(
        &self,
        request: Request<pb::ListServiceTypesRequest>,
    ) -> Reply<pb::ListServiceTypesResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_service_types(caller).await?))
    }

    async fn set_service_type(&self, request: Request<pb::SetServiceTypeRequest>) -> Reply<pb::ServiceTypeMapping> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.set_service_type(caller, request.into_inner()).await?,
        ))
    }

    async fn confirm_booking(&self, request: Request<pb::ConfirmBookingRequest>) -> Reply<pb::Booking> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.confirm_booking(caller, key, request.into_inner()).await?,
        ))
    }

    async fn set_recall(&self, request: Request<pb::SetRecallRequest>) -> Reply<pb::Recall> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(self.set_recall(caller, key, request.into_inner()).await?))
    }

    async fn get_recall(&self, request: Request<pb::GetRecallRequest>) -> Reply<pb::Recall> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.get_recall(caller, request.into_inner()).await?))
    }

    async fn list_due_recalls(&self, request: Request<pb::ListDueRecallsRequest>) -> Reply<pb::ListDueRecallsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.list_due_recalls(caller, request.into_inner()).await?,
        ))
    }

    async fn close_recall(&self, request: Request<pb::CloseRecallRequest>) -> Reply<pb::Recall> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.close_recall(caller, key, request.into_inner()).await?,
        ))
    }
}
