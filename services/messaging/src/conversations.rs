//! The SMS inbox: a conversation per contact, newest first, with unread
//! counts the server keeps; one contact's messages a page at a time;
//! marking read; giving a conversation to a member of staff.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::cursor;
use attend_kit::grpc::Caller;
use attend_kit::ids::{ContactId, TypedId, UserId};
use attend_proto::messaging::v1 as pb;
use uuid::Uuid;

use crate::api::Api;
use crate::store::{self, ConversationRow, SmsRow};

/// A page size: `limit` or the default, within bounds.
fn page(limit: u32, default: i64, max: i64) -> Result<i64, Error> {
    match i64::from(limit) {
        0 => Ok(default),
        n if n <= max => Ok(n),
        _ => Err(Error::invalid("limit", format!("must be between 1 and {max}"))),
    }
}

fn conversation(row: ConversationRow, last: Option<SmsRow>) -> pb::Conversation {
    pb::Conversation {
        contact_id: row.contact_id.to_string(),
        last_message: last.map(SmsRow::into_proto),
        unread: u32::try_from(row.unread).unwrap_or_default(),
        assigned_to: row.assigned_to.map(|u| u.to_string()).unwrap_or_default(),
    }
}

impl Api {
    pub(crate) async fn list_conversations(
        &self,
        caller: Caller,
        req: pb::ListConversationsRequest,
    ) -> Result<pb::ListConversationsResponse, Error> {
        caller.require_permission(Permission::MessagesRead)?;
        let org = caller.org()?;
        let limit = page(req.limit, 50, 200)?;
        let assigned_to = match req.assigned_to.trim() {
            "" => None,
            "me" => Some(
                caller
                    .user
                    .ok_or_else(|| Error::invalid("assigned_to", "\"me\" needs a signed-in user"))?,
            ),
            raw => Some(UserId::parse_uuid_at("assigned_to", raw)?),
        };
        let after = match req.cursor.trim() {
            "" => None,
            text => {
                let (key, id) = cursor::decode("cursor", "inbox", text)?;
                Some((cursor::parse_time_key("cursor", &key)?, id))
            }
        };
        let mut tx = self.db.tenant(org).await?;
        let mut rows = store::conversations(&mut tx, org, req.unread_only, assigned_to, after, limit + 1).await?;
        let next_cursor = cursor::next_page(&mut rows, limit, |c| {
            cursor::encode("inbox", &cursor::time_key(c.last_message_at), c.contact_id)
        });
        let ids: Vec<Uuid> = rows.iter().map(|c| c.last_message_id).collect();
        let mut last = store::sms_by_ids(&mut tx, org, &ids).await?;
        tx.commit().await?;
        let conversations = rows
            .into_iter()
            .map(|row| {
                let found = last
                    .iter()
                    .position(|m| m.id == row.last_message_id)
                    .map(|i| last.swap_remove(i));
                conversation(row, found)
            })
            .collect();
        Ok(pb::ListConversationsResponse {
            conversations,
            next_cursor,
        })
    }

    pub(crate) async fn get_conversation(
        &self,
        caller: Caller,
        req: pb::GetConversationRequest,
    ) -> Result<pb::GetConversationResponse, Error> {
        caller.require_permission(Permission::MessagesRead)?;
        let org = caller.org()?;
        let contact = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let limit = page(req.limit, 50, 200)?;
        let before = match req.cursor.trim() {
            "" => None,
            text => {
                let (key, id) = cursor::decode("cursor", "messages", text)?;
                Some((cursor::parse_time_key("cursor", &key)?, id))
            }
        };
        let mut tx = self.db.tenant(org).await?;
        let row = store::conversation(&mut tx, org, contact)
            .await?
            .ok_or_else(|| Error::NotFound("conversation".to_owned()))?;
        let mut messages = store::for_contact(&mut tx, org, contact, before, limit + 1).await?;
        let next_cursor = cursor::next_page(&mut messages, limit, |m| {
            cursor::encode("messages", &cursor::time_key(m.created_at), m.id)
        });
        attend_kit::audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            attend_kit::audit::Entry::on("sms.read_conversation", "contact", contact),
        )
        .await?;
        tx.commit().await?;
        let last = messages.first().filter(|m| m.id == row.last_message_id).cloned();
        Ok(pb::GetConversationResponse {
            conversation: Some(conversation(row, last)),
            messages: messages.into_iter().map(SmsRow::into_proto).collect(),
            next_cursor,
        })
    }

    pub(crate) async fn mark_conversation_read(
        &self,
        caller: Caller,
        req: pb::MarkConversationReadRequest,
    ) -> Result<pb::Conversation, Error> {
        // Shared state: the practice's unread count. Read-only users never
        // change anything, so this needs the inbox's working permission.
        caller.require_permission(Permission::MessagesSend)?;
        let org = caller.org()?;
        let contact = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let mut tx = self.db.tenant(org).await?;
        let row = store::mark_read(&mut tx, org, contact)
            .await?
            .ok_or_else(|| Error::NotFound("conversation".to_owned()))?;
        tx.commit().await?;
        Ok(conversation(row, None))
    }

    pub(crate) async fn assign_conversation(
        &self,
        caller: Caller,
        req: pb::AssignConversationRequest,
    ) -> Result<pb::Conversation, Error> {
        caller.require_permission(Permission::MessagesSend)?;
        let org = caller.org()?;
        let contact = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let user = match req.user_id.trim() {
            "" => None,
            raw => Some(UserId::parse_uuid_at("user_id", raw)?),
        };
        let mut tx = self.db.tenant(org).await?;
        let row = store::assign(&mut tx, org, contact, user)
            .await?
            .ok_or_else(|| Error::NotFound("conversation".to_owned()))?;
        tx.commit().await?;
        Ok(conversation(row, None))
    }
}
