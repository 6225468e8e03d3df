//! `/api/sms/*`: sending an SMS (spec 000's `POST /api/sms/send`), the
//! organisation's templates with their live length and segments, and the
//! inbox of conversations.

use std::collections::BTreeMap;

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem, QueryParams};
use attend_kit::ids::{BookingId, ContactId, SmsId, TypedId, UserId};
use attend_proto::messaging::v1 as pb;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::bookings::keyed;
use super::{public_or_null, unix};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sms/send", post(send))
        .route("/api/sms/templates", get(templates))
        .route("/api/sms/templates/{id}", put(put_template))
        .route("/api/sms/templates/{id}/preview", post(preview))
        .route("/api/sms/conversations", get(conversations))
        .route("/api/sms/conversations/{contact_id}", get(conversation))
        .route("/api/sms/conversations/{contact_id}/read", post(read))
        .route("/api/sms/conversations/{contact_id}/assign", post(assign))
}

fn null_if_empty(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

fn measure_json(m: &Option<pb::TextMeasure>) -> Value {
    let m = m.clone().unwrap_or_default();
    json!({
        "encoding": m.encoding,
        "characters": m.characters,
        "units": m.units,
        "segments": m.segments,
    })
}

/// A message as the API shows it (spec 000's `sms_messages`, times as
/// Unix seconds).
pub fn message_json(m: &pb::SmsMessage) -> Result<Value, Error> {
    Ok(json!({
        "id": public_or_null::<SmsId>(&m.id)?,
        "contact_id": public_or_null::<ContactId>(&m.contact_id)?,
        "direction": m.direction,
        "to": m.to,
        "from": m.from,
        "message_text": m.body,
        "template_id": null_if_empty(&m.template_id),
        "purpose": null_if_empty(&m.purpose),
        "booking_id": public_or_null::<BookingId>(&m.booking_id)?,
        "status": m.status,
        "status_reason": null_if_empty(&m.status_reason),
        "classification": null_if_empty(&m.classification),
        "provider": null_if_empty(&m.provider),
        "provider_message_id": null_if_empty(&m.provider_message_id),
        "encoding": null_if_empty(&m.encoding),
        "segments": m.segments,
        "created_at": unix(&m.created_at),
        "send_at": unix(&m.send_at),
        "sent_at": unix(&m.sent_at),
        "delivered_at": unix(&m.delivered_at),
        "received_at": unix(&m.received_at),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Send {
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    to: String,
    /// Spec 000's field: the text to send.
    #[serde(default)]
    message: String,
    #[serde(default)]
    template_id: String,
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    booking_id: String,
}

/// Reads an optional public id into the fleet's UUID form.
fn uuid_of<T: TypedId>(field: &str, text: &str) -> Result<String, Error> {
    match text.trim() {
        "" => Ok(String::new()),
        raw => Ok(T::parse_public_at(field, raw)?.uuid().to_string()),
    }
}

async fn send(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Send>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    caller.require_permission(Permission::MessagesSend)?;
    let call = keyed(
        request(
            pb::SendSmsRequest {
                contact_id: uuid_of::<ContactId>("contact_id", &body.contact_id)?,
                to: body.to,
                template_id: body.template_id,
                values: body.values,
                body: body.message,
                purpose: body.purpose,
                booking_id: uuid_of::<BookingId>("booking_id", &body.booking_id)?,
                not_after: None,
            },
            &caller,
        ),
        &headers,
    )?;
    let sent = state.messaging.clone().send_sms(call).await.into_answer("messaging")?;
    let status = if sent.status == "queued" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({
            "success": matches!(sent.status.as_str(), "queued" | "sent" | "delivered"),
            "message_id": public_or_null::<SmsId>(&sent.id)?,
            "status": sent.status,
            "message": message_json(&sent)?,
        })),
    ))
}

fn template_json(t: &pb::Template) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "category": t.category,
        "content": t.content,
        "placeholders": t.placeholders,
        "purpose": t.purpose,
        "quiet_hours": t.quiet_hours,
        "character_count": t.measure.as_ref().map(|m| m.characters).unwrap_or_default(),
        "measure": measure_json(&t.measure),
        "updated_at": unix(&t.updated_at),
        "updated_by": t.updated_by,
    })
}

async fn templates(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::MessagesRead)?;
    let list = state
        .messaging
        .clone()
        .list_templates(request(pb::ListTemplatesRequest {}, &caller))
        .await
        .into_answer("messaging")?;
    Ok(Json(json!({
        "templates": list.templates.iter().map(template_json).collect::<Vec<_>>(),
        "placeholders": list
            .placeholders
            .iter()
            .map(|p| json!({"name": p.name, "description": p.description}))
            .collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBody {
    name: String,
    category: String,
    content: String,
    #[serde(default)]
    purpose: String,
    #[serde(default = "yes")]
    quiet_hours: bool,
}

fn yes() -> bool {
    true
}

async fn put_template(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<TemplateBody>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::SettingsManage)?;
    let saved = state
        .messaging
        .clone()
        .put_template(request(
            pb::PutTemplateRequest {
                id,
                name: body.name,
                category: body.category,
                content: body.content,
                purpose: body.purpose,
                quiet_hours: body.quiet_hours,
            },
            &caller,
        ))
        .await
        .into_answer("messaging")?;
    Ok(Json(template_json(&saved)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    content: String,
}

async fn preview(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<PreviewBody>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::MessagesRead)?;
    let shown = state
        .messaging
        .clone()
        .preview_template(request(
            pb::PreviewTemplateRequest {
                id,
                contact_id: uuid_of::<ContactId>("contact_id", &body.contact_id)?,
                values: body.values,
                content: body.content,
            },
            &caller,
        ))
        .await
        .into_answer("messaging")?;
    Ok(Json(json!({
        "body": shown.body,
        "measure": measure_json(&shown.measure),
        "missing": shown.missing,
    })))
}

fn conversation_json(c: &pb::Conversation) -> Result<Value, Error> {
    Ok(json!({
        "contact_id": public_or_null::<ContactId>(&c.contact_id)?,
        "last_message": c.last_message.as_ref().map(message_json).transpose()?,
        "unread": c.unread,
        "assigned_to": public_or_null::<UserId>(&c.assigned_to)?,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboxQuery {
    #[serde(default)]
    unread: bool,
    /// `me`, or a user id.
    assigned: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

async fn conversations(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<InboxQuery>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::MessagesRead)?;
    let assigned_to = match q.assigned.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some("me") => "me".to_owned(),
        Some(raw) => UserId::parse_public_at("assigned", raw)?.uuid().to_string(),
    };
    let page = state
        .messaging
        .clone()
        .list_conversations(request(
            pb::ListConversationsRequest {
                unread_only: q.unread,
                assigned_to,
                cursor: q.cursor.unwrap_or_default(),
                limit: q.limit.unwrap_or(0),
            },
            &caller,
        ))
        .await
        .into_answer("messaging")?;
    Ok(Json(json!({
        "conversations": page.conversations.iter().map(conversation_json).collect::<Result<Vec<_>, _>>()?,
        "next_cursor": null_if_empty(&page.next_cursor),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    cursor: Option<String>,
    limit: Option<u32>,
}

async fn conversation(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(contact_id): PathParam,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::MessagesRead)?;
    let found = state
        .messaging
        .clone()
        .get_conversation(request(
            pb::GetConversationRequest {
                contact_id: ContactId::parse_public_at("contact_id", &contact_id)?
                    .uuid()
                    .to_string(),
                cursor: page.cursor.unwrap_or_default(),
                limit: page.limit.unwrap_or(0),
            },
            &caller,
        ))
        .await
        .into_answer("messaging")?;
    Ok(Json(json!({
        "conversation": found.conversation.as_ref().map(conversation_json).transpose()?,
        "messages": found.messages.iter().map(message_json).collect::<Result<Vec<_>, _>>()?,
        "next_cursor": null_if_empty(&found.next_cursor),
    })))
}

async fn read(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(contact_id): PathParam,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::MessagesSend)?;
    let done = state
        .messaging
        .clone()
        .mark_conversation_read(request(
            pb::MarkConversationReadRequest {
                contact_id: ContactId::parse_public_at("contact_id", &contact_id)?
                    .uuid()
                    .to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("messaging")?;
    Ok(Json(conversation_json(&done)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assign {
    /// A user id, or null for nobody.
    user_id: Option<String>,
}

async fn assign(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(contact_id): PathParam,
    JsonBody(body): JsonBody<Assign>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::MessagesSend)?;
    let user_id = match body.user_id.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(raw) => UserId::parse_public_at("user_id", raw)?.uuid().to_string(),
    };
    let done = state
        .messaging
        .clone()
        .assign_conversation(request(
            pb::AssignConversationRequest {
                contact_id: ContactId::parse_public_at("contact_id", &contact_id)?
                    .uuid()
                    .to_string(),
                user_id,
            },
            &caller,
        ))
        .await
        .into_answer("messaging")?;
    Ok(Json(conversation_json(&done)?))
}
