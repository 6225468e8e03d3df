//! What the task queue shows and sorts by, and what the periodic checks
//! need, projected from contact and booking events.

use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A contact as automation knows it.
pub struct ContactFacts<'a> {
    pub contact_id: Uuid,
    pub name: &'a str,
    pub phone: &'a str,
    pub warmness: i32,
    pub pipeline: &'a str,
    pub stage: &'a str,
    pub at: DateTime<Utc>,
}

/// Keeps a contact's name, phone, warmness and stage; the time it entered
/// its stage moves only when the stage changes. An older event than the
/// one applied changes nothing.
pub async fn upsert_contact(tx: &mut Tx, org: OrgId, c: &ContactFacts<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into automation.contacts (org_id, contact_id, name, phone, warmness, pipeline, stage, stage_since, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         on conflict (org_id, contact_id) do update set
             name = excluded.name, phone = excluded.phone, warmness = excluded.warmness,
             pipeline = excluded.pipeline, stage = excluded.stage,
             stage_since = case when (automation.contacts.pipeline, automation.contacts.stage)
                                     is distinct from (excluded.pipeline, excluded.stage)
                                then excluded.stage_since else automation.contacts.stage_since end,
             updated_at = excluded.updated_at
           where automation.contacts.updated_at <= excluded.updated_at",
    )
    .bind(org.uuid())
    .bind(c.contact_id)
    .bind(c.name)
    .bind(c.phone)
    .bind(c.warmness)
    .bind(c.pipeline)
    .bind(c.stage)
    .bind(c.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// When the contact entered its current stage, as far as automation heard.
pub async fn stage_since(tx: &mut Tx, org: OrgId, contact: Uuid) -> sqlx::Result<Option<DateTime<Utc>>> {
    Ok(
        sqlx::query_scalar("select stage_since from automation.contacts where org_id = $1 and contact_id = $2")
            .bind(org.uuid())
            .bind(contact)
            .fetch_optional(&mut **tx)
            .await?
            .flatten(),
    )
}

/// A booking as automation knows it.
pub struct BookingFacts<'a> {
    pub booking_id: Uuid,
    pub contact_id: Uuid,
    pub appointment_at: Option<DateTime<Utc>>,
    pub urgency_level: &'a str,
    pub status: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn upsert_booking(tx: &mut Tx, org: OrgId, b: &BookingFacts<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into automation.bookings (org_id, booking_id, contact_id, appointment_at, urgency_level, status, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (org_id, booking_id) do update set
             contact_id = excluded.contact_id, appointment_at = excluded.appointment_at,
             urgency_level = excluded.urgency_level, status = excluded.status, updated_at = excluded.updated_at
           where automation.bookings.updated_at <= excluded.updated_at",
    )
    .bind(org.uuid())
    .bind(b.booking_id)
    .bind(b.contact_id)
    .bind(b.appointment_at)
    .bind(b.urgency_level)
    .bind(b.status)
    .bind(b.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
