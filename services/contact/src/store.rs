//! SQL over the `contact` schema. Every function runs inside a tenant
//! transaction, so Row-Level Security backs the `org_id` in each query.

use attend_kit::bus::timestamp;
use attend_kit::contact_point::{Email, Phone};
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TouchpointId, TypedId};
use attend_proto::contact::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A contact row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub source: String,
    pub current_pipeline: String,
    pub current_stage: String,
    pub warmness_score: i32,
    pub is_existing_patient: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ContactRow {
    pub fn into_proto(self) -> pb::Contact {
        pb::Contact {
            id: self.id.to_string(),
            name: self.name,
            phone: self.phone.unwrap_or_default(),
            email: self.email.unwrap_or_default(),
            source: self.source,
            current_pipeline: self.current_pipeline,
            current_stage: self.current_stage,
            warmness_score: self.warmness_score,
            is_existing_patient: self.is_existing_patient,
            created_at: Some(timestamp(self.created_at)),
            updated_at: Some(timestamp(self.updated_at)),
        }
    }
}

macro_rules! contact_columns {
    () => {
        "id, name, phone, email, source, current_pipeline, current_stage, warmness_score, \
         is_existing_patient, created_at, updated_at"
    };
}

/// Who a new contact is.
#[derive(Debug, Clone)]
pub struct NewContact {
    pub name: String,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub source: String,
}

pub async fn get(tx: &mut Tx, org: OrgId, id: ContactId) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        " from contact.contacts where org_id = $1 and id = $2"
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// The contact with this phone, locked for the rest of the transaction.
pub async fn by_phone(tx: &mut Tx, org: OrgId, phone: &Phone) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        " from contact.contacts where org_id = $1 and phone = $2 for update"
    ))
    .bind(org.uuid())
    .bind(phone.as_str())
    .fetch_optional(&mut **tx)
    .await
}

/// The earliest contact with this email (emails are not unique: families
/// share one), locked for the rest of the transaction.
pub async fn by_email(tx: &mut Tx, org: OrgId, email: &Email) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        " from contact.contacts where org_id = $1 and email = $2 order by created_at, id limit 1 for update"
    ))
    .bind(org.uuid())
    .bind(email.as_str())
    .fetch_optional(&mut **tx)
    .await
}

/// Every contact with this phone or email (exact match).
pub async fn find(
    tx: &mut Tx,
    org: OrgId,
    phone: Option<&Phone>,
    email: Option<&Email>,
) -> sqlx::Result<Vec<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        " from contact.contacts where org_id = $1
           and ($2::text is null or phone = $2)
           and ($3::text is null or email = $3)
         order by created_at, id limit 100"
    ))
    .bind(org.uuid())
    .bind(phone.map(Phone::as_str))
    .bind(email.map(Email::as_str))
    .fetch_all(&mut **tx)
    .await
}

/// Serialises creation of email-only contacts with the same email (phones
/// have a unique index; emails can't, so a transaction-scoped lock does it).
pub async fn lock_email(tx: &mut Tx, org: OrgId, email: &Email) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("contact-email:{}:{}", org.uuid(), email.as_str()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Inserts a contact; `None` when another transaction just inserted one
/// with the same phone (the caller then matches that one).
pub async fn insert(tx: &mut Tx, org: OrgId, new: &NewContact) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "insert into contact.contacts (id, org_id, name, phone, email, source)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (org_id, phone) where phone is not null do nothing
         returning ",
        contact_columns!()
    ))
    .bind(ContactId::new().uuid())
    .bind(org.uuid())
    .bind(&new.name)
    .bind(new.phone.as_ref().map(Phone::as_str))
    .bind(new.email.as_ref().map(Email::as_str))
    .bind(&new.source)
    .fetch_optional(&mut **tx)
    .await
}

/// Fills an existing contact's blank email (a match never overwrites what
/// staff entered).
pub async fn fill_blanks(tx: &mut Tx, org: OrgId, id: Uuid, email: Option<&Email>) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "update contact.contacts set email = $3, updated_at = now()
         where org_id = $1 and id = $2 and email is null and $3::text is not null
         returning ",
        contact_columns!()
    ))
    .bind(org.uuid())
    .bind(id)
    .bind(email.map(Email::as_str))
    .fetch_optional(&mut **tx)
    .await
}

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
    pub contact: ContactId,
    pub occurred_at: DateTime<Utc>,
    pub kind: &'static str,
    pub source: String,
    pub channel: Option<String>,
    pub details: serde_json::Value,
    pub is_attribution_event: bool,
    pub source_event_id: Option<Uuid>,
}

/// Records a touchpoint; `false` if this event already made this touchpoint.
pub async fn add_touchpoint(tx: &mut Tx, org: OrgId, t: &NewTouchpoint) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into contact.touchpoints
           (id, org_id, contact_id, occurred_at, type, source, channel, details, is_attribution_event, source_event_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (source_event_id, type) do nothing",
    )
    .bind(TouchpointId::new().uuid())
    .bind(org.uuid())
    .bind(t.contact.uuid())
    .bind(t.occurred_at)
    .bind(t.kind)
    .bind(&t.source)
    .bind(&t.channel)
    .bind(&t.details)
    .bind(t.is_attribution_event)
    .bind(t.source_event_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
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

/// A contact's touchpoints, newest first.
pub async fn touchpoints(tx: &mut Tx, org: OrgId, contact: ContactId, limit: i64) -> sqlx::Result<Vec<TouchpointRow>> {
    sqlx::query_as(
        "select id, contact_id, occurred_at, type, source, channel, details, is_attribution_event
         from contact.touchpoints where org_id = $1 and contact_id = $2
         order by occurred_at desc, id desc limit $3",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Someone who has attended an appointment is an existing patient.
pub async fn mark_existing_patient(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<()> {
    sqlx::query(
        "update contact.contacts set is_existing_patient = true, updated_at = now()
         where org_id = $1 and id = $2 and not is_existing_patient",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
