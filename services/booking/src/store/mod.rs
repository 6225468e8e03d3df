//! SQL over the `booking` schema, always inside tenant transactions.
//!
//! - this module: bookings, their history, service types;
//! - [`recalls`]: when patients are due back.

mod recalls;

pub use recalls::*;

use attend_kit::bus::timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::{BookingId, ContactId, OrgId, TypedId};
use attend_proto::booking::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BookingRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub provider: String,
    pub external_booking_id: Option<String>,
    pub appointment_at: DateTime<Utc>,
    pub appointment_end_at: Option<DateTime<Utc>>,
    pub service_type: String,
    pub service_name: Option<String>,
    pub urgency_level: String,
    pub status: String,
    pub outcome: Option<String>,
    pub payment_status: String,
    pub first_touch_attribution: Option<String>,
    pub last_touch_attribution: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub external_service_id: Option<String>,
    pub outcome_recorded_at: Option<DateTime<Utc>>,
    pub reschedule_count: i32,
    pub last_provider_event_at: Option<DateTime<Utc>>,
}

impl BookingRow {
    pub fn into_proto(self) -> pb::Booking {
        pb::Booking {
            id: self.id.to_string(),
            contact_id: self.contact_id.to_string(),
            provider: self.provider,
            external_booking_id: self.external_booking_id.unwrap_or_default(),
            appointment_at: Some(timestamp(self.appointment_at)),
            appointment_end_at: self.appointment_end_at.map(timestamp),
            service_type: self.service_type,
            service_name: self.service_name.unwrap_or_default(),
            urgency_level: self.urgency_level,
            status: self.status,
            outcome: self.outcome.unwrap_or_default(),
            payment_status: self.payment_status,
            first_touch_attribution: self.first_touch_attribution.unwrap_or_default(),
            last_touch_attribution: self.last_touch_attribution.unwrap_or_default(),
            created_at: Some(timestamp(self.created_at)),
            updated_at: Some(timestamp(self.updated_at)),
            external_service_id: self.external_service_id.unwrap_or_default(),
            outcome_recorded_at: self.outcome_recorded_at.map(timestamp),
            reschedule_count: self.reschedule_count,
        }
    }

    pub fn booking_id(&self) -> BookingId {
        BookingId::from(self.id)
    }

    pub fn contact(&self) -> ContactId {
        ContactId::from(self.contact_id)
    }
}

macro_rules! booking_columns {
    () => {
        "id, contact_id, provider, external_booking_id, appointment_at, appointment_end_at, \
         service_type, service_name, urgency_level, status, outcome, payment_status, \
         first_touch_attribution, last_touch_attribution, created_at, updated_at, external_service_id, \
         outcome_recorded_at, reschedule_count, last_provider_event_at"
    };
}

/// A booking about to be created.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub id: BookingId,
    pub contact: ContactId,
    pub provider: String,
    pub external_booking_id: Option<String>,
    pub external_service_id: Option<String>,
    pub appointment_at: DateTime<Utc>,
    pub appointment_end_at: Option<DateTime<Utc>>,
    pub service_type: &'static str,
    pub service_name: Option<String>,
    pub urgency_level: &'static str,
    pub status: &'static str,
    pub payment_status: &'static str,
    pub first_touch_attribution: String,
    pub last_touch_attribution: String,
    pub source_event_id: Uuid,
    pub provider_event_at: Option<DateTime<Utc>>,
}

/// Inserts a booking; `None` if it (or the same provider booking) exists.
pub async fn insert(tx: &mut Tx, org: OrgId, b: &NewBooking) -> sqlx::Result<Option<BookingRow>> {
    sqlx::query_as(concat!(
        "insert into booking.bookings
           (id, org_id, contact_id, provider, external_booking_id, external_service_id, appointment_at,
            appointment_end_at, service_type, service_name, urgency_level, status, payment_status,
                        first_touch_attribution, last_touch_attribution, source_event_id, last_provider_event_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         on conflict do nothing
         returning ",
        booking_columns!()
    ))
    .bind(b.id.uuid())
    .bind(org.uuid())
    .bind(b.contact.uuid())
    .bind(&b.provider)
    .bind(&b.external_booking_id)
    .bind(&b.external_service_id)
    .bind(b.appointment_at)
    .bind(b.appointment_end_at)
    .bind(b.service_type)
    .bind(&b.service_name)
    .bind(b.urgency_level)
    .bind(b.status)
    .bind(b.payment_status)
    .bind(&b.first_touch_attribution)
    .bind(&b.last_touch_attribution)
    .bind(b.source_event_id)
    .bind(b.provider_event_at)
    .fetch_optional(&mut **tx)
    .await
}

/// The booking, locked for the rest of the transaction.
pub async fn get_for_update(tx: &mut Tx, org: OrgId, id: BookingId) -> sqlx::Result<Option<BookingRow>> {
    sqlx::query_as(concat!(
        "select ",
        booking_columns!(),
        " from booking.bookings where org_id = $1 and id = $2 for update"
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// What changes on a booking; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct Change {
    pub status: Option<&'static str>,
    pub appointment_at: Option<DateTime<Utc>>,
    pub appointment_end_at: Option<Option<DateTime<Utc>>>,
    pub payment_status: Option<&'static str>,
    pub service_type: Option<&'static str>,
    pub urgency_level: Option<&'static str>,
    pub outcome: Option<(&'static str, Option<String>)>,
    pub rescheduled: bool,
    pub provider_event_at: Option<DateTime<Utc>>,
}

/// Applies a change and returns the booking as it now is.
pub async fn apply(tx: &mut Tx, org: OrgId, id: BookingId, c: &Change) -> sqlx::Result<BookingRow> {
    let (outcome, notes) = match &c.outcome {
        Some((o, n)) => (Some(*o), n.clone()),
        None => (None, None),
    };
    sqlx::query_as(concat!(
        "update booking.bookings set
           status = coalesce($3, status),
           appointment_at = coalesce($4, appointment_at),
           appointment_end_at = case when $5 then $6 else appointment_end_at end,
           payment_status = coalesce($7, payment_status),
           service_type = coalesce($8, service_type),
           urgency_level = coalesce($9, urgency_level),
           outcome = coalesce($10, outcome),
           outcome_notes = case when $10 is null then outcome_notes else $11 end,
           outcome_recorded_at = case when $10 is null then outcome_recorded_at else now() end,
           reschedule_count = reschedule_count + case when $12 then 1 else 0 end,
           last_provider_event_at = greatest(last_provider_event_at, $13),
           updated_at = now()
         where org_id = $1 and id = $2
         returning ",
        booking_columns!()
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .bind(c.status)
    .bind(c.appointment_at)
    .bind(c.appointment_end_at.is_some())
    .bind(c.appointment_end_at.flatten())
    .bind(c.payment_status)
    .bind(c.service_type)
    .bind(c.urgency_level)
    .bind(outcome)
    .bind(notes)
    .bind(c.rescheduled)
    .bind(c.provider_event_at)
    .fetch_one(&mut **tx)
    .await
}

/// One entry of a booking's history.
#[derive(Debug, Default)]
pub struct HistoryEntry<'a> {
    pub kind: &'a str,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub from_appointment_at: Option<DateTime<Utc>>,
    pub to_appointment_at: Option<DateTime<Utc>>,
    pub outcome: Option<&'a str>,
    pub actor: String,
    pub note: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub source_event_id: Option<Uuid>,
}

pub async fn record(tx: &mut Tx, org: OrgId, booking: BookingId, e: &HistoryEntry<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into booking.booking_changes
           (id, org_id, booking_id, kind, from_status, to_status, from_appointment_at, to_appointment_at,
            outcome, actor, note, occurred_at, source_event_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce($12, now()), $13)",
    )
    .bind(Uuid::now_v7())
    .bind(org.uuid())
    .bind(booking.uuid())
    .bind(e.kind)
    .bind(&e.from_status)
    .bind(&e.to_status)
    .bind(e.from_appointment_at)
    .bind(e.to_appointment_at)
    .bind(e.outcome)
    .bind(&e.actor)
    .bind(&e.note)
    .bind(e.occurred_at)
    .bind(e.source_event_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct ChangeRow {
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub from_appointment_at: Option<DateTime<Utc>>,
    pub to_appointment_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub actor: String,
    pub note: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

pub async fn history(tx: &mut Tx, org: OrgId, booking: BookingId) -> sqlx::Result<Vec<ChangeRow>> {
    sqlx::query_as(
        "select kind, from_status, to_status, from_appointment_at, to_appointment_at, outcome, actor, note, occurred_at
         from booking.booking_changes where org_id = $1 and booking_id = $2 order by recorded_at, id",
    )
    .bind(org.uuid())
    .bind(booking.uuid())
    .fetch_all(&mut **tx)
    .await
}

/// A provider service's classification.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceType {
    pub provider: String,
    pub external_service_id: String,
    pub service_type: String,
    pub urgency_level: String,
    /// 0: the service type's default.
    pub recall_months: i32,
}

pub async fn service_type(
    tx: &mut Tx,
    org: OrgId,
    provider: &str,
    external_service_id: &str,
) -> sqlx::Result<Option<ServiceType>> {
    sqlx::query_as(
        "select provider, external_service_id, service_type, urgency_level, recall_months from booking.service_types
         where org_id = $1 and provider = $2 and external_service_id = $3",
    )
    .bind(org.uuid())
    .bind(provider)
    .bind(external_service_id)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn service_types(tx: &mut Tx, org: OrgId) -> sqlx::Result<Vec<ServiceType>> {
    sqlx::query_as(
        "select provider, external_service_id, service_type, urgency_level, recall_months from booking.service_types
         where org_id = $1 order by provider, external_service_id",
    )
    .bind(org.uuid())
    .fetch_all(&mut **tx)
    .await
}

pub async fn set_service_type(tx: &mut Tx, org: OrgId, t: &ServiceType) -> sqlx::Result<()> {
    sqlx::query(
        "insert into booking.service_types
           (org_id, provider, external_service_id, service_type, urgency_level, recall_months)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (org_id, provider, external_service_id)
         do update set service_type = $4, urgency_level = $5, recall_months = $6, updated_at = now()",
    )
    .bind(org.uuid())
    .bind(&t.provider)
    .bind(&t.external_service_id)
    .bind(&t.service_type)
    .bind(&t.urgency_level)
    .bind(t.recall_months)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Upcoming, not cancelled bookings of a provider service, locked.
pub async fn upcoming_of_service(
    tx: &mut Tx,
    org: OrgId,
    provider: &str,
    external_service_id: &str,
) -> sqlx::Result<Vec<BookingId>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select id from booking.bookings
         where org_id = $1 and provider = $2 and external_service_id = $3
           and status <> 'cancelled' and appointment_at > now()
         for update",
    )
    .bind(org.uuid())
    .bind(provider)
    .bind(external_service_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(ids.into_iter().map(BookingId::from).collect())
}

pub async fn get(tx: &mut Tx, org: OrgId, id: BookingId) -> sqlx::Result<Option<BookingRow>> {
    sqlx::query_as(concat!(
        "select ",
        booking_columns!(),
        " from booking.bookings where org_id = $1 and id = $2"
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// A contact's bookings, latest appointment first.
pub async fn for_contact(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<Vec<BookingRow>> {
    sqlx::query_as(concat!(
        "select ",
        booking_columns!(),
        " from booking.bookings where org_id = $1 and contact_id = $2
         order by appointment_at desc, id desc limit 500"
    ))
    .bind(org.uuid())
    .bind(contact.uuid())
    .fetch_all(&mut **tx)
    .await
}

/// These bookings, in id order (those of another organisation are not seen).
pub async fn by_ids(tx: &mut Tx, org: OrgId, ids: &[Uuid]) -> sqlx::Result<Vec<BookingRow>> {
    sqlx::query_as(concat!(
        "select ",
        booking_columns!(),
        " from booking.bookings where org_id = $1 and id = any($2) order by id"
    ))
    .bind(org.uuid())
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
}
