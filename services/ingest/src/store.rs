//! SQL over the `ingest` schema.

use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use sqlx::types::Json;
use uuid::Uuid;

/// A verified delivery, as it goes into the event log.
#[derive(Debug)]
pub struct LogEntry<'a> {
    pub id: Uuid,
    pub provider: &'a str,
    pub delivery_id: &'a str,
    pub event_type: &'a str,
    pub endpoint: &'a str,
    pub headers: &'a serde_json::Map<String, serde_json::Value>,
    pub body: &'a [u8],
    pub subject_ids: &'a serde_json::Map<String, serde_json::Value>,
    pub published: bool,
}

/// What appending found.
#[derive(Debug)]
pub enum Appended {
    New,
    /// This delivery was logged before: its event id and assigned ids.
    Duplicate {
        id: Uuid,
        subject_ids: serde_json::Map<String, serde_json::Value>,
    },
}

/// Appends a delivery unless the provider's event id was seen before. A
/// concurrent duplicate waits here for the first to commit, then finds it.
pub async fn append(tx: &mut Tx, org: OrgId, e: &LogEntry<'_>) -> sqlx::Result<Appended> {
    let inserted = sqlx::query(
        "insert into ingest.event_log
           (id, org_id, provider, delivery_id, event_type, endpoint, headers, raw_body, subject_ids, published)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (org_id, provider, delivery_id) do nothing",
    )
    .bind(e.id)
    .bind(org.uuid())
    .bind(e.provider)
    .bind(e.delivery_id)
    .bind(e.event_type)
    .bind(e.endpoint)
    .bind(Json(e.headers))
    .bind(e.body)
    .bind(Json(e.subject_ids))
    .bind(e.published)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        return Ok(Appended::New);
    }
    let (id, Json(subject_ids)): (Uuid, Json<serde_json::Map<String, serde_json::Value>>) = sqlx::query_as(
        "select id, subject_ids from ingest.event_log where org_id = $1 and provider = $2 and delivery_id = $3",
    )
    .bind(org.uuid())
    .bind(e.provider)
    .bind(e.delivery_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Appended::Duplicate { id, subject_ids })
}

/// Our id for a provider's entity, assigned on first sight.
pub async fn our_id(
    tx: &mut Tx,
    org: OrgId,
    provider: &str,
    kind: &str,
    external_id: &str,
    fresh: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query(
        "insert into ingest.external_refs (org_id, provider, kind, external_id, id)
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(org.uuid())
    .bind(provider)
    .bind(kind)
    .bind(external_id)
    .bind(fresh)
    .execute(&mut **tx)
    .await?;
    sqlx::query_scalar(
        "select id from ingest.external_refs where org_id = $1 and provider = $2 and kind = $3 and external_id = $4",
    )
    .bind(org.uuid())
    .bind(provider)
    .bind(kind)
    .bind(external_id)
    .fetch_one(&mut **tx)
    .await
}

/// A refused delivery.
#[derive(Debug)]
pub struct Rejected<'a> {
    pub provider: &'a str,
    pub endpoint: &'a str,
    pub reason_code: &'a str,
    pub reason: &'a str,
    pub http_status: u16,
    pub headers: &'a serde_json::Map<String, serde_json::Value>,
    pub body: &'a [u8],
}

/// How much of a refused body is kept.
pub const REJECTED_BODY_LIMIT: usize = 64 * 1024;

pub async fn record_rejection(pool: &sqlx::PgPool, r: &Rejected<'_>) -> sqlx::Result<()> {
    let truncated = r.body.len() > REJECTED_BODY_LIMIT;
    let body = &r.body[..r.body.len().min(REJECTED_BODY_LIMIT)];
    sqlx::query(
        "insert into ingest.rejected_deliveries
           (id, provider, endpoint, reason_code, reason, http_status, headers, body, body_truncated)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(Uuid::now_v7())
    .bind(r.provider)
    .bind(r.endpoint)
    .bind(r.reason_code)
    .bind(r.reason)
    .bind(i32::from(r.http_status))
    .bind(Json(r.headers))
    .bind(body)
    .bind(truncated)
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct RejectedRow {
    pub id: Uuid,
    pub provider: String,
    pub endpoint: String,
    pub reason_code: String,
    pub reason: String,
    pub http_status: i32,
    pub received_at: chrono::DateTime<chrono::Utc>,
}

/// Newest refusals first. Runs in a platform transaction: refusals belong
/// to no known organisation.
pub async fn rejected(tx: &mut Tx, provider: Option<&str>, limit: i64) -> sqlx::Result<Vec<RejectedRow>> {
    sqlx::query_as(
        "select id, provider, endpoint, reason_code, reason, http_status, received_at
         from ingest.rejected_deliveries
         where ($1::text is null or provider = $1)
         order by received_at desc, id desc limit $2",
    )
    .bind(provider)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}
