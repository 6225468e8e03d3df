//! `loadgen reports`: spec 000's reports at 100,000 bookings a month, and
//! how far the read models trail the facts.
//!
//! 1. **Report latency.** Reporting's read models are seeded straight into
//!    their tables (`attend_bench_reports`, kept between runs): thirteen
//!    months of one organisation at `--bookings-per-month`, with leads,
//!    people's first contacts, recall texts and recalls in proportion.
//!    `GET /api/reports/weekly` and `/monthly` through the gateway, one
//!    request at a time; beside each, the same figures computed by one
//!    hand-written SQL query over the same tables (no service, no gRPC, no
//!    JSON, no business hours): the ratio is the cost of everything the
//!    service adds.
//! 2. **Projection lag.** The whole fleet on its own database; signed Wix
//!    bookings into ingest at `--lag-rate` a second (half the sustainable
//!    rate `loadgen automation` measures); the p50 and p99 of
//!    `attend_projection_lag_seconds` (from each event's `occurred_at` to its
//!    projection), read from the histogram as Prometheus would.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use attend_ingest::signature::WebhookSecret;
use attend_kit::grpc::{Caller, request};
use attend_kit::ids::{OrgId, TypedId as _};
use attend_kit::service::{Fleet, ServiceName};
use attend_proto::identity::v1 as identity;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use base64::Engine as _;
use tokio_util::sync::CancellationToken;

use crate::stats::{self, Figures};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Bookings a month in the seeded organisation.
    #[arg(long, default_value_t = 100_000)]
    pub bookings_per_month: usize,
    /// Requests per report (one at a time).
    #[arg(long, default_value_t = 40)]
    pub requests: usize,
    /// Bookings a second into ingest while the lag is measured.
    #[arg(long, default_value_t = 50.0)]
    pub lag_rate: f64,
    /// Bookings sent while the lag is measured.
    #[arg(long, default_value_t = 1_500)]
    pub lag_bookings: usize,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            bookings_per_month: 100_000,
            requests: 40,
            lag_rate: 50.0,
            lag_bookings: 1_500,
        }
    }
}

const SLUG: &str = "bench-reports";
/// Thirteen months of history: October 2025 to October 2026 (Sydney).
const MONTHS: i32 = 13;
const FIRST_MONTH: &str = "2025-10-01";
/// The week and month measured: the last of the history.
const WEEK: &str = "2026-10-05";
const MONTH: &str = "2026-10";

pub async fn run(args: Args) -> anyhow::Result<()> {
    reports(&args).await?;
    println!();
    lag(&args).await
}

async fn reports(args: &Args) -> anyhow::Result<()> {
    let database = crate::database_url("attend_bench_reports")?;
    crate::create_database(&database).await?;
    let prefix = format!("benchrep{}", chrono::Utc::now().timestamp());
    let config = crate::fleet_config(&database, &prefix, &[])?;
    let defs = attend::definitions()
        .into_iter()
        .filter(|d| {
            matches!(
                d.name,
                ServiceName::Identity | ServiceName::Reporting | ServiceName::Gateway
            )
        })
        .collect();
    let mut fleet = Fleet::start(config, defs, CancellationToken::new()).await?;
    let result = measure_reports(args, &fleet, &database).await;
    let stream = fleet.bus().stream_name();
    let _ = fleet.bus().jetstream().delete_stream(&stream).await;
    fleet.shutdown().await?;
    result
}

/// Seeds the read models once (a different size reseeds them).
async fn seed(pool: &sqlx::PgPool, org: OrgId, per_month: usize) -> anyhow::Result<()> {
    let total = i64::try_from(per_month)? * i64::from(MONTHS);
    let have: i64 = sqlx::query_scalar("select count(*) from reporting.bookings where org_id = $1")
        .bind(org.uuid())
        .fetch_one(pool)
        .await?;
    if have == total {
        println!("reports: read models already seeded ({total} bookings)");
        return Ok(());
    }
    let started = Instant::now();
    println!(
        "reports: seeding {MONTHS} months at {per_month} bookings a month (once; kept in attend_bench_reports) ..."
    );
    let mut tx = pool.begin().await?;
    for table in [
        "leads",
        "person_touches",
        "bookings",
        "messages",
        "tasks",
        "stage_entries",
        "contact_stages",
        "recalls",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "delete from reporting.{table} where org_id = $1"
        )))
        .bind(org.uuid())
        .execute(&mut *tx)
        .await?;
    }
    // Times spread evenly over the thirteen months; a patient books about
    // 1.4 times; every fifth booking high urgency; one in ten cancelled;
    // of the rest one in seven a no-show, one in eleven unrecorded.
    let script = format!(
        "with span as (select '{FIRST_MONTH} 00:00 Australia/Sydney'::timestamptz as t0,
                              ('{FIRST_MONTH}'::date + interval '{MONTHS} months')::date as t1)
         insert into reporting.bookings (org_id, booking_id, contact_id, created_at, appointment_at, status, urgency,
             service_type, channel, confirmed_at, cancelled_at, outcome, outcome_at, updated_at)
         select $1, md5('b' || i)::uuid, md5('c' || (i % ($2 * 10 / 14)))::uuid, created,
                created + ((i % 21) || ' days')::interval + interval '2 hours',
                case when i % 10 = 0 then 'cancelled' else 'scheduled' end,
                case when i % 5 = 0 then 'high' else 'medium' end, 'routine',
                (array['Meta Ads', 'Wix', 'Google Ads', 'Referral', 'Walk-in'])[1 + i % 5],
                case when i % 3 = 0 then created + interval '1 day' end,
                case when i % 10 = 0 then created + interval '2 days' end,
                case when i % 10 = 0 or i % 11 = 0 then null when i % 7 = 0 then 'no_show' else 'attended' end,
                case when i % 10 = 0 or i % 11 = 0 then null else created + ((i % 21) || ' days')::interval + interval '3 hours' end,
                created
         from span, generate_series(0, $2 - 1) as i,
              lateral (select span.t0 + (span.t1 - span.t0::date) * interval '1 day' * (i::float8 / $2) as created) c"
    );
    sqlx::query(sqlx::AssertSqlSafe(script))
        .bind(org.uuid())
        .bind(total)
        .execute(&mut *tx)
        .await?;
    // Leads: six for every ten bookings, each a contact who may book; nine
    // in ten reached by a person within ten minutes.
    let leads = total * 6 / 10;
    let script = format!(
        "with span as (select '{FIRST_MONTH} 00:00 Australia/Sydney'::timestamptz as t0,
                              ('{FIRST_MONTH}'::date + interval '{MONTHS} months')::date as t1),
         l as (select j, md5('c' || j)::uuid as contact,
                      span.t0 + (span.t1 - span.t0::date) * interval '1 day' * (j::float8 / $2) as created
               from span, generate_series(0, $2 - 1) as j),
         ins as (insert into reporting.leads (org_id, contact_id, created_at, source, via)
                 select $1, contact, created, (array['Meta Ads', 'Google Ads', 'Referral'])[1 + j % 3], 'form_submit' from l)
         insert into reporting.person_touches (org_id, event_id, contact_id, at, how)
         select $1, md5('t' || j)::uuid, contact, created + ((j % 600) || ' seconds')::interval, 'sms_sent'
         from l where j % 10 <> 0"
    );
    sqlx::query(sqlx::AssertSqlSafe(script))
        .bind(org.uuid())
        .bind(leads)
        .execute(&mut *tx)
        .await?;
    // Recalls: one for every ten bookings, each texted a day after it was
    // set; a third booked.
    let recalls = total / 10;
    let script = format!(
        "with span as (select '{FIRST_MONTH} 00:00 Australia/Sydney'::timestamptz as t0,
                              ('{FIRST_MONTH}'::date + interval '{MONTHS} months')::date as t1),
         r as (select k, md5('c' || (k * 7))::uuid as contact,
                      span.t0 + (span.t1 - span.t0::date) * interval '1 day' * (k::float8 / $2) as created
               from span, generate_series(0, $2 - 1) as k),
         ins as (insert into reporting.recalls (org_id, recall_id, contact_id, due_on, status, created_at, closed_at)
                 select $1, md5('r' || k)::uuid, contact, (created + interval '1 day')::date,
                        case when k % 3 = 0 then 'booked' else 'open' end, created,
                        case when k % 3 = 0 then created + interval '5 days' end from r)
         insert into reporting.messages (org_id, message_id, contact_id, sent_at, template, purpose, sent_by)
         select $1, md5('m' || k)::uuid, contact, created + interval '1 day', 'recall_reminder', 'transactional', 'system'
         from r"
    );
    sqlx::query(sqlx::AssertSqlSafe(script))
        .bind(org.uuid())
        .bind(recalls)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into reporting.contact_stages (org_id, contact_id, pipeline, stage, since)
         select distinct on (contact_id) org_id, contact_id, 'post_appointment',
                case when cancelled_at is not null then 'cancelled_rescue' else 'attended' end, updated_at
         from reporting.bookings where org_id = $1 order by contact_id, updated_at desc",
    )
    .bind(org.uuid())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("analyze").execute(pool).await?;
    println!("reports: seeded in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The hand-written query: every figure of a period (and the previous
/// period's attended count) in one statement over the same tables.
const ONE_QUERY: &str = "
with p as (select $2::text::timestamptz as f, $3::text::timestamptz as t, $4::text::timestamptz as pf),
leads as (
  select count(*) as new_leads,
         count(*) filter (where fc is not null and fc - l.created_at <= interval '5 minutes') as fast,
         count(*) filter (where fc is not null and fc::date = l.created_at::date) as same_day,
         count(*) filter (where booked) as booked
  from p, reporting.leads l,
       lateral (select min(pt.at) as fc from reporting.person_touches pt
                where pt.org_id = l.org_id and pt.contact_id = l.contact_id and pt.at >= l.created_at) f,
       lateral (select exists (select 1 from reporting.bookings b where b.org_id = l.org_id
                and b.contact_id = l.contact_id and b.created_at >= l.created_at) as booked) bk
  where l.org_id = $1 and l.created_at >= p.f and l.created_at < p.t),
made as (
  select count(*) as created, count(*) filter (where confirmed_at is not null) as confirmed,
         count(*) filter (where not exists (select 1 from reporting.bookings e where e.org_id = b.org_id
                          and e.contact_id = b.contact_id and e.created_at < b.created_at)) as new_patients
  from p, reporting.bookings b where b.org_id = $1 and b.created_at >= p.f and b.created_at < p.t),
appts as (
  select count(*) filter (where status <> 'cancelled') as scheduled,
         count(*) filter (where status <> 'cancelled' and outcome = 'attended') as attended,
         count(*) filter (where status = 'cancelled') as cancelled,
         count(*) filter (where status <> 'cancelled' and outcome = 'no_show') as no_shows
  from p, reporting.bookings b where b.org_id = $1 and b.appointment_at >= p.f and b.appointment_at < p.t),
previous as (
  select count(*) as attended from p, reporting.bookings b
  where b.org_id = $1 and b.appointment_at >= p.pf and b.appointment_at < p.f and status <> 'cancelled' and outcome = 'attended'),
channels as (
  select json_agg(json_build_array(channel, n)) as channels from (
    select channel, count(*) as n from p, reporting.bookings b
    where b.org_id = $1 and b.appointment_at >= p.f and b.appointment_at < p.t and status <> 'cancelled' and outcome = 'attended'
    group by channel) c),
attention as (
  select count(*) as cancellations, count(*) filter (where urgency = 'high') as high,
         count(*) filter (where rebooked) as rebooked
  from p, reporting.bookings b,
       lateral (select exists (select 1 from reporting.bookings n where n.org_id = b.org_id and n.contact_id = b.contact_id
                and n.booking_id <> b.booking_id and n.created_at > b.cancelled_at) as rebooked) r
  where b.org_id = $1 and b.cancelled_at >= p.f and b.cancelled_at < p.t),
recalls as (
  select count(distinct r.recall_id) as sent, count(distinct r.recall_id) filter (where r.status = 'booked') as booked
  from p, reporting.messages m join reporting.recalls r on r.org_id = m.org_id and r.contact_id = m.contact_id
       and m.sent_at >= r.created_at and (r.closed_at is null or m.sent_at <= r.closed_at)
  where m.org_id = $1 and m.template = 'recall_reminder' and m.sent_at >= p.f and m.sent_at < p.t)
select row_to_json(x)::text from (select * from leads, made, appts, previous, channels, attention, recalls) x";

async fn measure_reports(args: &Args, fleet: &Fleet, database: &url::Url) -> anyhow::Result<()> {
    let org = crate::read::organisation(fleet, SLUG, "Bench Reports").await?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(database.as_str())
        .await?;
    seed(&pool, org, args.bookings_per_month).await?;
    let http = reqwest::Client::new();
    let (_, token) = crate::read::staff_token(fleet, org, &http).await?;
    let gateway = fleet.http_addr(ServiceName::Gateway).context("gateway runs")?;
    let token = Arc::new(token);

    let get = |path: String| {
        let (http, token) = (http.clone(), token.clone());
        let url = Arc::new(format!("http://{gateway}{path}"));
        move |_: usize| {
            let (http, token, url) = (http.clone(), token.clone(), url.clone());
            async move {
                let response = http.get(url.as_str()).bearer_auth(token.as_str()).send().await?;
                anyhow::ensure!(response.status().is_success(), "{url} answered {}", response.status());
                let body: serde_json::Value = response.json().await?;
                anyhow::ensure!(
                    body["kpi"]["attended_appointments"].as_u64().unwrap_or(0) > 0,
                    "an empty report"
                );
                Ok(())
            }
        }
    };
    let one_query = |from: &'static str, to: &'static str, previous: &'static str| {
        let pool = pool.clone();
        move |_: usize| {
            let pool = pool.clone();
            async move {
                let at = |date: &str| format!("{date} 00:00 Australia/Sydney");
                let row: String = sqlx::query_scalar(ONE_QUERY)
                    .bind(org.uuid())
                    .bind(at(from))
                    .bind(at(to))
                    .bind(at(previous))
                    .fetch_one(&pool)
                    .await?;
                anyhow::ensure!(row.contains("\"attended\""), "no figures: {row}");
                Ok(())
            }
        }
    };

    // Warm both paths, then one at a time.
    stats::run(3, 1, get(format!("/api/reports/weekly?week_start={WEEK}"))).await?;
    stats::run(3, 1, one_query("2026-10-05", "2026-10-12", "2026-09-28")).await?;
    let n = args.requests;
    let weekly = stats::run(n, 1, get(format!("/api/reports/weekly?week_start={WEEK}"))).await?;
    let weekly_sql = stats::run(n, 1, one_query("2026-10-05", "2026-10-12", "2026-09-28")).await?;
    let monthly = stats::run(n, 1, get(format!("/api/reports/monthly?month={MONTH}"))).await?;
    let monthly_sql = stats::run(n, 1, one_query("2026-10-01", "2026-11-01", "2026-09-01")).await?;

    println!(
        "reports: {} bookings a month in one organisation ({MONTHS} months), {n} requests each, one at a time",
        args.bookings_per_month
    );
    println!("{}", stats::header());
    for (label, ours, sql) in [
        ("weekly report (API)", &weekly, &weekly_sql),
        ("monthly report (API)", &monthly, &monthly_sql),
    ] {
        println!("{}", ours.row(label));
        println!("{}", sql.row("  one SQL query"));
        println!("  p99 ratio              {:.2} × the one query", ratio(ours, sql));
    }
    Ok(())
}

fn ratio(ours: &Figures, baseline: &Figures) -> f64 {
    ours.quantile(0.99).as_secs_f64() / baseline.quantile(0.99).as_secs_f64().max(1e-9)
}

/// The projection lag while bookings arrive at a steady rate.
async fn lag(args: &Args) -> anyhow::Result<()> {
    attend_kit::metrics::install();
    let database = crate::database_url("attend_bench_lag")?;
    let prefix = format!("benchlag{}", chrono::Utc::now().timestamp());
    let key = [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat();
    let secret_text = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    let config = crate::fleet_config(
        &database,
        &prefix,
        &[
            ("ATTEND_WEBHOOK_SECRET", secret_text.clone()),
            ("ATTEND_SMS_PER_SECOND", "1000000".to_owned()),
        ],
    )?;
    crate::drop_database(&database).await?;
    crate::create_database(&database).await?;
    let mut fleet = Fleet::start(config, attend::definitions(), CancellationToken::new()).await?;
    let result = measure_lag(args, &fleet, &secret_text).await;
    let stream = fleet.bus().stream_name();
    let _ = fleet.bus().jetstream().delete_stream(&stream).await;
    fleet.shutdown().await?;
    crate::drop_database(&database).await?;
    result
}

async fn measure_lag(args: &Args, fleet: &Fleet, secret_text: &str) -> anyhow::Result<()> {
    let instance = "bench-lag-wix";
    let mut identity = IdentityServiceClient::new(fleet.peers().channel(ServiceName::Identity));
    identity
        .create_organisation(request(
            identity::CreateOrganisationRequest {
                name: "Bench Lag".to_owned(),
                slug: "bench-lag".to_owned(),
                time_zone: "Australia/Sydney".to_owned(),
                phone_region: "AU".to_owned(),
                external_ids: vec![identity::ExternalId {
                    provider: "wix".to_owned(),
                    external_id: instance.to_owned(),
                }],
                business_hours: None,
            },
            &Caller::platform(),
        ))
        .await
        .context("create the lag organisation")?;
    let ingest = fleet.http_addr(ServiceName::Ingest).context("ingest runs")?;
    let url = Arc::new(format!("http://{ingest}/webhooks/wix/bookings"));
    let secret = Arc::new(WebhookSecret::parse(secret_text).map_err(anyhow::Error::msg)?);
    let http = reqwest::Client::new();
    let start = (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339();
    let before = histogram();
    let n = args.lag_bookings;
    stats::run_paced(n, 64, Some(args.lag_rate), move |i| {
        let (http, url, secret, start) = (http.clone(), url.clone(), secret.clone(), start.clone());
        async move {
            let body = serde_json::json!({
                "event": "bookings/created",
                "instanceId": instance,
                "bookingId": format!("bench-lag-{i}"),
                "contactId": format!("bench-lag-contact-{i}"),
                "serviceId": "bench-service",
                "startTime": start,
                "status": "scheduled",
                "customerInfo": {"name": format!("Lag Patient {i}"), "phone": format!("+61414{:06}", i % 1_000_000)}
            })
            .to_string();
            let response = http
                .post(url.as_str())
                .headers(secret.headers(
                    &format!("bench-lag-{i}"),
                    chrono::Utc::now().timestamp(),
                    body.as_bytes(),
                )?)
                .body(body)
                .send()
                .await?;
            anyhow::ensure!(response.status().is_success(), "ingest answered {}", response.status());
            Ok(())
        }
    })
    .await?;
    // Let the last events through every consumer.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut last = 0.0;
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let now = histogram().count();
        if (now - last).abs() < 0.5 || Instant::now() > deadline {
            break;
        }
        last = now;
    }
    let during = histogram().minus(&before);
    println!(
        "projection lag: {n} Wix bookings at {:.0}/s into ingest (about half the fleet's sustainable rate), every service in one process",
        args.lag_rate
    );
    println!(
        "  {:.0} events projected: p50 {} / p99 {} from the event to its read model (histogram_quantile over attend_projection_lag_seconds)",
        during.count(),
        stats::ms(Duration::from_secs_f64(during.quantile(0.5))),
        stats::ms(Duration::from_secs_f64(during.quantile(0.99))),
    );
    Ok(())
}

/// `attend_projection_lag_seconds` summed over its consumers: cumulative bucket counts.
#[derive(Debug, Clone, Default)]
struct Histogram(Vec<(f64, f64)>);

fn histogram() -> Histogram {
    let mut buckets: std::collections::BTreeMap<u64, (f64, f64)> = std::collections::BTreeMap::new();
    for line in attend_kit::metrics::render().lines() {
        let Some(rest) = line.strip_prefix("attend_projection_lag_seconds_bucket{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let Some(le) = labels
            .split(',')
            .find_map(|l| l.strip_prefix("le=\""))
            .map(|l| l.trim_end_matches('"'))
        else {
            continue;
        };
        let bound = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().unwrap_or(f64::INFINITY)
        };
        let entry = buckets.entry(bound.to_bits()).or_insert((bound, 0.0));
        entry.1 += value.trim().parse::<f64>().unwrap_or(0.0);
    }
    let mut v: Vec<(f64, f64)> = buckets.into_values().collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    Histogram(v)
}

impl Histogram {
    fn count(&self) -> f64 {
        self.0.last().map(|(_, c)| *c).unwrap_or(0.0)
    }

    fn minus(&self, before: &Histogram) -> Histogram {
        Histogram(
            self.0
                .iter()
                .map(|(le, c)| {
                    let earlier = before.0.iter().find(|(b, _)| b == le).map(|(_, c)| *c).unwrap_or(0.0);
                    (*le, c - earlier)
                })
                .collect(),
        )
    }

    /// As Prometheus's `histogram_quantile`: linear within the bucket.
    fn quantile(&self, q: f64) -> f64 {
        let total = self.count();
        if total <= 0.0 {
            return 0.0;
        }
        let rank = q * total;
        let mut lower = (0.0, 0.0);
        for &(le, c) in &self.0 {
            if c >= rank {
                if le.is_infinite() {
                    return lower.0;
                }
                let within = (rank - lower.1) / (c - lower.1).max(1e-9);
                return lower.0 + (le - lower.0) * within;
            }
            lower = (le, c);
        }
        lower.0
    }
}
