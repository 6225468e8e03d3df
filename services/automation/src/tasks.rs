//! The staff task queue: a contact's tasks.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::bus::timestamp;
use attend_kit::grpc::Caller;
use attend_kit::ids::{ContactId, TypedId};
use attend_proto::automation::v1 as pb;

use crate::api::Api;
use crate::store::{self, TaskRow};

impl Api {
    pub(crate) async fn list_tasks(
        &self,
        caller: Caller,
        req: pb::ListTasksRequest,
    ) -> Result<pb::ListTasksResponse, Error> {
        caller.require_permission(Permission::TasksRead)?;
        let org = caller.org()?;
        let contact = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let mut tx = self.db.tenant(org).await?;
        let rows = store::for_contact(&mut tx, org, contact).await?;
        tx.commit().await?;
        Ok(pb::ListTasksResponse {
            tasks: rows.into_iter().map(task).collect(),
        })
    }
}

fn task(t: TaskRow) -> pb::Task {
    pb::Task {
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
    }
}
