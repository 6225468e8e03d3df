//! The periodic checks: one per organisation, schedule and period.

use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use chrono::{DateTime, Utc};

/// Claims a period (`2026-03-10T14` for an hour, `2026-03-10` for a day);
/// `false` when a replica already ran it. The claim commits with the
/// check's runs, so a crash mid-check leaves the period to run again.
pub async fn claim(tx: &mut Tx, org: OrgId, schedule: &str, period: &str, at: DateTime<Utc>) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into automation.cron_periods (org_id, schedule, period, at) values ($1, $2, $3, $4)
         on conflict do nothing",
    )
    .bind(org.uuid())
    .bind(schedule)
    .bind(period)
    .bind(at)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}
