//! The event stream as consumers see it: what has been published.

use crate::TestFleet;

impl TestFleet {
    /// Every event of this type published so far, oldest first (read
    /// from the stream with a throwaway consumer).
    pub async fn published(&self, event_type: &str) -> Vec<attend_proto::events::v1::Envelope> {
        use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
        use futures::StreamExt;
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
