//! `MessagingService` over gRPC: the tonic adapter only. Each call reads
//! its caller (and idempotency key) and hands the request to its feature
//! ([`crate::emails`]).

use attend_kit::db::Db;
use attend_kit::grpc::{Caller, idempotency_key};
use attend_proto::messaging::v1 as pb;
use attend_proto::messaging::v1::messaging_service_server::MessagingService;
use tonic::{Request, Response, Status};

/// What the handlers share.
pub struct Api {
    pub db: Db,
}

#[tonic::async_trait]
impl MessagingService for Api {
    async fn send_email(&self, request: Request<pb::SendEmailRequest>) -> Result<Response<pb::OutboundEmail>, Status> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(self.send_email(caller, key, request.into_inner()).await?))
    }

    async fn list_emails(
        &self,
        request: Request<pb::ListEmailsRequest>,
    ) -> Result<Response<pb::ListEmailsResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_emails(caller, request.into_inner()).await?))
    }
}
