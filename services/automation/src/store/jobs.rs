//! Scheduled actions and reminders.

use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// A job to schedule.
pub struct NewJob<'a> {
    pub id: Uuid,
    pub run_id: Option<Uuid>,
    pub event_id: Uuid,
    pub seq: i32,
    pub kind: &'a str,
    pub action_index: Option<i32>,
    pub action: &'a Value,
    pub context: &'a Value,
    pub contact_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    pub key: &'a str,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub run_id: Option<Uuid>,
    pub kind: String,
    pub action_index: Option<i32>,
    pub action: Value,
    pub context: Value,
    pub contact_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    pub status: String,
    pub detail: Option<String>,
    pub conditions: Option<Value>,
    pub attempts: i32,
    pub done_at: Option<DateTime<Utc>>,
    pub key: String,
}

const COLUMNS: &str = "id, org_id, run_id, kind, action_index, action, context, contact_id, booking_id,
    due_at, status, detail, conditions, attempts, done_at, key";

/// Schedules a job; `false` when one with its key exists. A cancelled job
/// with the key is scheduled again (a booking moved away and back: its
/// reminders for that time were dropped and are due once more; nothing
/// was ever sent under a cancelled job's key).
pub async fn insert(tx: &mut Tx, org: OrgId, job: &NewJob<'_>) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into automation.jobs (id, org_id, run_id, event_id, seq, kind, action_index, action, context,
                                      contact_id, booking_id, due_at, key, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         on conflict (org_id, key) do update
            set status = 'pending', run_id = excluded.run_id, event_id = excluded.event_id, seq = excluded.seq,
                action = excluded.action, context = excluded.context, contact_id = excluded.contact_id,
                due_at = excluded.due_at, attempts = 0, detail = null, conditions = null, done_at = null,
                claimed_at = null
          where automation.jobs.status = 'cancelled'",
    )
    .bind(job.id)
    .bind(org.uuid())
    .bind(job.run_id)
    .bind(job.event_id)
    .bind(job.seq)
    .bind(job.kind)
    .bind(job.action_index)
    .bind(job.action)
    .bind(job.context)
    .bind(job.contact_id)
    .bind(job.booking_id)
    .bind(job.due_at)
    .bind(job.key)
    .bind(job.at)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Claims due jobs across organisations (a platform transaction): pending
/// ones whose time has come and whose event has no earlier job still to
/// run (an event's jobs run in order), and running ones whose worker has
/// had them since `lease` (it died). Each is marked running, one more
/// attempt.
pub async fn claim_due(tx: &mut Tx, now: DateTime<Utc>, lease: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<JobRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update automation.jobs j set status = 'running', claimed_at = $1, attempts = attempts + 1
          where j.id in (
              select id from automation.jobs c
               where ((c.status = 'pending' and c.due_at <= $1) or (c.status = 'running' and c.claimed_at < $2))
                 and not exists (
                     select 1 from automation.jobs e
                      where e.event_id = c.event_id and e.seq < c.seq
                        and e.status in ('pending', 'running') and (e.due_at <= $1 or e.attempts > 0))
               order by c.due_at, c.seq
               limit $3
               for update skip locked)
          returning {COLUMNS}"
    )))
    .bind(now)
    .bind(lease)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// How a job ended.
pub struct Finish<'a> {
    pub status: &'a str,
    pub detail: &'a str,
    pub conditions: Option<&'a Value>,
    pub at: DateTime<Utc>,
}

/// Records how a job ended; `false` when it was no longer running (it was
/// cancelled meanwhile, or another worker finished it).
pub async fn finish(tx: &mut Tx, id: Uuid, f: &Finish<'_>) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "update automation.jobs set status = $2, detail = $3, conditions = $4, done_at = $5, claimed_at = null
          where id = $1 and status = 'running'",
    )
    .bind(id)
    .bind(f.status)
    .bind(f.detail)
    .bind(f.conditions)
    .bind(f.at)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Puts a job back to wait for `at` (a transient failure).
pub async fn retry_at(tx: &mut Tx, id: Uuid, at: DateTime<Utc>, why: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update automation.jobs set status = 'pending', due_at = $2, detail = $3, claimed_at = null
          where id = $1 and status = 'running'",
    )
    .bind(id)
    .bind(at)
    .bind(why)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Cancels a booking's reminders still to send; how many.
pub async fn cancel_reminders(
    tx: &mut Tx,
    org: OrgId,
    booking: Uuid,
    why: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "update automation.jobs set status = 'cancelled', detail = $3, done_at = $4, claimed_at = null
          where org_id = $1 and booking_id = $2 and kind = 'reminder' and status = 'pending'",
    )
    .bind(org.uuid())
    .bind(booking)
    .bind(why)
    .bind(at)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Every reminder job a booking has had, newest first: what to plan again
/// when it moves.
pub async fn reminders_of(tx: &mut Tx, org: OrgId, booking: Uuid) -> sqlx::Result<Vec<JobRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from automation.jobs
          where org_id = $1 and booking_id = $2 and kind = 'reminder' order by created_at desc"
    )))
    .bind(org.uuid())
    .bind(booking)
    .fetch_all(&mut **tx)
    .await
}

/// The jobs of these runs, in order.
pub async fn of_runs(tx: &mut Tx, org: OrgId, runs: &[Uuid]) -> sqlx::Result<Vec<JobRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from automation.jobs where org_id = $1 and run_id = any($2) order by seq, created_at"
    )))
    .bind(org.uuid())
    .bind(runs)
    .fetch_all(&mut **tx)
    .await
}
