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
use serde::Deserialize;
use serde_json::{Value, json};

use super::bookings::keyed;
use super::{public_or_null, unix};
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

fn message_json(m: &pb::Message) -> Result<Value, Error> {
    Ok(json!({
        "id": MessageId::parse_uuid(&m.id)?.to_string(),
        "conversation_id": ClientId::parse_uuid(&m.client_id)?.to_string(),
        "sender_id": public_or_null::<UserId>(&m.sender_id)?,
        "sender_role": m.sender_role,
        "content": m.content,
        "created_at": unix(&m.created_at),
        "created_local": m.created_local,
        "attachment_ids": super::care::documents_public(&m.attachment_ids)?,
    }))
}

fn receipt_json(r: &pb::ReadReceipt) -> Result<Value, Error> {
    Ok(json!({
        "user_id": public_or_null::<UserId>(&r.user_id)?,
        "message_id": public_or_null::<MessageId>(&r.message_id)?,
        "read_at": unix(&r.read_at),
    }))
}

/// `GET /api/messages`: the caller's conversations, newest first, with unread counts.
async fn conversations(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Value>, Problem> {
    let listed = state
        .care
        .clone()
        .list_conversations(request(pb::ListConversationsRequest {}, &caller))
        .await
        .into_answer("care")?;
    let conversations = listed
        .conversations
        .iter()
        .map(|c| {
            Ok(json!({
                "id": ClientId::parse_uuid(&c.client_id)?.to_string(),
                "client_name": c.client_name,
                "last_message": match &c.last_message { Some(m) => message_json(m)?, None => Value::Null },
                "unread": c.unread,
                "can_write": c.can_write,
            }))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let unread: i32 = listed.conversations.iter().map(|c| c.unread).sum();
    Ok(Json(json!({ "conversations": conversations, "unread": unread })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct MessagesQuery {
    q: String,
    cursor: String,
    limit: Option<i32>,
}

/// `GET /api/messages/{client}?q=&cursor=&limit=`: newest first; `q`
/// searches the history.
async fn messages(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(query): QueryParams<MessagesQuery>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({
        "messages": listed.messages.iter().map(message_json).collect::<Result<Vec<_>, _>>()?,
        "next_cursor": if listed.next_cursor.is_empty() { Value::Null } else { json!(listed.next_cursor) },
        "reads": listed.reads.iter().map(receipt_json).collect::<Result<Vec<_>, _>>()?,
        "unread": listed.unread,
        "can_write": listed.can_write,
    })))
}

#[derive(Deserialize)]
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
async fn send(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewMessage>,
) -> Result<(axum::http::StatusCode, Json<Value>), Problem> {
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
        Json(json!({ "message": message_json(&sent)? })),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct ReadBody {
    message_id: String,
}

/// `POST /api/messages/{client}/read` `{"message_id"?}`: read up to a
/// message (the latest by default).
async fn read(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    body: axum::body::Bytes,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "read": receipt_json(&receipt)? })))
}
