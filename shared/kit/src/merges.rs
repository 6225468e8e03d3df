//! Following contact merges: when the contact service merges one contact
//! into another, every row elsewhere that names the merged contact moves to
//! the survivor; when the merge is undone, exactly those rows move back.
//!
//! A service that keeps rows about contacts (bookings, tasks, messages)
//! runs one [`FollowMerges`] consumer over its tables. Each table has
//! `id`, `org_id`, `contact_id` and `updated_at` columns. The moves are
//! recorded in the kit's `merge_follows` table of the service's own schema
//! (`shared/kit/migrations/0004_merge_follows.sql`), so an undo moves back
//! what that merge moved and nothing a person re-assigned since; an undo
//! is remembered in `merges_undone`, so a merge event redelivered after its
//! undo moves nothing. The consumer's inbox makes each event count once.

use std::future::Future;

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::bus::Event;
use crate::bus::consumer::{HandleError, Handler, Received, Spec};
use crate::db::Tx;
use crate::ids::{OrgId, TypedId};
use attend_proto::contact::v1::{ContactMergeUndone, ContactMerged};

/// Every contact event; only merges and undos are acted on (NATS 2.9
/// filters on one subject, and one consumer keeps them in order).
pub const SPEC: Spec = Spec {
    purpose: "merges",
    events: "contact.*",
};

/// Which way rows moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// From the merged contact to the survivor.
    Merged,
    /// Back, by the merge's undo.
    Undone,
}

impl Step {
    /// For histories and logs: "contact merged", "contact merge undone".
    pub fn note(self) -> &'static str {
        match self {
            Self::Merged => "contact merged",
            Self::Undone => "contact merge undone",
        }
    }
}

/// A service's side of following merges.
pub trait Follower: Send + Sync + 'static {
    /// The tables whose `contact_id` follows merges, schema-qualified
    /// (`booking.bookings`). Constants of the service, never input: they
    /// are written into the SQL.
    const TABLES: &'static [&'static str];

    /// Called in the same transaction after rows of `table` moved, with
    /// their ids: to record history or publish what changed. Most services
    /// have nothing to add.
    fn moved(
        &self,
        tx: &mut Tx,
        event: &Received,
        table: &'static str,
        rows: Vec<Uuid>,
        step: Step,
    ) -> impl Future<Output = Result<(), HandleError>> + Send {
        let _ = (tx, event, table, rows, step);
        async { Ok(()) }
    }
}

/// The consumer: run it with `ctx.consume(merges::SPEC, FollowMerges(..))`.
#[derive(Debug)]
pub struct FollowMerges<F>(pub F);

impl<F: Follower> Handler for FollowMerges<F> {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let org = event.org;
        let step = if event.envelope.r#type == ContactMerged::TYPE {
            let e: ContactMerged = event.payload()?;
            Some((
                Step::Merged,
                uuid("merge_id", &e.merge_id)?,
                Some((e.merged_id, e.survivor_id)),
            ))
        } else if event.envelope.r#type == ContactMergeUndone::TYPE {
            let e: ContactMergeUndone = event.payload()?;
            Some((Step::Undone, uuid("merge_id", &e.merge_id)?, None))
        } else {
            None
        };
        let Some((step, merge, pair)) = step else {
            return Ok(());
        };
        if step == Step::Undone {
            sqlx::query("insert into merges_undone (merge_id, org_id) values ($1, $2) on conflict do nothing")
                .bind(merge)
                .bind(org.uuid())
                .execute(&mut **tx)
                .await?;
        }
        for &table in F::TABLES {
            let rows = match &pair {
                Some((merged, survivor)) => {
                    let (from, to) = (uuid("merged_id", merged)?, uuid("survivor_id", survivor)?);
                    move_rows(tx, org, merge, table, from, to).await?
                }
                None => move_back(tx, org, merge, table).await?,
            };
            if !rows.is_empty() {
                self.0.moved(tx, event, table, rows, step).await?;
            }
        }
        Ok(())
    }
}

/// An id the event carries; unreadable, it never will be: a refusal.
fn uuid(field: &str, text: &str) -> Result<Uuid, HandleError> {
    Uuid::parse_str(text).map_err(|e| HandleError::Reject(anyhow::anyhow!("{field}: {e}")))
}

/// Moves `table`'s rows from `from` to `to` unless the merge was undone
/// already, recording each move.
async fn move_rows(
    tx: &mut Tx,
    org: OrgId,
    merge: Uuid,
    table: &'static str,
    from: Uuid,
    to: Uuid,
) -> Result<Vec<Uuid>, HandleError> {
    let sql = format!(
        "with moved as (
             update {table} set contact_id = $4, updated_at = now()
             where org_id = $2 and contact_id = $3
               and not exists (select 1 from merges_undone where merge_id = $1)
             returning id)
         insert into merge_follows (merge_id, org_id, table_name, row_id, from_contact, to_contact)
         select $1, $2, $5, id, $3, $4 from moved
         returning row_id"
    );
    // `table` is one of the service's constant table names, never input.
    Ok(sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(merge)
        .bind(org.uuid())
        .bind(from)
        .bind(to)
        .bind(table)
        .fetch_all(&mut **tx)
        .await?)
}

/// Moves back what the merge moved in `table`, unless a row has been given
/// to someone else since.
async fn move_back(tx: &mut Tx, org: OrgId, merge: Uuid, table: &'static str) -> Result<Vec<Uuid>, HandleError> {
    let sql = format!(
        "with back as (
             update merge_follows set undone_at = now()
             where org_id = $1 and merge_id = $2 and table_name = $3 and undone_at is null
             returning row_id, from_contact, to_contact)
         update {table} as t set contact_id = back.from_contact, updated_at = now()
         from back
         where t.org_id = $1 and t.id = back.row_id and t.contact_id = back.to_contact
         returning t.id"
    );
    // `table` is one of the service's constant table names, never input.
    Ok(sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(org.uuid())
        .bind(merge)
        .bind(table)
        .fetch_all(&mut **tx)
        .await?)
}
