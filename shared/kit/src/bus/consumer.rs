//! Idempotent JetStream consumers.
//!
//! One durable pull consumer per (service, purpose), named
//! `<service>-<purpose>`. For each message:
//!
//! 1. decode the envelope (undecodable: dead letter, terminate);
//! 2. open a tenant transaction for the event's organisation and insert the
//!    event id into the service's `inbox`; if it is already there the event
//!    was applied before: ack and stop;
//! 3. run the handler inside that transaction;
//! 4. commit, then ack. A crash before the commit leaves no effect and the
//!    message is redelivered; a crash after the commit but before the ack
//!    redelivers it and step 2 recognises it.
//!
//! A transient failure ([`HandleError::Retry`]) rolls back and NAKs with a
//! growing delay; after `max_deliver` attempts, or at once for a refusal
//! ([`HandleError::Reject`]), the message is written to `dead_letters` and
//! terminated so it stops blocking nothing and an operator can see why.
//!
//! On shutdown the message being handled is finished; messages already
//! fetched but not started are NAKed so another replica (or the next start)
//! gets them at once.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::{AckKind, Message};
use futures::StreamExt;
use prost::Message as _;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::{Bus, Event};
use crate::db::{Db, Tx};
use crate::ids::{EventId, OrgId, TypedId};
use attend_proto::events::v1::Envelope;

/// What went wrong handling an event, and so what to do with it.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Try again later (a peer is down, a row it depends on hasn't arrived).
    #[error("retry: {0:#}")]
    Retry(anyhow::Error),
    /// Never going to work: dead-letter it now.
    #[error("rejected: {0:#}")]
    Reject(anyhow::Error),
}

impl From<sqlx::Error> for HandleError {
    fn from(e: sqlx::Error) -> Self {
        if is_permanent(&e) {
            Self::Reject(anyhow::Error::new(e).context("the database refuses this data; retrying won't change that"))
        } else {
            Self::Retry(anyhow::Error::new(e).context("database"))
        }
    }
}

impl From<crate::error::Error> for HandleError {
    fn from(e: crate::error::Error) -> Self {
        use crate::error::Error as E;
        match e {
            // The event's data is wrong: retrying won't change it.
            E::Invalid(_) | E::Forbidden(_) | E::Unauthenticated(_) => Self::Reject(anyhow::Error::new(e)),
            E::Internal(cause) if cause.chain().any(|c| c.downcast_ref().is_some_and(is_permanent)) => {
                Self::Reject(cause.context("the database refuses this data; retrying won't change that"))
            }
            // Not found may be an ordering gap; conflicts and outages pass.
            _ => Self::Retry(anyhow::Error::new(e)),
        }
    }
}

/// Whether the database refused the data itself, so the same event will
/// fail the same way every time: a data exception (class 22: a NUL in
/// text, a string too long, a number out of range, a malformed value) or
/// a broken rule of the table (a NOT NULL or CHECK constraint). Such an
/// event goes to dead letters at once with the reason, not after an hour
/// of retries. A unique or foreign-key violation may be a race or an
/// ordering gap, so those are retried.
pub fn is_permanent(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("22") || matches!(code.as_ref(), "23502" | "23514")),
        sqlx::Error::Encode(_) => true,
        _ => false,
    }
}

/// An event as a handler sees it.
#[derive(Debug, Clone)]
pub struct Received {
    pub envelope: Envelope,
    pub id: EventId,
    pub org: OrgId,
    /// How many times JetStream has delivered it (1 the first time).
    pub delivered: i64,
}

impl Received {
    /// A message's bytes as an event, or why they are none (undecodable, or
    /// without a valid id or organisation): what every consumer, and a
    /// replay of the stream, reads.
    pub fn decode(payload: &[u8], delivered: i64) -> Result<Self, String> {
        let envelope = Envelope::decode(payload).map_err(|e| format!("undecodable envelope: {e}"))?;
        match (EventId::parse_uuid(&envelope.id), OrgId::parse_uuid(&envelope.org_id)) {
            (Ok(id), Ok(org)) => Ok(Self {
                envelope,
                id,
                org,
                delivered,
            }),
            _ => Err("envelope has no valid id or org_id".to_owned()),
        }
    }

    /// The payload as `E`; a mismatch is a refusal (it will never decode).
    pub fn payload<E: Event>(&self) -> Result<E, HandleError> {
        if self.envelope.payload_type != E::full_name() {
            return Err(HandleError::Reject(anyhow::anyhow!(
                "expected payload {} but the event carries {}",
                E::full_name(),
                self.envelope.payload_type
            )));
        }
        E::decode(self.envelope.payload.as_slice())
            .map_err(|e| HandleError::Reject(anyhow::Error::new(e).context("undecodable payload")))
    }

    /// A subject id (`"booking_id"`) as a typed id.
    pub fn subject_id<T: TypedId>(&self, kind: &str) -> Result<T, HandleError> {
        let text = self
            .envelope
            .subject_ids
            .get(kind)
            .ok_or_else(|| HandleError::Reject(anyhow::anyhow!("event has no subject id {kind:?}")))?;
        T::parse_uuid(text).map_err(|e| HandleError::Reject(anyhow::anyhow!("subject id {kind:?}: {e}")))
    }
}

/// Applies events. The transaction already holds the inbox row; the handler
/// adds its effect (and any events it publishes through the outbox).
pub trait Handler: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        tx: &'a mut Tx,
        event: &'a Received,
    ) -> impl Future<Output = Result<(), HandleError>> + Send + 'a;

    /// After the transaction [`Handler::handle`] wrote to has committed:
    /// wake whatever works on what it wrote (a scheduler), so it sees it.
    fn committed(&self, _event: &Received) {}

    /// Before the event's transaction opens, holding no connection: work
    /// that needs a transaction of its own (an organisation's defaults).
    /// Work that took a second connection from inside the transaction
    /// could stall the pool: every connection held by a transaction
    /// waiting for another.
    fn prepare<'a>(&'a self, _event: &'a Received) -> impl Future<Output = Result<(), HandleError>> + Send + 'a {
        async { Ok(()) }
    }
}

/// Which events a consumer wants and what it is called.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Purpose, unique within the service: the durable name is `<service>-<purpose>`.
    pub purpose: &'static str,
    /// Event type filter: `booking.created`, `booking.*` or `>`.
    pub events: &'static str,
}

/// NAK delays by delivery attempt: quick first retries, then patience.
pub fn retry_delay(delivered: i64) -> Duration {
    const STEPS: [u64; 8] = [1, 2, 5, 10, 30, 60, 120, 300];
    let i = usize::try_from(delivered.max(1) - 1).unwrap_or(0).min(STEPS.len() - 1);
    Duration::from_secs(STEPS[i])
}

/// Runs a consumer until `shutdown`.
pub async fn run<H: Handler>(spec: Spec, db: Db, bus: Bus, handler: H, shutdown: CancellationToken) {
    let service = db.service().as_str();
    let durable = format!("{service}-{}", spec.purpose);
    let consumer = loop {
        match open(&bus, &durable, spec.events).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!(consumer = %durable, error = format!("{e:#}"), "cannot open consumer; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    };
    let worker = Worker {
        durable,
        db,
        max_deliver: bus.settings().max_deliver,
        handler,
    };
    tracing::info!(consumer = %worker.durable, events = spec.events, "consumer started");

    while !shutdown.is_cancelled() {
        let batch = consumer
            .batch()
            .max_messages(bus.settings().batch_size)
            // Short pull requests: an idle consumer asks once a second, and
            // shutdown waits at most this long for the open request to end.
            .expires(Duration::from_secs(1))
            .messages()
            .await;
        let mut batch = match batch {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(consumer = %worker.durable, error = %e, "fetch failed; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
        };
        // Up to `concurrency` messages at once; on shutdown, stop taking
        // new ones, finish those started and hand the rest back.
        let concurrency = bus.settings().concurrency;
        let worker_ref = &worker;
        (&mut batch)
            .take_until(shutdown.cancelled())
            .take_while(|next| {
                if let Err(e) = next {
                    tracing::debug!(consumer = %worker_ref.durable, error = %e, "batch ended with an error");
                }
                futures::future::ready(next.is_ok())
            })
            .for_each_concurrent(concurrency, |next| async move {
                if let Ok(msg) = next {
                    worker_ref.process(msg).await;
                }
            })
            .await;
        if shutdown.is_cancelled() {
            while let Some(Ok(msg)) = batch.next().await {
                let _ = msg.ack_with(AckKind::Nak(None)).await;
            }
        }
    }
    tracing::info!(consumer = %worker.durable, "consumer stopped");
}

async fn open(
    bus: &Bus,
    durable: &str,
    events: &str,
) -> anyhow::Result<async_nats::jetstream::consumer::Consumer<pull::Config>> {
    let stream = bus.ensure_stream().await?;
    let settings = bus.settings();
    let config = pull::Config {
        durable_name: Some(durable.to_owned()),
        filter_subject: bus.subject(events),
        ack_policy: AckPolicy::Explicit,
        deliver_policy: DeliverPolicy::All,
        ack_wait: settings.ack_wait,
        max_deliver: settings.max_deliver,
        // No BackOff: with one set, JetStream added its step to every NAK
        // delay, so retries came at +32 s and +95 s instead of +2 s and
        // +5 s. A crashed consumer's message comes back after ack_wait.
        max_ack_pending: 1_000,
        ..Default::default()
    };
    let mut consumer = stream
        .get_or_create_consumer(durable, config.clone())
        .await
        .with_context(|| format!("cannot create consumer {durable}"))?;
    let existing = consumer.info().await?.config.clone();
    if existing.filter_subject != config.filter_subject || existing.backoff != config.backoff {
        // The service now wants other events, or retries differently. NATS
        // 2.9 can't change these on a consumer, so it is recreated under
        // the same name and replays the stream: the inbox, keyed by that
        // name, recognises every event already applied, so only new ones
        // take effect.
        tracing::warn!(
            consumer = durable,
            from = %existing.filter_subject,
            to = %config.filter_subject,
            "consumer settings changed; recreating it"
        );
        stream
            .delete_consumer(durable)
            .await
            .with_context(|| format!("cannot delete consumer {durable} to change its filter"))?;
        consumer = stream
            .get_or_create_consumer(durable, config)
            .await
            .with_context(|| format!("cannot recreate consumer {durable}"))?;
    }
    Ok(consumer)
}

struct Worker<H> {
    durable: String,
    db: Db,
    max_deliver: i64,
    handler: H,
}

/// What happened to one message, for metrics and logs.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Ok,
    Duplicate,
    Retry,
    DeadLetter,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Duplicate => "duplicate",
            Self::Retry => "retry",
            Self::DeadLetter => "dead_letter",
        }
    }
}

impl<H: Handler> Worker<H> {
    async fn process(&self, msg: Message) {
        let started = Instant::now();
        let delivered = msg.info().map(|i| i.delivered).unwrap_or(1);
        let event_type = msg
            .headers
            .as_ref()
            .and_then(|h| h.get(super::outbox::EVENT_TYPE_HEADER))
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        let span = tracing::info_span!(
            "consume",
            otel.kind = "consumer",
            consumer = %self.durable,
            event_type = %event_type,
            event_id = tracing::field::Empty,
            delivered,
        );
        if let Some(headers) = &msg.headers {
            crate::telemetry::set_parent_from(&span, &crate::telemetry::NatsHeaderExtractor(headers));
        }
        let outcome = self.process_in_span(&msg, delivered).instrument(span).await;
        let service = self.db.service().as_str();
        metrics::counter!("attend_bus_messages_processed_total", "service" => service, "consumer" => self.durable.clone(), "outcome" => outcome.as_str())
            .increment(1);
        metrics::histogram!("attend_bus_handle_duration_seconds", "service" => service, "consumer" => self.durable.clone())
            .record(started.elapsed().as_secs_f64());
    }

    async fn process_in_span(&self, msg: &Message, delivered: i64) -> Outcome {
        let received = match Received::decode(msg.payload.as_ref(), delivered) {
            Ok(received) => received,
            Err(why) => return self.dead_letter(msg, None, None, delivered, &why).await,
        };
        tracing::Span::current().record("event_id", tracing::field::display(received.id.uuid()));
        let (id, org) = (received.id, received.org);

        match self.apply(&received).await {
            Ok(true) => {
                ack(msg, AckKind::Ack).await;
                Outcome::Ok
            }
            Ok(false) => {
                ack(msg, AckKind::Ack).await;
                Outcome::Duplicate
            }
            Err(HandleError::Retry(e)) if delivered < self.max_deliver => {
                let delay = retry_delay(delivered);
                tracing::warn!(error = format!("{e:#}"), ?delay, "event failed; will retry");
                ack(msg, AckKind::Nak(Some(delay))).await;
                Outcome::Retry
            }
            Err(e) => {
                let reason = match &e {
                    HandleError::Retry(_) => format!("out of retries after {delivered} deliveries: {e}"),
                    HandleError::Reject(_) => e.to_string(),
                };
                self.dead_letter(msg, Some(id), Some(org), delivered, &reason).await
            }
        }
    }

    /// `Ok(true)` applied now, `Ok(false)` applied before.
    async fn apply(&self, event: &Received) -> Result<bool, HandleError> {
        self.handler.prepare(event).await?;
        let mut tx = self.db.tenant(event.org).await?;
        let fresh =
            sqlx::query("insert into inbox (consumer, event_id, org_id) values ($1, $2, $3) on conflict do nothing")
                .bind(&self.durable)
                .bind(event.id.uuid())
                .bind(event.org.uuid())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if !fresh {
            tx.rollback().await?;
            return Ok(false);
        }
        self.handler.handle(&mut tx, event).await?;
        tx.commit().await?;
        self.handler.committed(event);
        Ok(true)
    }

    async fn dead_letter(
        &self,
        msg: &Message,
        id: Option<EventId>,
        org: Option<OrgId>,
        delivered: i64,
        reason: &str,
    ) -> Outcome {
        tracing::error!(reason, "event dead-lettered");
        let headers: std::collections::BTreeMap<String, String> = msg
            .headers
            .iter()
            .flat_map(|h| h.iter())
            .map(|(k, v)| {
                let values: Vec<&str> = v.iter().map(|x| x.as_str()).collect();
                (k.to_string(), values.join(","))
            })
            .collect();
        let stored = sqlx::query(
            "insert into dead_letters (id, consumer, event_id, org_id, subject, headers, payload, error, deliveries)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::now_v7())
        .bind(&self.durable)
        .bind(id.map(|i| i.uuid()))
        .bind(org.map(|o| o.uuid()))
        .bind(msg.subject.as_str())
        .bind(sqlx::types::Json(&headers))
        .bind(msg.payload.as_ref())
        .bind(reason)
        .bind(delivered)
        .execute(self.db.pool())
        .await;
        match stored {
            Ok(_) => {
                ack(msg, AckKind::Term).await;
                // What an alert watches: any dead letter needs an operator.
                metrics::counter!(
                    "attend_bus_dead_letters_total",
                    "service" => self.db.service().as_str(),
                    "consumer" => self.durable.clone(),
                )
                .increment(1);
                Outcome::DeadLetter
            }
            Err(e) => {
                // Don't lose it: let JetStream hold it until we can record it.
                tracing::error!(error = %e, "cannot record dead letter; will retry");
                ack(msg, AckKind::Nak(Some(retry_delay(delivered)))).await;
                Outcome::Retry
            }
        }
    }
}

async fn ack(msg: &Message, kind: AckKind) {
    // A lost ack means a redelivery, which the inbox absorbs.
    if let Err(e) = msg.ack_with(kind).await {
        tracing::warn!(error = %e, "ack failed; the message will be redelivered");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_cap() {
        assert_eq!(retry_delay(1), Duration::from_secs(1));
        assert_eq!(retry_delay(2), Duration::from_secs(2));
        assert!(retry_delay(5) > retry_delay(4));
        assert_eq!(retry_delay(100), Duration::from_secs(300));
        assert_eq!(retry_delay(0), Duration::from_secs(1));
    }

    #[test]
    fn only_the_data_itself_is_a_permanent_failure() {
        assert!(!is_permanent(&sqlx::Error::PoolTimedOut));
        assert!(!is_permanent(&sqlx::Error::RowNotFound));
        let permanent = HandleError::from(crate::error::Error::Internal(
            anyhow::Error::new(sqlx::Error::Encode("a NUL in text".into())).context("insert"),
        ));
        assert!(matches!(permanent, HandleError::Reject(_)), "{permanent}");
        let transient = HandleError::from(crate::error::Error::Internal(anyhow::Error::new(
            sqlx::Error::PoolTimedOut,
        )));
        assert!(matches!(transient, HandleError::Retry(_)), "{transient}");
    }
}
