//! The record of merges: the rows a merge wrote and moved, kept so that
//! its undo puts back exactly that.

use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, MergeId, OrgId, TypedId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ContactRow, contact_columns};

/// Row values a merge or an undo writes to a contact.
#[derive(Debug, Clone)]
pub struct MergeFields {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub source: String,
    pub source_kind: Option<String>,
    pub intent: Option<String>,
    pub is_existing_patient: bool,
    pub created_at: DateTime<Utc>,
    pub merged_into: Option<Uuid>,
}

/// Writes a contact's merge fields; the row after.
pub async fn write_merge_fields(tx: &mut Tx, org: OrgId, id: ContactId, f: &MergeFields) -> sqlx::Result<ContactRow> {
    sqlx::query_as(concat!(
        "update contact.contacts set name = $3, phone = $4, email = $5, source = $6, source_kind = $7,
            intent = $8, is_existing_patient = $9, created_at = $10, merged_into = $11,
            merged_at = case when $11::uuid is null then null else coalesce(merged_at, now()) end,
            updated_at = now()
         where org_id = $1 and id = $2 returning ",
        contact_columns!()
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .bind(&f.name)
    .bind(&f.phone)
    .bind(&f.email)
    .bind(&f.source)
    .bind(&f.source_kind)
    .bind(&f.intent)
    .bind(f.is_existing_patient)
    .bind(f.created_at)
    .bind(f.merged_into)
    .fetch_one(&mut **tx)
    .await
}

/// A contact's rows that merges move (to the survivor, and back on undo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Touchpoints,
    Adjustments,
}

/// The same update on each table a merge moves rows of.
macro_rules! move_kept {
    ($table:literal) => {
        concat!(
            "update ",
            $table,
            " set contact_id = $3
             where org_id = $1 and contact_id = $2 and ($4::uuid[] is null or id = any($4))
             returning id"
        )
    };
}

/// Moves a contact's touchpoints or adjustments to another contact: all
/// of them, or only those listed. The ids moved.
pub async fn move_kept(
    tx: &mut Tx,
    org: OrgId,
    kept: Kept,
    from: ContactId,
    to: ContactId,
    only: Option<&[Uuid]>,
) -> sqlx::Result<Vec<Uuid>> {
    let sql = match kept {
        Kept::Touchpoints => move_kept!("contact.touchpoints"),
        Kept::Adjustments => move_kept!("contact.warmness_adjustments"),
    };
    sqlx::query_scalar(sql)
        .bind(org.uuid())
        .bind(from.uuid())
        .bind(to.uuid())
        .bind(only)
        .fetch_all(&mut **tx)
        .await
}

/// Points contacts merged into `from` at `to` instead: all of them, or
/// only those listed. The ids repointed.
pub async fn repoint_merged(
    tx: &mut Tx,
    org: OrgId,
    from: ContactId,
    to: ContactId,
    only: Option<&[Uuid]>,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "update contact.contacts set merged_into = $3, updated_at = now()
         where org_id = $1 and merged_into = $2 and ($4::uuid[] is null or id = any($4))
         returning id",
    )
    .bind(org.uuid())
    .bind(from.uuid())
    .bind(to.uuid())
    .bind(only)
    .fetch_all(&mut **tx)
    .await
}

/// A merge as recorded.
#[derive(Debug, sqlx::FromRow)]
pub struct MergeRow {
    pub survivor_id: Uuid,
    pub merged_id: Uuid,
    pub survivor_before: serde_json::Value,
    pub merged_before: serde_json::Value,
    pub moved_touchpoints: Vec<Uuid>,
    pub moved_adjustments: Vec<Uuid>,
    pub repointed_contacts: Vec<Uuid>,
    pub merged_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
}

/// A merge about to be recorded.
#[derive(Debug)]
pub struct NewMerge<'a> {
    pub id: MergeId,
    pub survivor: ContactId,
    pub merged: ContactId,
    /// What the merge changed on each contact, as it was.
    pub survivor_before: serde_json::Value,
    pub merged_before: serde_json::Value,
    pub moved_touchpoints: &'a [Uuid],
    pub moved_adjustments: &'a [Uuid],
    pub repointed_contacts: &'a [Uuid],
    pub merged_by: String,
}

/// Records a merge; when it happened.
pub async fn insert_merge(tx: &mut Tx, org: OrgId, m: &NewMerge<'_>) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar(
        "insert into contact.merges (id, org_id, survivor_id, merged_id, survivor_before, merged_before,
            moved_touchpoints, repointed_contacts, merged_by, moved_adjustments)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning merged_at",
    )
    .bind(m.id.uuid())
    .bind(org.uuid())
    .bind(m.survivor.uuid())
    .bind(m.merged.uuid())
    .bind(&m.survivor_before)
    .bind(&m.merged_before)
    .bind(m.moved_touchpoints)
    .bind(m.repointed_contacts)
    .bind(&m.merged_by)
    .bind(m.moved_adjustments)
    .fetch_one(&mut **tx)
    .await
}

/// A merge, locked for the rest of the transaction.
pub async fn merge_for_update(tx: &mut Tx, org: OrgId, id: MergeId) -> sqlx::Result<Option<MergeRow>> {
    sqlx::query_as(
        "select survivor_id, merged_id, survivor_before, merged_before, moved_touchpoints, moved_adjustments,
                repointed_contacts, merged_at, undone_at
         from contact.merges where org_id = $1 and id = $2 for update",
    )
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Marks a merge undone; when.
pub async fn mark_undone(tx: &mut Tx, org: OrgId, id: MergeId, by: &str) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar(
        "update contact.merges set undone_at = now(), undone_by = $3 where org_id = $1 and id = $2 returning undone_at",
    )
    .bind(org.uuid())
    .bind(id.uuid())
    .bind(by)
    .fetch_one(&mut **tx)
    .await
}
