//! [`TestFleet`]: the whole platform started for one test, with its own
//! database and NATS prefix, and stopped and removed again at
//! [`TestFleet::teardown`]; [`Options`] to start fewer services or with
//! other settings; where Postgres and NATS are; and looking into the test's
//! own database.

use anyhow::Context as _;
use attend_ingest::signature::WebhookSecret;
use attend_kit::clock::ManualClock;
use attend_kit::config::{Config, Source};
use attend_kit::service::{Fleet, ServiceName};
use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::cleanup::{self, Leftovers};
use crate::webhooks::{INTAKE_SECRET, TWILIO_AUTH_TOKEN, WEBHOOK_SECRET, WIX_PUBLIC_KEY};

/// Where the shared Postgres and NATS are.
pub(crate) struct Backends {
    pub(crate) database_url: Url,
    pub(crate) nats_url: String,
}

async fn backends() -> anyhow::Result<Backends> {
    #[cfg(feature = "containers")]
    if std::env::var("ATTEND_TEST_CONTAINERS").is_ok_and(|v| v == "1") {
        return crate::containers::start().await;
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
    /// Removes the database and stream if the fleet is dropped without
    /// [`TestFleet::teardown`] (a test that panicked).
    leftovers: Leftovers,
}

/// Settings for a test fleet.
pub struct Options {
    pub services: Vec<ServiceName>,
    /// Extra settings (ATTEND_* variables) for this fleet.
    pub settings: Vec<(&'static str, String)>,
    /// The clock every service reads; the system's when `None`. A test
    /// keeps a handle and moves it (quiet hours, reminders) instead of
    /// waiting.
    pub clock: Option<ManualClock>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            services: ServiceName::ALL.to_vec(),
            settings: Vec::new(),
            clock: None,
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
        cleanup::clean_up_stale(&backends).await;

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
        let services = CancellationToken::new();
        let stream = cleanup::stream_name(&prefix);
        // Armed before the fleet starts, so a start that fails after
        // creating the database or the stream removes them too.
        let leftovers = Leftovers::new(&database_url, &db_name, &backends.nats_url, &stream, services.clone());
        let clock: attend_kit::clock::SharedClock = match options.clock {
            Some(clock) => std::sync::Arc::new(clock),
            None => attend_kit::clock::system(),
        };
        let fleet = Fleet::start_with_clock(config, defs, services, clock).await?;
        anyhow::ensure!(
            fleet.bus().stream_name() == stream,
            "the harness would remove stream {stream} but the fleet uses {}",
            fleet.bus().stream_name()
        );
        Ok(Self {
            fleet,
            database_url,
            db_name,
            prefix,
            http: reqwest::Client::new(),
            secret: WebhookSecret::parse(WEBHOOK_SECRET).map_err(anyhow::Error::msg)?,
            nats_url: backends.nats_url,
            leftovers,
        })
    }

    /// Stops every service, drops the database and deletes the stream.
    /// (Dropping the fleet without this does the same, less gracefully.)
    pub async fn teardown(mut self) {
        let _ = self.fleet.shutdown().await;
        self.leftovers.remove().await;
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
}
