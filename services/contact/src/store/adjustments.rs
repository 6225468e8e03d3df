//! Warmness adjustments: added, and read for the score.

use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TypedId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::warmness::Adjustment;

/// An adjustment about to be recorded.
#[derive(Debug, Clone)]
pub struct NewAdjustment<'a> {
    pub contact: ContactId,
    pub delta: i32,
    pub reason: &'a str,
    pub actor: String,
}

pub async fn add_adjustment(tx: &mut Tx, org: OrgId, a: &NewAdjustment<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into contact.warmness_adjustments (id, org_id, contact_id, delta, reason, actor)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(org.uuid())
    .bind(a.contact.uuid())
    .bind(a.delta)
    .bind(a.reason)
    .bind(&a.actor)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A contact's adjustments, oldest first.
pub async fn adjustments(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<Vec<Adjustment>> {
    let rows: Vec<(i32, String, String, DateTime<Utc>)> = sqlx::query_as(
        "select delta, reason, actor, at from contact.warmness_adjustments
         where org_id = $1 and contact_id = $2 order by at, id",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(delta, reason, actor, at)| Adjustment {
            delta,
            reason,
            actor,
            at: at.timestamp(),
        })
        .collect())
}
