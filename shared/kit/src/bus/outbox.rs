//! The transactional outbox.
//!
//! [`Outbox::add`] writes an event into the service's `outbox` table inside
//! the caller's transaction, so the event exists if and only if the state
//! change commits. [`Relay`] publishes rows to JetStream with `Nats-Msg-Id` =
//! event id and deletes each row only after JetStream has acknowledged it.
//! Several replicas may relay at once: each claims rows with
//! `FOR UPDATE SKIP LOCKED`. A crash between the publish and the delete
//! republishes the row; JetStream's duplicate window and every consumer's
//! inbox make that harmless.
//!
//! Ordering: rows are published in id (time) order by one relay, but with
//! several replicas or retries a consumer can see events out of order, so
//! consumers must not depend on order.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::message::PublishMessage;
use prost::Message as _;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Bus, Draft};
use crate::config::Prefix;
use crate::db::{Db, Tx};
use crate::service::ServiceName;

/// Header naming the event type on every published message.
pub const EVENT_TYPE_HEADER: &str = "attend-event-type";

/// Rows claimed per relay round trip.
const BATCH: i64 = 256;

/// Writes a service's events into its outbox.
#[derive(Clone, Debug)]
pub struct Outbox {
    prefix: Prefix,
    producer: ServiceName,
}

impl Outbox {
    pub fn new(prefix: Prefix, producer: ServiceName) -> Self {
        Self { prefix, producer }
    }

    /// Adds the event to the transaction; returns its id.
    pub async fn add(&self, tx: &mut Tx, draft: Draft) -> sqlx::Result<Uuid> {
        let mut envelope = draft.into_envelope();
        envelope.producer = self.producer.as_str().to_owned();
        let id = Uuid::parse_str(&envelope.id).expect("Draft ids are generated UUIDs");
        let org = Uuid::parse_str(&envelope.org_id).expect("Draft org ids come from an OrgId");
        let mut headers: BTreeMap<String, String> = crate::telemetry::current_headers();
        headers.insert(EVENT_TYPE_HEADER.to_owned(), envelope.r#type.clone());
        let subject = format!("{}.events.{}", self.prefix, envelope.r#type);
        sqlx::query("insert into outbox (id, org_id, subject, headers, payload) values ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(org)
            .bind(subject)
            .bind(sqlx::types::Json(&headers))
            .bind(envelope.encode_to_vec())
            .execute(&mut **tx)
            .await?;
        Ok(id)
    }
}

/// An outbox row: id, subject, headers, encoded envelope.
type OutboxRow = (Uuid, String, sqlx::types::Json<BTreeMap<String, String>>, Vec<u8>);

/// Publishes a service's outbox to JetStream.
pub struct Relay {
    db: Db,
    bus: Bus,
    /// Fallback poll interval in case a notification is missed.
    poll: Duration,
}

impl Relay {
    pub fn new(db: Db, bus: Bus) -> Self {
        Self {
            db,
            bus,
            poll: Duration::from_millis(500),
        }
    }

    /// Runs until `shutdown`; the batch in flight is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        let service = self.db.service().as_str();
        let channel = format!("{service}_outbox");
        let mut listener = None;
        let mut failures: u32 = 0;
        let mut last_gauge = tokio::time::Instant::now() - Duration::from_secs(60);
        loop {
            if listener.is_none() {
                listener = match PgListener::connect_with(self.db.pool()).await {
                    Ok(mut l) => match l.listen(&channel).await {
                        Ok(()) => Some(l),
                        Err(e) => {
                            tracing::warn!(error = %e, "outbox relay: cannot LISTEN; polling");
                            None
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox relay: cannot open listener; polling");
                        None
                    }
                };
            }

            match self.drain().await {
                Ok(_) => failures = 0,
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(
                        error = format!("{e:#}"),
                        failures,
                        "outbox relay: publish failed; will retry"
                    );
                }
            }
            if last_gauge.elapsed() > Duration::from_secs(10) {
                last_gauge = tokio::time::Instant::now();
                if let Ok(pending) = self.pending().await {
                    metrics::gauge!("outbox_pending", "service" => service).set(pending as f64);
                }
            }

            // Back off on repeated failures; otherwise wake on NOTIFY or the poll.
            let wait = if failures > 0 {
                Duration::from_millis(200 * u64::from(failures.min(25)))
            } else {
                self.poll
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                notified = async {
                    match listener.as_mut() {
                        Some(l) => l.recv().await.map(|_| ()),
                        None => std::future::pending().await,
                    }
                }, if failures == 0 => {
                    if let Err(e) = notified {
                        tracing::warn!(error = %e, "outbox relay: listener lost; reconnecting");
                        listener = None;
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        // Publish whatever committed just before shutdown.
        if let Err(e) = self.drain().await {
            tracing::warn!(
                error = format!("{e:#}"),
                "outbox relay: final drain failed; rows stay for the next start"
            );
        }
    }

    /// Publishes until the outbox is empty; returns how many were published.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let published = self.publish_batch().await?;
            total += published;
            if published < BATCH as usize {
                return Ok(total);
            }
        }
    }

    async fn publish_batch(&self) -> anyhow::Result<usize> {
        // Platform transaction: the relay publishes every organisation's events.
        let mut tx = self.db.platform().await.context("begin relay transaction")?;
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "select id, subject, headers, payload from outbox order by id limit $1 for update skip locked",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await
        .context("claim outbox rows")?;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }

        // Send every publish first, then wait for the acks: one round trip
        // per batch instead of per event.
        let js = self.bus.jetstream();
        let mut pending = Vec::with_capacity(rows.len());
        let mut failed: Option<anyhow::Error> = None;
        for (id, subject, headers, payload) in rows {
            let mut map = async_nats::HeaderMap::new();
            for (k, v) in headers.0.iter() {
                map.insert(k.as_str(), v.as_str());
            }
            let publish = PublishMessage::build()
                .payload(payload.into())
                .headers(map)
                .message_id(id.to_string());
            match js.send_publish(subject, publish).await {
                Ok(ack) => pending.push((id, ack)),
                Err(e) => {
                    failed = Some(anyhow::Error::new(e).context("publish to JetStream"));
                    break;
                }
            }
        }
        let mut acked = Vec::with_capacity(pending.len());
        for (id, ack) in pending {
            match ack.await {
                Ok(_) => acked.push(id),
                Err(e) => {
                    failed.get_or_insert_with(|| anyhow::Error::new(e).context("JetStream did not acknowledge"));
                }
            }
        }
        if !acked.is_empty() {
            sqlx::query("delete from outbox where id = any($1)")
                .bind(&acked)
                .execute(&mut *tx)
                .await
                .context("delete published outbox rows")?;
        }
        tx.commit().await.context("commit relay transaction")?;
        metrics::counter!("outbox_published_total", "service" => self.db.service().as_str())
            .increment(acked.len() as u64);
        match failed {
            Some(e) => Err(e),
            None => Ok(acked.len()),
        }
    }

    async fn pending(&self) -> sqlx::Result<i64> {
        let mut tx = self.db.platform().await?;
        let n = sqlx::query_scalar("select count(*) from outbox")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n)
    }
}
