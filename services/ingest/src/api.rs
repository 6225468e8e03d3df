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
    pub outbox: attend_kit::bus::outbox::Outbox,
    pub orgs: attend_kit::orgs::Directory,
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

impl Api {
    async fn replay_events(
        &self,
        caller: Caller,
        req: pb::ReplayEventsRequest,
    ) -> Result<pb::ReplayEventsResponse, Error> {
        caller.require_permission(Permission::PlatformOperate)?;
        let from = req
            .from
            .as_ref()
            .and_then(attend_kit::bus::from_timestamp)
            .ok_or_else(|| Error::invalid("from", "is required: the first instant to replay"))?;
        let to = match &req.to {
            None => chrono::Utc::now(),
            Some(t) => {
                attend_kit::bus::from_timestamp(t).ok_or_else(|| Error::invalid("to", "is not a valid instant"))?
            }
        };
        if to <= from {
            return Err(Error::invalid("to", "must be after from"));
        }
        let provider = Some(req.provider.trim().to_owned()).filter(|p| !p.is_empty());
        if let Some(p) = &provider
            && !crate::replay::PROVIDERS.contains(&p.as_str())
        {
            return Err(Error::invalid(
                "provider",
                format!("must be one of {}", crate::replay::PROVIDERS.join(", ")),
            ));
        }
        let filter = crate::replay::Filter { from, to, provider };
        let done = crate::replay::replay(&self.db, &self.outbox, &self.orgs, &filter).await?;
        tracing::warn!(
            read = done.read,
            published = done.published,
            refused = done.refused_count,
            "events replayed"
        );
        Ok(pb::ReplayEventsResponse {
            read: done.read,
            published: done.published,
            unmapped: done.unmapped,
            not_replayable: done.not_replayable,
            refused: done
                .refused
                .into_iter()
                .map(|(id, provider, reason)| pb::ReplayRefusal {
                    event_id: id.to_string(),
                    provider,
                    reason,
                })
                .collect(),
            refused_count: done.refused_count,
        })
    }
}

#[tonic::async_trait]
impl IngestService for Api {
    async fn replay_events(
        &self,
        request: Request<pb::ReplayEventsRequest>,
    ) -> Result<Response<pb::ReplayEventsResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.replay_events(caller, request.into_inner()).await?))
    }

    async fn list_rejected_deliveries(
        &self,
        request: Request<pb::ListRejectedDeliveriesRequest>,
    ) -> Result<Response<pb::ListRejectedDeliveriesResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_rejected(caller, request.into_inner()).await?))
    }
}
