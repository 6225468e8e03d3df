//! Rules and their versions.

use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A rule at one version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub id: String,
    pub version: i32,
    pub active: bool,
    pub seeded: bool,
    pub trigger: String,
    pub priority: i32,
    pub definition: Value,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

const COLUMNS: &str = "r.id, v.version, r.active, r.seeded, v.trigger, v.priority, v.definition,
    greatest(r.updated_at, v.created_at) as updated_at, r.updated_by";

/// The active rules of a trigger, in execution order.
pub async fn active_for(tx: &mut Tx, org: OrgId, trigger: &str) -> sqlx::Result<Vec<RuleRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from automation.rules r
           join automation.rule_versions v on v.org_id = r.org_id and v.rule_id = r.id and v.version = r.version
          where r.org_id = $1 and r.active and v.trigger = $2
          order by v.priority, r.id"
    )))
    .bind(org.uuid())
    .bind(trigger)
    .fetch_all(&mut **tx)
    .await
}

/// Every rule at its current version; with a trigger, only its rules
/// (`cron_check` matches every schedule).
pub async fn list(tx: &mut Tx, org: OrgId, trigger: Option<&str>) -> sqlx::Result<Vec<RuleRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from automation.rules r
           join automation.rule_versions v on v.org_id = r.org_id and v.rule_id = r.id and v.version = r.version
          where r.org_id = $1 and ($2::text is null or v.trigger = $2 or v.trigger like $2 || ':%')
          order by v.trigger, v.priority, r.id"
    )))
    .bind(org.uuid())
    .bind(trigger)
    .fetch_all(&mut **tx)
    .await
}

/// A rule at a version (its current one for `None`).
pub async fn get(tx: &mut Tx, org: OrgId, id: &str, version: Option<i32>) -> sqlx::Result<Option<RuleRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from automation.rules r
           join automation.rule_versions v on v.org_id = r.org_id and v.rule_id = r.id
          where r.org_id = $1 and r.id = $2 and v.version = coalesce($3, r.version)"
    )))
    .bind(org.uuid())
    .bind(id)
    .bind(version)
    .fetch_optional(&mut **tx)
    .await
}

/// A version to write.
pub struct NewVersion<'a> {
    pub id: &'a str,
    pub trigger: &'a str,
    pub priority: i32,
    pub definition: &'a Value,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

/// Adds a rule at version 1; `false` when it exists already.
pub async fn insert(tx: &mut Tx, org: OrgId, v: &NewVersion<'_>, seeded: bool) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "insert into automation.rules (org_id, id, version, active, seeded, updated_at, updated_by)
         values ($1, $2, 1, true, $3, $4, $5) on conflict (org_id, id) do nothing",
    )
    .bind(org.uuid())
    .bind(v.id)
    .bind(seeded)
    .bind(v.at)
    .bind(v.actor)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        insert_version(tx, org, v, 1).await?;
    }
    Ok(inserted)
}

/// Makes a new current version; `None` when the rule doesn't exist.
pub async fn new_version(tx: &mut Tx, org: OrgId, v: &NewVersion<'_>) -> sqlx::Result<Option<i32>> {
    let next: Option<i32> = sqlx::query_scalar(
        "update automation.rules set version = version + 1, updated_at = $3, updated_by = $4
          where org_id = $1 and id = $2 returning version",
    )
    .bind(org.uuid())
    .bind(v.id)
    .bind(v.at)
    .bind(v.actor)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(version) = next {
        insert_version(tx, org, v, version).await?;
    }
    Ok(next)
}

async fn insert_version(tx: &mut Tx, org: OrgId, v: &NewVersion<'_>, version: i32) -> sqlx::Result<()> {
    sqlx::query(
        "insert into automation.rule_versions (org_id, rule_id, version, trigger, priority, definition, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(org.uuid())
    .bind(v.id)
    .bind(version)
    .bind(v.trigger)
    .bind(v.priority)
    .bind(v.definition)
    .bind(v.actor)
    .bind(v.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Turns a rule on or off; whether it exists.
pub async fn set_active(
    tx: &mut Tx,
    org: OrgId,
    id: &str,
    active: bool,
    actor: &str,
    at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "update automation.rules set active = $3, updated_at = $4, updated_by = $5 where org_id = $1 and id = $2",
    )
    .bind(org.uuid())
    .bind(id)
    .bind(active)
    .bind(at)
    .bind(actor)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}
