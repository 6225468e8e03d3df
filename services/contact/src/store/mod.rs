//! SQL over the `contact` schema, and only here. Every function runs
//! inside a tenant transaction, so Row-Level Security backs the `org_id`
//! in each query.
//!
//! - this module: contacts (find, insert, fill blanks, patch, score);
//! - [`touchpoints`]: the timeline;
//! - [`adjustments`]: warmness adjustments;
//! - [`search`]: lists, text search and likely duplicates;
//! - [`merges`]: the record of merges and their undo.

mod adjustments;
mod merges;
mod search;
mod touchpoints;

pub use adjustments::*;
pub use merges::*;
pub use search::*;
pub use touchpoints::*;

use attend_kit::bus::timestamp;
use attend_kit::contact_point::{Email, Phone};
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TypedId};
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
    pub intent: Option<String>,
    pub source_kind: Option<String>,
    pub warmness_breakdown: serde_json::Value,
    pub merged_into: Option<Uuid>,
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
            intent: self.intent.unwrap_or_default(),
            source_kind: self.source_kind.unwrap_or_default(),
            warmness_breakdown_json: self.warmness_breakdown.to_string(),
            merged_into: self.merged_into.map(|m| m.to_string()).unwrap_or_default(),
            warmness_label: crate::warmness::label(self.warmness_score).to_owned(),
        }
    }

    pub fn contact_id(&self) -> ContactId {
        ContactId::from(self.id)
    }
}

macro_rules! contact_columns {
    () => {
        "id, name, phone, email, source, current_pipeline, current_stage, warmness_score, \
         is_existing_patient, created_at, updated_at, intent, source_kind, warmness_breakdown, merged_into"
    };
}

pub(crate) use contact_columns;

/// The same columns of the table aliased `c`.
macro_rules! c_columns {
    () => {
        "c.id, c.name, c.phone, c.email, c.source, c.current_pipeline, c.current_stage, c.warmness_score, \
         c.is_existing_patient, c.created_at, c.updated_at, c.intent, c.source_kind, c.warmness_breakdown, \
         c.merged_into"
    };
}

pub(crate) use c_columns;

/// Who a new contact is.
#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub name: String,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    /// The channel name of the first touch.
    pub source: String,
    pub source_kind: Option<&'static str>,
    pub intent: Option<&'static str>,
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

/// The contact with this phone (the one it was merged into, if it was),
/// locked for the rest of the transaction.
pub async fn by_phone(tx: &mut Tx, org: OrgId, phone: &Phone) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        c_columns!(),
        " from contact.contacts p join contact.contacts c on c.id = coalesce(p.merged_into, p.id)
          where p.org_id = $1 and p.phone = $2 for update of c"
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
        " from contact.contacts where org_id = $1 and email = $2 and merged_into is null
          order by created_at, id limit 1 for update"
    ))
    .bind(org.uuid())
    .bind(email.as_str())
    .fetch_optional(&mut **tx)
    .await
}

/// Every contact with this phone or email (exact match); a merged
/// contact's match is the contact it was merged into.
pub async fn find(
    tx: &mut Tx,
    org: OrgId,
    phone: Option<&Phone>,
    email: Option<&Email>,
) -> sqlx::Result<Vec<ContactRow>> {
    sqlx::query_as(concat!(
        "select distinct on (c.created_at, c.id) ",
        c_columns!(),
        " from contact.contacts p join contact.contacts c on c.id = coalesce(p.merged_into, p.id)
          where p.org_id = $1
           and ($2::text is null or p.phone = $2)
           and ($3::text is null or p.email = $3)
         order by c.created_at, c.id limit 100"
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
        "insert into contact.contacts (id, org_id, name, phone, email, source, source_kind, intent)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
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
    .bind(new.source_kind)
    .bind(new.intent)
    .fetch_optional(&mut **tx)
    .await
}

/// What a match may add to an existing contact: only what it lacks (a
/// match never overwrites what staff entered).
#[derive(Debug, Default)]
pub struct Blanks<'a> {
    pub email: Option<&'a Email>,
    pub intent: Option<&'static str>,
    /// The scored kind of a channel, kept if the contact came from that channel.
    pub source_kind: Option<(&'a str, &'static str)>,
}

/// Fills the contact's blanks; the row when anything changed.
pub async fn fill_blanks(tx: &mut Tx, org: OrgId, id: Uuid, b: &Blanks<'_>) -> sqlx::Result<Option<ContactRow>> {
    let (channel, kind) = b.source_kind.unzip();
    sqlx::query_as(concat!(
        "update contact.contacts set
            email = coalesce(email, $3),
            intent = coalesce(intent, $4),
            source_kind = case when source_kind is null and source = $5 then $6 else source_kind end,
            updated_at = now()
         where org_id = $1 and id = $2
           and ((email is null and $3::text is not null)
             or (intent is null and $4::text is not null)
             or (source_kind is null and source = $5 and $6::text is not null))
         returning ",
        contact_columns!()
    ))
    .bind(org.uuid())
    .bind(id)
    .bind(b.email.map(Email::as_str))
    .bind(b.intent)
    .bind(channel)
    .bind(kind)
    .fetch_optional(&mut **tx)
    .await
}

/// Stores a recalculated score and its breakdown.
pub async fn set_warmness(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    score: i32,
    breakdown: &serde_json::Value,
) -> sqlx::Result<ContactRow> {
    sqlx::query_as(concat!(
        "update contact.contacts set warmness_score = $3, warmness_breakdown = $4, warmness_at = now(),
            updated_at = now()
         where org_id = $1 and id = $2 returning ",
        contact_columns!()
    ))
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(score)
    .bind(breakdown)
    .fetch_one(&mut **tx)
    .await
}

/// The contact, locked for the rest of the transaction.
pub async fn get_for_update(tx: &mut Tx, org: OrgId, id: ContactId) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        " from contact.contacts where org_id = $1 and id = $2 for update"
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Changes to a contact; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct Patch {
    pub name: Option<String>,
    pub phone: Option<Option<Phone>>,
    pub email: Option<Option<Email>>,
    /// The channel name and its scored kind.
    pub source: Option<(String, Option<&'static str>)>,
    pub intent: Option<Option<&'static str>>,
    /// Pipeline and stage, always together.
    pub stage: Option<(String, String)>,
}

impl Patch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.source.is_none()
            && self.intent.is_none()
            && self.stage.is_none()
    }
}

/// Applies a patch; the row after it.
pub async fn update(tx: &mut Tx, org: OrgId, id: ContactId, p: &Patch) -> sqlx::Result<ContactRow> {
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new("update contact.contacts set updated_at = now()");
    if let Some(name) = &p.name {
        q.push(", name = ").push_bind(name.clone());
    }
    if let Some(phone) = &p.phone {
        q.push(", phone = ")
            .push_bind(phone.as_ref().map(|p| p.as_str().to_owned()));
    }
    if let Some(email) = &p.email {
        q.push(", email = ")
            .push_bind(email.as_ref().map(|e| e.as_str().to_owned()));
    }
    if let Some((source, kind)) = &p.source {
        q.push(", source = ").push_bind(source.clone());
        q.push(", source_kind = ").push_bind(*kind);
    }
    if let Some(intent) = &p.intent {
        q.push(", intent = ").push_bind(*intent);
    }
    if let Some((pipeline, stage)) = &p.stage {
        q.push(", current_pipeline = ").push_bind(pipeline.clone());
        q.push(", current_stage = ").push_bind(stage.clone());
    }
    q.push(" where org_id = ").push_bind(org.uuid());
    q.push(" and id = ").push_bind(id.uuid());
    q.push(concat!(" returning ", contact_columns!()));
    q.build_query_as().fetch_one(&mut **tx).await
}

/// Someone who has attended an appointment is an existing patient;
/// `true` if they weren't one yet.
pub async fn mark_existing_patient(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update contact.contacts set is_existing_patient = true, updated_at = now()
         where org_id = $1 and id = $2 and not is_existing_patient",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
