//! The event stream as consumers see it: what has been published, where
//! each consumer stands, and whether the fleet has handled everything.
//!
//! Waiting for a later "marker" event to be handled proves nothing about
//! the events before it: a consumer handles several messages at once and
//! a retried one comes back later (see `attend_kit::bus::outbox`:
//! consumers must not depend on order). What does prove an event was
//! handled is its consumer's acknowledgement, or its id in the consumer's
//! inbox.

use std::time::Duration;

use async_nats::jetstream::consumer;
use futures::StreamExt as _;

use crate::TestFleet;

impl TestFleet {
    /// Where a durable consumer (`<service>-<purpose>`, say
    /// `booking-intake`) stands on this test's stream.
    pub async fn consumer(&self, durable: &str) -> consumer::Info {
        let bus = self.fleet.bus();
        bus.jetstream()
            .get_stream(bus.stream_name())
            .await
            .expect("the event stream exists")
            .consumer_info(durable)
            .await
            .unwrap_or_else(|e| panic!("consumer {durable}: {e}"))
    }

    /// Waits until the fleet has nothing left to do with events: every
    /// event on the stream is acknowledged by every durable consumer (so
    /// none will be delivered again) and no outbox holds one still to
    /// publish. After this, what the events did is all there is to see.
    /// Every service that consumes must be running: a stopped one's
    /// consumer keeps its backlog.
    pub async fn settle(&self) {
        self.eventually(
            Duration::from_secs(30),
            "every event is handled and every outbox is empty",
            || self.settled(),
        )
        .await;
    }

    /// Whether nothing is pending, unacknowledged or waiting in an outbox,
    /// with no event published while looking: a handler commits its
    /// outbox rows before it acknowledges, and a relay publishes a row
    /// before deleting it, so a row the outbox check missed shows up on
    /// the stream.
    async fn settled(&self) -> bool {
        let bus = self.fleet.bus();
        let Ok(mut stream) = bus.jetstream().get_stream(bus.stream_name()).await else {
            return false;
        };
        let Ok(before) = stream.info().await.map(|i| i.state.last_sequence) else {
            return false;
        };
        let mut consumers = stream.consumers();
        while let Some(info) = consumers.next().await {
            match info {
                // The throwaway readers of `published` acknowledge nothing.
                Ok(c) if c.config.durable_name.is_none() => {}
                Ok(c) if c.num_pending == 0 && c.num_ack_pending == 0 => {}
                _ => return false,
            }
        }
        self.outboxes_empty().await && stream.info().await.is_ok_and(|i| i.state.last_sequence == before)
    }

    async fn outboxes_empty(&self) -> bool {
        let mut admin = self.admin().await;
        let schemas: Vec<String> =
            sqlx::query_scalar("select table_schema::text from information_schema.tables where table_name = 'outbox'")
                .fetch_all(&mut admin)
                .await
                .expect("list outboxes");
        for schema in schemas {
            let sql = format!("select exists (select from \"{schema}\".outbox)");
            let waiting: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut admin)
                .await
                .expect("look into an outbox");
            if waiting {
                return false;
            }
        }
        true
    }

    /// Every event of this type published so far, oldest first (read
    /// from the stream with a throwaway consumer).
    pub async fn published(&self, event_type: &str) -> Vec<attend_proto::events::v1::Envelope> {
        use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
        use prost::Message;
        let bus = self.fleet.bus();
        let stream = bus
            .jetstream()
            .get_stream(bus.stream_name())
            .await
            .expect("the event stream exists");
        let mut consumer = stream
            .create_consumer(pull::Config {
                filter_subject: bus.subject(event_type),
                deliver_policy: DeliverPolicy::All,
                ack_policy: AckPolicy::None,
                ..Default::default()
            })
            .await
            .expect("a throwaway consumer");
        let pending = consumer.info().await.expect("consumer info").num_pending;
        let mut envelopes = Vec::new();
        if pending == 0 {
            return envelopes;
        }
        let mut messages = consumer
            .fetch()
            .max_messages(usize::try_from(pending).unwrap_or(usize::MAX))
            .messages()
            .await
            .expect("fetch events");
        while let Some(Ok(message)) = messages.next().await {
            envelopes.push(attend_proto::events::v1::Envelope::decode(message.payload.as_ref()).expect("an envelope"));
        }
        envelopes
    }
}
