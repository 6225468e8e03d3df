//! `ReportingService` over gRPC: the tonic adapter only. Each call reads
//! its caller and hands the request to [`crate::reports`].

use attend_kit::db::Db;
use attend_kit::grpc::Caller;
use attend_kit::orgs::Directory;
use attend_proto::reporting::v1 as pb;
use attend_proto::reporting::v1::reporting_service_server::ReportingService;
use tonic::{Request, Response, Status};

/// What the handlers share.
pub struct Api {
    pub db: Db,
    /// Each organisation's zone and business hours.
    pub orgs: Directory,
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl ReportingService for Api {
    async fn weekly_report(&self, request: Request<pb::WeeklyReportRequest>) -> Reply<pb::PeriodReport> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.weekly(caller, request.into_inner()).await?))
    }

    async fn monthly_report(&self, request: Request<pb::MonthlyReportRequest>) -> Reply<pb::PeriodReport> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.monthly(caller, request.into_inner()).await?))
    }

    async fn kpis(&self, request: Request<pb::KpisRequest>) -> Reply<pb::KpisReport> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(Api::kpis(self, caller, request.into_inner()).await?))
    }

    async fn pipeline_report(&self, request: Request<pb::PipelineReportRequest>) -> Reply<pb::PipelineReportResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.pipelines(caller, request.into_inner()).await?))
    }
}
