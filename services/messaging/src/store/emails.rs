//! The outbound email queue.

use attend_kit::bus::timestamp;
use attend_kit::contact_point::Email;
use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use attend_proto::messaging::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An email in the queue.
#[derive(Debug, sqlx::FromRow)]
pub struct EmailRow {
    id: Uuid,
    to_address: String,
    subject: String,
    body_text: String,
    category: String,
    status: String,
    provider: Option<String>,
    provider_message_id: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    error: Option<String>,
    sensitive: bool,
}

impl EmailRow {
    pub fn into_proto(self) -> pb::OutboundEmail {
        pb::OutboundEmail {
            id: self.id.to_string(),
            to: self.to_address,
            subject: self.subject,
            body_text: self.body_text,
            category: self.category,
            status: self.status,
            provider: self.provider.unwrap_or_default(),
            provider_message_id: self.provider_message_id.unwrap_or_default(),
            created_at: Some(timestamp(self.created_at)),
            sent_at: self.sent_at.map(timestamp),
            error: self.error.unwrap_or_default(),
            sensitive: self.sensitive,
        }
    }
}

macro_rules! email_columns {
    () => {
        "id, to_address, subject, body_text, category, status, provider, provider_message_id, created_at, sent_at, \
         error, sensitive"
    };
}

/// An email about to be queued.
#[derive(Debug)]
pub struct NewEmail<'a> {
    pub to: &'a Email,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub category: &'a str,
    pub sensitive: bool,
}

/// Queues an email for the sender.
pub async fn queue(tx: &mut Tx, org: OrgId, e: &NewEmail<'_>) -> sqlx::Result<EmailRow> {
    sqlx::query_as(concat!(
        "insert into messaging.outbound_emails (id, org_id, to_address, subject, body_text, category, sensitive)
         values ($1, $2, $3, $4, $5, $6, $7) returning ",
        email_columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(org.uuid())
    .bind(e.to.as_str())
    .bind(e.subject)
    .bind(e.body_text)
    .bind(e.category)
    .bind(e.sensitive)
    .fetch_one(&mut **tx)
    .await
}

/// The newest emails, to one address or all; what the transaction's role
/// may see (one organisation's, or every one's for operators).
pub async fn list(tx: &mut Tx, to: Option<&Email>, limit: i64) -> sqlx::Result<Vec<EmailRow>> {
    sqlx::query_as(concat!(
        "select ",
        email_columns!(),
        " from messaging.outbound_emails where ($1::text is null or to_address = $1)
         order by created_at desc, id desc limit $2"
    ))
    .bind(to.map(Email::as_str))
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// An email due to be sent.
#[derive(Debug, sqlx::FromRow)]
pub struct Due {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub attempts: i32,
    pub sensitive: bool,
}

/// Claims up to 50 due emails of every organisation (in a platform
/// transaction); other replicas skip them until it ends.
pub async fn claim_due(tx: &mut Tx) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as(
        "select id, to_address, subject, body_text, attempts, sensitive from messaging.outbound_emails
         where status = 'queued' and next_attempt_at <= now()
         order by next_attempt_at, id limit 50 for update skip locked",
    )
    .fetch_all(&mut **tx)
    .await
}

/// Records a send; the body replaced by `redacted` when given.
pub async fn mark_sent(
    tx: &mut Tx,
    id: Uuid,
    provider: &str,
    provider_message_id: &str,
    redacted: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update messaging.outbound_emails set status = 'sent', provider = $2,
           provider_message_id = $3, attempts = attempts + 1, sent_at = now(), error = null,
           body_text = coalesce($4, body_text)
         where id = $1",
    )
    .bind(id)
    .bind(provider)
    .bind(provider_message_id)
    .bind(redacted)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a failed attempt: queued again for `next`, or failed for good.
pub async fn mark_attempt_failed(
    tx: &mut Tx,
    id: Uuid,
    attempts: i32,
    error: &str,
    provider: &str,
    failed: bool,
    next: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update messaging.outbound_emails set attempts = $2, error = $3, provider = $4,
           status = case when $5 then 'failed' else 'queued' end, next_attempt_at = $6
         where id = $1",
    )
    .bind(id)
    .bind(attempts)
    .bind(error)
    .bind(provider)
    .bind(failed)
    .bind(next)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
