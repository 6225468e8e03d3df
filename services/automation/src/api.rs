//! `TaskService` and `RuleService` over gRPC: the tonic adapter only. Each
//! call reads its caller (and idempotency key) and hands the request to
//! its feature: [`crate::tasks`], [`crate::admin`], [`crate::runs`].

use attend_kit::grpc::{Caller, idempotency_key};
use attend_proto::automation::v1 as pb;
use attend_proto::automation::v1::rule_service_server::RuleService;
use attend_proto::automation::v1::task_service_server::TaskService;
use tonic::{Request, Response, Status};

use crate::engine::Engine;

/// What the handlers share.
#[derive(Clone)]
pub struct Api {
    pub(crate) engine: Engine,
}

type Reply<T> = Result<Response<T>, Status>;

fn reply<T>(answer: Result<T, attend_kit::Error>) -> Reply<T> {
    Ok(Response::new(answer?))
}

#[tonic::async_trait]
impl TaskService for Api {
    async fn list_tasks(&self, request: Request<pb::ListTasksRequest>) -> Reply<pb::ListTasksResponse> {
        let caller = Caller::of(&request)?;
        reply(self.list_tasks(caller, request.into_inner()).await)
    }

    async fn query_tasks(&self, request: Request<pb::QueryTasksRequest>) -> Reply<pb::QueryTasksResponse> {
        let caller = Caller::of(&request)?;
        reply(self.query_tasks(caller, request.into_inner()).await)
    }

    async fn get_task(&self, request: Request<pb::GetTaskRequest>) -> Reply<pb::Task> {
        let caller = Caller::of(&request)?;
        reply(self.get_task(caller, request.into_inner()).await)
    }

    async fn create_task(&self, request: Request<pb::CreateTaskRequest>) -> Reply<pb::Task> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        reply(self.create_task(caller, key, request.into_inner()).await)
    }

    async fn complete_task(&self, request: Request<pb::CompleteTaskRequest>) -> Reply<pb::Task> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        reply(self.complete_task(caller, key, request.into_inner()).await)
    }

    async fn claim_task(&self, request: Request<pb::ClaimTaskRequest>) -> Reply<pb::Task> {
        let caller = Caller::of(&request)?;
        reply(self.claim_task(caller, request.into_inner()).await)
    }

    async fn reassign_task(&self, request: Request<pb::ReassignTaskRequest>) -> Reply<pb::Task> {
        let caller = Caller::of(&request)?;
        reply(self.reassign_task(caller, request.into_inner()).await)
    }

    async fn snooze_task(&self, request: Request<pb::SnoozeTaskRequest>) -> Reply<pb::Task> {
        let caller = Caller::of(&request)?;
        reply(self.snooze_task(caller, request.into_inner()).await)
    }

    async fn cancel_task(&self, request: Request<pb::CancelTaskRequest>) -> Reply<pb::Task> {
        let caller = Caller::of(&request)?;
        reply(self.cancel_task(caller, request.into_inner()).await)
    }
}

#[tonic::async_trait]
impl RuleService for Api {
    async fn list_rules(&self, request: Request<pb::ListRulesRequest>) -> Reply<pb::ListRulesResponse> {
        let caller = Caller::of(&request)?;
        reply(self.list_rules(caller, request.into_inner()).await)
    }

    async fn get_rule(&self, request: Request<pb::GetRuleRequest>) -> Reply<pb::Rule> {
        let caller = Caller::of(&request)?;
        reply(self.get_rule(caller, request.into_inner()).await)
    }

    async fn create_rule(&self, request: Request<pb::CreateRuleRequest>) -> Reply<pb::Rule> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        reply(self.create_rule(caller, key, request.into_inner()).await)
    }

    async fn update_rule(&self, request: Request<pb::UpdateRuleRequest>) -> Reply<pb::Rule> {
        let caller = Caller::of(&request)?;
        reply(self.update_rule(caller, request.into_inner()).await)
    }

    async fn set_rule_active(&self, request: Request<pb::SetRuleActiveRequest>) -> Reply<pb::Rule> {
        let caller = Caller::of(&request)?;
        reply(self.set_rule_active(caller, request.into_inner()).await)
    }

    async fn list_runs(&self, request: Request<pb::ListRunsRequest>) -> Reply<pb::ListRunsResponse> {
        let caller = Caller::of(&request)?;
        reply(self.list_runs(caller, request.into_inner()).await)
    }

    async fn dry_run(&self, request: Request<pb::DryRunRequest>) -> Reply<pb::DryRunResponse> {
        let caller = Caller::of(&request)?;
        reply(self.dry_run(caller, request.into_inner()).await)
    }
}
