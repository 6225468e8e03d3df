//! Follows contact merges: a task belongs to whoever its contact was
//! merged into, and goes back if the merge is undone.

use attend_kit::bus::Event;
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::db::Tx;
use attend_kit::ids::TypedId;
use attend_proto::contact::v1::{ContactMergeUndone, ContactMerged};
use uuid::Uuid;

/// Every contact event; only merges and undos are acted on (NATS 2.9
/// filters on one subject, and one consumer keeps them in order).
pub const SPEC: Spec = Spec {
    purpose: "merges",
    events: "contact.*",
};

pub struct Merges;

fn uuid(field: &str, text: &str) -> Result<Uuid, HandleError> {
    text.parse()
        .map_err(|e| HandleError::Reject(anyhow::anyhow!("{field}: {e}")))
}

impl Handler for Merges {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let org = event.org.uuid();
        if event.envelope.r#type == ContactMerged::TYPE {
            let e: ContactMerged = event.payload()?;
            let merge = uuid("merge_id", &e.merge_id)?;
            sqlx::query(
                "with moved as (
                     update automation.tasks set contact_id = $4, updated_at = now()
                     where org_id = $2 and contact_id = $3
                       and not exists (select 1 from automation.undone_merges where merge_id = $1)
                     returning id)
                 insert into automation.merge_moves (merge_id, org_id, task_id, from_contact, to_contact)
                 select $1, $2, id, $3, $4 from moved",
            )
            .bind(merge)
            .bind(org)
            .bind(uuid("merged_id", &e.merged_id)?)
            .bind(uuid("survivor_id", &e.survivor_id)?)
            .execute(&mut **tx)
            .await?;
        } else if event.envelope.r#type == ContactMergeUndone::TYPE {
            let e: ContactMergeUndone = event.payload()?;
            let merge = uuid("merge_id", &e.merge_id)?;
            sqlx::query(
                "insert into automation.undone_merges (merge_id, org_id) values ($1, $2) on conflict do nothing",
            )
            .bind(merge)
            .bind(org)
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "with back as (
                     update automation.merge_moves set undone_at = now()
                     where org_id = $1 and merge_id = $2 and undone_at is null
                     returning task_id, from_contact, to_contact)
                 update automation.tasks set contact_id = back.from_contact, updated_at = now()
                 from back
                 where tasks.org_id = $1 and tasks.id = back.task_id and tasks.contact_id = back.to_contact",
            )
            .bind(org)
            .bind(merge)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}
