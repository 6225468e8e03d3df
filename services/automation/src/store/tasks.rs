//! The staff task queue.

use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TypedId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::tasks::priority::SQL as SCORE;

/// A task with what the queue shows beside it, and its score at the
/// moment it was read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub booking_id: Option<Uuid>,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub scored_type: String,
    pub priority_hint: Option<String>,
    pub assigned_to: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    pub status: String,
    /// A user id (`user_…`) or `system` (kit::actor).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
    pub outcome: Option<String>,
    pub run_id: Option<Uuid>,
    pub rule_id: Option<String>,
    pub rule_version: Option<i32>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub warmness: Option<i32>,
    pub appointment_at: Option<DateTime<Utc>>,
    pub urgency_level: Option<String>,
    pub booking_status: Option<String>,
    pub score: i32,
}

/// The columns of [`TaskRow`], with the score at `$1`.
fn select() -> String {
    format!(
        "select t.id, t.contact_id, t.booking_id, t.type, t.scored_type, t.priority_hint, t.assigned_to, t.due_at,
                t.status, t.created_by, t.created_at, t.completed_at, t.notes, t.outcome, t.run_id, t.rule_id,
                t.rule_version, c.name as contact_name, c.phone as contact_phone, c.warmness,
                b.appointment_at, nullif(b.urgency_level, '') as urgency_level, nullif(b.status, '') as booking_status,
                {SCORE} as score
           from automation.tasks t
           left join automation.contacts c on c.org_id = t.org_id and c.contact_id = t.contact_id
           left join automation.bookings b on b.org_id = t.org_id and b.booking_id = t.booking_id"
    )
}

/// A task to add.
pub struct NewTask<'a> {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub booking_id: Option<Uuid>,
    pub kind: &'a str,
    pub scored_type: &'a str,
    pub priority_hint: Option<&'a str>,
    pub assigned_to: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    /// The score when created (spec 000's column); reads recompute it.
    pub priority_score: i32,
    pub created_by: &'a str,
    pub notes: Option<&'a str>,
    pub run_id: Option<Uuid>,
    pub rule_id: Option<&'a str>,
    pub rule_version: Option<i32>,
    pub job_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// Adds a task; `false` when its job already made it.
pub async fn insert(tx: &mut Tx, org: OrgId, t: &NewTask<'_>) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into automation.tasks (id, org_id, contact_id, booking_id, type, scored_type, priority_hint,
                                       assigned_to, due_at, priority_score, status, created_by, notes, run_id,
                                       rule_id, rule_version, job_id, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'todo', $11, $12, $13, $14, $15, $16, $17, $17)
         on conflict (job_id) do nothing",
    )
    .bind(t.id)
    .bind(org.uuid())
    .bind(t.contact_id)
    .bind(t.booking_id)
    .bind(t.kind)
    .bind(t.scored_type)
    .bind(t.priority_hint)
    .bind(t.assigned_to)
    .bind(t.due_at)
    .bind(t.priority_score.clamp(0, 400))
    .bind(t.created_by)
    .bind(t.notes)
    .bind(t.run_id)
    .bind(t.rule_id)
    .bind(t.rule_version)
    .bind(t.job_id)
    .bind(t.at)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// One task, scored at `now`.
pub async fn get(tx: &mut Tx, org: OrgId, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Option<TaskRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} where t.org_id = $2 and t.id = $3",
        select()
    )))
    .bind(now)
    .bind(org.uuid())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// A contact's tasks, newest first.
pub async fn for_contact(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<TaskRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} where t.org_id = $2 and t.contact_id = $3 order by t.created_at desc, t.id desc limit 500",
        select()
    )))
    .bind(now)
    .bind(org.uuid())
    .bind(contact.uuid())
    .fetch_all(&mut **tx)
    .await
}

/// Whose tasks a queue shows.
#[derive(Debug, Clone, Copy)]
pub enum Assignee {
    User(Uuid),
    Unassigned,
    Anyone,
}

impl Assignee {
    /// The condition on `{table}.assigned_to` (bound as `{param}`), written
    /// out per case so the planner can use the assignee index: a generic
    /// `($x or assigned_to is not distinct from $y)` made it read every
    /// task of the organisation.
    fn condition(self, table: &str, param: &str) -> String {
        match self {
            Assignee::User(_) => format!("{table}.assigned_to = {param}"),
            // The parameter is bound (null) in every case, so it appears in
            // every case: Postgres can't type a parameter the SQL never uses.
            Assignee::Unassigned => format!("{table}.assigned_to is null and {param}::uuid is null"),
            Assignee::Anyone => format!("{param}::uuid is null"),
        }
    }

    fn user(self) -> Option<Uuid> {
        match self {
            Assignee::User(u) => Some(u),
            _ => None,
        }
    }
}

/// A queue: which tasks, and from where (the page's cursor).
pub struct Query<'a> {
    pub assignee: Assignee,
    pub statuses: &'a [&'a str],
    /// Due in `[from, to)`; either end open.
    pub due_from: Option<DateTime<Utc>>,
    pub due_to: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// After (score, due_at, id) of the previous page.
    pub after: Option<(i32, DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// The queue, highest current priority first, then soonest due.
pub async fn queue(tx: &mut Tx, org: OrgId, q: &Query<'_>) -> sqlx::Result<Vec<TaskRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select * from ({}
           where t.org_id = $2 and {}
             and t.status = any($4)
             and ($5::timestamptz is null or t.due_at >= $5) and ($6::timestamptz is null or t.due_at < $6)) q
          where $7::int is null or q.score < $7
             or (q.score = $7 and (q.due_at > $8 or (q.due_at = $8 and q.id > $9)))
          order by q.score desc, q.due_at, q.id
          limit $10",
        select(),
        q.assignee.condition("t", "$3"),
    )))
    .bind(q.now)
    .bind(org.uuid())
    .bind(q.assignee.user())
    .bind(q.statuses)
    .bind(q.due_from)
    .bind(q.due_to)
    .bind(q.after.map(|a| a.0))
    .bind(q.after.map(|a| a.1))
    .bind(q.after.map(|a| a.2))
    .bind(q.limit)
    .fetch_all(&mut **tx)
    .await
}

/// How many of a queue's tasks are overdue, due today, and later.
pub async fn counts(
    tx: &mut Tx,
    org: OrgId,
    assignee: Assignee,
    statuses: &[&str],
    now: DateTime<Utc>,
    tomorrow: DateTime<Utc>,
) -> sqlx::Result<(i64, i64, i64)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select count(*) filter (where due_at < $4),
                count(*) filter (where due_at >= $4 and due_at < $5),
                count(*) filter (where due_at >= $5)
           from automation.tasks
          where org_id = $1 and {} and status = any($3)",
        assignee.condition("tasks", "$2"),
    )))
    .bind(org.uuid())
    .bind(assignee.user())
    .bind(statuses)
    .bind(now)
    .bind(tomorrow)
    .fetch_one(&mut **tx)
    .await
}

/// Open work per user, for assigning to the least loaded.
pub async fn open_counts(tx: &mut Tx, org: OrgId, users: &[Uuid]) -> sqlx::Result<Vec<(Uuid, i64)>> {
    sqlx::query_as(
        "select u, (select count(*) from automation.tasks t
                     where t.org_id = $1 and t.assigned_to = u and t.status in ('todo', 'in_progress'))
           from unnest($2::uuid[]) as u",
    )
    .bind(org.uuid())
    .bind(users)
    .fetch_all(&mut **tx)
    .await
}

/// A change to a task.
pub enum Change<'a> {
    Complete {
        notes: Option<&'a str>,
        outcome: &'a str,
        at: DateTime<Utc>,
    },
    Claim {
        user: Uuid,
    },
    Reassign {
        user: Option<Uuid>,
    },
    Snooze {
        until: DateTime<Utc>,
    },
    Cancel {
        reason: &'a str,
    },
}

/// Applies a change to an open task; the ids changed (none when the task
/// is not open, or not found).
pub async fn change(tx: &mut Tx, org: OrgId, id: Uuid, change: &Change<'_>) -> sqlx::Result<bool> {
    let query = match change {
        Change::Complete { notes, outcome, at } => sqlx::query(
            "update automation.tasks set status = 'completed', completed_at = $3,
                    notes = coalesce($4, notes), outcome = $5, updated_at = $3
              where org_id = $1 and id = $2 and status in ('todo', 'in_progress')",
        )
        .bind(org.uuid())
        .bind(id)
        .bind(*at)
        .bind(*notes)
        .bind(*outcome),
        Change::Claim { user } => sqlx::query(
            "update automation.tasks set status = 'in_progress', assigned_to = $3, updated_at = now()
              where org_id = $1 and id = $2 and (status = 'todo' or (status = 'in_progress' and assigned_to = $3))",
        )
        .bind(org.uuid())
        .bind(id)
        .bind(*user),
        Change::Reassign { user } => sqlx::query(
            "update automation.tasks set assigned_to = $3, status = 'todo', updated_at = now()
              where org_id = $1 and id = $2 and status in ('todo', 'in_progress')",
        )
        .bind(org.uuid())
        .bind(id)
        .bind(*user),
        Change::Snooze { until } => sqlx::query(
            "update automation.tasks set due_at = $3, updated_at = now()
              where org_id = $1 and id = $2 and status in ('todo', 'in_progress')",
        )
        .bind(org.uuid())
        .bind(id)
        .bind(*until),
        Change::Cancel { reason } => sqlx::query(
            "update automation.tasks set status = 'cancelled', notes = concat_ws(E'\\n', notes, $3), updated_at = now()
              where org_id = $1 and id = $2 and status in ('todo', 'in_progress')",
        )
        .bind(org.uuid())
        .bind(id)
        .bind(format!("Cancelled: {reason}")),
    };
    Ok(query.execute(&mut **tx).await?.rows_affected() == 1)
}

/// Cancels a contact's open tasks (of these types, or of this booking, or
/// all); the ids cancelled.
pub async fn cancel_open(
    tx: &mut Tx,
    org: OrgId,
    contact: Uuid,
    types: Option<&[String]>,
    booking: Option<Uuid>,
    reason: &str,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "update automation.tasks set status = 'cancelled', notes = concat_ws(E'\\n', notes, $5), updated_at = now()
          where org_id = $1 and contact_id = $2 and status in ('todo', 'in_progress')
            and ($3::text[] is null or type = any($3) or scored_type = any($3))
            and ($4::uuid is null or booking_id = $4)
          returning id",
    )
    .bind(org.uuid())
    .bind(contact)
    .bind(types)
    .bind(booking)
    .bind(format!("Cancelled: {reason}"))
    .fetch_all(&mut **tx)
    .await
}

/// Whether the contact has an open task of this type (for this booking).
pub async fn open_exists(
    tx: &mut Tx,
    org: OrgId,
    contact: Uuid,
    kind: &str,
    booking: Option<Uuid>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from automation.tasks
                         where org_id = $1 and contact_id = $2 and type = $3 and status in ('todo', 'in_progress')
                           and ($4::uuid is null or booking_id = $4))",
    )
    .bind(org.uuid())
    .bind(contact)
    .bind(kind)
    .bind(booking)
    .fetch_one(&mut **tx)
    .await
}

/// Records the score a task had when it was made (spec 000's column).
pub async fn set_initial_score(tx: &mut Tx, org: OrgId, id: Uuid, score: i32) -> sqlx::Result<()> {
    sqlx::query("update automation.tasks set priority_score = $3 where org_id = $1 and id = $2")
        .bind(org.uuid())
        .bind(id)
        .bind(score.clamp(0, 400))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
