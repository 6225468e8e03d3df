//! The consent ledger: who may be messaged on which channel. Nothing is
//! updated in place; the newest entry for an address wins.

use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TypedId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The newest entry for an address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRow {
    pub state: String,
    pub how: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// An entry to add.
#[derive(Debug, Clone)]
pub struct NewConsent<'a> {
    pub channel: &'static str,
    pub address: &'a str,
    pub contact: Option<ContactId>,
    pub state: &'static str,
    pub how: &'static str,
    pub detail: &'a str,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn add_consent(tx: &mut Tx, org: OrgId, c: &NewConsent<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into messaging.consents (id, org_id, channel, address, contact_id, state, how, detail, actor, at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Uuid::now_v7())
    .bind(org.uuid())
    .bind(c.channel)
    .bind(c.address)
    .bind(c.contact.map(|c| c.uuid()))
    .bind(c.state)
    .bind(c.how)
    .bind(c.detail)
    .bind(c.actor)
    .bind(c.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Where an address stands now; `None` when nothing was ever recorded.
pub async fn consent(tx: &mut Tx, org: OrgId, channel: &str, address: &str) -> sqlx::Result<Option<ConsentRow>> {
    sqlx::query_as(
        "select state, how, detail, at from messaging.consents
          where org_id = $1 and channel = $2 and address = $3
          order by at desc, id desc limit 1",
    )
    .bind(org.uuid())
    .bind(channel)
    .bind(address)
    .fetch_optional(&mut **tx)
    .await
}

/// A ledger entry in full.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerEntry {
    pub channel: String,
    pub address: String,
    pub contact_id: Option<Uuid>,
    pub state: String,
    pub how: String,
    pub detail: String,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// The newest entry for an address, in full.
pub async fn latest_consent(
    tx: &mut Tx,
    org: OrgId,
    channel: &str,
    address: &str,
) -> sqlx::Result<Option<LedgerEntry>> {
    sqlx::query_as(
        "select channel, address, contact_id, state, how, detail, actor, at from messaging.consents
          where org_id = $1 and channel = $2 and address = $3
          order by at desc, id desc limit 1",
    )
    .bind(org.uuid())
    .bind(channel)
    .bind(address)
    .fetch_optional(&mut **tx)
    .await
}

/// Every address on `channel` whose newest entry is an opt-in, in address
/// order.
pub async fn opted_in(tx: &mut Tx, org: OrgId, channel: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select address from (
           select distinct on (address) address, state from messaging.consents
            where org_id = $1 and channel = $2
            order by address, at desc, id desc
         ) newest
         where state = 'opted_in'
         order by address",
    )
    .bind(org.uuid())
    .bind(channel)
    .fetch_all(&mut **tx)
    .await
}
