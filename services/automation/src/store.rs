//! SQL over the `automation` schema, and only here. Every function runs
//! inside a tenant transaction, so Row-Level Security backs the `org_id`.

use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TypedId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A task as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub booking_id: Option<Uuid>,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub assigned_to: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    pub priority_score: i32,
    pub status: String,
    /// A user id (`user_…`) or `system` (kit::actor).
    pub created_by: String,
    pub completed_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
}

/// A contact's tasks, newest first.
pub async fn for_contact(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<Vec<TaskRow>> {
    sqlx::query_as(
        "select id, contact_id, booking_id, type, assigned_to, due_at, priority_score, status,
                created_by, completed_at, notes
         from automation.tasks where org_id = $1 and contact_id = $2
         order by created_at desc, id desc limit 500",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .fetch_all(&mut **tx)
    .await
}
