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
use serde::{Deserialize, Serialize};

use super::bookings::keyed;
use super::{public_id, text, unix_seconds};
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

/// How long a text is as an SMS.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsMeasure {
    /// `gsm7` or `ucs2`.
    pub encoding: String,
    pub characters: u32,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: u32,
    /// How many SMS the text is sent as.
    pub segments: u32,
}

fn measure_json(m: &Option<pb::TextMeasure>) -> SmsMeasure {
    let m = m.clone().unwrap_or_default();
    SmsMeasure {
        encoding: m.encoding,
        characters: m.characters,
        units: m.units,
        segments: m.segments,
    }
}

/// An SMS as the API shows it (spec 000's `sms_messages`, times as Unix
/// seconds).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsMessage {
    /// `sms_…`.
    pub id: Option<String>,
    /// `contact_…`.
    pub contact_id: Option<String>,
    /// `outbound` or `inbound`.
    pub direction: String,
    /// E.164.
    pub to: String,
    /// E.164 or a sender id.
    pub from: String,
    pub message_text: String,
    pub template_id: Option<String>,
    pub purpose: Option<String>,
    /// `booking_…`.
    pub booking_id: Option<String>,
    /// `queued`, `sending`, `unconfirmed`, `sent`, `delivered`, `failed`,
    /// `received`, `blocked` (opted out) or `skipped` (quiet hours would
    /// send it too late).
    pub status: String,
    pub status_reason: Option<String>,
    /// Inbound: what the reply means (`confirm`, `cancel`, `reschedule`,
    /// `stop`, `start`, `help`, `other`).
    pub classification: Option<String>,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    /// `gsm7` or `ucs2`.
    pub encoding: Option<String>,
    /// The parts a provider bills.
    pub segments: u32,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// When it may go (the end of quiet hours, when it fell inside them),
    /// Unix seconds.
    pub send_at: Option<i64>,
    /// Unix seconds.
    pub sent_at: Option<i64>,
    /// Unix seconds.
    pub delivered_at: Option<i64>,
    /// Unix seconds.
    pub received_at: Option<i64>,
}

/// A message as the API shows it (spec 000's `sms_messages`, times as
/// Unix seconds).
pub fn message_json(m: &pb::SmsMessage) -> Result<SmsMessage, Error> {
    Ok(SmsMessage {
        id: public_id::<SmsId>(&m.id)?,
        contact_id: public_id::<ContactId>(&m.contact_id)?,
        direction: m.direction.clone(),
        to: m.to.clone(),
        from: m.from.clone(),
        message_text: m.body.clone(),
        template_id: text(&m.template_id),
        purpose: text(&m.purpose),
        booking_id: public_id::<BookingId>(&m.booking_id)?,
        status: m.status.clone(),
        status_reason: text(&m.status_reason),
        classification: text(&m.classification),
        provider: text(&m.provider),
        provider_message_id: text(&m.provider_message_id),
        encoding: text(&m.encoding),
        segments: m.segments,
        created_at: unix_seconds(&m.created_at),
        send_at: unix_seconds(&m.send_at),
        sent_at: unix_seconds(&m.sent_at),
        delivered_at: unix_seconds(&m.delivered_at),
        received_at: unix_seconds(&m.received_at),
    })
}

/// Spec 000's answer to `POST /api/sms/send`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsSent {
    /// True when the message is queued, sent or delivered.
    pub success: bool,
    /// `sms_…`.
    pub message_id: Option<String>,
    /// As `message.status`; `queued` answers 202.
    pub status: String,
    pub message: SmsMessage,
}

#[derive(Deserialize, utoipa::ToSchema)]
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

#[utoipa::path(operation_id = "sms_send", post, path = "/api/sms/send", tag = "sms", request_body = Send, responses((status = 200, description = "Sent (or refused: see `status`)", body = SmsSent), (status = 202, description = "Queued to send later", body = SmsSent), crate::openapi::Problems))]
async fn send(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Send>,
) -> Result<(StatusCode, Json<SmsSent>), Problem> {
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
        Json(SmsSent {
            success: matches!(sent.status.as_str(), "queued" | "sent" | "delivered"),
            message_id: public_id::<SmsId>(&sent.id)?,
            message: message_json(&sent)?,
            status: sent.status,
        }),
    ))
}

/// An SMS template of the organisation's.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsTemplate {
    pub id: String,
    pub name: String,
    pub category: String,
    /// The text, with `{placeholder}`s.
    pub content: String,
    /// The placeholders the content uses.
    pub placeholders: Vec<String>,
    pub purpose: String,
    /// Whether the organisation's quiet hours hold its sends back.
    pub quiet_hours: bool,
    /// The content's length in characters (as `measure.characters`).
    pub character_count: u32,
    pub measure: SmsMeasure,
    /// Unix seconds.
    pub updated_at: Option<i64>,
    pub updated_by: String,
}

fn template_json(t: &pb::Template) -> SmsTemplate {
    SmsTemplate {
        id: t.id.clone(),
        name: t.name.clone(),
        category: t.category.clone(),
        content: t.content.clone(),
        placeholders: t.placeholders.clone(),
        purpose: t.purpose.clone(),
        quiet_hours: t.quiet_hours,
        character_count: t.measure.as_ref().map(|m| m.characters).unwrap_or_default(),
        measure: measure_json(&t.measure),
        updated_at: unix_seconds(&t.updated_at),
        updated_by: t.updated_by.clone(),
    }
}

/// A placeholder a template may use.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsPlaceholder {
    pub name: String,
    /// What it holds.
    pub description: String,
}

/// The organisation's templates, and every placeholder they may use.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsTemplates {
    pub templates: Vec<SmsTemplate>,
    pub placeholders: Vec<SmsPlaceholder>,
}

#[utoipa::path(operation_id = "sms_templates", get, path = "/api/sms/templates", tag = "sms", responses((status = 200, description = "OK", body = SmsTemplates), crate::openapi::Problems))]
async fn templates(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<SmsTemplates>, Problem> {
    caller.require_permission(Permission::MessagesRead)?;
    let list = state
        .messaging
        .clone()
        .list_templates(request(pb::ListTemplatesRequest {}, &caller))
        .await
        .into_answer("messaging")?;
    Ok(Json(SmsTemplates {
        templates: list.templates.iter().map(template_json).collect(),
        placeholders: list
            .placeholders
            .into_iter()
            .map(|p| SmsPlaceholder {
                name: p.name,
                description: p.description,
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
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

#[utoipa::path(operation_id = "sms_put_template", put, path = "/api/sms/templates/{id}", tag = "sms", params(("id" = String, Path, description = "id")), request_body = TemplateBody, responses((status = 200, description = "OK", body = SmsTemplate), crate::openapi::Problems))]
async fn put_template(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<TemplateBody>,
) -> Result<Json<SmsTemplate>, Problem> {
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

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    content: String,
}

#[utoipa::path(operation_id = "sms_preview", post, path = "/api/sms/templates/{id}/preview", tag = "sms", params(("id" = String, Path, description = "id")), request_body = PreviewBody, responses((status = 200, description = "OK", body = SmsPreview), crate::openapi::Problems))]
async fn preview(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<PreviewBody>,
) -> Result<Json<SmsPreview>, Problem> {
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
    Ok(Json(SmsPreview {
        measure: measure_json(&shown.measure),
        body: shown.body,
        missing: shown.missing,
    }))
}

/// A template (or draft) filled in, and how long it is.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsPreview {
    pub body: String,
    pub measure: SmsMeasure,
    /// Placeholders no value was found for; the body shows them as `{name}`.
    pub missing: Vec<String>,
}

/// A contact's SMS conversation in the inbox.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsConversation {
    /// `contact_…`.
    pub contact_id: Option<String>,
    /// The contact's name; null when it can't be read (a merged contact,
    /// a caller who may not read contacts).
    pub contact_name: Option<String>,
    pub last_message: Option<SmsMessage>,
    /// Inbound messages not yet read.
    pub unread: u32,
    /// `user_…`; null when nobody is.
    pub assigned_to: Option<String>,
}

fn conversation_json(c: &pb::Conversation) -> Result<SmsConversation, Error> {
    Ok(SmsConversation {
        contact_id: public_id::<ContactId>(&c.contact_id)?,
        contact_name: None,
        last_message: c.last_message.as_ref().map(message_json).transpose()?,
        unread: c.unread,
        assigned_to: public_id::<UserId>(&c.assigned_to)?,
    })
}

/// A page of the SMS inbox, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsInbox {
    pub conversations: Vec<SmsConversation>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// One contact's SMS conversation, a page of messages at a time.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SmsThread {
    pub conversation: Option<SmsConversation>,
    pub messages: Vec<SmsMessage>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct InboxQuery {
    #[serde(default)]
    unread: bool,
    /// `me`, or a user id.
    assigned: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

#[utoipa::path(operation_id = "sms_conversations", get, path = "/api/sms/conversations", tag = "sms", params(InboxQuery), responses((status = 200, description = "OK", body = SmsInbox), crate::openapi::Problems))]
async fn conversations(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<InboxQuery>,
) -> Result<Json<SmsInbox>, Problem> {
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
    let mut conversations = page
        .conversations
        .iter()
        .map(conversation_json)
        .collect::<Result<Vec<_>, _>>()?;
    let names = super::contacts::names(&state, &caller, conversations.iter().map(|c| &c.contact_id)).await;
    for c in &mut conversations {
        c.contact_name = c.contact_id.as_ref().and_then(|id| names.get(id).cloned());
    }
    Ok(Json(SmsInbox {
        conversations,
        next_cursor: text(&page.next_cursor),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct Page {
    cursor: Option<String>,
    limit: Option<u32>,
}

#[utoipa::path(operation_id = "sms_conversation", get, path = "/api/sms/conversations/{contact_id}", tag = "sms", params(("contact_id" = String, Path, description = "contact id"), Page), responses((status = 200, description = "OK", body = SmsThread), crate::openapi::Problems))]
async fn conversation(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(contact_id): PathParam,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<SmsThread>, Problem> {
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
    Ok(Json(SmsThread {
        conversation: found.conversation.as_ref().map(conversation_json).transpose()?,
        messages: found.messages.iter().map(message_json).collect::<Result<Vec<_>, _>>()?,
        next_cursor: text(&found.next_cursor),
    }))
}

#[utoipa::path(operation_id = "sms_read", post, path = "/api/sms/conversations/{contact_id}/read", tag = "sms", params(("contact_id" = String, Path, description = "contact id")), responses((status = 200, description = "OK", body = SmsConversation), crate::openapi::Problems))]
async fn read(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(contact_id): PathParam,
) -> Result<Json<SmsConversation>, Problem> {
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Assign {
    /// A user id, or null for nobody.
    user_id: Option<String>,
}

#[utoipa::path(operation_id = "sms_assign", post, path = "/api/sms/conversations/{contact_id}/assign", tag = "sms", params(("contact_id" = String, Path, description = "contact id")), request_body = Assign, responses((status = 200, description = "OK", body = SmsConversation), crate::openapi::Problems))]
async fn assign(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(contact_id): PathParam,
    JsonBody(body): JsonBody<Assign>,
) -> Result<Json<SmsConversation>, Problem> {
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

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(send, templates, put_template, preview, conversations, conversation, read, assign))]
pub struct Api;
