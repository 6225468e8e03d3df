//! Each organisation's SMS templates.

use attend_kit::bus::timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use chrono::{DateTime, Utc};

/// A template as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    pub category: String,
    pub content: String,
    pub placeholders: Vec<String>,
    pub purpose: String,
    pub quiet_hours: bool,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl TemplateRow {
    pub fn updated_at(&self) -> prost_types::Timestamp {
        timestamp(self.updated_at)
    }
}

macro_rules! template_columns {
    () => {
        "id, name, category, content, placeholders, purpose, quiet_hours, updated_by, updated_at"
    };
}

/// A template to store.
#[derive(Debug, Clone)]
pub struct TemplateDraft<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub category: &'a str,
    pub content: &'a str,
    pub placeholders: &'a [String],
    pub purpose: &'a str,
    pub quiet_hours: bool,
    pub updated_by: &'a str,
}

/// Adds the templates the organisation doesn't have yet (an edited one is
/// kept as edited).
pub async fn seed_templates(tx: &mut Tx, org: OrgId, seeds: &[TemplateDraft<'_>]) -> sqlx::Result<()> {
    for t in seeds {
        sqlx::query(
            "insert into messaging.templates
               (org_id, id, name, category, content, placeholders, purpose, quiet_hours, updated_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             on conflict (org_id, id) do nothing",
        )
        .bind(org.uuid())
        .bind(t.id)
        .bind(t.name)
        .bind(t.category)
        .bind(t.content)
        .bind(t.placeholders)
        .bind(t.purpose)
        .bind(t.quiet_hours)
        .bind(t.updated_by)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Creates or replaces a template; the row after.
pub async fn put_template(tx: &mut Tx, org: OrgId, t: &TemplateDraft<'_>) -> sqlx::Result<TemplateRow> {
    sqlx::query_as(concat!(
        "insert into messaging.templates
           (org_id, id, name, category, content, placeholders, purpose, quiet_hours, updated_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (org_id, id) do update set
           name = excluded.name, category = excluded.category, content = excluded.content,
           placeholders = excluded.placeholders, purpose = excluded.purpose,
           quiet_hours = excluded.quiet_hours, updated_by = excluded.updated_by, updated_at = now()
         returning ",
        template_columns!()
    ))
    .bind(org.uuid())
    .bind(t.id)
    .bind(t.name)
    .bind(t.category)
    .bind(t.content)
    .bind(t.placeholders)
    .bind(t.purpose)
    .bind(t.quiet_hours)
    .bind(t.updated_by)
    .fetch_one(&mut **tx)
    .await
}

pub async fn templates(tx: &mut Tx, org: OrgId) -> sqlx::Result<Vec<TemplateRow>> {
    sqlx::query_as(concat!(
        "select ",
        template_columns!(),
        " from messaging.templates where org_id = $1 order by id"
    ))
    .bind(org.uuid())
    .fetch_all(&mut **tx)
    .await
}

pub async fn template(tx: &mut Tx, org: OrgId, id: &str) -> sqlx::Result<Option<TemplateRow>> {
    sqlx::query_as(concat!(
        "select ",
        template_columns!(),
        " from messaging.templates where org_id = $1 and id = $2"
    ))
    .bind(org.uuid())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}
