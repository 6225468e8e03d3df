//! The timeline: touchpoints recorded, paged and read for the score.

use attend_kit::bus::timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TouchpointId, TypedId};
use attend_proto::contact::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Source of the latest attribution touchpoint.
pub async fn last_attribution_source(tx: &mut Tx, org: OrgId, contact: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "select source from contact.touchpoints
         where org_id = $1 and contact_id = $2 and is_attribution_event
         order by occurred_at desc, id desc limit 1",
    )
    .bind(org.uuid())
    .bind(contact)
    .fetch_optional(&mut **tx)
    .await
}

/// A touchpoint about to be recorded.
#[derive(Debug, Clone)]
pub struct NewTouchpoint {
    pub id: TouchpointId,
    pub contact: ContactId,
    pub occurred_at: DateTime<Utc>,
    pub kind: &'static str,
    pub source: String,
    pub channel: Option<String>,
    pub details: serde_json::Value,
    pub is_attribution_event: bool,
    pub source_event_id: Option<Uuid>,
}

/// What recording a touchpoint did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// Recorded on this contact (the one named, or the one it was merged into).
    To(ContactId),
    /// This event already made this touchpoint.
    Already,
    /// No such contact in the organisation.
    NoContact,
}

/// Records a touchpoint on the contact, or on the contact it was merged into.
pub async fn add_touchpoint(tx: &mut Tx, org: OrgId, t: &NewTouchpoint) -> sqlx::Result<Added> {
    let added: Option<Uuid> = sqlx::query_scalar(
        "with target as (
             select coalesce(merged_into, id) as id from contact.contacts where org_id = $2 and id = $3)
         insert into contact.touchpoints
           (id, org_id, contact_id, occurred_at, type, source, channel, details, is_attribution_event, source_event_id)
         select $1, $2, target.id, $4, $5, $6, $7, $8, $9, $10 from target
         on conflict (source_event_id, type) do nothing
         returning contact_id",
    )
    .bind(t.id.uuid())
    .bind(org.uuid())
    .bind(t.contact.uuid())
    .bind(t.occurred_at)
    .bind(t.kind)
    .bind(&t.source)
    .bind(&t.channel)
    .bind(&t.details)
    .bind(t.is_attribution_event)
    .bind(t.source_event_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(contact) = added {
        return Ok(Added::To(ContactId::from(contact)));
    }
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from contact.contacts where org_id = $1 and id = $2)")
            .bind(org.uuid())
            .bind(t.contact.uuid())
            .fetch_one(&mut **tx)
            .await?;
    Ok(if exists { Added::Already } else { Added::NoContact })
}

#[derive(Debug, sqlx::FromRow)]
pub struct TouchpointRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub source: String,
    pub channel: Option<String>,
    pub details: serde_json::Value,
    pub is_attribution_event: bool,
}

impl TouchpointRow {
    pub fn into_proto(self) -> pb::Touchpoint {
        pb::Touchpoint {
            id: self.id.to_string(),
            contact_id: self.contact_id.to_string(),
            occurred_at: Some(timestamp(self.occurred_at)),
            r#type: self.kind,
            source: self.source,
            channel: self.channel.unwrap_or_default(),
            details_json: self.details.to_string(),
            is_attribution_event: self.is_attribution_event,
        }
    }
}

/// A page of a contact's touchpoints, newest first, before `(at, id)`.
pub async fn touchpoints(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<TouchpointRow>> {
    let (at, id) = before.unzip();
    sqlx::query_as(
        "select id, contact_id, occurred_at, type, source, channel, details, is_attribution_event
         from contact.touchpoints where org_id = $1 and contact_id = $2
           and ($3::timestamptz is null or (occurred_at, id) < ($3, $4))
         order by occurred_at desc, id desc limit $5",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// The touchpoints the warmness score reads, as `(type, time)`.
pub async fn scored_touches(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    types: &[&str],
) -> sqlx::Result<Vec<(String, DateTime<Utc>)>> {
    sqlx::query_as(
        "select type, occurred_at from contact.touchpoints
         where org_id = $1 and contact_id = $2 and type = any($3)",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(types)
    .fetch_all(&mut **tx)
    .await
}
