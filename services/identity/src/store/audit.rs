//! The audit trail: identity's own entries, other services' facts, and
//! the filtered pages admins read.

use attend_kit::db::Tx;
use attend_kit::ids::{EventId, OrgId, TypedId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::Entry;

/// Writes an entry of identity's own, in the transaction that does the work.
pub(crate) async fn write(tx: &mut Tx, e: Entry<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into identity.audit_log
           (id, org_id, actor_user_id, actor_role, action, target_type, target_id, occurred_at, details, source)
         values ($1, $2, $3, $4, $5, $6, $7, now(), $8, 'identity')",
    )
    .bind(Uuid::now_v7())
    .bind(e.org.uuid())
    .bind(e.actor.map(|u| u.uuid()))
    .bind(e.actor_role.as_str())
    .bind(e.action)
    .bind(e.target_type)
    .bind(e.target_id)
    .bind(e.details)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Another service's audit fact, as it arrived.
pub(crate) struct Fact<'a> {
    pub org: OrgId,
    pub actor: Option<UserId>,
    pub actor_role: &'a str,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub details: serde_json::Value,
    /// The service that published it.
    pub source: &'a str,
    pub source_event: EventId,
}

/// Keeps a fact once: a redelivered event is ignored.
pub(crate) async fn keep(tx: &mut Tx, fact: Fact<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into identity.audit_log
               (id, org_id, actor_user_id, actor_role, action, target_type, target_id, occurred_at, details,
                source, source_event_id)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             on conflict (source_event_id) do nothing",
    )
    .bind(Uuid::now_v7())
    .bind(fact.org.uuid())
    .bind(fact.actor.map(|u| u.uuid()))
    .bind(fact.actor_role)
    .bind(fact.action)
    .bind(fact.target_type)
    .bind(fact.target_id)
    .bind(fact.occurred_at)
    .bind(fact.details)
    .bind(fact.source)
    .bind(fact.source_event.uuid())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Which entries to read; `None` matches any.
pub(crate) struct Filter {
    pub org: OrgId,
    pub actor: Option<UserId>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Entries older than this one (the page cursor).
    pub before: Option<Uuid>,
    /// How many entries to read at most.
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub id: Uuid,
    pub actor_user_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub occurred_at: DateTime<Utc>,
    pub details: serde_json::Value,
    pub source: String,
}

/// Up to `limit` matching entries, newest first.
pub(crate) async fn find(tx: &mut Tx, filter: &Filter) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as(
        "select id, actor_user_id, actor_role, action, target_type, target_id, occurred_at, details, source
         from identity.audit_log
         where org_id = $1
           and ($2::uuid is null or actor_user_id = $2)
           and ($3::text is null or action = $3)
           and ($4::text is null or target_type = $4)
           and ($5::text is null or target_id = $5)
           and ($6::timestamptz is null or occurred_at >= $6)
           and ($7::timestamptz is null or occurred_at < $7)
           and ($8::uuid is null or id < $8)
         order by id desc limit $9",
    )
    .bind(filter.org.uuid())
    .bind(filter.actor.map(|u| u.uuid()))
    .bind(&filter.action)
    .bind(&filter.target_type)
    .bind(&filter.target_id)
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.before)
    .bind(filter.limit)
    .fetch_all(&mut **tx)
    .await
}
