//! Follows contact merges: a booking belongs to whoever its contact was
//! merged into, and goes back if the merge is undone.

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::outbox::Outbox;
use attend_kit::bus::{Draft, Event};
use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use attend_proto::booking::v1 as pb;
use attend_proto::contact::v1::{ContactMergeUndone, ContactMerged};
use uuid::Uuid;

use crate::store::{self, BookingRow, HistoryEntry, booking_columns};

/// Every contact event; only merges and undos are acted on (NATS 2.9
/// filters on one subject, and one consumer keeps them in order).
pub const SPEC: Spec = Spec {
    purpose: "merges",
    events: "contact.*",
};

pub struct Merges {
    pub outbox: Outbox,
}

fn uuid(field: &str, text: &str) -> Result<Uuid, HandleError> {
    text.parse()
        .map_err(|e| HandleError::Reject(anyhow::anyhow!("{field}: {e}")))
}

impl Merges {
    /// Records the move in each booking's history and says so.
    async fn moved(
        &self,
        tx: &mut Tx,
        event: &Received,
        org: OrgId,
        rows: Vec<BookingRow>,
        note: &str,
    ) -> Result<(), HandleError> {
        for row in rows {
            store::record(
                tx,
                org,
                row.booking_id(),
                &HistoryEntry {
                    kind: "updated",
                    from_status: Some(row.status.clone()),
                    to_status: Some(row.status.clone()),
                    actor: "system".to_owned(),
                    note: Some(note.to_owned()),
                    source_event_id: Some(event.id.uuid()),
                    ..HistoryEntry::default()
                },
            )
            .await?;
            let update = pb::BookingUpdated {
                booking: Some(row.clone().into_proto()),
                changed: vec!["contact_id".to_owned()],
            };
            self.outbox
                .add(
                    tx,
                    Draft::new(org, &update)
                        .about("booking_id", row.booking_id())
                        .about("contact_id", row.contact())
                        .caused_by(&event.envelope),
                )
                .await?;
        }
        Ok(())
    }
}

impl Handler for Merges {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let org = event.org;
        if event.envelope.r#type == ContactMerged::TYPE {
            let e: ContactMerged = event.payload()?;
            let (merge, survivor, merged) = (
                uuid("merge_id", &e.merge_id)?,
                uuid("survivor_id", &e.survivor_id)?,
                uuid("merged_id", &e.merged_id)?,
            );
            let undone: bool =
                sqlx::query_scalar("select exists (select 1 from booking.undone_merges where merge_id = $1)")
                    .bind(merge)
                    .fetch_one(&mut **tx)
                    .await?;
            if undone {
                return Ok(());
            }
            let rows: Vec<BookingRow> = sqlx::query_as(concat!(
                "update booking.bookings set contact_id = $3, updated_at = now()
                 where org_id = $1 and contact_id = $2 returning ",
                booking_columns!()
            ))
            .bind(org.uuid())
            .bind(merged)
            .bind(survivor)
            .fetch_all(&mut **tx)
            .await?;
            let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
            sqlx::query(
                "insert into booking.merge_moves (merge_id, org_id, booking_id, from_contact, to_contact)
                 select $1, $2, unnest($3::uuid[]), $4, $5",
            )
            .bind(merge)
            .bind(org.uuid())
            .bind(&ids)
            .bind(merged)
            .bind(survivor)
            .execute(&mut **tx)
            .await?;
            self.moved(tx, event, org, rows, "contact merged").await
        } else if event.envelope.r#type == ContactMergeUndone::TYPE {
            let e: ContactMergeUndone = event.payload()?;
            let merge = uuid("merge_id", &e.merge_id)?;
            sqlx::query("insert into booking.undone_merges (merge_id, org_id) values ($1, $2) on conflict do nothing")
                .bind(merge)
                .bind(org.uuid())
                .execute(&mut **tx)
                .await?;
            let rows: Vec<BookingRow> = sqlx::query_as(concat!(
                "with back as (
                     update booking.merge_moves set undone_at = now()
                     where org_id = $1 and merge_id = $2 and undone_at is null
                     returning booking_id, from_contact, to_contact)
                 update booking.bookings set contact_id = back.from_contact, updated_at = now()
                 from back
                 where bookings.org_id = $1 and bookings.id = back.booking_id
                   and bookings.contact_id = back.to_contact
                 returning ",
                booking_columns!()
            ))
            .bind(org.uuid())
            .bind(merge)
            .fetch_all(&mut **tx)
            .await?;
            self.moved(tx, event, org, rows, "contact merge undone").await
        } else {
            Ok(())
        }
    }
}
