//! `TaskService` over gRPC: the tonic adapter only. Each call reads its
//! caller and hands the request to its feature ([`crate::tasks`]).

use attend_kit::db::Db;
use attend_kit::grpc::Caller;
use attend_proto::automation::v1 as pb;
use attend_proto::automation::v1::task_service_server::TaskService;
use tonic::{Request, Response, Status};

/// What the handlers share.
pub struct Api {
    pub db: Db,
}

#[tonic::async_trait]
impl TaskService for Api {
    async fn list_tasks(
        &self,
        request: Request<pb::ListTasksRequest>,
    ) -> Result<Response<pb::ListTasksResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_tasks(caller, request.into_inner()).await?))
    }
}
