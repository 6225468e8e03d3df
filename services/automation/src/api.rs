//! `TaskService` over gRPC.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::bus::timestamp;
use attend_kit::db::Db;
use attend_kit::grpc::Caller;
use attend_kit::ids::{ContactId, TypedId};
use attend_proto::automation::v1 as pb;
use attend_proto::automation::v1::task_service_server::TaskService;
use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};
use uuid::Uuid;

pub struct Api {
    pub db: Db,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    contact_id: Uuid,
    booking_id: Option<Uuid>,
    #[sqlx(rename = "type")]
    kind: String,
    assigned_to: Option<Uuid>,
    due_at: DateTime<Utc>,
    priority_score: i32,
    status: String,
    created_by: String,
    completed_at: Option<DateTime<Utc>>,
    notes: Option<String>,
}

impl Api {
    async fn list(&self, caller: Caller, req: pb::ListTasksRequest) -> Result<pb::ListTasksResponse, Error> {
        caller.require_permission(Permission::TasksRead)?;
        let org = caller.org()?;
        let contact =
            ContactId::parse_uuid(&req.contact_id).map_err(|_| Error::invalid("contact_id", "is not a contact id"))?;
        let mut tx = self.db.tenant(org).await?;
        let rows: Vec<TaskRow> = sqlx::query_as(
            "select id, contact_id, booking_id, type, assigned_to, due_at, priority_score, status,
                    created_by, completed_at, notes
             from automation.tasks where org_id = $1 and contact_id = $2
             order by created_at desc, id desc limit 500",
        )
        .bind(org.uuid())
        .bind(contact.uuid())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(pb::ListTasksResponse {
            tasks: rows
                .into_iter()
                .map(|t| pb::Task {
                    id: t.id.to_string(),
                    contact_id: t.contact_id.to_string(),
                    booking_id: t.booking_id.map(|b| b.to_string()).unwrap_or_default(),
                    r#type: t.kind,
                    assigned_to: t.assigned_to.map(|u| u.to_string()).unwrap_or_default(),
                    due_at: Some(timestamp(t.due_at)),
                    priority_score: t.priority_score,
                    status: t.status,
                    created_by: t.created_by,
                    completed_at: t.completed_at.map(timestamp),
                    notes: t.notes.unwrap_or_default(),
                })
                .collect(),
        })
    }
}

#[tonic::async_trait]
impl TaskService for Api {
    async fn list_tasks(
        &self,
        request: Request<pb::ListTasksRequest>,
    ) -> Result<Response<pb::ListTasksResponse>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list(caller, request.into_inner()).await?))
    }
}
