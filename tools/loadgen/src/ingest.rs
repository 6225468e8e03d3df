//! `loadgen ingest`: webhook ingest against the raw baseline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use attend_ingest::signature::WebhookSecret;
use attend_kit::grpc::{Caller, request};
use attend_kit::service::{Fleet, ServiceName};
use attend_proto::identity::v1 as identity;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use base64::Engine as _;
use tokio_util::sync::CancellationToken;

use crate::stats::{self, Figures};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Webhooks to send (and baseline operations to run).
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// In flight at once.
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
    /// Run only identity and ingest: the answer path without downstream
    /// processing competing for the machine.
    #[arg(long)]
    pub ingest_only: bool,
    /// Keep the bench database afterwards.
    #[arg(long)]
    pub keep: bool,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            requests: 20_000,
            concurrency: 100,
            ingest_only: false,
            keep: false,
        }
    }
}

const INSTANCE: &str = "bench-wix";

/// A booking webhook in the seed's JSON form, for booking `i`.
fn booking(i: usize) -> String {
    serde_json::json!({
        "event": "bookings/created",
        "instanceId": INSTANCE,
        "bookingId": format!("bench-{i}"),
        "contactId": format!("bench-contact-{i}"),
        "serviceId": "bench-service",
        "serviceName": "Skin check",
        "startTime": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339(),
        "status": "scheduled",
        "customerInfo": {
            "name": format!("Bench Patient {i}"),
            // 0412 000 000 up: valid Australian mobiles, one per booking.
            "phone": format!("+61412{:06}", i % 1_000_000),
            "email": format!("patient{i}@bench.example"),
        }
    })
    .to_string()
}

/// The baseline: what a webhook must at least cost here, a single-row
/// insert+commit into a table like the event log, then a JetStream publish
/// acknowledged by the server.
async fn baseline(
    args: &Args,
    database: &url::Url,
    nats_url: &str,
    prefix: &str,
    pool_size: u32,
) -> anyhow::Result<Figures> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(pool_size)
        .connect(database.as_str())
        .await
        .context("connect to the bench database")?;
    sqlx::raw_sql(
        "create schema if not exists bench;
         create table if not exists bench.baseline (
             id uuid primary key, org_id uuid not null, provider text not null, delivery_id text not null,
             event_type text not null, endpoint text not null, headers jsonb not null, raw_body bytea not null,
             received_at timestamptz not null default now(), unique (org_id, provider, delivery_id))",
    )
    .execute(&pool)
    .await?;
    let client = async_nats::connect(nats_url).await.context("connect to NATS")?;
    let js = async_nats::jetstream::new(client);
    let stream = format!("BENCH_{prefix}");
    let subject = format!("{prefix}.bench");
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: stream.clone(),
        subjects: vec![subject.clone()],
        storage: async_nats::jetstream::stream::StorageType::File,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    })
    .await?;
    let org = uuid::Uuid::now_v7();
    let (pool2, js2) = (pool.clone(), js.clone());
    let figures = stats::run(args.requests, args.concurrency, move |i| {
        let (pool, js, subject) = (pool2.clone(), js2.clone(), subject.clone());
        async move {
            let body = booking(i);
            let id = uuid::Uuid::now_v7();
            sqlx::query(
                "insert into bench.baseline (id, org_id, provider, delivery_id, event_type, endpoint, headers, raw_body)
                 values ($1, $2, 'wix', $3, 'bookings/created', '/webhooks/wix/bookings', $4, $5)",
            )
            .bind(id)
            .bind(org)
            .bind(format!("baseline-{i}"))
            .bind(serde_json::json!({"content-type": "application/json"}))
            .bind(body.as_bytes())
            .execute(&pool)
            .await?;
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", id.to_string().as_str());
            js.publish_with_headers(subject, headers, body.into_bytes().into())
                .await?
                .await?;
            Ok(())
        }
    })
    .await?;
    let _ = js.delete_stream(&stream).await;
    pool.close().await;
    Ok(figures)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let database = crate::database_url("attend_bench")?;
    let prefix = format!("bench{}", chrono::Utc::now().timestamp());
    let key = [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat();
    let secret_text = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    let config = crate::fleet_config(&database, &prefix, &[("ATTEND_WEBHOOK_SECRET", secret_text.clone())])?;
    let pool_size = config.db_max_connections;
    let nats_url = config.nats_url.clone();

    crate::drop_database(&database).await?;
    crate::create_database(&database).await?;
    println!(
        "ingest: {} signed webhooks, {} in flight, {pool_size} database connections per service",
        args.requests, args.concurrency
    );
    let base = baseline(&args, &database, &nats_url, &prefix, pool_size).await?;

    let defs: Vec<_> = attend::definitions()
        .into_iter()
        .filter(|d| !args.ingest_only || matches!(d.name, ServiceName::Identity | ServiceName::Ingest))
        .collect();
    let mut fleet = Fleet::start(config, defs, CancellationToken::new()).await?;
    let result = drive(&args, &fleet, &secret_text, &database).await;
    let stream = fleet.bus().stream_name();
    let _ = fleet.bus().jetstream().delete_stream(&stream).await;
    fleet.shutdown().await?;
    if !args.keep {
        crate::drop_database(&database).await?;
    }
    let (ours, downstream) = result?;

    println!("{}", stats::header());
    println!("{}", base.row("baseline"));
    println!("{}", ours.row("attend ingest"));
    println!(
        "ratio                  {:.2} of the baseline's throughput; p99 {} against {}",
        ours.throughput() / base.throughput(),
        stats::ms(ours.quantile(0.99)),
        stats::ms(base.quantile(0.99)),
    );
    if let Some((total, took)) = downstream {
        println!(
            "end to end             all {total} webhooks were bookings {:.1}s after the first was sent ({:.0} bookings/s)",
            took.as_secs_f64(),
            total as f64 / took.as_secs_f64()
        );
    }
    Ok(())
}

/// Sends the webhooks; with the whole fleet, waits until each is a booking.
async fn drive(
    args: &Args,
    fleet: &Fleet,
    secret_text: &str,
    database: &url::Url,
) -> anyhow::Result<(Figures, Option<(usize, Duration)>)> {
    let mut identity = IdentityServiceClient::new(fleet.peers().channel(ServiceName::Identity));
    identity
        .create_organisation(request(
            identity::CreateOrganisationRequest {
                name: "Bench Clinic".to_owned(),
                slug: "bench-clinic".to_owned(),
                time_zone: "Australia/Sydney".to_owned(),
                phone_region: "AU".to_owned(),
                external_ids: vec![identity::ExternalId {
                    provider: "wix".to_owned(),
                    external_id: INSTANCE.to_owned(),
                }],
                business_hours: None,
            },
            &Caller::platform(),
        ))
        .await
        .context("create the bench organisation")?;
    let ingest = fleet.http_addr(ServiceName::Ingest).context("ingest runs")?;
    let url = Arc::new(format!("http://{ingest}/webhooks/wix/bookings"));
    let secret = Arc::new(WebhookSecret::parse(secret_text).map_err(anyhow::Error::msg)?);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let send = move |i: usize| {
        let (http, url, secret) = (http.clone(), url.clone(), secret.clone());
        async move {
            let body = booking(i);
            let id = format!("bench-delivery-{i}");
            let now = chrono::Utc::now().timestamp();
            let response = http
                .post(url.as_str())
                .headers(secret.headers(&id, now, body.as_bytes())?)
                .body(body)
                .send()
                .await?;
            anyhow::ensure!(
                response.status().is_success(),
                "ingest answered {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
            Ok(())
        }
    };
    let send = Arc::new(send);
    // Warm up connections and caches on deliveries of their own.
    let warm = args.requests;
    let warm_send = send.clone();
    stats::run(200, args.concurrency.min(50), move |i| warm_send(warm + i)).await?;
    let started = Instant::now();
    let figures = stats::run(args.requests, args.concurrency, move |i| send(i)).await?;

    if args.ingest_only {
        return Ok((figures, None));
    }
    let total = args.requests + 200;
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(database.as_str())
        .await?;
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let done: i64 = sqlx::query_scalar("select count(*) from booking.bookings")
            .fetch_one(&admin)
            .await?;
        if usize::try_from(done).unwrap_or(0) >= total {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {done} of {total} webhooks became bookings within 15 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((figures, Some((total, started.elapsed()))))
}
