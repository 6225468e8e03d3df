//! Dead letters an operator can list and send back (`attend dead-letters`).
//!
//! Redriving publishes the stored message again, on its own subject, with
//! its own headers but a new `Nats-Msg-Id` (JetStream would drop the old one
//! as a duplicate). Every consumer of that subject sees it; each goes through
//! its idempotent inbox, so the consumers that applied the event before ack
//! it as a duplicate and the one that gave up applies it now: a redriven
//! event never has two effects, however often it is redriven. The letter is
//! marked redriven, and an `audit.recorded` fact (`dead_letter.redrive`) for
//! its organisation leaves through the service's outbox in the same
//! transaction.

use async_nats::HeaderMap;
use chrono::{DateTime, Utc};
use sqlx::Row as _;
use uuid::Uuid;

use super::Bus;
use super::outbox::Outbox;
use crate::audit::{self, Entry};
use crate::db::Db;
use crate::grpc::{Caller, Role};
use crate::ids::{OrgId, TypedId};

/// One dead letter, as an operator sees it.
#[derive(Debug, Clone)]
pub struct Letter {
    pub id: Uuid,
    pub consumer: String,
    pub event_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub subject: String,
    pub error: String,
    pub deliveries: i64,
    pub created_at: DateTime<Utc>,
    pub redriven_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, consumer, event_id, org_id, subject, error, deliveries, created_at, redriven_at";

fn letter(row: &sqlx::postgres::PgRow) -> sqlx::Result<Letter> {
    Ok(Letter {
        id: row.try_get("id")?,
        consumer: row.try_get("consumer")?,
        event_id: row.try_get("event_id")?,
        org_id: row.try_get("org_id")?,
        subject: row.try_get("subject")?,
        error: row.try_get("error")?,
        deliveries: row.try_get("deliveries")?,
        created_at: row.try_get("created_at")?,
        redriven_at: row.try_get("redriven_at")?,
    })
}

/// The service's dead letters, newest first: only those still waiting
/// unless `include_redriven`.
pub async fn list(db: &Db, include_redriven: bool) -> sqlx::Result<Vec<Letter>> {
    // Dead letters are an operator table (some have no organisation).
    let mut tx = db.platform().await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from dead_letters where $1 or redriven_at is null order by created_at desc"
    )))
    .bind(include_redriven)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.iter().map(letter).collect()
}

/// Which letters to send back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    One(Uuid),
    /// Every letter still waiting.
    All,
}

/// Sends letters back through their consumers; returns those sent. A
/// letter already redriven is not sent again (`One` of it is a failed
/// precondition).
pub async fn redrive(db: &Db, outbox: &Outbox, bus: &Bus, which: Which) -> Result<Vec<Letter>, crate::Error> {
    let ids: Vec<Uuid> = match which {
        Which::One(id) => vec![id],
        Which::All => list(db, false).await?.into_iter().map(|l| l.id).collect(),
    };
    let mut sent = Vec::new();
    for id in ids {
        if let Some(letter) = redrive_one(db, outbox, bus, id).await? {
            sent.push(letter);
        } else if which == Which::One(id) {
            return Err(crate::Error::Precondition(format!(
                "dead letter {id} of {} does not exist or was already redriven",
                db.service()
            )));
        }
    }
    Ok(sent)
}

async fn redrive_one(db: &Db, outbox: &Outbox, bus: &Bus, id: Uuid) -> Result<Option<Letter>, crate::Error> {
    // The organisation's transaction when it has one (its audit fact goes in
    // its outbox); the platform's when it has none.
    let org: Option<Option<Uuid>> = sqlx::query_scalar("select org_id from dead_letters where id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    let mut tx = match org {
        None => return Ok(None),
        Some(Some(org)) => db.tenant(OrgId::from_uuid(org)).await?,
        Some(None) => db.platform().await?,
    };
    // The lock keeps two operators from sending one letter at once.
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS}, headers, payload from dead_letters where id = $1 and redriven_at is null for update"
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let found = letter(&row)?;
    let stored: sqlx::types::Json<std::collections::BTreeMap<String, String>> = row.try_get("headers")?;
    let payload: Vec<u8> = row.try_get("payload")?;

    let mut headers = HeaderMap::new();
    for (name, value) in stored.0 {
        // JetStream's own headers describe the first publish, not this one.
        if !name.to_ascii_lowercase().starts_with("nats-") {
            headers.insert(name.as_str(), value.as_str());
        }
    }
    headers.insert("Nats-Msg-Id", format!("redrive-{id}").as_str());
    let nats = |e: &dyn std::fmt::Display| crate::Error::Unavailable(format!("NATS: {e}"));
    bus.jetstream()
        .publish_with_headers(found.subject.clone(), headers, payload.into())
        .await
        .map_err(|e| nats(&e))?
        .await
        .map_err(|e| nats(&e))?;

    let redriven_at: DateTime<Utc> =
        sqlx::query_scalar("update dead_letters set redriven_at = now() where id = $1 returning redriven_at")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if let Some(org) = found.org_id {
        let caller = Caller {
            org: Some(OrgId::from_uuid(org)),
            user: None,
            role: Role::Platform,
        };
        let entry = Entry {
            action: "dead_letter.redrive",
            target_type: "event",
            target_id: found.event_id.map(|e| e.to_string()).unwrap_or_default(),
            details: serde_json::json!({
                "dead_letter": id.to_string(),
                "service": db.service().as_str(),
                "consumer": found.consumer,
                "error": found.error,
            }),
        };
        audit::record(outbox, &mut tx, &caller, entry).await?;
    }
    tx.commit().await?;
    tracing::warn!(dead_letter = %id, consumer = %found.consumer, "dead letter redriven");
    Ok(Some(Letter {
        redriven_at: Some(redriven_at),
        ..found
    }))
}

/// The same operations over gRPC (`attend.ops.v1.OpsService`), served on
/// the port of every service with a database; platform callers only.
#[derive(Clone, Debug)]
pub struct Api {
    pub db: Db,
    pub outbox: Outbox,
    pub bus: Bus,
}

fn to_pb(letter: Letter) -> attend_proto::ops::v1::DeadLetter {
    attend_proto::ops::v1::DeadLetter {
        id: letter.id.to_string(),
        consumer: letter.consumer,
        event_id: letter.event_id.map(|e| e.to_string()).unwrap_or_default(),
        org_id: letter.org_id.map(|o| o.to_string()).unwrap_or_default(),
        subject: letter.subject,
        error: letter.error,
        deliveries: letter.deliveries,
        created_at: Some(super::timestamp(letter.created_at)),
        redriven_at: letter.redriven_at.map(super::timestamp),
    }
}

#[tonic::async_trait]
impl attend_proto::ops::v1::ops_service_server::OpsService for Api {
    async fn list_dead_letters(
        &self,
        request: tonic::Request<attend_proto::ops::v1::ListDeadLettersRequest>,
    ) -> Result<tonic::Response<attend_proto::ops::v1::ListDeadLettersResponse>, tonic::Status> {
        Caller::of(&request)?.require(&[Role::Platform])?;
        let letters = list(&self.db, request.get_ref().include_redriven)
            .await
            .map_err(crate::Error::from)?;
        Ok(tonic::Response::new(attend_proto::ops::v1::ListDeadLettersResponse {
            dead_letters: letters.into_iter().map(to_pb).collect(),
        }))
    }

    async fn redrive_dead_letters(
        &self,
        request: tonic::Request<attend_proto::ops::v1::RedriveDeadLettersRequest>,
    ) -> Result<tonic::Response<attend_proto::ops::v1::RedriveDeadLettersResponse>, tonic::Status> {
        use attend_proto::ops::v1::redrive_dead_letters_request::Which as W;
        Caller::of(&request)?.require(&[Role::Platform])?;
        let which = match &request.get_ref().which {
            Some(W::Id(id)) => Which::One(
                Uuid::parse_str(id.trim())
                    .map_err(|_| crate::Error::invalid("id", "is not a dead letter id (a UUID)"))?,
            ),
            Some(W::All(true)) => Which::All,
            _ => return Err(crate::Error::invalid("which", "name one dead letter's id, or all").into()),
        };
        let sent = redrive(&self.db, &self.outbox, &self.bus, which).await?;
        Ok(tonic::Response::new(
            attend_proto::ops::v1::RedriveDeadLettersResponse {
                redriven: sent.into_iter().map(to_pb).collect(),
            },
        ))
    }
}
