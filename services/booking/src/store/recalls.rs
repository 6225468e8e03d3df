//! Recalls: set (replacing the open one), read, listed when due, closed,
//! and settled after contact merges.

use attend_kit::bus::timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::{BookingId, ContactId, OrgId, RecallId, TypedId};
use attend_proto::booking::v1 as pb;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecallRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub booking_id: Option<Uuid>,
    pub due_on: NaiveDate,
    pub reason: Option<String>,
    pub months: i32,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl RecallRow {
    pub fn into_proto(self) -> pb::Recall {
        pb::Recall {
            id: self.id.to_string(),
            contact_id: self.contact_id.to_string(),
            booking_id: self.booking_id.map(|b| b.to_string()).unwrap_or_default(),
            due_on: self.due_on.format("%Y-%m-%d").to_string(),
            reason: self.reason.unwrap_or_default(),
            status: self.status,
            created_at: Some(timestamp(self.created_at)),
            closed_at: self.closed_at.map(timestamp),
            months: self.months,
        }
    }

    pub fn recall_id(&self) -> RecallId {
        RecallId::from(self.id)
    }

    pub fn contact(&self) -> ContactId {
        ContactId::from(self.contact_id)
    }

    pub fn booking(&self) -> Option<BookingId> {
        self.booking_id.map(BookingId::from)
    }
}

macro_rules! recall_columns {
    () => {
        "id, contact_id, booking_id, due_on, reason, months, status, created_at, closed_at"
    };
}

/// Serialises changes to one contact's recalls (there is no row to lock
/// before the first is set).
pub async fn lock_contact_recalls(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("booking-recall:{}:{}", org.uuid(), contact.uuid()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A recall about to be set.
#[derive(Debug, Clone)]
pub struct NewRecall {
    pub contact: ContactId,
    pub booking: Option<BookingId>,
    pub due_on: NaiveDate,
    pub reason: Option<String>,
    pub months: i32,
}

pub async fn insert_recall(tx: &mut Tx, org: OrgId, r: &NewRecall) -> sqlx::Result<RecallRow> {
    sqlx::query_as(concat!(
        "insert into booking.recalls (id, org_id, contact_id, booking_id, due_on, reason, months)
         values ($1, $2, $3, $4, $5, $6, $7) returning ",
        recall_columns!()
    ))
    .bind(RecallId::new().uuid())
    .bind(org.uuid())
    .bind(r.contact.uuid())
    .bind(r.booking.map(|b| b.uuid()))
    .bind(r.due_on)
    .bind(&r.reason)
    .bind(r.months)
    .fetch_one(&mut **tx)
    .await
}

/// How an open recall is closed.
#[derive(Debug, Clone, Copy)]
pub struct Closing<'a> {
    /// `booked` or `closed`.
    pub status: &'static str,
    pub note: Option<&'a str>,
    /// The booking that closed it as booked.
    pub booked_by: Option<BookingId>,
}

/// Which open recall to close.
#[derive(Debug, Clone, Copy)]
pub enum Open {
    /// The contact's, if it has one.
    OfContact(ContactId),
    /// This one, if it is still open.
    Recall(RecallId),
}

/// Closes an open recall; `None` when there is none (any more).
pub async fn close_open(tx: &mut Tx, org: OrgId, which: Open, c: &Closing<'_>) -> sqlx::Result<Option<RecallRow>> {
    let (contact, id) = match which {
        Open::OfContact(contact) => (Some(contact.uuid()), None),
        Open::Recall(id) => (None, Some(id.uuid())),
    };
    sqlx::query_as(concat!(
        "update booking.recalls set status = $4, note = $5, booked_by = $6, closed_at = now(), updated_at = now()
         where org_id = $1 and status = 'open'
           and ($2::uuid is null or contact_id = $2) and ($3::uuid is null or id = $3)
         returning ",
        recall_columns!()
    ))
    .bind(org.uuid())
    .bind(contact)
    .bind(id)
    .bind(c.status)
    .bind(c.note)
    .bind(c.booked_by.map(|b| b.uuid()))
    .fetch_optional(&mut **tx)
    .await
}

pub async fn recall(tx: &mut Tx, org: OrgId, id: RecallId) -> sqlx::Result<Option<RecallRow>> {
    sqlx::query_as(concat!(
        "select ",
        recall_columns!(),
        " from booking.recalls where org_id = $1 and id = $2"
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

pub async fn open_recall(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<Option<RecallRow>> {
    sqlx::query_as(concat!(
        "select ",
        recall_columns!(),
        " from booking.recalls where org_id = $1 and contact_id = $2 and status = 'open'"
    ))
    .bind(org.uuid())
    .bind(contact.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// A page of open recalls due on or before `by`, oldest due first, after
/// `(due_on, id)`.
pub async fn due_recalls(
    tx: &mut Tx,
    org: OrgId,
    by: NaiveDate,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<RecallRow>> {
    let (after_due, after_id) = after.unzip();
    sqlx::query_as(concat!(
        "select ",
        recall_columns!(),
        " from booking.recalls
         where org_id = $1 and status = 'open' and due_on <= $2
           and ($3::date is null or (due_on, id) > ($3, $4))
         order by due_on, id limit $5"
    ))
    .bind(org.uuid())
    .bind(by)
    .bind(after_due)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// After a merge moved recalls: where a contact now has more than one
/// open, all but the newest are closed, marked as closed by `merge`.
pub async fn close_all_but_newest(
    tx: &mut Tx,
    org: OrgId,
    contacts: &[Uuid],
    merge: Uuid,
    note: &str,
) -> sqlx::Result<Vec<RecallRow>> {
    sqlx::query_as(concat!(
        "with ranked as (
             select id as ranked_id,
                    row_number() over (partition by contact_id order by created_at desc, id desc) as n
             from booking.recalls where org_id = $1 and contact_id = any($2) and status = 'open')
         update booking.recalls set status = 'closed', note = $4, closed_by_merge = $3, closed_at = now(),
             updated_at = now()
         from ranked where id = ranked_id and n > 1
         returning ",
        recall_columns!()
    ))
    .bind(org.uuid())
    .bind(contacts)
    .bind(merge)
    .bind(note)
    .fetch_all(&mut **tx)
    .await
}

/// On a merge's undo: opens again what the merge closed, where the
/// contact has no open recall now.
pub async fn reopen_closed_by_merge(tx: &mut Tx, org: OrgId, merge: Uuid) -> sqlx::Result<Vec<RecallRow>> {
    sqlx::query_as(concat!(
        "update booking.recalls r set status = 'open', note = null, closed_by_merge = null, closed_at = null,
             updated_at = now()
         where r.org_id = $1 and r.closed_by_merge = $2 and r.status = 'closed'
           and not exists (select 1 from booking.recalls o
                           where o.org_id = $1 and o.contact_id = r.contact_id and o.status = 'open')
         returning ",
        recall_columns!()
    ))
    .bind(org.uuid())
    .bind(merge)
    .fetch_all(&mut **tx)
    .await
}
