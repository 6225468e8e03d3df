//! The inbox: one conversation per contact, its last message and unread
//! count kept here as messages come and go.

use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TypedId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A conversation as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub contact_id: Uuid,
    pub last_message_id: Uuid,
    pub last_message_at: DateTime<Utc>,
    pub unread: i32,
    pub assigned_to: Option<Uuid>,
}

macro_rules! conversation_columns {
    () => {
        "contact_id, last_message_id, last_message_at, unread, assigned_to"
    };
}

/// Moves the contact's conversation to this message; an inbound one is
/// one more unread.
pub async fn touch_conversation(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    message: Uuid,
    at: DateTime<Utc>,
    direction: &str,
    preview: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into messaging.conversations
           (org_id, contact_id, last_message_id, last_message_at, last_direction, last_preview, unread)
         values ($1, $2, $3, $4, $5, $6, case when $5 = 'inbound' then 1 else 0 end)
         on conflict (org_id, contact_id) do update set
           last_message_id = case when excluded.last_message_at >= conversations.last_message_at
                                  then excluded.last_message_id else conversations.last_message_id end,
           last_message_at = greatest(excluded.last_message_at, conversations.last_message_at),
           last_direction = case when excluded.last_message_at >= conversations.last_message_at
                                 then excluded.last_direction else conversations.last_direction end,
           last_preview = case when excluded.last_message_at >= conversations.last_message_at
                               then excluded.last_preview else conversations.last_preview end,
           unread = conversations.unread + excluded.unread",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(message)
    .bind(at)
    .bind(direction)
    .bind(preview)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A page of conversations, newest first, after `(last_message_at, contact)`.
pub async fn conversations(
    tx: &mut Tx,
    org: OrgId,
    unread_only: bool,
    assigned_to: Option<UserId>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<ConversationRow>> {
    let (at, id) = after.unzip();
    sqlx::query_as(concat!(
        "select ",
        conversation_columns!(),
        " from messaging.conversations
          where org_id = $1 and (not $2 or unread > 0) and ($3::uuid is null or assigned_to = $3)
            and ($4::timestamptz is null or (last_message_at, contact_id) < ($4, $5))
          order by last_message_at desc, contact_id desc limit $6"
    ))
    .bind(org.uuid())
    .bind(unread_only)
    .bind(assigned_to.map(|u| u.uuid()))
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

pub async fn conversation(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<Option<ConversationRow>> {
    sqlx::query_as(concat!(
        "select ",
        conversation_columns!(),
        " from messaging.conversations where org_id = $1 and contact_id = $2"
    ))
    .bind(org.uuid())
    .bind(contact.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Everything in it read; the conversation after.
pub async fn mark_read(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<Option<ConversationRow>> {
    sqlx::query_as(concat!(
        "update messaging.conversations set unread = 0 where org_id = $1 and contact_id = $2 returning ",
        conversation_columns!()
    ))
    .bind(org.uuid())
    .bind(contact.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Gives the conversation to a user (or nobody); the conversation after.
pub async fn assign(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    user: Option<UserId>,
) -> sqlx::Result<Option<ConversationRow>> {
    sqlx::query_as(concat!(
        "update messaging.conversations set assigned_to = $3 where org_id = $1 and contact_id = $2 returning ",
        conversation_columns!()
    ))
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(user.map(|u| u.uuid()))
    .fetch_optional(&mut **tx)
    .await
}
