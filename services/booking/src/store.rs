//! SQL over the `booking` schema, always inside tenant transactions.

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
        }
    }
}

macro_rules! booking_columns {
    () => {
        "id, contact_id, provider, external_booking_id, appointment_at, appointment_end_at, \
         service_type, service_name, urgency_level, status, outcome, payment_status, \
         first_touch_attribution, last_touch_attribution, created_at, updated_at"
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
}

/// Inserts a booking; `None` if it (or the same provider booking) exists.
pub async fn insert(tx: &mut Tx, org: OrgId, b: &NewBooking) -> sqlx::Result<Option<BookingRow>> {
    sqlx::query_as(concat!(
        "insert into booking.bookings
           (id, org_id, contact_id, provider, external_booking_id, external_service_id, appointment_at,
            appointment_end_at, service_type, service_name, urgency_level, status, payment_status,
            first_touch_attribution, last_touch_attribution, source_event_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
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
    .fetch_optional(&mut **tx)
    .await
}

pub async fn exists(tx: &mut Tx, org: OrgId, id: BookingId) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists(select 1 from booking.bookings where org_id = $1 and id = $2)")
        .bind(org.uuid())
        .bind(id.uuid())
        .fetch_one(&mut **tx)
        .await
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
