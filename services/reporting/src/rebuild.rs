//! `attend reporting rebuild [--org ORG]`: replays the event stream from
//! its start into the `reporting_rebuild` tables (the same projection code
//! as the live consumers, [`crate::projections`]) and swaps the result in.
//!
//! 1. The rebuild tables are emptied and every event the stream holds
//!    (of one organisation, with `--org`) is applied to them, with the
//!    event ids recorded in the rebuild's inbox, while the live consumers
//!    go on.
//! 2. The swap takes the rebuild lock exclusively (each live projection
//!    transaction takes it shared, so they wait), applies what arrived
//!    meanwhile, and in one transaction replaces the live rows (of the
//!    organisation, with `--org`) and the live consumers' inbox entries
//!    with the rebuilt ones. A live consumer then skips every event the
//!    rebuild counted and applies the rest: no event counts twice or not
//!    at all.
//!
//! It runs with the administrator's connection (the service's role cannot
//! reach `reporting_rebuild`).

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use attend_kit::bus::Bus;
use attend_kit::bus::consumer::{HandleError, Received};
use attend_kit::ids::{OrgId, TypedId};
use futures::StreamExt;
use sqlx::{Acquire, AssertSqlSafe, PgConnection};

use crate::consumers::projections::{SPECS, consumer_for};
use crate::projections;

/// The advisory lock between live projections (shared) and a swap (exclusive).
pub const LOCK: i64 = 0x7265_706f_7274;

/// The read-model tables, in the order they are swapped.
pub const TABLES: [&str; 8] = [
    "leads",
    "person_touches",
    "bookings",
    "messages",
    "tasks",
    "stage_entries",
    "contact_stages",
    "recalls",
];

/// Events applied per transaction while replaying.
const BATCH: usize = 500;

/// What a rebuild did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Events read from the stream.
    pub read: u64,
    /// Events applied to a read model.
    pub applied: u64,
    /// Events the live consumers would have dead-lettered too (a refusal).
    pub refused: u64,
    /// The stream sequence the rebuilt tables include.
    pub last_sequence: u64,
}

/// Replays the stream and swaps the result in.
pub async fn rebuild(admin: &mut PgConnection, bus: &Bus, org: Option<OrgId>) -> anyhow::Result<Summary> {
    let present: bool =
        sqlx::query_scalar("select exists (select 1 from pg_namespace where nspname = 'reporting_rebuild')")
            .fetch_one(&mut *admin)
            .await?;
    anyhow::ensure!(
        present,
        "the reporting schema is not migrated yet: run `attend migrate` first"
    );
    empty_rebuild_tables(admin).await?;

    let stream_name = bus.stream_name();
    let mut stream = bus
        .jetstream()
        .get_stream(&stream_name)
        .await
        .with_context(|| format!("cannot open the event stream {stream_name}"))?;
    let consumer = stream
        .create_consumer(pull::Config {
            deliver_policy: DeliverPolicy::All,
            ack_policy: AckPolicy::None,
            inactive_threshold: Duration::from_secs(60),
            ..Default::default()
        })
        .await
        .context("cannot open a consumer to replay the stream")?;
    let mut messages = consumer.messages().await.context("cannot read the event stream")?;

    let mut summary = Summary::default();
    let target = stream.info().await?.state.last_sequence;
    replay(admin, &mut messages, org, target, &mut summary).await?;

    // The swap: live projections wait on the lock until it commits.
    let mut tx = admin.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(LOCK)
        .execute(&mut *tx)
        .await?;
    let target = stream.info().await?.state.last_sequence;
    replay(&mut tx, &mut messages, org, target, &mut summary).await?;
    swap(&mut tx, org).await?;
    tx.commit().await?;
    empty_rebuild_tables(admin).await?;
    Ok(summary)
}

async fn empty_rebuild_tables(conn: &mut PgConnection) -> anyhow::Result<()> {
    let all: Vec<String> = TABLES
        .iter()
        .chain(std::iter::once(&"inbox"))
        .map(|t| format!("reporting_rebuild.{t}"))
        .collect();
    sqlx::query(AssertSqlSafe(format!("truncate {}", all.join(", "))))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Applies messages until the stream sequence `target` has been read.
async fn replay(
    conn: &mut PgConnection,
    messages: &mut pull::Stream,
    org: Option<OrgId>,
    target: u64,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    while summary.last_sequence < target {
        let mut tx = conn.begin().await?;
        sqlx::query("set local search_path to reporting_rebuild")
            .execute(&mut *tx)
            .await?;
        let mut in_batch = 0;
        while in_batch < BATCH && summary.last_sequence < target {
            let msg = tokio::time::timeout(Duration::from_secs(30), messages.next())
                .await
                .context("the event stream stopped answering during the replay")?
                .context("the replay consumer ended")?
                .map_err(|e| anyhow::anyhow!("reading the event stream: {e}"))?;
            let info = msg
                .info()
                .map_err(|e| anyhow::anyhow!("a message without stream info: {e}"))?;
            summary.last_sequence = info.stream_sequence;
            summary.read += 1;
            in_batch += 1;
            let Ok(event) = Received::decode(&msg.payload, 1) else {
                summary.refused += 1;
                continue;
            };
            if org.is_some_and(|o| o != event.org) {
                continue;
            }
            let Some(consumer) = consumer_for(&event.envelope.r#type) else {
                continue;
            };
            let fresh = sqlx::query(
                "insert into inbox (consumer, event_id, org_id) values ($1, $2, $3) on conflict do nothing",
            )
            .bind(&consumer)
            .bind(event.id.uuid())
            .bind(event.org.uuid())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !fresh {
                continue;
            }
            // A refused event leaves nothing behind, as in a live consumer.
            let mut savepoint = tx.begin().await?;
            match projections::apply(&mut savepoint, &event).await {
                Ok(()) => {
                    savepoint.commit().await?;
                    summary.applied += 1;
                }
                Err(HandleError::Reject(why)) => {
                    savepoint.rollback().await?;
                    summary.refused += 1;
                    tracing::warn!(event = %event.id.uuid(), error = format!("{why:#}"), "event refused in the rebuild");
                }
                Err(HandleError::Retry(why)) => return Err(why.context("applying an event")),
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Replaces the live rows (and inbox entries) with the rebuilt ones.
async fn swap(conn: &mut PgConnection, org: Option<OrgId>) -> anyhow::Result<()> {
    let consumers: Vec<String> = SPECS.iter().map(|s| format!("reporting-{}", s.purpose)).collect();
    let scope = if org.is_some() {
        "org_id = $1"
    } else {
        "$1::uuid is null"
    };
    let org = org.map(|o| o.uuid());
    for table in TABLES {
        sqlx::query(AssertSqlSafe(format!("delete from reporting.{table} where {scope}")))
            .bind(org)
            .execute(&mut *conn)
            .await?;
        sqlx::query(AssertSqlSafe(format!(
            "insert into reporting.{table} select * from reporting_rebuild.{table} where {scope}"
        )))
        .bind(org)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(AssertSqlSafe(format!(
        "delete from reporting.inbox where consumer = any($2) and {scope}"
    )))
    .bind(org)
    .bind(&consumers)
    .execute(&mut *conn)
    .await?;
    sqlx::query(AssertSqlSafe(format!(
        "insert into reporting.inbox (consumer, event_id, org_id, processed_at) \
         select consumer, event_id, org_id, processed_at from reporting_rebuild.inbox where {scope}"
    )))
    .bind(org)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
