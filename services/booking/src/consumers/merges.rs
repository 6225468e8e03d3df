//! Bookings follow contact merges (the kit's [`FollowMerges`] consumer):
//! each moved booking records the move in its history and is published as
//! `booking.updated`, so the timeline and read models follow too.

use attend_kit::actor::Actor;
use attend_kit::bus::Draft;
use attend_kit::bus::consumer::{HandleError, Received};
use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Tx;
use attend_kit::ids::TypedId;
use attend_kit::merges::{Follower, Step};
use attend_proto::booking::v1 as pb;
use uuid::Uuid;

pub(crate) use attend_kit::merges::{FollowMerges, SPEC};

use crate::store::{self, HistoryEntry};

pub(crate) struct Bookings {
    pub outbox: Outbox,
}

impl Follower for Bookings {
    const TABLES: &'static [&'static str] = &["booking.bookings"];

    async fn moved(
        &self,
        tx: &mut Tx,
        event: &Received,
        _table: &'static str,
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
