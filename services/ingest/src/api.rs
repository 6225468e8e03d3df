//! `IngestService` over gRPC: what operators ask of ingest.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::bus::timestamp;
use attend_kit::db::Db;
use attend_kit::grpc::Caller;
use attend_proto::ingest::v1 as pb;
use attend_proto::ingest::v1::ingest_service_server::IngestService;
use tonic::{Request, Response, Status};

use crate::store;

pub struct Api {
    pub db: Db,
}

impl Api {
    async fn list_rejected(
        &self,
        caller: Caller,
        req: pb::ListRejectedDeliveriesRequest,
    ) -> Result<pb::ListRejectedDeliveriesResponse, Error> {
        // Refusals may come from any organisation or none: operators only.
        caller.require_permission(Permission::PlatformOperate)?;
        let limit = match req.limit {
            0 => 50,
            n @ 1..=500 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be between 1 and 500")),
        };
        let provider = Some(req.provider.trim()).filter(|p| !p.is_empty());
        let mut tx = self.db.platform().await?;
        let rows = store::rejected(&mut tx, provider, limit).await?;
        tx.commit().await?;
        Ok(pb::ListRejectedDeliveriesResponse {
            deliveries: rows
                .into_iter()
                .map(|r| pb::RejectedDelivery {
                    id: r.id.to_string(),
                    provider: r.provider,
                    endpoint: r.endpoint,
                    reason_code: r.reason_code,
                    reason: r.reason,
                    http_status: u32::try_from(r.http_status).unwrap_or_default(),
                    received_at: Some(timestamp(r.received_at)),
                })
                .collect(),
        })
    }
}

#[tonic::async_trait]
impl IngestService for Api {
    async fn list_rejected_deliveries(
        &self,
        request: Request<pb::ListRejectedDeliveriesRequest>,
    ) -> Result<Response<pb::ListRejectedDeliveriesResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_rejected(caller, request.into_inner()).await?))
    }
}
