//! Bookings and recalls follow contact merges (the kit's [`FollowMerges`]
//! consumer). Each moved booking records the move in its history and is
//! published as `booking.updated`, so the timeline and read models follow
//! too. Recalls move as they are; then, since a contact has one open
//! recall at most, where both contacts had one the newer stands and the
//! older is closed (`booking.recall_closed`), and the merge's undo opens
//! it again (`booking.recall_set`). The table's one-open constraint is
//! checked at commit, after this settles it.

use attend_kit::actor::Actor;
use attend_kit::bus::Event;
use attend_kit::bus::consumer::{HandleError, Received};
use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Tx;
use attend_kit::ids::TypedId;
use attend_kit::merges::{Follower, Step};
use attend_proto::booking::v1 as pb;
use attend_proto::contact::v1::{ContactMergeUndone, ContactMerged};
use uuid::Uuid;

pub(crate) use attend_kit::merges::{FollowMerges, SPEC};

use crate::bookings::draft;
use crate::recalls::{Announce, announce};
use crate::store::{self, HistoryEntry};

const BOOKINGS: &str = "booking.bookings";
const RECALLS: &str = "booking.recalls";

pub(crate) struct BookingsAndRecalls {
    pub outbox: Outbox,
}

fn reject(why: String) -> HandleError {
    HandleError::Reject(anyhow::anyhow!(why))
}

/// The merge an event is about, and its two contacts.
fn merge_of(event: &Received) -> Result<(Uuid, [Uuid; 2]), HandleError> {
    let (merge, survivor, merged) = if event.envelope.r#type == ContactMerged::TYPE {
        let e: ContactMerged = event.payload()?;
        (e.merge_id, e.survivor_id, e.merged_id)
    } else {
        let e: ContactMergeUndone = event.payload()?;
        (e.merge_id, e.survivor_id, e.merged_id)
    };
    let id = |field: &str, text: &str| Uuid::parse_str(text).map_err(|e| reject(format!("{field}: {e}")));
    Ok((
        id("merge_id", &merge)?,
        [id("survivor_id", &survivor)?, id("merged_id", &merged)?],
    ))
}

impl BookingsAndRecalls {
    async fn bookings_moved(
        &self,
        tx: &mut Tx,
        event: &Received,
        rows: Vec<Uuid>,
        step: Step,
    ) -> Result<(), HandleError> {
        let org = event.org;
        for row in store::by_ids(tx, org, &rows).await? {
            store::record(
                tx,
                org,
                row.booking_id(),
                &HistoryEntry {
                    kind: "updated",
                    from_status: Some(row.status.clone()),
                    to_status: Some(row.status.clone()),
                    actor: Actor::System.to_string(),
                    note: Some(step.note().to_owned()),
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
                .add(tx, draft(org, &row, &update).caused_by(&event.envelope))
                .await?;
        }
        Ok(())
    }

    async fn recalls_moved(&self, tx: &mut Tx, event: &Received, step: Step) -> Result<(), HandleError> {
        let org = event.org;
        let (merge, contacts) = merge_of(event)?;
        if step == Step::Undone {
            for row in store::reopen_closed_by_merge(tx, org, merge).await? {
                announce(&self.outbox, tx, org, Announce::Set, &row, Some(&event.envelope)).await?;
            }
        }
        let note = format!("{}: the newer recall stands", step.note());
        for row in store::close_all_but_newest(tx, org, &contacts, merge, &note).await? {
            announce(&self.outbox, tx, org, Announce::Closed, &row, Some(&event.envelope)).await?;
        }
        Ok(())
    }
}

impl Follower for BookingsAndRecalls {
    const TABLES: &'static [&'static str] = &[BOOKINGS, RECALLS];

    async fn moved(
        &self,
        tx: &mut Tx,
        event: &Received,
        table: &'static str,
        rows: Vec<Uuid>,
        step: Step,
    ) -> Result<(), HandleError> {
        match table {
            RECALLS => self.recalls_moved(tx, event, step).await,
            _ => self.bookings_moved(tx, event, rows, step).await,
        }
    }
}
