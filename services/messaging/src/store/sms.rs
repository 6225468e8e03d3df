//! The two-way SMS log. An outbound row is also its place in the queue:
//! `queued` until `send_at`, `sending` while the provider is asked (that
//! state is committed before the call), then what the provider said.

use attend_kit::bus::timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_proto::messaging::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A message as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmsRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub direction: String,
    pub to_number: String,
    pub from_number: String,
    pub body: String,
    pub template_id: Option<String>,
    pub purpose: Option<String>,
    pub booking_id: Option<Uuid>,
    pub status: String,
    pub status_reason: Option<String>,
    pub classification: Option<String>,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub encoding: Option<String>,
    pub segments: Option<i32>,
    pub attempts: i32,
    pub send_at: DateTime<Utc>,
    pub is_reply: bool,
    /// Who sent it (kit::actor): a user id, `system` or `provider:<name>`.
    pub sent_by: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
}

macro_rules! sms_columns {
    () => {
        "id, org_id, contact_id, direction, to_number, from_number, body, template_id, purpose, booking_id, \
         status, status_reason, classification, provider, provider_message_id, encoding, segments, attempts, send_at, not_after, is_reply, \
         sent_by, created_at, sent_at, delivered_at, received_at"
    };
}

impl SmsRow {
    pub fn org(&self) -> OrgId {
        OrgId::from(self.org_id)
    }

    pub fn contact(&self) -> Option<ContactId> {
        self.contact_id.map(ContactId::from)
    }

    /// As the API shows it.
    pub fn into_proto(self) -> pb::SmsMessage {
        pb::SmsMessage {
            id: self.id.to_string(),
            contact_id: self.contact_id.map(|c| c.to_string()).unwrap_or_default(),
            direction: self.direction,
            to: self.to_number,
            from: self.from_number,
            body: self.body,
            template_id: self.template_id.unwrap_or_default(),
            purpose: self.purpose.unwrap_or_default(),
            booking_id: self.booking_id.map(|b| b.to_string()).unwrap_or_default(),
            status: self.status,
            status_reason: self.status_reason.unwrap_or_default(),
            provider: self.provider.unwrap_or_default(),
            provider_message_id: self.provider_message_id.unwrap_or_default(),
            encoding: self.encoding.unwrap_or_default(),
            segments: self.segments.and_then(|s| u32::try_from(s).ok()).unwrap_or_default(),
            created_at: Some(timestamp(self.created_at)),
            send_at: Some(timestamp(self.send_at)),
            sent_at: self.sent_at.map(timestamp),
            delivered_at: self.delivered_at.map(timestamp),
            received_at: self.received_at.map(timestamp),
            classification: self.classification.unwrap_or_default(),
            sent_by: self.sent_by,
        }
    }
}

/// A message about to be logged.
#[derive(Debug, Clone)]
pub struct NewSms<'a> {
    pub id: Uuid,
    pub contact: Option<ContactId>,
    pub direction: &'static str,
    pub to: &'a str,
    pub from: &'a str,
    pub body: &'a str,
    pub template_id: Option<&'a str>,
    pub purpose: Option<&'static str>,
    pub booking_id: Option<Uuid>,
    pub status: &'static str,
    pub status_reason: Option<&'a str>,
    pub classification: Option<&'static str>,
    pub provider: Option<&'a str>,
    pub provider_message_id: Option<&'a str>,
    pub encoding: Option<&'static str>,
    pub segments: Option<i32>,
    pub send_at: DateTime<Utc>,
    pub not_after: Option<DateTime<Utc>>,
    pub is_reply: bool,
    pub sent_by: &'a str,
    pub at: DateTime<Utc>,
}

/// Logs a message (an outbound one joins the queue when `queued`).
pub async fn insert_sms(tx: &mut Tx, org: OrgId, m: &NewSms<'_>) -> sqlx::Result<SmsRow> {
    sqlx::query_as(concat!(
        "insert into messaging.sms_messages
           (id, org_id, contact_id, direction, to_number, from_number, body, template_id, purpose, booking_id,
            status, status_reason, provider, provider_message_id, encoding, segments, send_at, not_after,
            sent_by, created_at, received_at, classification, is_reply)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
            case when $4 = 'inbound' then $20 end, $21, $22)
         returning ",
        sms_columns!()
    ))
    .bind(m.id)
    .bind(org.uuid())
    .bind(m.contact.map(|c| c.uuid()))
    .bind(m.direction)
    .bind(m.to)
    .bind(m.from)
    .bind(m.body)
    .bind(m.template_id)
    .bind(m.purpose)
    .bind(m.booking_id)
    .bind(m.status)
    .bind(m.status_reason)
    .bind(m.provider)
    .bind(m.provider_message_id)
    .bind(m.encoding)
    .bind(m.segments)
    .bind(m.send_at)
    .bind(m.not_after)
    .bind(m.sent_by)
    .bind(m.at)
    .bind(m.classification)
    .bind(m.is_reply)
    .fetch_one(&mut **tx)
    .await
}

/// An inbound message already logged from this provider's id.
pub async fn inbound_by_provider_id(
    tx: &mut Tx,
    provider: &str,
    provider_message_id: &str,
) -> sqlx::Result<Option<SmsRow>> {
    sqlx::query_as(concat!(
        "select ",
        sms_columns!(),
        " from messaging.sms_messages
          where provider = $1 and provider_message_id = $2 and direction = 'inbound'"
    ))
    .bind(provider)
    .bind(provider_message_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Queued messages due by `now` (or past their `not_after`), of every
/// organisation (a platform transaction): candidates, each then claimed
/// in its own organisation's transaction ([`claim`]).
pub async fn due(tx: &mut Tx, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    sqlx::query_as(
        "select id, org_id from messaging.sms_messages
          where status = 'queued' and (send_at <= $1 or not_after <= $1)
          order by send_at, id limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Takes a due message for sending: `sending`, one more attempt. This is
/// committed before the provider is asked, so a crash after the call never
/// sends it twice. `None` when another sender took it, or it is not due.
pub async fn claim(tx: &mut Tx, org: OrgId, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Option<SmsRow>> {
    sqlx::query_as(concat!(
        "update messaging.sms_messages set status = 'sending', attempts = attempts + 1, attempted_at = $3
          where org_id = $1 and id = $2 and status = 'queued' and send_at <= $3
            and (not_after is null or not_after > $3)
          returning ",
        sms_columns!()
    ))
    .bind(org.uuid())
    .bind(id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
}

/// A queued message whose `not_after` has come (its appointment has
/// begun) becomes skipped; the row, when it was so.
pub async fn skip_if_late(
    tx: &mut Tx,
    org: OrgId,
    id: Uuid,
    now: DateTime<Utc>,
    reason: &str,
) -> sqlx::Result<Option<SmsRow>> {
    sqlx::query_as(concat!(
        "update messaging.sms_messages set status = 'skipped', status_reason = $4
          where org_id = $1 and id = $2 and status = 'queued' and not_after <= $3
          returning ",
        sms_columns!()
    ))
    .bind(org.uuid())
    .bind(id)
    .bind(now)
    .bind(reason)
    .fetch_optional(&mut **tx)
    .await
}

/// A message that will not go (blocked since it was queued), with why.
pub async fn block(tx: &mut Tx, id: Uuid, reason: &str) -> sqlx::Result<SmsRow> {
    sqlx::query_as(concat!(
        "update messaging.sms_messages set status = 'blocked', status_reason = $2 where id = $1 returning ",
        sms_columns!()
    ))
    .bind(id)
    .bind(reason)
    .fetch_one(&mut **tx)
    .await
}

/// Messages still `sending` long after the provider was asked: the process
/// that asked stopped before it recorded the answer. They become
/// `unconfirmed`, never sent again (ADR 0009); a receipt settles them.
pub async fn unconfirm_stale(tx: &mut Tx, before: DateTime<Utc>, reason: &str) -> sqlx::Result<Vec<SmsRow>> {
    sqlx::query_as(concat!(
        "update messaging.sms_messages set status = 'unconfirmed', status_reason = $2
          where status = 'sending' and attempted_at < $1
          returning ",
        sms_columns!()
    ))
    .bind(before)
    .bind(reason)
    .fetch_all(&mut **tx)
    .await
}

/// Records what became of a send; the row after.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    /// The provider took it.
    Sent {
        provider: &'a str,
        provider_message_id: &'a str,
        at: DateTime<Utc>,
    },
    /// Try again at `at`.
    Retry {
        provider: &'a str,
        reason: &'a str,
        at: DateTime<Utc>,
    },
    /// Never going to go.
    Failed { provider: &'a str, reason: &'a str },
}

/// `None` when the row has left the states `outcome` may follow: a
/// receipt settled it while the provider was answering (a late timeout
/// must not put a delivered message back in the queue), or the sweeper
/// made it `unconfirmed` (never queued again, ADR 0009). A provider's
/// `Sent` still settles an `unconfirmed` row, and a `Failed` one too.
pub async fn record_outcome(tx: &mut Tx, id: Uuid, outcome: &Outcome<'_>) -> sqlx::Result<Option<SmsRow>> {
    let (status, provider, provider_id, reason, sent_at, send_at, from): (_, _, _, _, _, _, &[&str]) = match outcome {
        Outcome::Sent {
            provider,
            provider_message_id,
            at,
        } => (
            "sent",
            *provider,
            Some(*provider_message_id),
            None,
            Some(*at),
            None,
            &["sending", "unconfirmed"],
        ),
        Outcome::Retry { provider, reason, at } => {
            ("queued", *provider, None, Some(*reason), None, Some(*at), &["sending"])
        }
        Outcome::Failed { provider, reason } => (
            "failed",
            *provider,
            None,
            Some(*reason),
            None,
            None,
            &["sending", "unconfirmed"],
        ),
    };
    sqlx::query_as(concat!(
        "update messaging.sms_messages
            set status = $2, provider = $3, provider_message_id = coalesce($4, provider_message_id),
                status_reason = $5, sent_at = coalesce($6, sent_at), send_at = coalesce($7, send_at)
          where id = $1 and status = any($8)
          returning ",
        sms_columns!()
    ))
    .bind(id)
    .bind(status)
    .bind(provider)
    .bind(provider_id)
    .bind(reason)
    .bind(sent_at)
    .bind(send_at)
    .bind(from)
    .fetch_optional(&mut **tx)
    .await
}

/// Keeps the provider's id of a message a receipt settled before the
/// provider's own answer arrived, so later receipts still find it.
pub async fn note_provider_id(tx: &mut Tx, id: Uuid, provider: &str, provider_message_id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update messaging.sms_messages
            set provider = coalesce(provider, $2), provider_message_id = coalesce(provider_message_id, $3)
          where id = $1",
    )
    .bind(id)
    .bind(provider)
    .bind(provider_message_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Our outbound message a provider's receipt is about: by our own id (which
/// ClickSend echoes as `custom_string` and our Twilio callback URL carries),
/// else by the provider's id.
pub async fn outbound_for_receipt(
    tx: &mut Tx,
    provider: &str,
    our_id: Option<Uuid>,
    provider_message_id: &str,
) -> sqlx::Result<Option<SmsRow>> {
    sqlx::query_as(concat!(
        "select ",
        sms_columns!(),
        " from messaging.sms_messages
          where direction = 'outbound'
            and (id = $2 or (provider = $1 and provider_message_id = $3))
          order by (id = $2) desc limit 1 for update"
    ))
    .bind(provider)
    .bind(our_id)
    .bind(provider_message_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Applies a delivery receipt; the row after.
pub async fn record_receipt(
    tx: &mut Tx,
    id: Uuid,
    delivered: bool,
    provider: &str,
    provider_message_id: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> sqlx::Result<SmsRow> {
    sqlx::query_as(concat!(
        "update messaging.sms_messages
            set status = case when $2 then 'delivered' else 'failed' end,
                delivered_at = case when $2 then $6 else delivered_at end,
                provider = coalesce(provider, $3),
                provider_message_id = coalesce(provider_message_id, nullif($4, '')),
                status_reason = case when $2 then null else $5 end,
                sent_at = coalesce(sent_at, $6)
          where id = $1
          returning ",
        sms_columns!()
    ))
    .bind(id)
    .bind(delivered)
    .bind(provider)
    .bind(provider_message_id)
    .bind(reason)
    .bind(at)
    .fetch_one(&mut **tx)
    .await
}

/// A contact's messages, newest first, before `(created_at, id)`.
pub async fn for_contact(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<SmsRow>> {
    let (at, id) = before.unzip();
    sqlx::query_as(concat!(
        "select ",
        sms_columns!(),
        " from messaging.sms_messages
          where org_id = $1 and contact_id = $2
            and ($3::timestamptz is null or (created_at, id) < ($3, $4))
          order by created_at desc, id desc limit $5"
    ))
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Messages by id, as the caller's organisation sees them.
pub async fn sms_by_ids(tx: &mut Tx, org: OrgId, ids: &[Uuid]) -> sqlx::Result<Vec<SmsRow>> {
    sqlx::query_as(concat!(
        "select ",
        sms_columns!(),
        " from messaging.sms_messages where org_id = $1 and id = any($2)"
    ))
    .bind(org.uuid())
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
}
