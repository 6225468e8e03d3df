//! A test harness that runs the real fleet in-process against real
//! Postgres and NATS.
//!
//! Every [`TestFleet`] gets its own database (`attend_t_<unix>_<random>`)
//! and its own NATS subject and stream prefix, binds every listener to port
//! 0, and drives the platform only through its public edges (HTTP, gRPC,
//! NATS), so tests run in parallel and what is tested is what ships.
//! [`TestFleet::teardown`] drops the database and the stream; leftovers of
//! crashed runs older than an hour are removed when the next test starts.
//!
//! Postgres and NATS come from `DATABASE_URL` and `NATS_URL` (defaulting to
//! the local ones), or, with the `containers` feature and
//! `ATTEND_TEST_CONTAINERS=1`, from containers (needs a Docker engine).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test harness: a panic is the failing test's report"
)]

use std::time::Duration;

use anyhow::Context as _;
use attend_ingest::signature::WebhookSecret;
use attend_kit::config::{Config, Source};
use attend_kit::grpc::{Caller, request};
use attend_kit::ids::{OrgId, TypedId};
use attend_kit::service::{Fleet, ServiceName};
use attend_proto::identity::v1 as identity;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};
use tokio_util::sync::CancellationToken;
use url::Url;

#[cfg(feature = "containers")]
mod containers;

/// The Wix app key tests sign with, and its public half given to ingest.
pub const WIX_PRIVATE_KEY: &str = include_str!("../../services/ingest/testdata/wix_test_key.pem");
pub const WIX_PUBLIC_KEY: &str = include_str!("../../services/ingest/testdata/wix_test_key.pub.pem");
/// Somebody else's key.
pub const OTHER_PRIVATE_KEY: &str = include_str!("../../services/ingest/testdata/other_key.pem");
/// The Standard Webhooks secret tests sign with.
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The secret ingest derives ManyChat and ClickSend tokens from in tests.
pub const INTAKE_SECRET: &str = "test-intake-secret-0123456789abcdef";

/// The Twilio auth token ingest verifies with in tests.
pub const TWILIO_AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
/// Password of users the harness creates.
pub const PASSWORD: &str = "correct horse battery staple";

/// Where the shared services are.
struct Backends {
    database_url: Url,
    nats_url: String,
}

async fn backends() -> anyhow::Result<Backends> {
    #[cfg(feature = "containers")]
    if std::env::var("ATTEND_TEST_CONTAINERS").is_ok_and(|v| v == "1") {
        return containers::start().await;
    }
    let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://localhost/attend".to_owned());
    let nats_url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    Ok(Backends {
        database_url: Url::parse(&database_url).context("DATABASE_URL")?,
        nats_url,
    })
}

/// Logs for a failing test (RUST_LOG, default warnings), once per process.
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

/// The fleet under test.
pub struct TestFleet {
    pub fleet: Fleet,
    /// The admin URL of this test's own database.
    pub database_url: Url,
    pub db_name: String,
    pub prefix: String,
    pub http: reqwest::Client,
    /// The webhook secret ingest verifies with.
    pub secret: WebhookSecret,
    nats_url: String,
}

/// Settings for a test fleet.
pub struct Options {
    pub services: Vec<ServiceName>,
    /// Extra settings (ATTEND_* variables) for this fleet.
    pub settings: Vec<(&'static str, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            services: ServiceName::ALL.to_vec(),
            settings: Vec::new(),
        }
    }
}

impl TestFleet {
    /// Every service, default settings.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        Self::try_start(options).await.expect("the test fleet starts")
    }

    async fn try_start(options: Options) -> anyhow::Result<Self> {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        init_logs();
        let backends = backends().await?;
        clean_up_stale(&backends).await;

        let now = chrono::Utc::now().timestamp();
        let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let db_name = format!("attend_t_{now}_{tag}");
        let prefix = format!("t{now}{tag}");
        let mut database_url = backends.database_url.clone();
        database_url.set_path(&db_name);

        let mut source = Source::from_env()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .with("DATABASE_URL", database_url.as_str())
            .with("NATS_URL", backends.nats_url.clone())
            .with("ATTEND_NATS_PREFIX", prefix.clone())
            .with("ATTEND_GATEWAY_ADDR", "127.0.0.1:0")
            .with("ATTEND_INGEST_ADDR", "127.0.0.1:0")
            .with("ATTEND_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .with("ATTEND_WIX_PUBLIC_KEY", WIX_PUBLIC_KEY)
            .with("ATTEND_INTAKE_SECRET", INTAKE_SECRET)
            .with("ATTEND_TWILIO_AUTH_TOKEN", TWILIO_AUTH_TOKEN)
            // Crash tests wait for redelivery: keep it short.
            .with("ATTEND_BUS_ACK_WAIT", "3s")
            .with("ATTEND_SHUTDOWN_GRACE", "10s")
            // Tests run in parallel against one Postgres: few connections each.
            .with("ATTEND_DB_MAX_CONNECTIONS", "3");
        for name in ServiceName::ALL {
            source = source.with(&format!("ATTEND_{}_GRPC_ADDR", name.env_key()), "127.0.0.1:0");
            // Never the runtime URL of a developer's own configuration.
            source = source.with(&format!("ATTEND_{}_DATABASE_URL", name.env_key()), "");
        }
        for (var, value) in options.settings {
            source = source.with(var, value);
        }
        let config = Config::load(source).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        // The configured URL, with the default user filled in.
        let database_url = config.database_url.clone();
        let defs = attend::definitions()
            .into_iter()
            .filter(|d| options.services.contains(&d.name))
            .collect();
        let fleet = Fleet::start(config, defs, CancellationToken::new()).await?;
        Ok(Self {
            fleet,
            database_url,
            db_name,
            prefix,
            http: reqwest::Client::new(),
            secret: WebhookSecret::parse(WEBHOOK_SECRET).map_err(anyhow::Error::msg)?,
            nats_url: backends.nats_url,
        })
    }

    /// Stops every service, drops the database and deletes the stream.
    pub async fn teardown(mut self) {
        let _ = self.fleet.shutdown().await;
        let stream = self.fleet.bus().stream_name();
        let _ = self.fleet.bus().jetstream().delete_stream(&stream).await;
        let mut maintenance = self.database_url.clone();
        maintenance.set_path("postgres");
        if let Ok(mut conn) = PgConnection::connect(maintenance.as_str()).await {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "drop database if exists \"{}\" with (force)",
                    self.db_name
                )))
                .await;
        }
    }

    pub fn gateway(&self) -> String {
        format!(
            "http://{}",
            self.fleet.http_addr(ServiceName::Gateway).expect("gateway runs")
        )
    }

    pub fn ingest(&self) -> String {
        format!(
            "http://{}",
            self.fleet.http_addr(ServiceName::Ingest).expect("ingest runs")
        )
    }

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

    /// An admin connection to this test's database (to look, not to act).
    pub async fn admin(&self) -> PgConnection {
        PgConnection::connect(self.database_url.as_str())
            .await
            .expect("admin connection to the test database")
    }

    /// A count from this test's database, as admin (RLS does not apply).
    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&mut self.admin().await)
            .await
            .expect("count query")
    }

    pub fn nats_url(&self) -> &str {
        &self.nats_url
    }

    pub fn identity(&self) -> IdentityServiceClient<attend_kit::grpc::Traced> {
        IdentityServiceClient::new(self.fleet.peers().channel(ServiceName::Identity))
    }

    /// Creates an organisation linked to a Wix instance.
    pub async fn create_org(&self, slug: &str, wix_instance: &str) -> OrgId {
        let org = self
            .identity()
            .create_organisation(request(
                identity::CreateOrganisationRequest {
                    name: format!("Clinic {slug}"),
                    slug: slug.to_owned(),
                    time_zone: "Australia/Sydney".to_owned(),
                    phone_region: "AU".to_owned(),
                    external_ids: vec![identity::ExternalId {
                        provider: "wix".to_owned(),
                        external_id: wix_instance.to_owned(),
                    }],
                    business_hours: None,
                },
                &Caller::platform(),
            ))
            .await
            .expect("create organisation")
            .into_inner();
        OrgId::parse_uuid(&org.id).expect("organisation id")
    }

    /// Creates a user with [`PASSWORD`] and returns an access token for them.
    pub async fn user_token(&self, org: OrgId, email: &str, role: &str) -> String {
        self.identity()
            .create_user(request(
                identity::CreateUserRequest {
                    org_id: org.uuid().to_string(),
                    email: email.to_owned(),
                    name: format!("Test {role}"),
                    role: role.to_owned(),
                    password: PASSWORD.to_owned(),
                },
                &Caller::platform(),
            ))
            .await
            .expect("create user");
        let response = self
            .http
            .post(format!("{}/api/auth/login", self.gateway()))
            .json(&serde_json::json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), 200, "login succeeds");
        let body: Value = response.json().await.expect("login body");
        body["access_token"].as_str().expect("access token").to_owned()
    }

    /// GET on the gateway with a bearer token.
    pub async fn api_get(&self, token: &str, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.gateway()))
            .bearer_auth(token)
            .send()
            .await
            .expect("gateway request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs a body to the Wix bookings webhook with Standard Webhooks headers.
    pub async fn post_signed_json(&self, webhook_id: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let now = chrono::Utc::now().timestamp();
        self.post_webhook(
            body.into_bytes(),
            vec![
                ("content-type", "application/json".to_owned()),
                ("webhook-id", webhook_id.to_owned()),
                ("webhook-timestamp", now.to_string()),
            ],
            true,
        )
        .await
    }

    /// POSTs raw bytes and headers to the Wix bookings webhook. With
    /// `sign`, adds a `webhook-signature` over the body with the test secret
    /// and the given `webhook-id` and `webhook-timestamp`.
    pub async fn post_webhook(&self, body: Vec<u8>, headers: Vec<(&str, String)>, sign: bool) -> (u16, Value) {
        let mut request = self.http.post(format!("{}/webhooks/wix/bookings", self.ingest()));
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        if sign {
            let ts = header("webhook-timestamp").parse::<i64>().unwrap_or_default();
            request = request.header("webhook-signature", self.secret.sign(&header("webhook-id"), ts, &body));
        }
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let response = request.body(body).send().await.expect("webhook request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs a Wix JWT body.
    pub async fn post_wix_jwt(&self, token: &str) -> (u16, Value) {
        self.post_webhook(
            token.as_bytes().to_vec(),
            vec![("content-type", "text/plain".to_owned())],
            false,
        )
        .await
    }

    /// An organisation's token for ManyChat or ClickSend.
    pub fn intake_token(&self, provider: &str, slug: &str) -> String {
        attend_ingest::signature::IntakeSecret::parse(INTAKE_SECRET)
            .expect("test intake secret")
            .token(provider, slug)
    }

    /// POSTs to an ingest path with a content type and extra headers.
    pub async fn post_ingest(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.ingest()))
            .header("content-type", content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("ingest request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body, headers)
    }

    /// The reasons ingest recorded for refused deliveries, oldest first.
    pub async fn rejections(&self) -> Vec<(String, String, String)> {
        sqlx::query_as("select provider, reason_code, reason from ingest.rejected_deliveries order by received_at, id")
            .fetch_all(&mut self.admin().await)
            .await
            .expect("read rejected deliveries")
    }

    /// Polls until `check` returns a value, for at most `timeout`.
    pub async fn until_some<T, F, Fut>(&self, timeout: Duration, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out after {timeout:?} waiting until {what}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `check` holds, for at most `timeout`.
    pub async fn eventually<F, Fut>(&self, timeout: Duration, what: &str, check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        assert!(
            attend_kit::service::wait_until(timeout, check).await,
            "timed out after {timeout:?} waiting until {what}"
        );
    }
}

impl TestFleet {
    /// Signs `claims` with identity's current signing key, read from its
    /// table as admin: for forging tokens identity would never issue
    /// (expired ones, say) that still carry a genuine signature.
    pub async fn sign_as_identity(&self, claims: &Value) -> String {
        let (kid, pkcs8): (String, Vec<u8>) = sqlx::query_as(
            "select kid, private_key from identity.signing_keys where retired_at is null
             order by created_at desc, kid desc limit 1",
        )
        .fetch_one(&mut self.admin().await)
        .await
        .expect("a signing key exists");
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&pkcs8)).expect("sign")
    }

    /// Emails the messaging sandbox recorded for `to`, newest first.
    pub async fn sandbox_emails(&self, to: &str) -> Vec<attend_proto::messaging::v1::OutboundEmail> {
        use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;
        MessagingServiceClient::new(self.fleet.peers().channel(ServiceName::Messaging))
            .list_emails(request(
                attend_proto::messaging::v1::ListEmailsRequest {
                    to: to.to_owned(),
                    limit: 50,
                },
                &Caller::platform(),
            ))
            .await
            .expect("list sandbox emails")
            .into_inner()
            .emails
    }

    /// Waits until the sandbox provider has sent an email to `to`, and
    /// returns the token in its link.
    pub async fn token_from_email(&self, to: &str, prefix: &str) -> String {
        self.until_some(Duration::from_secs(10), "the email is sent", || async {
            let emails = self.sandbox_emails(to).await;
            let email = emails.first().filter(|e| e.status == "sent")?;
            let body = &email.body_text;
            let start = body.find(&format!("token={prefix}_"))? + "token=".len();
            let token: String = body[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            Some(token)
        })
        .await
    }

    /// POSTs JSON to the gateway, with a bearer token when given.
    pub async fn api_post(
        &self,
        token: Option<&str>,
        path: &str,
        body: &Value,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = self.http.post(format!("{}{path}", self.gateway())).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("gateway request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.json().await.unwrap_or(Value::Null), headers)
    }

    /// Waits until the gateway finds a contact by phone, and returns the contact detail.
    pub async fn contact_by_phone(&self, token: &str, phone: &str) -> Value {
        let path = format!("/api/contacts?phone={}", phone.replace('+', "%2B"));
        let id: String = self
            .until_some(Duration::from_secs(20), "the contact is visible", || async {
                let (status, body) = self.api_get(token, &path).await;
                (status == 200)
                    .then(|| body["contacts"][0]["id"].as_str().map(str::to_owned))
                    .flatten()
            })
            .await;
        let path = format!("/api/contacts/{id}");
        self.until_some(
            Duration::from_secs(20),
            "the booking's touchpoint is on the timeline",
            || async {
                let (status, body) = self.api_get(token, &path).await;
                let ready = status == 200 && body["touchpoints"].as_array().is_some_and(|t| !t.is_empty());
                ready.then_some(body)
            },
        )
        .await
    }

    /// Sends any method to the gateway with a bearer token, an optional
    /// JSON body and extra headers.
    pub async fn api_send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.gateway()))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("gateway request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Logs in through the gateway; the whole answer.
    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        let (status, body, _) = self
            .api_post(
                None,
                "/api/auth/login",
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        (status, body)
    }
}

/// A Wix webhook JWT, signed RS256 with `key_pem`, carrying a Bookings v2
/// "booking created" event.
pub fn wix_jwt(key_pem: &str, claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(key_pem.as_bytes()).expect("test RSA key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("sign JWT")
}

/// The claims of a Wix "booking created" webhook as Wix documents them:
/// `data` is JSON text holding `eventType`, `instanceId` and `data` (JSON
/// text of the event itself).
pub fn wix_created_claims(instance: &str, event_id: &str, booking_id: &str, phone: &str, expires_in: i64) -> Value {
    let start = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let event = serde_json::json!({
        "id": event_id,
        "entityFqdn": "wix.bookings.v2.booking",
        "slug": "created",
        "entityId": booking_id,
        "createdEvent": {
            "entity": {
                "id": booking_id,
                "bookedEntity": {
                    "slot": {"serviceId": "svc-skin-check", "startDate": start, "timezone": "Australia/Sydney"},
                    "title": "Skin check"
                },
                "contactDetails": {
                    "contactId": "wix-contact-1",
                    "firstName": "Jane",
                    "lastName": "Doe",
                    "email": "Jane.Doe@Example.com",
                    "phone": phone,
                    "countryCode": "AU"
                },
                "status": "CONFIRMED",
                "paymentStatus": "NOT_PAID",
                "startDate": start
            }
        },
                "eventTime": chrono::Utc::now().to_rfc3339()
    });
    wix_claims(instance, "wix.bookings.v2.booking_created", &event, expires_in)
}

/// JWT claims wrapping a Wix event as Wix nests it: `data` is JSON text
/// with `eventType`, `instanceId` and `data`, the event as JSON text.
pub fn wix_claims(instance: &str, event_type: &str, event: &Value, expires_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    let data = serde_json::json!({
        "eventType": event_type,
        "instanceId": instance,
        "data": event.to_string(),
    });
    serde_json::json!({"data": data.to_string(), "iat": now, "exp": now + expires_in})
}

/// A Wix Bookings v2 action event (confirmed, canceled, declined,
/// rescheduled) about `booking_id`: the booking at `actionEvent.body.booking`,
/// with the given status and start, timed at `event_time`.
pub fn wix_action_claims(
    instance: &str,
    action: &str,
    event_id: &str,
    booking_id: &str,
    status: &str,
    start: chrono::DateTime<chrono::Utc>,
    event_time: chrono::DateTime<chrono::Utc>,
) -> Value {
    let event = serde_json::json!({
        "id": event_id,
        "entityFqdn": "wix.bookings.v2.booking",
        "slug": action,
        "entityId": booking_id,
        "actionEvent": {
            "body": {
                "booking": {
                    "id": booking_id,
                    "bookedEntity": {
                        "slot": {"serviceId": "svc-skin-check", "startDate": start.to_rfc3339()},
                        "title": "Skin check"
                    },
                    "status": status,
                    "paymentStatus": "NOT_PAID",
                    "startDate": start.to_rfc3339()
                }
            }
        },
        "eventTime": event_time.to_rfc3339()
    });
    wix_claims(instance, &format!("wix.bookings.v2.booking_{action}"), &event, 300)
}

/// The seed's JSON body for a booking.
pub fn seed_booking(instance: Option<&str>, booking_id: &str, phone: &str) -> Value {
    let mut body = serde_json::json!({
        "event": "bookings/created",
        "bookingId": booking_id,
        "contactId": format!("wix-contact-{booking_id}"),
        "serviceId": "service_abc",
        "startTime": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339(),
        "status": "scheduled",
        "customerInfo": {"name": "Jane Doe", "phone": phone, "email": "jane@example.com"}
    });
    if let Some(instance) = instance {
        body["instanceId"] = Value::String(instance.to_owned());
    }
    body
}

/// Removes databases and streams of test runs that crashed more than an
/// hour ago (names carry their creation time).
async fn clean_up_stale(backends: &Backends) {
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    let mut maintenance = backends.database_url.clone();
    maintenance.set_path("postgres");
    if let Ok(mut conn) = PgConnection::connect(maintenance.as_str()).await {
        let names: Vec<String> = sqlx::query_scalar("select datname from pg_database where datname like 'attend_t_%'")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
        for name in names {
            let created = name
                .strip_prefix("attend_t_")
                .and_then(|rest| rest.split('_').next())
                .and_then(|t| t.parse::<i64>().ok());
            if created.is_some_and(|t| t < cutoff) {
                let _ = conn
                    .execute(sqlx::AssertSqlSafe(format!(
                        "drop database if exists \"{name}\" with (force)"
                    )))
                    .await;
            }
        }
    }
    if let Ok(client) = async_nats::connect(&backends.nats_url).await {
        let js = async_nats::jetstream::new(client);
        let mut names = js.stream_names();
        let mut stale = Vec::new();
        use futures::StreamExt;
        while let Some(Ok(name)) = names.next().await {
            let created = name
                .strip_prefix('T')
                .and_then(|rest| rest.get(..10))
                .and_then(|t| t.parse::<i64>().ok());
            if name.ends_with("_EVENTS") && created.is_some_and(|t| t < cutoff) {
                stale.push(name);
            }
        }
        for name in stale {
            let _ = js.delete_stream(&name).await;
        }
    }
}
