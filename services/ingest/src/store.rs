//! SQL over the `ingest` schema.

use attend_kit::bus::outbox::Row;
use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use serde_json::{Map, Value};
use sqlx::PgPool;
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
}

/// Our id for a provider's entity, to assign on first sight.
#[derive(Debug, Clone, Copy)]
pub struct Reference<'a> {
    pub kind: &'a str,
    pub external_id: &'a str,
    /// The id to assign if the entity is new (and that the event carries).
    pub fresh: Uuid,
}

/// What recording found.
#[derive(Debug)]
pub enum Recorded {
    New,
    /// This delivery was logged before: its event id and assigned ids.
    Duplicate {
        id: Uuid,
        subject_ids: serde_json::Map<String, serde_json::Value>,
    },
    /// The entity already has this id; nothing was written. Encode the
    /// event with it and record again.
    KnownAs(Uuid),
}

/// `record_delivery`'s answer: event id, duplicate, subject ids, known id.
type RecordRow = (Option<Uuid>, bool, Option<Json<Map<String, Value>>>, Option<Uuid>);

/// Records a delivery in one round trip (`ingest.record_delivery`, one
/// implicit transaction): duplicate check, id assignment, the raw event
/// log row and the outbox row of its event.
pub async fn record(
    pool: &PgPool,
    org: OrgId,
    e: &LogEntry<'_>,
    reference: Option<Reference<'_>>,
    event: Option<&Row>,
) -> sqlx::Result<Recorded> {
    let (event_id, duplicate, subject_ids, known): RecordRow = sqlx::query_as(
        "select event_id, duplicate, subject_ids, ref_id from ingest.record_delivery(
                 $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(org.uuid())
    .bind(e.id)
    .bind(e.provider)
    .bind(e.delivery_id)
    .bind(e.event_type)
    .bind(e.endpoint)
    .bind(Json(e.headers))
    .bind(e.body)
    .bind(Json(e.subject_ids))
    .bind(reference.map(|r| r.kind))
    .bind(reference.map(|r| r.external_id))
    .bind(reference.map(|r| r.fresh))
    .bind(event.map(|r| r.subject.as_str()))
    .bind(event.map(|r| &r.headers))
    .bind(event.map(|r| r.payload.as_slice()))
    .fetch_one(pool)
    .await?;
    Ok(match (event_id, duplicate) {
        (Some(id), true) => Recorded::Duplicate {
            id,
            subject_ids: subject_ids.map(|j| j.0).unwrap_or_default(),
        },
        (Some(_), false) => Recorded::New,
        (None, _) => {
            Recorded::KnownAs(known.ok_or_else(|| sqlx::Error::Protocol("record_delivery answered no id".into()))?)
        }
    })
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
