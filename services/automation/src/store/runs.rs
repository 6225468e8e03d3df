//! Rule runs: one evaluation of one rule, with what its conditions saw.

use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TypedId};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// A run to record.
pub struct NewRun<'a> {
    pub id: Uuid,
    pub rule_id: &'a str,
    pub rule_version: i32,
    pub trigger: &'a str,
    pub event_type: &'a str,
    pub event_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub matched: bool,
    pub conditions: &'a Value,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: Uuid,
    pub rule_id: String,
    pub rule_version: i32,
    pub trigger: String,
    pub event_type: String,
    pub event_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub matched: bool,
    pub conditions: Value,
    pub at: DateTime<Utc>,
}

/// Records a run; `false` when this rule already ran for this event (a
/// redelivery, or a periodic check that already acted on the contact).
pub async fn insert(tx: &mut Tx, org: OrgId, run: &NewRun<'_>) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into automation.runs (id, org_id, rule_id, rule_version, trigger, event_type, event_id,
                                      contact_id, booking_id, matched, conditions, at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         on conflict (org_id, event_id, rule_id) do nothing",
    )
    .bind(run.id)
    .bind(org.uuid())
    .bind(run.rule_id)
    .bind(run.rule_version)
    .bind(run.trigger)
    .bind(run.event_type)
    .bind(run.event_id)
    .bind(run.contact_id)
    .bind(run.booking_id)
    .bind(run.matched)
    .bind(run.conditions)
    .bind(run.at)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Whose runs to list.
#[derive(Debug, Clone, Copy)]
pub enum Of<'a> {
    Contact(ContactId),
    /// A rule's runs (every version), optionally only those whose
    /// conditions held (or didn't).
    Rule {
        id: &'a str,
        matched: Option<bool>,
    },
}

/// A contact's or a rule's runs, newest first, before `(at, id)`.
pub async fn list(
    tx: &mut Tx,
    org: OrgId,
    of: Of<'_>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<RunRow>> {
    // Written out per case so each uses its own index (contact or rule,
    // then time).
    let (whose, contact, rule, matched) = match of {
        Of::Contact(contact) => (
            "contact_id = $5 and $6::text is null and $7::boolean is null",
            Some(contact.uuid()),
            None,
            None,
        ),
        Of::Rule { id, matched } => (
            "$5::uuid is null and rule_id = $6 and ($7::boolean is null or matched = $7)",
            None,
            Some(id),
            matched,
        ),
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select id, rule_id, rule_version, trigger, event_type, event_id, contact_id, booking_id, matched, conditions, at
           from automation.runs
          where org_id = $1 and {whose} and ($2::timestamptz is null or (at, id) < ($2, $3))
          order by at desc, id desc limit $4"
    )))
    .bind(org.uuid())
    .bind(before.map(|b| b.0))
    .bind(before.map(|b| b.1))
    .bind(limit)
    .bind(contact)
    .bind(rule)
    .bind(matched)
    .fetch_all(&mut **tx)
    .await
}
