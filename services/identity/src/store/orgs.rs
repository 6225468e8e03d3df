//! Organisations and the provider ids that route deliveries to them.

use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use attend_proto::identity::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::unless_violates;
use crate::orgs::NewOrganisation;

#[derive(sqlx::FromRow)]
pub(crate) struct OrgRow {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    pub phone_region: String,
    pub created_at: DateTime<Utc>,
    pub business_hours: serde_json::Value,
    /// `MessagingSettings` as JSON: `{values, quiet_hours_start,
    /// quiet_hours_end, sms_from}`.
    pub messaging: serde_json::Value,
}

/// The columns of [`OrgRow`], for `concat!` (sqlx takes only static SQL).
macro_rules! org_columns {
    () => {
        "id, name, slug, time_zone, phone_region, created_at, business_hours, messaging"
    };
}

/// Stores a new organisation; `None` when its slug is taken.
pub(crate) async fn insert(tx: &mut Tx, id: OrgId, new: &NewOrganisation) -> sqlx::Result<Option<OrgRow>> {
    let inserted = sqlx::query_as(concat!(
        "insert into identity.organisations (id, name, slug, time_zone, phone_region, business_hours)
             values ($1, $2, $3, $4, $5, $6) returning ",
        org_columns!()
    ))
    .bind(id.uuid())
    .bind(&new.name)
    .bind(&new.slug)
    .bind(&new.time_zone)
    .bind(new.region.as_str())
    .bind(&new.business_hours)
    .fetch_one(&mut **tx)
    .await;
    unless_violates(inserted, "organisations_slug_key")
}

/// Links a provider's id to an organisation; `false` when it already
/// belongs to one.
pub(crate) async fn link(tx: &mut Tx, org: OrgId, ext: &pb::ExternalId) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "insert into identity.organisation_external_ids (provider, external_id, org_id) values ($1, $2, $3)",
    )
    .bind(&ext.provider)
    .bind(&ext.external_id)
    .bind(org.uuid())
    .execute(&mut **tx)
    .await;
    Ok(unless_violates(inserted, "organisation_external_ids_pkey")?.is_some())
}

/// An organisation's provider ids, by provider then id.
pub(crate) async fn external_ids(tx: &mut Tx, org: OrgId) -> sqlx::Result<Vec<pb::ExternalId>> {
    let ids: Vec<(String, String)> = sqlx::query_as(
        "select provider, external_id from identity.organisation_external_ids
             where org_id = $1 order by provider, external_id",
    )
    .bind(org.uuid())
    .fetch_all(&mut **tx)
    .await?;
    Ok(ids
        .into_iter()
        .map(|(provider, external_id)| pb::ExternalId { provider, external_id })
        .collect())
}

pub(crate) async fn get(tx: &mut Tx, id: OrgId) -> sqlx::Result<Option<OrgRow>> {
    sqlx::query_as(concat!(
        "select ",
        org_columns!(),
        " from identity.organisations where id = $1"
    ))
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Every organisation, oldest first.
pub(crate) async fn all(tx: &mut Tx) -> sqlx::Result<Vec<OrgRow>> {
    sqlx::query_as(concat!(
        "select ",
        org_columns!(),
        " from identity.organisations order by created_at, id"
    ))
    .fetch_all(&mut **tx)
    .await
}

/// The two oldest organisations: enough to tell none, one and several.
pub(crate) async fn first_two(tx: &mut Tx) -> sqlx::Result<Vec<OrgRow>> {
    sqlx::query_as(concat!(
        "select ",
        org_columns!(),
        " from identity.organisations order by created_at limit 2"
    ))
    .fetch_all(&mut **tx)
    .await
}

pub(crate) async fn by_slug(tx: &mut Tx, slug: &str) -> sqlx::Result<Option<OrgRow>> {
    sqlx::query_as(concat!(
        "select ",
        org_columns!(),
        " from identity.organisations where slug = $1"
    ))
    .bind(slug)
    .fetch_optional(&mut **tx)
    .await
}

/// The organisation a provider's id is linked to.
pub(crate) async fn by_external_id(tx: &mut Tx, provider: &str, external_id: &str) -> sqlx::Result<Option<OrgRow>> {
    sqlx::query_as(
        "select o.id, o.name, o.slug, o.time_zone, o.phone_region, o.created_at, o.business_hours, o.messaging
                 from identity.organisation_external_ids e
                 join identity.organisations o on o.id = e.org_id
                 where e.provider = $1 and e.external_id = $2",
    )
    .bind(provider)
    .bind(external_id)
    .fetch_optional(&mut **tx)
    .await
}

pub(crate) async fn exists(tx: &mut Tx, id: OrgId) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists(select 1 from identity.organisations where id = $1)")
        .bind(id.uuid())
        .fetch_one(&mut **tx)
        .await
}

pub(crate) async fn name(tx: &mut Tx, id: OrgId) -> sqlx::Result<String> {
    sqlx::query_scalar("select name from identity.organisations where id = $1")
        .bind(id.uuid())
        .fetch_one(&mut **tx)
        .await
}

/// A part of an organisation its admin replaces.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Setting {
    /// How its messages read and when they may arrive.
    Messaging,
    /// Its opening hours.
    BusinessHours,
}

/// Replaces one of an organisation's settings (in a tenant transaction: its
/// own only); the row after.
pub(crate) async fn set(
    tx: &mut Tx,
    id: OrgId,
    setting: Setting,
    value: &serde_json::Value,
) -> sqlx::Result<Option<OrgRow>> {
    let sql = match setting {
        Setting::Messaging => concat!(
            "update identity.organisations set messaging = $2 where id = $1 returning ",
            org_columns!()
        ),
        Setting::BusinessHours => concat!(
            "update identity.organisations set business_hours = $2 where id = $1 returning ",
            org_columns!()
        ),
    };
    sqlx::query_as(sql)
        .bind(id.uuid())
        .bind(value)
        .fetch_optional(&mut **tx)
        .await
}
