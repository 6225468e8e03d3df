//! `loadgen`: benchmarks that print figures.
//!
//! - `loadgen ingest`: N signed webhooks at concurrency C against the fleet,
//!   after the same N single-row insert+commit + JetStream publish-with-ack
//!   operations on the same Postgres and NATS (the raw baseline); prints
//!   throughput and p50/p99/p99.9 of both, our throughput as a ratio of the
//!   baseline, and how long the fleet took to turn every delivery into a
//!   booking.
//! - `loadgen read`: seeds an organisation with a million contacts and ten
//!   million touchpoints (once; kept between runs), then measures contact
//!   search, lists and the timeline through the gateway.
//! - `loadgen sms`: reminders through `SendSms`, the queue and the sender
//!   to a fake ClickSend, after the same inserts, updates and provider
//!   calls made directly (the raw baseline); prints sends per second of
//!   both and the latency from `SendSms` to the provider call.
//! - `loadgen automation`: a Wix booking's webhook answer to its
//!   confirmation text at a fake ClickSend, at half the fleet's sustainable
//!   rate, beside a raw chain of the same hops with no logic; and
//!   `GET /api/tasks` at 100,000 open tasks and ten staff, beside the
//!   gateway's cheapest request and the cheapest SQL read of a page.
//!
//! - `loadgen reports`: the weekly and monthly reports through the gateway
//!   at 100,000 bookings a month (seeded into reporting's tables), beside
//!   one hand-written SQL query computing the same figures; and the
//!   projection lag while Wix bookings arrive at half the sustainable rate.
//!
//! The fleet runs in this process on free ports, on its own databases
//! (`attend_bench`, `attend_bench_sms`, `attend_bench_auto` and
//! `attend_bench_lag`, dropped each run, and `attend_bench_read` and
//! `attend_bench_reports`, kept) and
//! NATS prefix, so a developer's own `attend` database is never touched.

mod automation;
mod ingest;
mod read;
mod reports;
mod sms;
mod stats;

use std::net::SocketAddr;

use attend_kit::config::{Config, Source};
use clap::{Parser, Subcommand};
use url::Url;

#[derive(Parser)]
#[command(name = "loadgen", about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Signed webhooks against the raw Postgres + JetStream baseline.
    Ingest(ingest::Args),
    /// Search, list and timeline latency at a million contacts.
    Read(read::Args),
    /// Text messages through the queue to a fake provider, against the raw baseline.
    Sms(sms::Args),
    /// A booking's confirmation text at the provider, and the task queue at 100,000 tasks.
    Automation(automation::Args),
    /// The weekly and monthly reports at 100,000 bookings a month, and the projection lag.
    Reports(reports::Args),
    /// All five, with their defaults.
    All,
}

fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Ingest(args) => ingest::run(args).await,
            Command::Read(args) => read::run(args).await,
            Command::Sms(args) => sms::run(args).await,
            Command::Automation(args) => automation::run(args).await,
            Command::Reports(args) => reports::run(args).await,
            Command::All => {
                ingest::run(ingest::Args::default()).await?;
                println!();
                sms::run(sms::Args::default()).await?;
                println!();
                automation::run(automation::Args::default()).await?;
                println!();
                reports::run(reports::Args::default()).await?;
                println!();
                read::run(read::Args::default()).await
            }
        }
    })
}

/// The admin URL of a bench database: `DATABASE_URL` as the platform reads
/// it (local Postgres by default), another database name.
pub fn database_url(name: &str) -> anyhow::Result<Url> {
    let source = Source::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = Config::load(source).map_err(|e| anyhow::anyhow!("configuration: {e:?}"))?;
    let mut url = config.database_url;
    url.set_path(name);
    Ok(url)
}

/// The fleet's configuration for a bench database and NATS prefix: every
/// listener on a free port, limits off.
pub fn fleet_config(database: &Url, prefix: &str, settings: &[(&str, String)]) -> anyhow::Result<Config> {
    let mut source = Source::from_env()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with("DATABASE_URL", database.as_str())
        .with("ATTEND_NATS_PREFIX", prefix)
        .with("ATTEND_API_RATE_LIMIT", "100000000")
        .with("ATTEND_AUTH_RATE_LIMIT", "100000");
    for name in attend_kit::ServiceName::ALL {
        source = source.with(&format!("ATTEND_{}_DATABASE_URL", name.env_key()), "");
    }
    for (var, value) in settings {
        source = source.with(var, value.clone());
    }
    let config = Config::load(source).map_err(|e| anyhow::anyhow!("configuration: {e:?}"))?;
    let mut config = attend::admin::ephemeral(config);
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    config.gateway_addr = any;
    Ok(config)
}

/// Drops a bench database.
pub async fn drop_database(database: &Url) -> anyhow::Result<()> {
    use sqlx::{Connection, Executor};
    let mut maintenance = database.clone();
    maintenance.set_path("postgres");
    let mut conn = sqlx::PgConnection::connect(maintenance.as_str()).await?;
    let name = database.path().trim_start_matches('/');
    conn.execute(sqlx::AssertSqlSafe(format!(
        "drop database if exists \"{name}\" with (force)"
    )))
    .await?;
    Ok(())
}

/// Creates a bench database if it is missing.
pub async fn create_database(database: &Url) -> anyhow::Result<()> {
    use sqlx::{Connection, Executor};
    let mut maintenance = database.clone();
    maintenance.set_path("postgres");
    let mut conn = sqlx::PgConnection::connect(maintenance.as_str()).await?;
    let name = database.path().trim_start_matches('/');
    let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await?;
    if !exists {
        conn.execute(sqlx::AssertSqlSafe(format!("create database \"{name}\"")))
            .await?;
    }
    Ok(())
}
