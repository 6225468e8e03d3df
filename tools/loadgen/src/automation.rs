//! `loadgen automation`: spec 000's busiest path and its busiest screen.
//!
//! 1. **Booking → confirmation text.** Signed Wix bookings (the seed's JSON
//!    form, one new patient each) into ingest; the confirmation text the
//!    booking rule sends reaches a fake ClickSend. First as fast as they
//!    are answered, which gives the fleet's sustainable rate (bookings over
//!    the time until the last text arrived); then at half that rate, paced,
//!    which gives the latency from each webhook's answer to its text at
//!    the provider. The raw chain beside it does the same hops with no
//!    logic, at the same pace: insert the delivery and publish it to
//!    JetStream (the answer), a durable consumer inserts a contact and a
//!    booking and publishes again, a second inserts a run, a job and a
//!    message, calls the same fake provider and records the answer.
//! 2. **`GET /api/tasks`** for each of ten staff members with 100,000 open
//!    tasks in the organisation (seeded straight into automation's
//!    tables), through the gateway; beside it, the gateway's cheapest
//!    signed-in request (`GET /api/auth/me`) and the cheapest SQL read of
//!    fifty of a staff member's tasks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use attend_ingest::signature::WebhookSecret;
use attend_kit::clock::{ManualClock, SharedClock};
use attend_kit::grpc::{Caller, Role, request};
use attend_kit::ids::{OrgId, TypedId as _, UserId};
use attend_kit::service::{Fleet, ServiceName};
use attend_proto::identity::v1 as identity;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use base64::Engine as _;
use chrono::TimeZone as _;
use futures::StreamExt as _;
use tokio_util::sync::CancellationToken;

use crate::sms::{Provider, fake_clicksend};
use crate::stats::{self, Figures};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Bookings per phase (sustainable, paced, raw chain).
    #[arg(long, default_value_t = 600)]
    pub bookings: usize,
    /// Webhooks in flight at once in the unpaced phase.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// The paced rate, bookings a second (0: half the measured sustainable rate).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Open tasks in the organisation for the queue workload.
    #[arg(long, default_value_t = 100_000)]
    pub tasks: usize,
    /// Staff members the tasks are shared among.
    #[arg(long, default_value_t = 10)]
    pub staff: usize,
    /// Queue requests per workload.
    #[arg(long, default_value_t = 2_000)]
    pub requests: usize,
    /// Queue requests in flight.
    #[arg(long, default_value_t = 8)]
    pub queue_concurrency: usize,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            bookings: 600,
            concurrency: 16,
            rate: 0.0,
            tasks: 100_000,
            staff: 10,
            requests: 2_000,
            queue_concurrency: 8,
        }
    }
}

const INSTANCE: &str = "bench-auto-wix";
/// Tuesday 10 March 2026, noon in Sydney: no text waits for quiet hours.
fn noon() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc
        .with_ymd_and_hms(2026, 3, 10, 1, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The number booking `i` is made for: one new patient each.
fn phone(i: usize) -> String {
    format!("+61413{:06}", i % 1_000_000)
}

/// A booking webhook in the seed's JSON form, three days after the bench's clock.
fn booking(i: usize) -> String {
    serde_json::json!({
        "event": "bookings/created",
        "instanceId": INSTANCE,
        "bookingId": format!("bench-auto-{i}"),
        "contactId": format!("bench-auto-contact-{i}"),
        "serviceId": "bench-service",
        "serviceName": "Skin check",
        "startTime": (noon() + chrono::Duration::days(3)).to_rfc3339(),
        "status": "scheduled",
        "customerInfo": {"name": format!("Bench Patient {i}"), "phone": phone(i)}
    })
    .to_string()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let database = crate::database_url("attend_bench_auto")?;
    let prefix = format!("benchauto{}", chrono::Utc::now().timestamp());
    let stop = CancellationToken::new();
    let provider = Arc::new(Provider::new(Duration::from_millis(20)));
    let provider_url = fake_clicksend(provider.clone(), stop.clone()).await?;
    let key = [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat();
    let secret_text = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    let config = crate::fleet_config(
        &database,
        &prefix,
        &[
            ("ATTEND_WEBHOOK_SECRET", secret_text.clone()),
            ("ATTEND_SMS_PROVIDER", "clicksend".to_owned()),
            ("ATTEND_CLICKSEND_BASE_URL", provider_url.clone()),
            ("ATTEND_CLICKSEND_USERNAME", "bench".to_owned()),
            ("ATTEND_CLICKSEND_API_KEY", "bench".to_owned()),
            ("ATTEND_SMS_FROM", "+61480000000".to_owned()),
            ("ATTEND_SMS_PER_SECOND", "1000000".to_owned()),
        ],
    )?;
    let nats_url = config.nats_url.clone();
    let pool_size = config.db_max_connections;
    crate::drop_database(&database).await?;
    crate::create_database(&database).await?;

    let clock: SharedClock = Arc::new(ManualClock::at(noon()));
    let mut fleet = Fleet::start_with_clock(config, attend::definitions(), CancellationToken::new(), clock).await?;
    let chain = Chain {
        database: &database,
        nats_url: &nats_url,
        prefix: &prefix,
        pool_size,
        provider_url: &provider_url,
    };
    let result = measure(&args, &fleet, &provider, &secret_text, &chain).await;
    let stream = fleet.bus().stream_name();
    let _ = fleet.bus().jetstream().delete_stream(&stream).await;
    fleet.shutdown().await?;
    stop.cancel();
    crate::drop_database(&database).await?;
    result
}

/// Where the raw chain runs: the bench database, NATS, the fake provider.
struct Chain<'a> {
    database: &'a url::Url,
    nats_url: &'a str,
    prefix: &'a str,
    pool_size: u32,
    provider_url: &'a str,
}

async fn measure(
    args: &Args,
    fleet: &Fleet,
    provider: &Arc<Provider>,
    secret_text: &str,
    chain: &Chain<'_>,
) -> anyhow::Result<()> {
    let pool_size = chain.pool_size;
    let org = organisation(fleet).await?;
    println!(
        "automation: {} bookings per phase, each a new patient whose confirmation text goes to a fake ClickSend \
         (20 ms); {pool_size} database connections per service",
        args.bookings
    );
    let ingest = fleet.http_addr(ServiceName::Ingest).context("ingest runs")?;
    let url = Arc::new(format!("http://{ingest}/webhooks/wix/bookings"));
    let secret = Arc::new(WebhookSecret::parse(secret_text).map_err(anyhow::Error::msg)?);
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let answered: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let send = {
        let answered = answered.clone();
        Arc::new(move |i: usize| {
            let (http, url, secret, answered) = (http.clone(), url.clone(), secret.clone(), answered.clone());
            async move {
                let body = booking(i);
                let id = format!("bench-auto-delivery-{i}");
                let now = chrono::Utc::now().timestamp();
                let response = http
                    .post(url.as_str())
                    .headers(secret.headers(&id, now, body.as_bytes())?)
                    .body(body)
                    .send()
                    .await?;
                anyhow::ensure!(response.status().is_success(), "ingest answered {}", response.status());
                if let Ok(mut answered) = answered.lock() {
                    answered.insert(phone(i), Instant::now());
                }
                Ok(())
            }
        })
    };

    // Warm-up, then as fast as answered: the sustainable rate.
    let warm = send.clone();
    stats::run(50, 8, move |i| warm(900_000 + i)).await?;
    wait_for_texts(provider, 50).await?;
    provider_reset(provider, &answered);
    let n = args.bookings;
    let started = Instant::now();
    let unpaced = send.clone();
    stats::run(n, args.concurrency, move |i| unpaced(i)).await?;
    wait_for_texts(provider, n).await?;
    let sustainable = n as f64 / started.elapsed().as_secs_f64();
    provider_reset(provider, &answered);
    // The rest of each booking's work (touchpoints, tasks, reminders
    // planned, audit) is still draining: let it, so the paced phase starts
    // on an idle fleet.
    settle(chain.database).await?;

    // Paced at half of it: the latency to the provider.
    let rate = if args.rate > 0.0 { args.rate } else { sustainable / 2.0 };
    let paced = send.clone();
    let run = stats::run_paced(n, 64, Some(rate), move |i| paced(300_000 + i)).await?;
    wait_for_texts(provider, n).await?;
    let ours = to_provider(provider, &answered, run.elapsed)?;
    provider_reset(provider, &answered);

    // The raw chain at the same pace.
    let raw = raw_chain(n, rate, chain, provider, &answered).await?;

    println!("{}", stats::header());
    println!(
        "sustainable            {sustainable:.1} bookings/s webhook → confirmation text at the provider, unpaced ({} in flight)",
        args.concurrency
    );
    println!("{}", raw.row("raw chain →provider"));
    println!("{}", ours.row("attend webhook→text"));
    println!(
        "paced                  at {rate:.1}/s: p50 {} / p99 {} against the raw chain's {} / {}",
        stats::ms(ours.quantile(0.5)),
        stats::ms(ours.quantile(0.99)),
        stats::ms(raw.quantile(0.5)),
        stats::ms(raw.quantile(0.99)),
    );

    queue(args, fleet, org, chain.database).await
}

/// Waits until every event the fleet published has been handled by
/// every consumer: no service's inbox grew in two seconds.
async fn settle(database: &url::Url) -> anyhow::Result<()> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(database.as_str())
        .await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut last = -1_i64;
    loop {
        let handled: i64 = sqlx::query_scalar(
            "select coalesce(sum(n_tup_ins), 0)::bigint from pg_stat_user_tables where relname = 'inbox'",
        )
        .fetch_one(&pool)
        .await?;
        if handled == last || Instant::now() > deadline {
            return Ok(());
        }
        last = handled;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn provider_reset(provider: &Provider, answered: &Mutex<HashMap<String, Instant>>) {
    if let Ok(mut first) = provider.first_to.lock() {
        first.clear();
    }
    if let Ok(mut answered) = answered.lock() {
        answered.clear();
    }
}

/// Waits until `n` numbers have had their first text.
async fn wait_for_texts(provider: &Provider, n: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let seen = provider.first_to.lock().map(|f| f.len()).unwrap_or(0);
        if seen >= n {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {seen} of {n} texts reached the provider in 15 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// From each webhook's answer to its number's first text at the provider.
fn to_provider(
    provider: &Provider,
    answered: &Mutex<HashMap<String, Instant>>,
    elapsed: Duration,
) -> anyhow::Result<Figures> {
    let first = provider.first_to.lock().map(|f| f.clone()).unwrap_or_default();
    let answered = answered.lock().map(|a| a.clone()).unwrap_or_default();
    let mut latencies = Vec::with_capacity(answered.len());
    for (to, at) in &answered {
        let arrived = first.get(to).with_context(|| format!("{to} was never texted"))?;
        latencies.push(arrived.saturating_duration_since(*at));
    }
    latencies.sort_unstable();
    Ok(Figures {
        requests: latencies.len(),
        elapsed,
        latencies,
    })
}

async fn organisation(fleet: &Fleet) -> anyhow::Result<OrgId> {
    let mut identity = IdentityServiceClient::new(fleet.peers().channel(ServiceName::Identity));
    let org = identity
        .create_organisation(request(
            identity::CreateOrganisationRequest {
                name: "Bench Automation".to_owned(),
                slug: "bench-automation".to_owned(),
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
        .context("create the bench organisation")?
        .into_inner();
    // Template values are an admin's to set.
    let admin = identity
        .create_user(request(
            identity::CreateUserRequest {
                org_id: org.id.clone(),
                email: "admin@bench-automation.example".to_owned(),
                name: "Bench Admin".to_owned(),
                role: "admin".to_owned(),
                password: format!("bench-{}", uuid::Uuid::new_v4().simple()),
            },
            &Caller::platform(),
        ))
        .await
        .context("create the bench admin")?
        .into_inner();
    let org_id = OrgId::parse_uuid(&org.id)?;
    let admin = Caller::user(org_id, UserId::parse_uuid(&admin.id)?, Role::Admin);
    let values = [
        ("clinic", "Bench Clinic"),
        ("address", "1 Bench St, Sydney"),
        ("booking_link", "https://bench.example/book"),
    ];
    identity
        .update_messaging_settings(request(
            identity::UpdateMessagingSettingsRequest {
                org_id: org.id.clone(),
                settings: Some(identity::MessagingSettings {
                    values: values.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
                    ..Default::default()
                }),
            },
            &admin,
        ))
        .await
        .context("set the bench organisation's template values")?;
    Ok(org_id)
}

/// The raw chain: the same hops with no logic, paced at `rate`.
async fn raw_chain(
    n: usize,
    rate: f64,
    chain: &Chain<'_>,
    provider: &Arc<Provider>,
    answered: &Arc<Mutex<HashMap<String, Instant>>>,
) -> anyhow::Result<Figures> {
    let (database, nats_url, prefix, pool_size) = (chain.database, chain.nats_url, chain.prefix, chain.pool_size);
    use async_nats::jetstream::{self, consumer, stream};
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(pool_size * 3)
        .connect(database.as_str())
        .await?;
    sqlx::raw_sql(
        "create schema if not exists bench;
         create table if not exists bench.deliveries (id uuid primary key, body text not null, at timestamptz not null default now());
         create table if not exists bench.contacts (id uuid primary key, phone text not null, name text not null);
         create table if not exists bench.bookings (id uuid primary key, contact_id uuid not null, starts text not null);
         create table if not exists bench.runs (id uuid primary key, booking_id uuid not null, at timestamptz not null default now());
         create table if not exists bench.jobs (id uuid primary key, run_id uuid not null, status text not null);
         create table if not exists bench.sms (id uuid primary key, to_number text not null, body text not null,
             status text not null, provider_message_id text)",
    )
    .execute(&pool)
    .await?;
    let js = jetstream::new(async_nats::connect(nats_url).await?);
    let name = format!("BENCHCHAIN_{prefix}");
    let (received, created) = (format!("{prefix}.chain.received"), format!("{prefix}.chain.created"));
    let stream = js
        .get_or_create_stream(stream::Config {
            name: name.clone(),
            subjects: vec![received.clone(), created.clone()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await?;
    let stop = CancellationToken::new();
    let http = reqwest::Client::new();
    let provider_url = Arc::new(format!("{}/v3/sms/send", chain.provider_url));
    // Hop one: the booking's consumer.
    let first = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some("chain-booking".to_owned()),
            filter_subject: received.clone(),
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await?;
    let second = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some("chain-automation".to_owned()),
            filter_subject: created.clone(),
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await?;
    let hop_one = {
        let (pool, js, created, stop) = (pool.clone(), js.clone(), created.clone(), stop.clone());
        tokio::spawn(async move {
            let messages = first.messages().await?;
            messages
                .take_until(stop.cancelled_owned())
                .for_each_concurrent(16, |m| {
                    let (pool, js, created) = (pool.clone(), js.clone(), created.clone());
                    async move {
                        let Ok(m) = m else { return };
                        let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap_or_default();
                        let (contact, booking) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
                        let mut tx = match pool.begin().await {
                            Ok(tx) => tx,
                            Err(_) => return,
                        };
                        let _ = sqlx::query("insert into bench.contacts values ($1, $2, $3)")
                            .bind(contact)
                            .bind(v["customerInfo"]["phone"].as_str().unwrap_or_default())
                            .bind(v["customerInfo"]["name"].as_str().unwrap_or_default())
                            .execute(&mut *tx)
                            .await;
                        let _ = sqlx::query("insert into bench.bookings values ($1, $2, $3)")
                            .bind(booking)
                            .bind(contact)
                            .bind(v["startTime"].as_str().unwrap_or_default())
                            .execute(&mut *tx)
                            .await;
                        let _ = tx.commit().await;
                        if let Ok(ack) = js.publish(created, m.payload.clone()).await {
                            let _ = ack.await;
                        }
                        let _ = m.ack().await;
                    }
                })
                .await;
            Ok::<_, anyhow::Error>(())
        })
    };
    let hop_two = {
        let (pool, stop, url) = (pool.clone(), stop.clone(), provider_url.clone());
        tokio::spawn(async move {
            let messages = second.messages().await?;
            messages
                .take_until(stop.cancelled_owned())
                .for_each_concurrent(16, |m| {
                    let (pool, http, url) = (pool.clone(), http.clone(), url.clone());
                    async move {
                        let Ok(m) = m else { return };
                        let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap_or_default();
                        let to = v["customerInfo"]["phone"].as_str().unwrap_or_default().to_owned();
                        let (run, job, sms) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
                        let text =
                            "Hi Bench! Your appointment at Bench Clinic is confirmed for Fri 13 Mar at 12:00 pm.";
                        let Ok(mut tx) = pool.begin().await else { return };
                        let _ = sqlx::query("insert into bench.runs (id, booking_id) values ($1, $2)")
                            .bind(run)
                            .bind(uuid::Uuid::now_v7())
                            .execute(&mut *tx)
                            .await;
                        let _ = sqlx::query("insert into bench.jobs values ($1, $2, 'pending')")
                            .bind(job)
                            .bind(run)
                            .execute(&mut *tx)
                            .await;
                        let _ = tx.commit().await;
                        let _ = sqlx::query("insert into bench.sms values ($1, $2, $3, 'queued', null)")
                            .bind(sms)
                            .bind(&to)
                            .bind(text)
                            .execute(&pool)
                            .await;
                        let answer = http
                            .post(url.as_str())
                            .basic_auth("bench", Some("bench"))
                            .json(
                                &serde_json::json!({"messages": [{"source": "attend", "from": "+61480000000",
                                "to": to, "body": text, "custom_string": sms.to_string()}]}),
                            )
                            .send()
                            .await;
                        if answer.is_ok() {
                            let _ = sqlx::query("update bench.sms set status = 'sent' where id = $1")
                                .bind(sms)
                                .execute(&pool)
                                .await;
                            let _ = sqlx::query("update bench.jobs set status = 'done' where id = $1")
                                .bind(job)
                                .execute(&pool)
                                .await;
                        }
                        let _ = m.ack().await;
                    }
                })
                .await;
            Ok::<_, anyhow::Error>(())
        })
    };

    // The "webhook": insert the delivery, publish, and that is the answer.
    let (pool2, js2, answered2) = (pool.clone(), js.clone(), answered.clone());
    let run = stats::run_paced(n, 64, Some(rate), move |i| {
        let (pool, js, received, answered) = (pool2.clone(), js2.clone(), received.clone(), answered2.clone());
        async move {
            let body = booking(600_000 + i);
            sqlx::query("insert into bench.deliveries (id, body) values ($1, $2)")
                .bind(uuid::Uuid::now_v7())
                .bind(&body)
                .execute(&pool)
                .await?;
            js.publish(received, body.into_bytes().into()).await?.await?;
            if let Ok(mut answered) = answered.lock() {
                answered.insert(phone(600_000 + i), Instant::now());
            }
            Ok(())
        }
    })
    .await?;
    wait_for_texts(provider, n).await?;
    let figures = to_provider(provider, answered, run.elapsed)?;
    stop.cancel();
    let _ = hop_one.await;
    let _ = hop_two.await;
    let _ = js.delete_stream(&name).await;
    sqlx::raw_sql("drop schema bench cascade").execute(&pool).await?;
    pool.close().await;
    Ok(figures)
}

/// Part two: the task queue at 100,000 open tasks and ten staff.
async fn queue(args: &Args, fleet: &Fleet, org: OrgId, database: &url::Url) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.queue_concurrency)
        .build()?;
    let mut staff = Vec::with_capacity(args.staff);
    for _ in 0..args.staff.max(1) {
        staff.push(crate::read::staff_token(fleet, org, &http).await?);
    }
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(database.as_str())
        .await?;
    let users: Vec<uuid::Uuid> = staff
        .iter()
        .map(|(id, _)| uuid::Uuid::parse_str(id))
        .collect::<Result<_, _>>()?;
    seed_tasks(&pool, org, &users, args.tasks).await?;
    let open: i64 = sqlx::query_scalar("select count(*) from automation.tasks where org_id = $1 and status = 'todo'")
        .bind(org.uuid())
        .fetch_one(&pool)
        .await?;
    println!();
    println!(
        "queue: {open} open tasks in one organisation, {} staff; {} requests per workload, {} in flight",
        users.len(),
        args.requests,
        args.queue_concurrency
    );
    let gateway = fleet.http_addr(ServiceName::Gateway).context("gateway runs")?;
    let tokens: Arc<Vec<String>> = Arc::new(staff.into_iter().map(|(_, t)| t).collect());
    println!("{}", stats::header());
    for (label, path) in [
        ("baseline /auth/me", "/api/auth/me"),
        ("tasks: today", "/api/tasks"),
        ("tasks: all", "/api/tasks?timeframe=all"),
    ] {
        let (http, tokens) = (http.clone(), tokens.clone());
        let url = Arc::new(format!("http://{gateway}{path}"));
        let op = move |i: usize| {
            let (http, tokens, url) = (http.clone(), tokens.clone(), url.clone());
            async move {
                let response = http
                    .get(url.as_str())
                    .bearer_auth(&tokens[i % tokens.len()])
                    .send()
                    .await?;
                let status = response.status();
                let body: serde_json::Value = response.json().await?;
                anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
                if url.contains("/api/tasks") {
                    anyhow::ensure!(
                        body["tasks"].as_array().is_some_and(|t| t.len() == 50),
                        "{url} answered fewer than a page of tasks"
                    );
                }
                Ok(())
            }
        };
        let warm = op.clone();
        stats::run(100, args.queue_concurrency, warm).await?;
        let figures = stats::run(args.requests, args.queue_concurrency, op).await?;
        println!("{}", figures.row(label));
    }
    let users = Arc::new(users);
    let org_id = org.uuid();
    let sql = stats::run(args.requests, args.queue_concurrency, move |i| {
        let (pool, users) = (pool.clone(), users.clone());
        async move {
            let rows: Vec<uuid::Uuid> = sqlx::query_scalar(
                "select id from automation.tasks where org_id = $1 and assigned_to = $2 and status = 'todo'
                  order by due_at limit 50",
            )
            .bind(org_id)
            .bind(users[i % users.len()])
            .fetch_all(&pool)
            .await?;
            anyhow::ensure!(rows.len() == 50, "the SQL baseline read {} tasks", rows.len());
            Ok(())
        }
    })
    .await?;
    println!("{}", sql.row("baseline SQL 50 tasks"));
    Ok(())
}

/// 100,000 open tasks, a contact each in five, half about a booking, due
/// from two days ago to four days on, shared among the staff.
async fn seed_tasks(pool: &sqlx::PgPool, org: OrgId, users: &[uuid::Uuid], tasks: usize) -> anyhow::Result<()> {
    let now = noon();
    let contacts = (tasks / 5).max(1) as i64;
    sqlx::query(
        "insert into automation.contacts (org_id, contact_id, name, phone, warmness, updated_at)
         select $1, md5('c' || g)::uuid, 'Bench Patient ' || g,
                '+61414' || lpad(g::text, 6, '0'), (g * 37) % 101, now()
           from generate_series(1, $2) g",
    )
    .bind(org.uuid())
    .bind(contacts)
    .execute(pool)
    .await
    .context("seed the queue's contacts")?;
    sqlx::query(
        "insert into automation.bookings (org_id, booking_id, contact_id, appointment_at, urgency_level, status, updated_at)
         select $1, md5('b' || g)::uuid,
                md5('c' || g)::uuid,
                $3 + (g % 200) * interval '1 hour', (array['high', 'medium', 'low'])[1 + g % 3], 'scheduled', now()
           from generate_series(1, $2) g",
    )
    .bind(org.uuid())
    .bind(contacts)
    .bind(now)
    .execute(pool)
    .await
    .context("seed the queue's bookings")?;
    sqlx::query(
        "insert into automation.tasks (id, org_id, contact_id, booking_id, type, scored_type, assigned_to, due_at,
                                       priority_score, status, created_by)
         select gen_random_uuid(), $1,
                md5('c' || (1 + g % $3))::uuid,
                case when g % 2 = 0 then md5('b' || (1 + g % $3))::uuid end,
                t, t, ($4::uuid[])[1 + g % array_length($4::uuid[], 1)],
                $5 - interval '48 hours' + (g % 144) * interval '1 hour', 0, 'todo', 'system'
           from generate_series(1, $2) g,
                lateral (select (array['rescue_call', 'call_hot_lead', 'no_show_followup', 'confirmation_call',
                                       'welcome_call', 'recall_call', 'review_request', 'referral_invite'])[1 + g % 8] as t) types",
    )
    .bind(org.uuid())
    .bind(tasks as i64)
    .bind(contacts)
    .bind(users)
    .bind(now)
    .execute(pool)
    .await
    .context("seed the queue's tasks")?;
    sqlx::raw_sql("analyze automation.tasks; analyze automation.contacts; analyze automation.bookings")
        .execute(pool)
        .await?;
    Ok(())
}
