//! `/api/messages`: the conversations between a client's family and the
//! care team (spec 001 "Feature 5"); one per client, so a conversation's id
//! is its client's (`client_…`). Care decides who reads and who writes;
//! new messages, read receipts and typing reach open pages over `/api/ws`.

use attend_kit::Error;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem, QueryParams};
use attend_kit::ids::{ClientId, MessageId, TypedId, UserId};
use attend_proto::care::v1 as pb;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::bookings::keyed;
use super::{public_id, text, unix_seconds};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/messages", get(conversations).post(send))
        .route("/api/messages/{client}", get(messages))
        .route("/api/messages/{client}/read", post(read))
}

fn conversation_path(id: &str) -> Result<String, Error> {
    ClientId::parse_public(id)
        .map(|c| c.uuid().to_string())
        .map_err(|_| Error::NotFound("conversation".to_owned()))
}

/// A message between a client's family and the care team.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Message {
    /// `msg_…`.
    pub id: String,
    /// The client's id: one conversation per client.
    pub conversation_id: String,
    pub sender_id: Option<String>,
    /// The sender's name; null when it can't be read.
    pub sender_name: Option<String>,
    /// The sender's role: `care_team`, `family`, `client`, `admin`.
    pub sender_role: String,
    pub content: String,
    pub created_at: Option<i64>,
    /// In the client's zone (RFC 3339 with offset).
    pub created_local: String,
    pub attachment_ids: Vec<String>,
}

/// Who has read up to which message, and when.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub user_id: Option<String>,
    pub message_id: Option<String>,
    pub read_at: Option<i64>,
}

/// A conversation in the caller's list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Conversation {
    /// The client's id (`client_…`).
    pub id: String,
    pub client_name: String,
    pub last_message: Option<Message>,
    /// Messages the caller has not read.
    pub unread: i32,
    /// False for view-only family: they read but cannot write.
    pub can_write: bool,
}

/// The caller's conversations, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Conversations {
    pub conversations: Vec<Conversation>,
    /// Unread messages across all of them.
    pub unread: i32,
}

/// A page of one conversation, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Thread {
    pub messages: Vec<Message>,
    pub next_cursor: Option<String>,
    pub reads: Vec<Receipt>,
    pub unread: i32,
    pub can_write: bool,
}

/// A message sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Sent {
    pub message: Message,
}

/// A read receipt recorded.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Read {
    pub read: Receipt,
}

fn message_json(m: &pb::Message) -> Result<Message, Error> {
    Ok(Message {
        id: MessageId::parse_uuid(&m.id)?.to_string(),
        conversation_id: ClientId::parse_uuid(&m.client_id)?.to_string(),
        sender_id: public_id::<UserId>(&m.sender_id)?,
        sender_name: None,
        sender_role: m.sender_role.clone(),
        content: m.content.clone(),
        created_at: unix_seconds(&m.created_at),
        created_local: m.created_local.clone(),
        attachment_ids: super::care::documents_public(&m.attachment_ids)?,
    })
}

fn receipt_json(r: &pb::ReadReceipt) -> Result<Receipt, Error> {
    Ok(Receipt {
        user_id: public_id::<UserId>(&r.user_id)?,
        message_id: public_id::<MessageId>(&r.message_id)?,
        read_at: unix_seconds(&r.read_at),
    })
}

/// `GET /api/messages`: the caller's conversations, newest first, with unread counts.
#[utoipa::path(operation_id = "messages_conversations", get, path = "/api/messages", tag = "messages", responses((status = 200, description = "OK", body = Conversations), crate::openapi::Problems))]
async fn conversations(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> Result<Json<Conversations>, Problem> {
    let listed = state
        .care
        .clone()
        .list_conversations(request(pb::ListConversationsRequest {}, &caller))
        .await
        .into_answer("care")?;
    let mut conversations = listed
        .conversations
        .iter()
        .map(|c| {
            Ok(Conversation {
                id: ClientId::parse_uuid(&c.client_id)?.to_string(),
                client_name: c.client_name.clone(),
                last_message: c.last_message.as_ref().map(message_json).transpose()?,
                unread: c.unread,
                can_write: c.can_write,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let names = super::auth::user_names(
        &state,
        &caller,
        conversations
            .iter()
            .filter_map(|c| c.last_message.as_ref())
            .map(|m| &m.sender_id),
    )
    .await;
    for m in conversations.iter_mut().filter_map(|c| c.last_message.as_mut()) {
        m.sender_name = m.sender_id.as_ref().and_then(|id| names.get(id).cloned());
    }
    let unread: i32 = listed.conversations.iter().map(|c| c.unread).sum();
    Ok(Json(Conversations { conversations, unread }))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, default)]
struct MessagesQuery {
    q: String,
    cursor: String,
    limit: Option<i32>,
}

/// `GET /api/messages/{client}?q=&cursor=&limit=`: newest first; `q`
/// searches the history.
#[utoipa::path(operation_id = "messages_messages", get, path = "/api/messages/{client}", tag = "messages", params(("client" = String, Path, description = "client"), MessagesQuery), responses((status = 200, description = "OK", body = Thread), crate::openapi::Problems))]
async fn messages(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(query): QueryParams<MessagesQuery>,
) -> Result<Json<Thread>, Problem> {
    let listed = state
        .care
        .clone()
        .list_messages(request(
            pb::ListMessagesRequest {
                client_id: conversation_path(&id)?,
                q: query.q,
                cursor: query.cursor,
                limit: query.limit.unwrap_or(0),
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    let mut messages = listed
        .messages
        .iter()
        .map(message_json)
        .collect::<Result<Vec<_>, _>>()?;
    let names = super::auth::user_names(&state, &caller, messages.iter().map(|m| &m.sender_id)).await;
    for m in &mut messages {
        m.sender_name = m.sender_id.as_ref().and_then(|id| names.get(id).cloned());
    }
    Ok(Json(Thread {
        messages,
        next_cursor: text(&listed.next_cursor),
        reads: listed.reads.iter().map(receipt_json).collect::<Result<Vec<_>, _>>()?,
        unread: listed.unread,
        can_write: listed.can_write,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewMessage {
    #[serde(default)]
    conversation_id: String,
    #[serde(default)]
    content: String,
    /// Documents of the client (`doc_…`), uploaded first.
    #[serde(default)]
    attachment_ids: Vec<String>,
}

/// `POST /api/messages` `{"conversation_id": "client_…", "content"}`
/// (`Idempotency-Key` honoured).
#[utoipa::path(operation_id = "messages_send", post, path = "/api/messages", tag = "messages", request_body = NewMessage, responses((status = 201, description = "OK", body = Sent), crate::openapi::Problems))]
async fn send(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewMessage>,
) -> Result<(axum::http::StatusCode, Json<Sent>), Problem> {
    let client = match body.conversation_id.trim() {
        "" => {
            return Err(Error::invalid("conversation_id", "is required: the client the conversation is about").into());
        }
        id => ClientId::parse_public_at("conversation_id", id)?.uuid().to_string(),
    };
    let call = keyed(
        request(
            pb::SendMessageRequest {
                client_id: client,
                content: body.content,
                attachment_ids: super::care::documents_fleet(&body.attachment_ids)?,
            },
            &caller,
        ),
        &headers,
    )?;
    let sent = state.care.clone().send_message(call).await.into_answer("care")?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(Sent {
            message: message_json(&sent)?,
        }),
    ))
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct ReadBody {
    message_id: String,
}

/// `POST /api/messages/{client}/read` `{"message_id"?}`: read up to a
/// message (the latest by default).
#[utoipa::path(operation_id = "messages_read", post, path = "/api/messages/{client}/read", tag = "messages", params(("client" = String, Path, description = "client")), responses((status = 200, description = "OK", body = Read), crate::openapi::Problems))]
async fn read(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    body: axum::body::Bytes,
) -> Result<Json<Read>, Problem> {
    // The body is optional: none reads up to the latest message.
    let body: ReadBody = match body.iter().all(u8::is_ascii_whitespace) {
        true => ReadBody::default(),
        false => serde_json::from_slice(&body)
            .map_err(|e| Error::invalid("body", format!("is not the JSON expected: {e}")))?,
    };
    let message_id = match body.message_id.trim() {
        "" => String::new(),
        m => MessageId::parse_public_at("message_id", m)?.uuid().to_string(),
    };
    let receipt = state
        .care
        .clone()
        .mark_read(request(
            pb::MarkReadRequest {
                client_id: conversation_path(&id)?,
                message_id,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(Json(Read {
        read: receipt_json(&receipt)?,
    }))
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(conversations, send, messages, read))]
pub struct Api;
