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
    body_html: Option<String>,
    template: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
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
            body_html: self.body_html.unwrap_or_default(),
            template: self.template.unwrap_or_default(),
            delivered_at: self.delivered_at.map(timestamp),
        }
    }

    pub fn id(&self) -> Uuid {
        self.id
    }

    pub fn to_address(&self) -> &str {
        &self.to_address
    }

    /// What an event about this email says of it.
    pub fn summary(&self) -> EmailSummary {
        EmailSummary {
            id: self.id,
            category: self.category.clone(),
            template: self.template.clone().unwrap_or_default(),
        }
    }
}

/// An email as the facts about it name it.
#[derive(Debug, Clone)]
pub struct EmailSummary {
    pub id: Uuid,
    pub category: String,
    pub template: String,
}

macro_rules! email_columns {
    () => {
        "id, to_address, subject, body_text, category, status, provider, provider_message_id, created_at, sent_at, \
         error, sensitive, body_html, template, delivered_at"
    };
}

/// An email about to be queued.
#[derive(Debug)]
pub struct NewEmail<'a> {
    pub to: &'a Email,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    pub template: Option<&'a str>,
    pub category: &'a str,
    pub sensitive: bool,
}

/// Queues an email for the sender.
pub async fn queue(tx: &mut Tx, org: OrgId, e: &NewEmail<'_>) -> sqlx::Result<EmailRow> {
    sqlx::query_as(concat!(
        "insert into messaging.outbound_emails
           (id, org_id, to_address, subject, body_text, category, sensitive, body_html, template)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning ",
        email_columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(org.uuid())
    .bind(e.to.as_str())
    .bind(e.subject)
    .bind(e.body_text)
    .bind(e.category)
    .bind(e.sensitive)
    .bind(e.body_html)
    .bind(e.template)
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
    pub org_id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub attempts: i32,
    pub sensitive: bool,
}

/// Claims up to 50 due emails of every organisation (in a platform
/// transaction); other replicas skip them until it ends.
pub async fn claim_due(tx: &mut Tx) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as(
        "select id, org_id, to_address, subject, body_text, body_html, attempts, sensitive
         from messaging.outbound_emails
         where status = 'queued' and next_attempt_at <= now()
         order by next_attempt_at, id limit 50 for update skip locked",
    )
    .fetch_all(&mut **tx)
    .await
}

/// Records a send; both bodies replaced by `redacted` when given.
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
           body_text = coalesce($4, body_text),
           body_html = case when $4 is null or body_html is null then body_html else $4 end
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

/// One email, by our id (in the organisation's transaction: another
/// organisation's is not found).
pub async fn email(tx: &mut Tx, id: Uuid) -> sqlx::Result<Option<EmailRow>> {
    sqlx::query_as(concat!(
        "select ",
        email_columns!(),
        " from messaging.outbound_emails where id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// What a provider reported after sending.
#[derive(Debug, Clone, Copy)]
pub enum Reported<'a> {
    /// Delivered to the recipient's server: recorded unless the email has
    /// bounced or failed already (a late, out-of-order report).
    Delivered { at: DateTime<Utc> },
    /// The recipient's server refused it, after it was sent (or even
    /// after a delivery report: some servers accept, then bounce).
    Bounced { reason: &'a str },
    /// The provider dropped it unsent.
    Dropped { reason: &'a str },
}

/// Records what the provider reported; the email as it now stands.
pub async fn record_report(tx: &mut Tx, id: Uuid, report: Reported<'_>) -> sqlx::Result<Option<EmailRow>> {
    let (status, reason, at) = match report {
        Reported::Delivered { at } => ("delivered", None, Some(at)),
        Reported::Bounced { reason } => ("bounced", Some(reason), None),
        Reported::Dropped { reason } => ("failed", Some(reason), None),
    };
    sqlx::query_as(concat!(
        "update messaging.outbound_emails set
           status = case
             when $2 = 'delivered' and status in ('bounced', 'failed') then status
             else $2 end,
           error = coalesce($3, error),
           delivered_at = coalesce(delivered_at, $4)
         where id = $1 returning ",
        email_columns!()
    ))
    .bind(id)
    .bind(status)
    .bind(reason)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await
}
