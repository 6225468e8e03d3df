//! NATS JetStream: the one stream of domain events, the transactional outbox
//! that publishes to it, and the idempotent consumers that read from it.
//!
//! - Subjects are `<prefix>.events.<domain>.<name>`; the stream is
//!   `<PREFIX>_EVENTS` (file storage, long retention so read models can be
//!   rebuilt, 2-minute duplicate window on `Nats-Msg-Id`).
//! - Producers never publish directly: [`outbox::add`] writes the event in
//!   the same transaction as the state change and [`outbox::Relay`] publishes.
//! - Consumers ([`consumer`]) record each event id in their inbox in the same
//!   transaction as their effect and ack only after commit.
//!
//! [`Event`] ties each payload message to its event type; the catalogue of
//! every event in the platform is [`catalog`].

pub mod catalog;
pub mod consumer;
pub mod dead_letters;
pub mod outbox;

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, stream};
use chrono::{DateTime, Utc};

use crate::config::{BusSettings, Prefix};
use crate::ids::{EventId, OrgId, TypedId};
use attend_proto::events::v1::Envelope;

/// A fact some service publishes.
pub trait Event: prost::Message + prost::Name + Default + Sized {
    /// `<domain>.<name>`, e.g. `booking.created`.
    const TYPE: &'static str;
}

/// Why NATS could not be used, for the operator's one-line message.
#[derive(Debug, thiserror::Error)]
pub enum ConnectFailure {
    /// Nothing answered (refused, timed out, no such host).
    #[error("unreachable ({0})")]
    Unreachable(String),
    /// A server answered but TLS failed (an unknown certificate authority,
    /// a name mismatch, a server without TLS).
    #[error("TLS failed ({0})")]
    Tls(String),
    /// The server refused our credentials.
    #[error("refused our credentials ({0})")]
    Refused(String),
    /// NATS_URL can't be read as a server address.
    #[error("not a usable address ({0})")]
    BadUrl(String),
}

impl ConnectFailure {
    /// One connection attempt without retries, to learn why the retrying
    /// client never connected.
    async fn diagnose(url: &str) -> Self {
        use async_nats::ConnectErrorKind as K;
        let attempt = async_nats::ConnectOptions::new()
            .name("attend-diagnose")
            .connection_timeout(Duration::from_secs(3))
            .connect(url)
            .await;
        match attempt {
            Ok(_) => Self::Unreachable("it answered only after the start-up deadline".to_owned()),
            Err(e) if e.kind() == K::Tls || is_tls(&e) => Self::Tls(e.to_string()),
            Err(e) => match e.kind() {
                K::Tls => Self::Tls(e.to_string()),
                K::Authentication | K::AuthorizationViolation => Self::Refused(e.to_string()),
                K::ServerParse => Self::BadUrl(e.to_string()),
                K::Dns | K::TimedOut | K::Io | K::MaxReconnects => Self::Unreachable(e.to_string()),
            },
        }
    }
}

/// Whether a connection error came from the TLS handshake: async-nats
/// reports those as I/O errors wrapping rustls's.
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(cause) = next {
        if cause.is::<rustls::Error>()
            || cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return true;
        }
        next = cause.source();
    }
    false
}

/// A connection to NATS and the platform's event stream.
#[derive(Clone, Debug)]
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
    prefix: Prefix,
    settings: BusSettings,
}

impl Bus {
    /// Connects; fails fast (a few seconds) when NATS is unreachable.
    pub async fn connect(url: &str, prefix: Prefix, settings: BusSettings) -> Result<Self, ConnectFailure> {
        let client = async_nats::ConnectOptions::new()
            .name("attend")
            .connection_timeout(Duration::from_secs(3))
            .retry_on_initial_connect()
            .max_reconnects(None)
            .connect(url)
            .await
            .map_err(|e| ConnectFailure::BadUrl(format!("{e}")))?;
        // `retry_on_initial_connect` returns at once; wait briefly for the
        // first connection so a server we can't use is reported at start-up.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        while client.connection_state() != async_nats::connection::State::Connected {
            if tokio::time::Instant::now() > deadline {
                drop(client);
                return Err(ConnectFailure::diagnose(url).await);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let js = jetstream::new(client.clone());
        Ok(Self {
            client,
            js,
            prefix,
            settings,
        })
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    pub fn settings(&self) -> &BusSettings {
        &self.settings
    }

    pub fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    /// `<PREFIX>_EVENTS` (stream names are upper case, `-` becomes `_`).
    pub fn stream_name(&self) -> String {
        format!("{}_EVENTS", self.prefix.as_str().to_ascii_uppercase().replace('-', "_"))
    }

    /// `<prefix>.events.<event type>`; the type may end in `>` or `*`.
    pub fn subject(&self, event_type: &str) -> String {
        format!("{}.events.{event_type}", self.prefix)
    }

    /// Creates the event stream if it does not exist yet, and applies the
    /// retention (`ATTEND_BUS_MAX_AGE`) and replica count
    /// (`ATTEND_BUS_REPLICAS`) to one that does.
    pub async fn ensure_stream(&self) -> anyhow::Result<stream::Stream> {
        let config = stream::Config {
            name: self.stream_name(),
            subjects: vec![self.subject(">")],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            max_age: self.settings.max_age,
            num_replicas: self.settings.replicas,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        let mut stream = self
            .js
            .get_or_create_stream(config)
            .await
            .with_context(|| format!("cannot create or open JetStream stream {}", self.stream_name()))?;
        let current = stream.cached_info().config.clone();
        if current.max_age != self.settings.max_age || current.num_replicas != self.settings.replicas {
            let wanted = stream::Config {
                max_age: self.settings.max_age,
                num_replicas: self.settings.replicas,
                ..current.clone()
            };
            self.js.update_stream(wanted).await.with_context(|| {
                format!(
                    "cannot apply ATTEND_BUS_MAX_AGE / ATTEND_BUS_REPLICAS to stream {} (a single NATS server keeps one replica)",
                    self.stream_name()
                )
            })?;
            tracing::warn!(
                stream = %self.stream_name(),
                max_age = ?self.settings.max_age,
                was_max_age = ?current.max_age,
                replicas = self.settings.replicas,
                was_replicas = current.num_replicas,
                "stream settings changed to the configured ones"
            );
            stream = self.js.get_stream(self.stream_name()).await?;
        }
        Ok(stream)
    }

    /// Is the connection up (for `/readyz`).
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }
}

/// An event about to be written to the outbox.
#[derive(Debug, Clone)]
pub struct Draft {
    envelope: Envelope,
    /// The envelope's id and organisation, typed (the envelope holds text).
    id: EventId,
    org: OrgId,
}

impl Draft {
    /// A new event of type `E::TYPE` in `org`.
    pub fn new<E: Event>(org: OrgId, payload: &E) -> Self {
        let event_id = EventId::new();
        let id = event_id.uuid().to_string();
        Self {
            id: event_id,
            org,
            envelope: Envelope {
                correlation_id: id.clone(),
                id,
                r#type: E::TYPE.to_owned(),
                org_id: org.uuid().to_string(),
                occurred_at: Some(timestamp(Utc::now())),
                subject_ids: Default::default(),
                causation_id: String::new(),
                payload_type: E::full_name(),
                payload: payload.encode_to_vec(),
                producer: String::new(),
            },
        }
    }

    /// Names an entity the event is about (`"booking_id"`, id).
    pub fn about(mut self, kind: &str, id: impl TypedId) -> Self {
        self.envelope.subject_ids.insert(kind.to_owned(), id.uuid().to_string());
        self
    }

    /// Uses an id assigned earlier (ingest gives the event its event-log
    /// row's id, so the id a provider is told is the id on the bus).
    pub fn with_id(mut self, id: EventId) -> Self {
        let text = id.uuid().to_string();
        self.id = id;
        if self.envelope.correlation_id == self.envelope.id {
            self.envelope.correlation_id = text.clone();
        }
        self.envelope.id = text;
        self
    }

    /// The event that caused this one: keeps the correlation chain.
    pub fn caused_by(mut self, cause: &Envelope) -> Self {
        self.envelope.causation_id = cause.id.clone();
        self.envelope.correlation_id = if cause.correlation_id.is_empty() {
            cause.id.clone()
        } else {
            cause.correlation_id.clone()
        };
        self
    }

    pub fn id(&self) -> EventId {
        self.id
    }

    pub fn org(&self) -> OrgId {
        self.org
    }

    pub fn into_envelope(self) -> Envelope {
        self.envelope
    }
}

/// A chrono instant as a protobuf timestamp.
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// A protobuf timestamp as a chrono instant (`None` when out of range).
pub fn from_timestamp(ts: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let now = Utc::now();
        assert_eq!(from_timestamp(&timestamp(now)), Some(now));
    }

    #[test]
    fn a_caused_event_keeps_the_chain() {
        use attend_proto::booking::v1::BookingCreated;
        let org = OrgId::new();
        let first = Draft::new(org, &BookingCreated::default()).into_envelope();
        assert_eq!(first.correlation_id, first.id);
        let second = Draft::new(org, &BookingCreated::default())
            .caused_by(&first)
            .into_envelope();
        assert_eq!(second.causation_id, first.id);
        assert_eq!(second.correlation_id, first.id);
        let third = Draft::new(org, &BookingCreated::default())
            .caused_by(&second)
            .into_envelope();
        assert_eq!(third.causation_id, second.id);
        assert_eq!(third.correlation_id, first.id);
    }
}
