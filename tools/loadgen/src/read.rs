//! `loadgen read`: contact search, lists and the timeline at a million
//! contacts and ten million touchpoints, through the gateway.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use attend_kit::grpc::{Caller, request};
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_kit::service::{Fleet, ServiceName};
use attend_proto::identity::v1 as identity;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use sqlx::AssertSqlSafe;
use tokio_util::sync::CancellationToken;

use crate::stats;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Contacts in the bench organisation (seeded once, kept).
    #[arg(long, default_value_t = 1_000_000)]
    pub contacts: usize,
    /// Touchpoints per contact.
    #[arg(long, default_value_t = 10)]
    pub touchpoints_per_contact: usize,
    /// Requests per workload.
    #[arg(long, default_value_t = 3_000)]
    pub requests: usize,
    /// In flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            contacts: 1_000_000,
            touchpoints_per_contact: 10,
            requests: 3_000,
            concurrency: 8,
        }
    }
}

const SLUG: &str = "bench-read";

/// Syllables for 400 first and 400 last names: each last name is shared by
/// one contact in 400, as a common surname is.
const HEADS: [&str; 20] = [
    "Har", "Mor", "Ben", "Lan", "Car", "Wil", "Ash", "Bro", "Cal", "Dun", "Els", "Fer", "Gal", "Hol", "Ken", "Mar",
    "Nor", "Pen", "Rad", "Tho",
];
const TAILS: [&str; 20] = [
    "ley", "ton", "son", "well", "ford", "by", "field", "wood", "man", "croft", "dale", "ridge", "ham", "sby", "worth",
    "stead", "mont", "lock", "bury", "ston",
];
const FIRSTS: [&str; 20] = [
    "Ava", "Liam", "Mia", "Noah", "Zoe", "Jack", "Ruby", "Leo", "Isla", "Eli", "Ella", "Max", "Chloe", "Oscar", "Lily",
    "Finn", "Grace", "Theo", "Amelia", "Hugo",
];

fn last_names() -> Vec<String> {
    HEADS
        .iter()
        .flat_map(|h| TAILS.iter().map(move |t| format!("{h}{t}")))
        .collect()
}

fn first_names() -> Vec<String> {
    FIRSTS
        .iter()
        .flat_map(|f| {
            [
                "", "a", "ie", "o", "y", "in", "ette", "ey", "us", "an", "el", "ia", "on", "er", "is", "am", "ul",
                "en", "ora", "ix",
            ]
            .map(|s| format!("{f}{s}"))
        })
        .collect()
}

/// Inserts contacts `from..to` with their touchpoints, as one statement each.
async fn seed_batch(pool: &sqlx::PgPool, org: OrgId, from: usize, to: usize, per_contact: usize) -> anyhow::Result<()> {
    let (firsts, lasts) = (first_names(), last_names());
    let mut tx = pool.begin().await?;
    sqlx::query(
        "with contacts as (
             insert into contact.contacts
               (id, org_id, name, phone, email, source, source_kind, intent, current_pipeline, current_stage,
                warmness_score, created_at, updated_at)
             select gen_random_uuid(), $1,
                    $4[1 + (i * 7919) % cardinality($4)] || ' ' || $5[1 + (i * 104729) % cardinality($5)],
                    '+61412' || lpad(i::text, 6, '0'),
                    lower($4[1 + (i * 7919) % cardinality($4)] || '.' || $5[1 + (i * 104729) % cardinality($5)])
                        || i || '@example.com',
                    (array['Meta Ads', 'Wix', 'ManyChat', 'Referral', 'Google', 'Walk-in'])[1 + i % 6],
                    (array[null, null, null, 'referral', 'organic_search', null])[1 + i % 6],
                    (array['procedure', 'high_risk', 'follow_up', 'routine_check', 'general_inquiry', null])[1 + i % 6],
                    'lead_to_booking',
                    (array['new_lead', 'contacted', 'engaged', 'booking_attempted', 'booked', 'dead_lost'])[1 + i % 6],
                    (i * 37) % 101,
                    now() - make_interval(mins => ($3::bigint - i)::int),
                    now()
             from generate_series($2::bigint, $3::bigint - 1) as i
             returning id, org_id, created_at, source)
         insert into contact.touchpoints
           (id, org_id, contact_id, occurred_at, type, source, channel, details, is_attribution_event)
         select gen_random_uuid(), c.org_id, c.id, c.created_at + make_interval(hours => k),
                (array['ad_click', 'form_submit', 'lead_created', 'sms_sent', 'sms_received', 'email_opened',
                       'booking_created', 'booking_confirmed', 'sms_delivered', 'appointment_attended'])[1 + (k - 1) % 10],
                c.source, 'Bench campaign', jsonb_build_object('n', k), k <= 3
         from contacts c cross join generate_series(1, $6::int) as k",
    )
    .bind(org.uuid())
    .bind(from as i64)
    .bind(to as i64)
    .bind(&firsts)
    .bind(&lasts)
    .bind(per_contact as i32)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Seeds the organisation up to `args.contacts` contacts.
async fn seed(pool: &sqlx::PgPool, org: OrgId, args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.contacts <= 1_000_000,
        "at most 1,000,000 contacts (one 0412 number each)"
    );
    let have: i64 = sqlx::query_scalar("select count(*) from contact.contacts where org_id = $1")
        .bind(org.uuid())
        .fetch_one(pool)
        .await?;
    let have = usize::try_from(have).unwrap_or(0);
    if have >= args.contacts {
        println!("read: {have} contacts already seeded");
        return Ok(());
    }
    println!(
        "read: seeding {} contacts with {} touchpoints each (once; kept in attend_bench_read)",
        args.contacts - have,
        args.touchpoints_per_contact
    );
    let started = Instant::now();
    const BATCH: usize = 50_000;
    let mut from = have;
    while from < args.contacts {
        let to = (from + BATCH).min(args.contacts);
        seed_batch(pool, org, from, to, args.touchpoints_per_contact).await?;
        from = to;
        println!("  {from} contacts ({:.0}s)", started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Brings the visibility map and statistics up to date, as autovacuum
/// would in time, so index-only scans can skip the table. Quick when
/// nothing changed since the last run.
async fn vacuum(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    // One statement each: VACUUM can't run in the implicit transaction of a
    // multi-statement query.
    for table in ["contact.contacts", "contact.touchpoints", "contact.contact_words"] {
        sqlx::raw_sql(AssertSqlSafe(format!("vacuum analyze {table}")))
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// The bench organisation with this slug, created the first time (the
/// kept bench databases keep it between runs).
pub(crate) async fn organisation(fleet: &Fleet, slug: &str, name: &str) -> anyhow::Result<OrgId> {
    let mut identity = IdentityServiceClient::new(fleet.peers().channel(ServiceName::Identity));
    let platform = Caller::platform();
    let orgs = identity
        .list_organisations(request(identity::ListOrganisationsRequest {}, &platform))
        .await?
        .into_inner()
        .organisations;
    let org = match orgs.into_iter().find(|o| o.slug == slug) {
        Some(org) => org,
        None => identity
            .create_organisation(request(
                identity::CreateOrganisationRequest {
                    name: name.to_owned(),
                    slug: slug.to_owned(),
                    time_zone: "Australia/Sydney".to_owned(),
                    phone_region: "AU".to_owned(),
                    external_ids: vec![],
                    business_hours: None,
                },
                &platform,
            ))
            .await?
            .into_inner(),
    };
    Ok(OrgId::parse_uuid(&org.id)?)
}

/// A staff user for this run, signed in through the gateway.
async fn sign_in(fleet: &Fleet, org: OrgId, http: &reqwest::Client) -> anyhow::Result<String> {
    Ok(staff_token(fleet, org, http).await?.1)
}

/// A new staff user, signed in through the gateway: its id and token.
pub(crate) async fn staff_token(fleet: &Fleet, org: OrgId, http: &reqwest::Client) -> anyhow::Result<(String, String)> {
    let mut identity = IdentityServiceClient::new(fleet.peers().channel(ServiceName::Identity));
    let email = format!("bench-{}@bench.example", uuid::Uuid::new_v4().simple());
    let password = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let user = identity
        .create_user(request(
            identity::CreateUserRequest {
                org_id: org.uuid().to_string(),
                email: email.clone(),
                name: "Bench".to_owned(),
                role: "staff".to_owned(),
                password: password.clone(),
            },
            &Caller::platform(),
        ))
        .await?
        .into_inner();
    let gateway = fleet.http_addr(ServiceName::Gateway).context("gateway runs")?;
    let answer: serde_json::Value = http
        .post(format!("http://{gateway}/api/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = answer["access_token"]
        .as_str()
        .context("the login answered no access token")?
        .to_owned();
    Ok((user.id, token))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let database = crate::database_url("attend_bench_read")?;
    crate::create_database(&database).await?;
    let prefix = format!("benchread{}", chrono::Utc::now().timestamp());
    let config = crate::fleet_config(&database, &prefix, &[])?;
    let mut fleet = Fleet::start(config, attend::definitions(), CancellationToken::new()).await?;
    let result = measure(&args, &fleet, &database).await;
    let stream = fleet.bus().stream_name();
    let _ = fleet.bus().jetstream().delete_stream(&stream).await;
    fleet.shutdown().await?;
    result
}

async fn measure(args: &Args, fleet: &Fleet, database: &url::Url) -> anyhow::Result<()> {
    let org = organisation(fleet, SLUG, "Bench Reads").await?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(database.as_str())
        .await?;
    seed(&pool, org, args).await?;
    vacuum(&pool).await?;
    let (contacts, touchpoints): (i64, i64) = sqlx::query_as(
        "select (select count(*) from contact.contacts where org_id = $1),
                (select count(*) from contact.touchpoints where org_id = $1)",
    )
    .bind(org.uuid())
    .fetch_one(&pool)
    .await?;
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("select id from contact.contacts tablesample system (1) where org_id = $1 limit 5000")
            .bind(org.uuid())
            .fetch_all(&pool)
            .await?;
    anyhow::ensure!(!ids.is_empty(), "no contacts to read");
    pool.close().await;
    println!(
        "read: {contacts} contacts, {touchpoints} touchpoints; {} requests per workload, {} in flight, through the gateway",
        args.requests, args.concurrency
    );

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let token = Arc::new(sign_in(fleet, org, &http).await?);
    let gateway = fleet.http_addr(ServiceName::Gateway).context("gateway runs")?;
    let ids: Arc<Vec<String>> = Arc::new(ids.into_iter().map(|u| ContactId::from(u).to_string()).collect());
    let lasts = Arc::new(last_names());

    type PathFn = Box<dyn Fn(usize) -> String + Send + Sync>;
    let workloads: Vec<(&str, PathFn)> = vec![
        ("timeline (50)", {
            let ids = ids.clone();
            Box::new(move |i| format!("/api/contacts/{}/touchpoints?limit=50", ids[i % ids.len()]))
        }),
        ("contact detail", {
            let ids = ids.clone();
            Box::new(move |i| format!("/api/contacts/{}", ids[i % ids.len()]))
        }),
        ("search: surname", {
            let lasts = lasts.clone();
            Box::new(move |i| format!("/api/contacts?q={}", lasts[(i * 7) % lasts.len()].to_lowercase()))
        }),
        (
            "search: phone digits",
            Box::new(|i| format!("/api/contacts?q=0412%20{:03}%20{}", (i * 31) % 1000, i % 10)),
        ),
        (
            "search: phone ending",
            Box::new(|i| format!("/api/contacts?q={:04}", (i * 7_877) % 10_000)),
        ),
        ("search: email start", {
            let (firsts, lasts) = (Arc::new(first_names()), lasts.clone());
            // The seed's address for contact j (see seed_batch).
            Box::new(move |i| {
                let j = 100_000 + (i * 977) % 900_000;
                let (first, last) = (&firsts[(j * 7919) % firsts.len()], &lasts[(j * 104_729) % lasts.len()]);
                format!("/api/contacts?q={}.{}{j}%40", first.to_lowercase(), last.to_lowercase())
            })
        }),
        (
            "list: stage + warmness",
            Box::new(|i| {
                format!(
                    "/api/contacts?pipeline=lead_to_booking&stage=engaged&min_warmness={}&sort=warmest",
                    i % 90
                )
            }),
        ),
    ];
    // Each row as soon as it is measured: a run stopped part way still
    // has its figures.
    println!("{}", stats::header());
    for (label, path) in workloads {
        let path = Arc::new(path);
        let (http, token) = (http.clone(), token.clone());
        let base = format!("http://{gateway}");
        let op = move |i: usize| {
            let (http, token, path, base) = (http.clone(), token.clone(), path.clone(), base.clone());
            async move {
                let url = format!("{base}{}", path(i));
                let response = http.get(&url).bearer_auth(token.as_str()).send().await?;
                let status = response.status();
                let body = response.bytes().await?;
                anyhow::ensure!(
                    status.is_success(),
                    "{url} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
                // Every search and list here has matches: an empty answer
                // means the benchmark measures nothing.
                if url.contains("/api/contacts?") {
                    let answer: serde_json::Value = serde_json::from_slice(&body)?;
                    anyhow::ensure!(
                        answer["contacts"].as_array().is_some_and(|c| !c.is_empty()),
                        "{url} found nobody"
                    );
                }
                Ok(())
            }
        };
        // A short warm-up per workload, then the measured run.
        let warm = op.clone();
        stats::run(100, args.concurrency, move |i| warm(i + 1_000_000)).await?;
        let figures = stats::run(args.requests, args.concurrency, op).await?;
        println!("{}", figures.row(label));
    }
    Ok(())
}
