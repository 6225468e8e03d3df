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
//!
//! Waking the relay: a service's outbox is only ever written by that
//! service, in the process that runs its relay, so [`Outbox::add`] wakes
//! the relay in-process. It wakes before the writer commits, so a relay
//! that finds nothing looks again a few times over the next ~200 ms; a
//! slow poll catches rows other replicas wrote. (Postgres NOTIFY would
//! serialise every notifying commit cluster-wide behind one lock, which
//! caps webhook throughput: docs/adr/0008-ingest-throughput.md.)

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::message::PublishMessage;
use prost::Message as _;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Bus, Draft};
use crate::config::Prefix;
use crate::db::{Db, Tx};
use crate::ids::TypedId;
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
    /// Shared with this service's relay.
    wake: Arc<Notify>,
}

/// An outbox row ready to insert, for callers that write it within a
/// larger statement (one round trip on a hot path).
#[derive(Debug, Clone)]
pub struct Row {
    pub id: Uuid,
    pub org_id: Uuid,
    pub subject: String,
    pub headers: sqlx::types::Json<BTreeMap<String, String>>,
    pub payload: Vec<u8>,
}

impl Outbox {
    pub fn new(prefix: Prefix, producer: ServiceName) -> Self {
        Self {
            prefix,
            producer,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The relay of this outbox, publishing through `bus`.
    pub fn relay(&self, db: Db, bus: Bus) -> Relay {
        Relay {
            db,
            bus,
            poll: Duration::from_millis(500),
            wake: self.wake.clone(),
        }
    }

    /// The row an event becomes.
    pub fn row(&self, draft: Draft) -> Row {
        let (id, org_id) = (draft.id().uuid(), draft.org().uuid());
        let mut envelope = draft.into_envelope();
        envelope.producer = self.producer.as_str().to_owned();
        let subject = format!("{}.events.{}", self.prefix, envelope.r#type);
        // A producer span for the message: every consumer's span is its
        // child, so a trace draws who sent what to whom.
        let span = tracing::info_span!(
            "publish",
            otel.kind = "producer",
            otel.name = format!("{} publish", envelope.r#type),
            messaging.system = "nats",
            messaging.destination.name = %subject,
            messaging.message.id = %id,
        );
        let mut headers: BTreeMap<String, String> = span.in_scope(crate::telemetry::current_headers);
        headers.insert(EVENT_TYPE_HEADER.to_owned(), envelope.r#type.clone());
        Row {
            id,
            org_id,
            subject,
            headers: sqlx::types::Json(headers),
            payload: envelope.encode_to_vec(),
        }
    }

    /// Tells the relay rows are coming (call after writing a [`Row`] yourself).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Adds the event to the transaction; returns its id.
    pub async fn add(&self, tx: &mut Tx, draft: Draft) -> sqlx::Result<Uuid> {
        let row = self.row(draft);
        sqlx::query("insert into outbox (id, org_id, subject, headers, payload) values ($1, $2, $3, $4, $5)")
            .bind(row.id)
            .bind(row.org_id)
            .bind(row.subject)
            .bind(row.headers)
            .bind(row.payload)
            .execute(&mut **tx)
            .await?;
        self.wake();
        Ok(row.id)
    }
}

/// An outbox row: id, subject, headers, encoded envelope.
type OutboxRow = (Uuid, String, sqlx::types::Json<BTreeMap<String, String>>, Vec<u8>);

/// Publishes a service's outbox to JetStream.
pub struct Relay {
    db: Db,
    bus: Bus,
    /// Fallback poll, for rows another replica wrote.
    poll: Duration,
    wake: Arc<Notify>,
}

/// After a wake that found nothing, look again after these pauses: the
/// writer woke us before its commit.
const RECHECK: [Duration; 6] = [
    Duration::from_millis(1),
    Duration::from_millis(3),
    Duration::from_millis(10),
    Duration::from_millis(25),
    Duration::from_millis(60),
    Duration::from_millis(100),
];

impl Relay {
    /// Runs until `shutdown`; the batch in flight is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        let service = self.db.service().as_str();
        let mut failures: u32 = 0;
        // Rechecks left since the last wake that found nothing yet.
        let mut recheck: Option<usize> = None;
        let mut last_gauge = tokio::time::Instant::now() - Duration::from_secs(60);
        loop {
            match self.drain().await {
                Ok(published) => {
                    failures = 0;
                    recheck = match recheck {
                        Some(_) if published > 0 => None,
                        Some(i) if i + 1 < RECHECK.len() => Some(i + 1),
                        _ => None,
                    };
                }
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
                    metrics::gauge!("attend_outbox_pending", "service" => service).set(pending as f64);
                }
            }

            // Back off on repeated failures; otherwise wake when a writer
            // says so, on a recheck, or on the poll.
            let wait = if failures > 0 {
                Duration::from_millis(200 * u64::from(failures.min(25)))
            } else {
                recheck.map_or(self.poll, |i| RECHECK[i])
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified(), if failures == 0 => recheck = Some(0),
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
        metrics::counter!("attend_outbox_published_total", "service" => self.db.service().as_str())
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
