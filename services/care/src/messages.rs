//! Messages between a client's family and the care team (spec 001
//! "Feature 5"): one conversation per client; read receipts and unread
//! counts kept here; history search. The text is sealed
//! (`care.messages.body:<id>`), so search opens the conversation's recent
//! history and looks in it. Writing publishes `care.message_sent` and
//! reading `care.message_read` (ids only), which the gateway's live
//! channel turns into pushes.

use attend_kit::audit::{self, Entry};
use attend_kit::bus::{Draft, timestamp};
use attend_kit::db::Tx;
use attend_kit::grpc::{Caller, Role};
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ClientId, OrgId, TypedId};
use attend_kit::{Error, FieldError, cursor, text};
use attend_proto::care::v1 as pb;
use uuid::Uuid;

use crate::access::{self, Access, Level};
use crate::api::Api;
use crate::clients::client_id;
use crate::store::{self, ClientRow, MessageRow};

const CONTENT_MAX: usize = 5_000;
/// How much of a conversation's history a search looks through.
pub(crate) const SEARCH_DEPTH: i64 = 2_000;

pub(crate) fn body_context(id: Uuid) -> String {
    format!("care.messages.body:{id}")
}

/// Who may write in a client's conversation: everyone linked but a
/// view-only family member.
fn can_write(access: Access) -> bool {
    !matches!(access, Access::Family(Level::ViewOnly))
}

fn receipt_proto(r: store::ReadRow) -> pb::ReadReceipt {
    pb::ReadReceipt {
        client_id: r.client_id.to_string(),
        user_id: r.user_id.to_string(),
        message_id: r.message_id.to_string(),
        read_at: Some(timestamp(r.read_at)),
    }
}

impl Api {
    fn message_proto(&self, row: MessageRow, zone: chrono_tz::Tz) -> Result<pb::Message, Error> {
        let content = String::from_utf8(self.keys.open(&body_context(row.id), &row.body_key, &row.body_sealed)?)
            .unwrap_or_default();
        Ok(pb::Message {
            id: row.id.to_string(),
            client_id: row.client_id.to_string(),
            sender_id: row.sender_id.to_string(),
            sender_role: row.sender_role,
            content,
            created_at: Some(timestamp(row.created_at)),
            created_local: row.created_at.with_timezone(&zone).to_rfc3339(),
            attachment_ids: row.attachment_ids.iter().map(Uuid::to_string).collect(),
        })
    }

    /// The caller's unread count in a conversation.
    async fn unread(&self, tx: &mut Tx, org: OrgId, caller: &Caller, client: ClientId) -> Result<i32, Error> {
        let Some(user) = caller.user else {
            return Ok(0);
        };
        Ok(i32::try_from(store::unread(tx, org, client, user.uuid()).await?).unwrap_or(i32::MAX))
    }

    pub(crate) async fn list_conversations(&self, caller: Caller) -> Result<pb::ListConversationsResponse, Error> {
        let clients = self.list_clients(caller.clone()).await?.clients;
        let org = caller.org()?;
        let mut tx = self.db.tenant(org).await?;
        let mut conversations = Vec::with_capacity(clients.len());
        for c in clients {
            let id = client_id(&c.id)?;
            let (client, access) = access::resolve(&mut tx, org, &caller, id).await?;
            let last = match store::messages(&mut tx, org, id, None, 1).await?.pop() {
                Some(row) => Some(self.message_proto(row, client.zone())?),
                None => None,
            };
            conversations.push(pb::Conversation {
                client_id: c.id,
                client_name: c.name,
                last_message: last,
                unread: self.unread(&mut tx, org, &caller, id).await?,
                can_write: can_write(access),
            });
        }
        tx.commit().await?;
        // Newest conversation first; those without messages last.
        conversations.sort_by(|a, b| {
            let at = |c: &pb::Conversation| {
                c.last_message
                    .as_ref()
                    .and_then(|m| m.created_at)
                    .map(|t| (t.seconds, t.nanos))
            };
            at(b).cmp(&at(a))
        });
        Ok(pb::ListConversationsResponse { conversations })
    }

    pub(crate) async fn list_messages(
        &self,
        caller: Caller,
        req: pb::ListMessagesRequest,
    ) -> Result<pb::ListMessagesResponse, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let limit = match req.limit {
            0 => 50,
            n @ 1..=200 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be between 1 and 200")),
        };
        let query = text::line(&req.q, 200).map_err(text::at("q"))?.to_lowercase();
        let after = match req.cursor.trim() {
            "" => None,
            c => {
                let (key, id) = cursor::decode("cursor", "messages", c)?;
                Some((cursor::parse_time_key("cursor", &key)?, id))
            }
        };
        let mut tx = self.db.tenant(org).await?;
        let (client, access) = access::resolve(&mut tx, org, &caller, id).await?;
        let zone = client.zone();
        let mut messages = Vec::new();
        let next_cursor = if query.is_empty() {
            let mut rows = store::messages(&mut tx, org, id, after, limit + 1).await?;
            let next = cursor::next_page(&mut rows, limit, |r| {
                cursor::encode("messages", &cursor::time_key(r.created_at), r.id)
            });
            for row in rows {
                messages.push(self.message_proto(row, zone)?);
            }
            next
        } else {
            // The text is sealed: look through the recent history.
            let words: Vec<&str> = query.split_whitespace().collect();
            for row in store::messages(&mut tx, org, id, after, SEARCH_DEPTH).await? {
                let m = self.message_proto(row, zone)?;
                let lower = m.content.to_lowercase();
                if words.iter().all(|w| lower.contains(w)) {
                    messages.push(m);
                    if messages.len() as i64 == limit {
                        break;
                    }
                }
            }
            String::new()
        };
        let reads = store::reads(&mut tx, org, id)
            .await?
            .into_iter()
            .map(receipt_proto)
            .collect();
        let unread = self.unread(&mut tx, org, &caller, id).await?;
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on(
                if query.is_empty() {
                    "message.list"
                } else {
                    "message.search"
                },
                "client",
                id,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListMessagesResponse {
            messages,
            next_cursor,
            reads,
            unread,
            can_write: can_write(access),
        })
    }

    pub(crate) async fn send_message(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::SendMessageRequest,
    ) -> Result<pb::Message, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let sender = caller
            .user
            .ok_or_else(|| Error::Forbidden("messages are written by a person".to_owned()))?;
        let content = text::multiline(&req.content, CONTENT_MAX)
            .and_then(|c| {
                if c.is_empty() {
                    Err("is required".to_owned())
                } else {
                    Ok(c)
                }
            })
            .map_err(|reason| Error::Invalid(vec![FieldError::new("content", reason)]))?;
        let mut tx = self.db.tenant(org).await?;
        let (client, access) = access::resolve(&mut tx, org, &caller, id).await?;
        if !can_write(access) {
            return Err(Error::Forbidden(
                "a view-only family member reads the conversation but does not write in it".to_owned(),
            ));
        }
        let guard = match claim::<pb::Message>(&mut tx, org, "SendMessage", key.as_deref(), &req).await? {
            Claim::Replay(done) => {
                let row = store::message(
                    &mut tx,
                    org,
                    done.id.parse().map_err(|_| Error::NotFound("message".to_owned()))?,
                )
                .await?
                .ok_or_else(|| Error::NotFound("message".to_owned()))?;
                tx.commit().await?;
                return self.message_proto(row, client.zone());
            }
            Claim::Fresh(guard) => guard,
        };
        let attachments = crate::clients::attachments(&mut tx, org, id, &req.attachment_ids).await?;
        let message_id = Uuid::now_v7();
        let sealed = self.keys.seal(&body_context(message_id), content.as_bytes())?;
        let role = match caller.role {
            Role::Admin => "admin",
            Role::CareTeam => "care_team",
            Role::Client => "client",
            _ => "family",
        };
        let row = store::insert_message(
            &mut tx,
            org,
            id,
            message_id,
            sender.uuid(),
            role,
            &sealed.bytes,
            &sealed.key,
            &attachments,
        )
        .await?;
        // The sender has read what they wrote.
        store::mark_read(&mut tx, org, id, sender.uuid(), &row).await?;
        self.outbox
            .add(
                &mut tx,
                Draft::new(
                    org,
                    &pb::MessageSent {
                        message_id: message_id.to_string(),
                        client_id: id.uuid().to_string(),
                        sender_id: sender.uuid().to_string(),
                    },
                )
                .about("client_id", id),
            )
            .await?;
        audit::record(&self.outbox, &mut tx, &caller, Entry::on("message.send", "client", id)).await?;
        guard
            .complete(
                &mut tx,
                &pb::Message {
                    id: message_id.to_string(),
                    ..Default::default()
                },
            )
            .await?;
        tx.commit().await?;
        self.message_proto(row, client.zone())
    }

    pub(crate) async fn mark_read(&self, caller: Caller, req: pb::MarkReadRequest) -> Result<pb::ReadReceipt, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let user = caller
            .user
            .ok_or_else(|| Error::Forbidden("conversations are read by a person".to_owned()))?;
        let mut tx = self.db.tenant(org).await?;
        let (_, _): (ClientRow, Access) = access::resolve(&mut tx, org, &caller, id).await?;
        let row = match req.message_id.trim() {
            "" => store::messages(&mut tx, org, id, None, 1).await?.pop(),
            m => {
                let m: Uuid = m
                    .parse()
                    .map_err(|_| Error::invalid("message_id", "is not a message id"))?;
                store::message(&mut tx, org, m)
                    .await?
                    .filter(|r| r.client_id == id.uuid())
            }
        }
        .ok_or_else(|| Error::NotFound("message".to_owned()))?;
        let read = store::mark_read(&mut tx, org, id, user.uuid(), &row).await?;
        self.outbox
            .add(
                &mut tx,
                Draft::new(
                    org,
                    &pb::MessageRead {
                        client_id: id.uuid().to_string(),
                        user_id: user.uuid().to_string(),
                        message_id: read.message_id.to_string(),
                    },
                )
                .about("client_id", id),
            )
            .await?;
        tx.commit().await?;
        Ok(receipt_proto(read))
    }
}
