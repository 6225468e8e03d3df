//! `loadgen sms`: text messages through the queue to a fake ClickSend,
//! against the raw baseline.
//!
//! The fake ClickSend runs in this process and answers as ClickSend
//! documents, after `--provider-delay`; it notes when each of our message
//! ids (its `custom_string`) arrives. attend's figures are:
//! - `SendSms` itself: the gRPC call that checks, renders and queues a
//!   reminder to a contact (the call automation makes);
//! - `SendSms` → provider: from the start of that call until the provider
//!   is asked, through the queue and the sender; sends per second are all
//!   the messages over the time from the first call to the last arrival.
//!
//! The baseline does, per message, what sending one costs at least here:
//! insert the message and commit, claim it (an update and commit), the same
//! HTTP request to the same fake, and record the answer (an update and
//! commit), at the sender's concurrency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use attend_kit::clock::{ManualClock, SharedClock};
use attend_kit::grpc::{Caller, request, with_idempotency_key};
use attend_kit::ids::{OrgId, TypedId as _};
use attend_kit::service::{Fleet, ServiceName};
use attend_proto::contact::v1 as contact;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::identity::v1 as identity;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use attend_proto::messaging::v1 as messaging;
use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;
use chrono::TimeZone as _;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::stats::{self, Figures};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Messages to send (and baseline sends to make).
    #[arg(long, default_value_t = 5_000)]
    pub messages: usize,
    /// `SendSms` calls in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Messages the sender has in flight (`ATTEND_SMS_CONCURRENCY`), and
    /// the baseline's concurrency.
    #[arg(long, default_value_t = 8)]
    pub senders: usize,
    /// `SendSms` calls a second, offered at a steady pace (0: as fast as
    /// they are answered). Below what the sender keeps up with, the latency
    /// to the provider is the pipeline's own; above it, a queue builds.
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// How long the fake ClickSend takes to answer, in milliseconds.
    #[arg(long, default_value_t = 20)]
    pub provider_delay: u64,
    /// Contacts the messages go to, in turn.
    #[arg(long, default_value_t = 500)]
    pub contacts: usize,
    /// Keep the bench database afterwards.
    #[arg(long)]
    pub keep: bool,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            messages: 5_000,
            concurrency: 16,
            senders: 8,
            rate: 0.0,
            provider_delay: 20,
            contacts: 500,
            keep: false,
        }
    }
}

/// The fake ClickSend: when each message id arrived, and how often; when
/// each number was first texted.
pub(crate) struct Provider {
    delay: Duration,
    arrivals: Mutex<HashMap<String, (Instant, u32)>>,
    pub(crate) first_to: Mutex<HashMap<String, Instant>>,
    arrived: Notify,
}

impl Provider {
    pub(crate) fn new(delay: Duration) -> Self {
        Self {
            delay,
            arrivals: Mutex::new(HashMap::new()),
            first_to: Mutex::new(HashMap::new()),
            arrived: Notify::new(),
        }
    }

    /// Answers `POST /v3/sms/send` as ClickSend does, echoing our id.
    async fn send(&self, body: &[u8]) -> (axum::http::StatusCode, axum::Json<Value>) {
        let now = Instant::now();
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let message = &body["messages"][0];
        let ours = message["custom_string"].as_str().unwrap_or_default().to_owned();
        tokio::time::sleep(self.delay).await;
        if let Ok(mut arrivals) = self.arrivals.lock() {
            arrivals.entry(ours.clone()).or_insert((now, 0)).1 += 1;
        }
        if let (Some(to), Ok(mut first)) = (message["to"].as_str(), self.first_to.lock()) {
            first.entry(to.to_owned()).or_insert(now);
        }
        self.arrived.notify_waiters();
        let answer = json!({
            "http_code": 200, "response_code": "SUCCESS", "response_msg": "Messages queued for delivery.",
            "data": {"total_price": 0.077, "total_count": 1, "queued_count": 1, "messages": [{
                "direction": "out", "to": message["to"], "body": message["body"], "from": message["from"],
                "message_id": uuid::Uuid::new_v4().to_string().to_uppercase(), "message_parts": 1,
                "message_price": "0.0770", "custom_string": ours, "status": "SUCCESS"
            }]}
        });
        (axum::http::StatusCode::OK, axum::Json(answer))
    }

    fn count(&self) -> (usize, u32) {
        self.arrivals
            .lock()
            .map(|a| (a.len(), a.values().map(|(_, n)| n.saturating_sub(1)).sum()))
            .unwrap_or_default()
    }

    fn clear(&self) {
        if let Ok(mut arrivals) = self.arrivals.lock() {
            arrivals.clear();
        }
        if let Ok(mut first) = self.first_to.lock() {
            first.clear();
        }
    }
}

/// Starts the fake ClickSend on a free port; answers its base URL.
pub(crate) async fn fake_clicksend(provider: Arc<Provider>, stop: CancellationToken) -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/v3/sms/send",
        axum::routing::post(move |body: axum::body::Bytes| {
            let provider = provider.clone();
            async move { provider.send(&body).await }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
    });
    Ok(format!("http://{addr}"))
}

/// The provider request, as the ClickSend adapter sends it.
fn clicksend_body(id: &str, to: &str, text: &str) -> Value {
    json!({"messages": [{"source": "attend", "from": "+61480000000", "to": to, "body": text, "custom_string": id}]})
}

/// The number of contact `i`: valid Australian mobiles.
fn phone(i: usize) -> String {
    format!("+61412{:06}", i % 1_000_000)
}

/// The baseline: a message's own inserts, updates and provider call.
async fn baseline(args: &Args, database: &url::Url, provider_url: &str, pool_size: u32) -> anyhow::Result<Figures> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(pool_size)
        .connect(database.as_str())
        .await
        .context("connect to the bench database")?;
    sqlx::raw_sql(
        "create schema if not exists bench;
         create table if not exists bench.sms (
             id uuid primary key, org_id uuid not null, to_number text not null, body text not null,
             status text not null, provider_message_id text, attempts int not null default 0,
             created_at timestamptz not null default now(), sent_at timestamptz)",
    )
    .execute(&pool)
    .await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.senders)
        .build()?;
    let url = Arc::new(format!("{provider_url}/v3/sms/send"));
    let org = uuid::Uuid::now_v7();
    stats::run(args.messages, args.senders, move |i| {
        let (pool, http, url) = (pool.clone(), http.clone(), url.clone());
        async move {
            let id = uuid::Uuid::now_v7();
            let to = phone(i % 500);
            let text = format!("Bench {i}, your appointment is tomorrow (Wed 11 Mar) at 1:00 pm. Please reply Y to confirm. See you soon!");
            sqlx::query("insert into bench.sms (id, org_id, to_number, body, status) values ($1, $2, $3, $4, 'queued')")
                .bind(id)
                .bind(org)
                .bind(&to)
                .bind(&text)
                .execute(&pool)
                .await?;
            sqlx::query("update bench.sms set status = 'sending', attempts = attempts + 1 where id = $1 and status = 'queued'")
                .bind(id)
                .execute(&pool)
                .await?;
            let answer: Value = http
                .post(url.as_str())
                .basic_auth("bench", Some("bench"))
                .json(&clicksend_body(&id.to_string(), &to, &text))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let provider_id = answer["data"]["messages"][0]["message_id"].as_str().unwrap_or_default().to_owned();
            sqlx::query("update bench.sms set status = 'sent', provider_message_id = $2, sent_at = now() where id = $1")
                .bind(id)
                .bind(provider_id)
                .execute(&pool)
                .await?;
            Ok(())
        }
    })
    .await
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let database = crate::database_url("attend_bench_sms")?;
    let prefix = format!("benchsms{}", chrono::Utc::now().timestamp());
    let stop = CancellationToken::new();
    let provider = Arc::new(Provider::new(Duration::from_millis(args.provider_delay)));
    let provider_url = fake_clicksend(provider.clone(), stop.clone()).await?;
    let config = crate::fleet_config(
        &database,
        &prefix,
        &[
            ("ATTEND_SMS_PROVIDER", "clicksend".to_owned()),
            ("ATTEND_CLICKSEND_BASE_URL", provider_url.clone()),
            ("ATTEND_CLICKSEND_USERNAME", "bench".to_owned()),
            ("ATTEND_CLICKSEND_API_KEY", "bench".to_owned()),
            ("ATTEND_SMS_FROM", "+61480000000".to_owned()),
            // One sender number, unthrottled: the figure is our own cost.
            ("ATTEND_SMS_PER_SECOND", "1000000".to_owned()),
            ("ATTEND_SMS_CONCURRENCY", args.senders.to_string()),
        ],
    )?;
    let pool_size = config.db_max_connections;

    crate::drop_database(&database).await?;
    crate::create_database(&database).await?;
    let offered = match args.rate {
        r if r > 0.0 => format!("offered at {r}/s"),
        _ => "as fast as answered".to_owned(),
    };
    println!(
        "sms: {} reminders to {} contacts, {} SendSms calls in flight ({offered}) and {} sends, provider answers \
         in {} ms, {pool_size} database connections per service",
        args.messages, args.contacts, args.concurrency, args.senders, args.provider_delay
    );
    let base = baseline(&args, &database, &provider_url, pool_size).await?;
    provider.clear();

    // Noon on a Tuesday in Sydney, whenever the bench runs: no message
    // waits for quiet hours to end.
    let noon = chrono::Utc
        .with_ymd_and_hms(2026, 3, 10, 1, 0, 0)
        .single()
        .context("a valid instant")?;
    let clock: SharedClock = Arc::new(ManualClock::at(noon));
    let defs: Vec<_> = attend::definitions()
        .into_iter()
        .filter(|d| {
            matches!(
                d.name,
                ServiceName::Identity | ServiceName::Contact | ServiceName::Messaging
            )
        })
        .collect();
    let mut fleet = Fleet::start_with_clock(config, defs, CancellationToken::new(), clock).await?;
    let result = drive(&args, &fleet, &provider, noon).await;
    let stream = fleet.bus().stream_name();
    let _ = fleet.bus().jetstream().delete_stream(&stream).await;
    fleet.shutdown().await?;
    stop.cancel();
    if !args.keep {
        crate::drop_database(&database).await?;
    }
    let (calls, end_to_end, duplicates) = result?;

    println!("{}", stats::header());
    println!("{}", base.row("baseline send"));
    println!("{}", calls.row("attend SendSms"));
    println!("{}", end_to_end.row("attend SendSms→provider"));
    if args.rate > 0.0 {
        println!(
            "paced                  sends/s is the offered {}/s; p99 to the provider {} against the baseline's whole send {}",
            args.rate,
            stats::ms(end_to_end.quantile(0.99)),
            stats::ms(base.quantile(0.99)),
        );
    } else {
        println!(
            "ratio                  {:.2} of the baseline's sends/s",
            end_to_end.throughput() / base.throughput(),
        );
    }
    println!("duplicates             {duplicates} messages reached the provider more than once");
    Ok(())
}

/// Sends the reminders; waits until the provider has seen each.
async fn drive(
    args: &Args,
    fleet: &Fleet,
    provider: &Arc<Provider>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(Figures, Figures, u32)> {
    let mut identity = IdentityServiceClient::new(fleet.peers().channel(ServiceName::Identity));
    let org = identity
        .create_organisation(request(
            identity::CreateOrganisationRequest {
                name: "Bench Clinic".to_owned(),
                slug: "bench-clinic".to_owned(),
                time_zone: "Australia/Sydney".to_owned(),
                phone_region: "AU".to_owned(),
                external_ids: Vec::new(),
                business_hours: None,
            },
            &Caller::platform(),
        ))
        .await
        .context("create the bench organisation")?
        .into_inner();
    let org = OrgId::parse_uuid(&org.id).context("the bench organisation's id")?;
    let caller = Caller::system(org);

    let mut contacts = ContactServiceClient::new(fleet.peers().channel(ServiceName::Contact));
    let mut ids = Vec::with_capacity(args.contacts);
    for i in 0..args.contacts.max(1) {
        let created = contacts
            .create_contact(request(
                contact::CreateContactRequest {
                    name: format!("Bench Patient {i}"),
                    phone: phone(i),
                    ..Default::default()
                },
                &caller,
            ))
            .await
            .context("create a bench contact")?
            .into_inner();
        ids.push(created.id);
    }
    let ids = Arc::new(ids);

    let messaging = MessagingServiceClient::new(fleet.peers().channel(ServiceName::Messaging));
    let appointment = prost_types::Timestamp {
        seconds: (now + chrono::Duration::days(1)).timestamp(),
        nanos: 0,
    };
    let started: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let send = {
        let started = started.clone();
        move |i: usize| {
            let (mut messaging, ids, started, caller) =
                (messaging.clone(), ids.clone(), started.clone(), caller.clone());
            async move {
                let t = Instant::now();
                let call = request(
                    messaging::SendSmsRequest {
                        contact_id: ids[i % ids.len()].clone(),
                        template_id: "reminder_24hr".to_owned(),
                        not_after: Some(appointment),
                        ..Default::default()
                    },
                    &caller,
                );
                let call = with_idempotency_key(call, &format!("bench-reminder-{i}"))?;
                let queued = messaging.send_sms(call).await?.into_inner();
                anyhow::ensure!(
                    queued.status == "queued",
                    "SendSms answered {} ({})",
                    queued.status,
                    queued.status_reason
                );
                if let Ok(mut started) = started.lock() {
                    started.insert(queued.id, t);
                }
                Ok(())
            }
        }
    };
    let send = Arc::new(send);
    // Warm up connections and caches on messages of their own, then start
    // from an empty provider.
    let warm = args.messages;
    let warm_send = send.clone();
    stats::run(100, args.concurrency.min(20), move |i| warm_send(warm + i)).await?;
    wait_for(provider, 100).await?;
    provider.clear();
    if let Ok(mut started) = started.lock() {
        started.clear();
    }

    let first = Instant::now();
    let pace = (args.rate > 0.0).then_some(args.rate);
    let calls = stats::run_paced(args.messages, args.concurrency, pace, move |i| send(i)).await?;
    wait_for(provider, args.messages).await?;

    let started = started.lock().map(|s| s.clone()).unwrap_or_default();
    let arrivals = provider.arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let mut latencies = Vec::with_capacity(started.len());
    let mut last = first;
    for (id, t) in &started {
        let (arrived, _) = arrivals
            .get(id)
            .with_context(|| format!("message {id} never reached the provider"))?;
        latencies.push(arrived.saturating_duration_since(*t));
        last = last.max(*arrived);
    }
    latencies.sort_unstable();
    let (_, duplicates) = provider.count();
    Ok((
        calls,
        Figures {
            requests: latencies.len(),
            elapsed: last.saturating_duration_since(first),
            latencies,
        },
        duplicates,
    ))
}

/// Waits until the provider has seen `n` distinct messages.
async fn wait_for(provider: &Provider, n: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let arrived = provider.arrived.notified();
        let (seen, _) = provider.count();
        if seen >= n {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {seen} of {n} messages reached the provider within 10 minutes"
        );
        let _ = tokio::time::timeout(Duration::from_millis(200), arrived).await;
    }
}
