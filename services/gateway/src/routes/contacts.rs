//! `/api/contacts`: find, list, create, change, show (with the timeline a
//! page at a time), likely duplicates, merge and undo, in seed 000's
//! response shapes (times as Unix seconds).

use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem, QueryParams};
use attend_kit::ids::{ContactId, MergeId, TouchpointId, TypedId};
use attend_kit::{Error, FieldError};
use attend_proto::automation::v1 as automation;
use attend_proto::booking::v1 as booking;
use attend_proto::contact::v1 as contact;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::bookings::keyed;
use super::unix;
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/contacts", get(list).post(create))
        .route("/api/contacts/{id}", get(show).patch(update))
        .route("/api/contacts/{id}/touchpoints", get(timeline))
        .route("/api/contacts/{id}/duplicates", get(duplicates))
        .route("/api/contacts/{id}/merge", post(merge))
        .route("/api/contacts/merges/{merge_id}/undo", post(undo_merge))
}

fn public<T: TypedId + std::fmt::Display>(uuid: &str) -> Result<String, Error> {
    Ok(T::parse_uuid(uuid)?.to_string())
}

fn empty_to_null(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

pub fn contact_json(c: &contact::Contact) -> Result<Value, Error> {
    let breakdown: Value = serde_json::from_str(&c.warmness_breakdown_json).unwrap_or_else(|_| json!({}));
    let merged_into = match c.merged_into.as_str() {
        "" => Value::Null,
        id => json!(public::<ContactId>(id)?),
    };
    Ok(json!({
        "id": public::<ContactId>(&c.id)?,
        "name": c.name,
        "phone": empty_to_null(&c.phone),
        "email": empty_to_null(&c.email),
        "source": c.source,
        "intent": empty_to_null(&c.intent),
        "current_pipeline": c.current_pipeline,
        "current_stage": c.current_stage,
        "warmness_score": c.warmness_score,
        "warmness_label": c.warmness_label,
        "warmness_breakdown": breakdown,
        "is_existing_patient": c.is_existing_patient,
        "merged_into": merged_into,
        "created_at": unix(&c.created_at),
        "updated_at": unix(&c.updated_at),
    }))
}

fn contacts_json(list: &[contact::Contact]) -> Result<Vec<Value>, Error> {
    list.iter().map(contact_json).collect()
}

fn touchpoint_json(t: &contact::Touchpoint) -> Result<Value, Error> {
    let details: Value = serde_json::from_str(&t.details_json).unwrap_or_else(|_| json!({}));
    Ok(json!({
        "id": public::<TouchpointId>(&t.id)?,
        "timestamp": unix(&t.occurred_at),
        "type": t.r#type,
        "source": t.source,
        "channel": empty_to_null(&t.channel),
        "details": details,
    }))
}

fn touchpoints_json(list: &[contact::Touchpoint]) -> Result<Vec<Value>, Error> {
    list.iter().map(touchpoint_json).collect()
}

#[derive(Deserialize)]
struct Page {
    cursor: Option<String>,
    limit: Option<u32>,
}

async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsRead)?;
    let uuid = ContactId::parse_public_at("id", &id)?.uuid().to_string();
    // The contact first: an id that isn't the caller's organisation's is a
    // 404 before any other service is asked (and audits a read of it).
    let found = state
        .contacts
        .clone()
        .get_contact(request(contact::GetContactRequest { id: uuid.clone() }, &caller))
        .await
        .into_answer("contact")?;
    // Tonic clients are cheap handles; each concurrent call needs its own.
    let (mut timeline, mut bookings, mut tasks) = (state.contacts.clone(), state.bookings.clone(), state.tasks.clone());
    let (touchpoints, bookings, tasks) = futures::join!(
        timeline.list_touchpoints(request(
            contact::ListTouchpointsRequest {
                contact_id: uuid.clone(),
                limit: page.limit.unwrap_or(50),
                cursor: page.cursor.unwrap_or_default(),
            },
            &caller
        )),
        bookings.list_bookings(request(
            booking::ListBookingsRequest {
                contact_id: uuid.clone()
            },
            &caller
        )),
        tasks.list_tasks(request(automation::ListTasksRequest { contact_id: uuid }, &caller)),
    );
    let touchpoints = touchpoints.into_answer("contact")?;
    let bookings = bookings.into_answer("booking")?;
    let tasks = tasks.into_answer("automation")?;
    Ok(Json(json!({
        "contact": contact_json(&found)?,
        "bookings": bookings.bookings.iter().map(super::bookings::booking_json).collect::<Result<Vec<_>, _>>()?,
        "touchpoints": touchpoints_json(&touchpoints.touchpoints)?,
        "touchpoints_next_cursor": empty_to_null(&touchpoints.next_cursor),
        "tasks": tasks.tasks.iter().map(super::tasks::task_json).collect::<Result<Vec<_>, _>>()?,
    })))
}

/// `GET /api/contacts/{id}/touchpoints`: the timeline, a page at a time.
async fn timeline(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsRead)?;
    let found = state
        .contacts
        .clone()
        .list_touchpoints(request(
            contact::ListTouchpointsRequest {
                contact_id: ContactId::parse_public_at("id", &id)?.uuid().to_string(),
                limit: page.limit.unwrap_or(50),
                cursor: page.cursor.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("contact")?;
    Ok(Json(json!({
        "touchpoints": touchpoints_json(&found.touchpoints)?,
        "next_cursor": empty_to_null(&found.next_cursor),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    phone: Option<String>,
    email: Option<String>,
    pipeline: Option<String>,
    stage: Option<String>,
    source: Option<String>,
    min_warmness: Option<i32>,
    max_warmness: Option<i32>,
    q: Option<String>,
    sort: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /api/contacts`: by exact phone or email when given, else the
/// filtered list.
async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsRead)?;
    if q.phone.is_some() || q.email.is_some() {
        let found = state
            .contacts
            .clone()
            .find_contacts(request(
                contact::FindContactsRequest {
                    phone: q.phone.unwrap_or_default(),
                    email: q.email.unwrap_or_default(),
                },
                &caller,
            ))
            .await
            .into_answer("contact")?;
        return Ok(Json(
            json!({ "contacts": contacts_json(&found.contacts)?, "next_cursor": null }),
        ));
    }
    let found = state
        .contacts
        .clone()
        .list_contacts(request(
            contact::ListContactsRequest {
                pipeline: q.pipeline.unwrap_or_default(),
                stage: q.stage.unwrap_or_default(),
                source: q.source.unwrap_or_default(),
                min_warmness: q.min_warmness,
                max_warmness: q.max_warmness,
                q: q.q.unwrap_or_default(),
                sort: q.sort.unwrap_or_default(),
                limit: q.limit.unwrap_or(0),
                cursor: q.cursor.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("contact")?;
    Ok(Json(json!({
        "contacts": contacts_json(&found.contacts)?,
        "next_cursor": empty_to_null(&found.next_cursor),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewContact {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    intent: String,
}

/// `POST /api/contacts`: staff add a lead.
async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewContact>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    caller.require_permission(Permission::ContactsWrite)?;
    let call = keyed(
        request(
            contact::CreateContactRequest {
                name: body.name,
                phone: body.phone,
                email: body.email,
                source: body.source,
                intent: body.intent,
            },
            &caller,
        ),
        &headers,
    )?;
    let created = state
        .contacts
        .clone()
        .create_contact(call)
        .await
        .into_answer("contact")?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "success": true, "contact": contact_json(&created)? })),
    ))
}

/// A PATCH field: absent (`None`), cleared with null (`Some("")`) when
/// `nullable`, or a string.
fn patch_field(
    body: &Map<String, Value>,
    field: &str,
    nullable: bool,
    problems: &mut Vec<FieldError>,
) -> Option<String> {
    match body.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Null if nullable => Some(String::new()),
        Value::Null => {
            problems.push(FieldError::new(field, "can't be cleared"));
            None
        }
        _ => {
            problems.push(FieldError::new(field, "must be a string"));
            None
        }
    }
}

const PATCHABLE: [&str; 7] = [
    "name",
    "phone",
    "email",
    "source",
    "intent",
    "current_pipeline",
    "current_stage",
];

/// `PATCH /api/contacts/{id}`: changes the fields given; null clears
/// phone, email or intent.
async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsWrite)?;
    let id = ContactId::parse_public_at("id", &id)?;
    let mut problems: Vec<FieldError> = body
        .keys()
        .filter(|k| !PATCHABLE.contains(&k.as_str()))
        .map(|k| {
            FieldError::new(
                k.clone(),
                format!("is not a field you can change; use {}", PATCHABLE.join(", ")),
            )
        })
        .collect();
    let req = contact::UpdateContactRequest {
        id: id.uuid().to_string(),
        name: patch_field(&body, "name", false, &mut problems),
        phone: patch_field(&body, "phone", true, &mut problems),
        email: patch_field(&body, "email", true, &mut problems),
        source: patch_field(&body, "source", false, &mut problems),
        intent: patch_field(&body, "intent", true, &mut problems),
        current_pipeline: patch_field(&body, "current_pipeline", false, &mut problems),
        current_stage: patch_field(&body, "current_stage", false, &mut problems),
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems).into());
    }
    let updated = state
        .contacts
        .clone()
        .update_contact(request(req, &caller))
        .await
        .into_answer("contact")?;
    Ok(Json(json!({ "success": true, "contact": contact_json(&updated)? })))
}

/// `GET /api/contacts/{id}/duplicates`: contacts likely to be the same person.
async fn duplicates(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsRead)?;
    let found = state
        .contacts
        .clone()
        .find_duplicates(request(
            contact::FindDuplicatesRequest {
                contact_id: ContactId::parse_public_at("id", &id)?.uuid().to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("contact")?;
    let list = found
        .duplicates
        .iter()
        .map(|d| {
            let c = d.contact.as_ref().map(contact_json).transpose()?;
            Ok(json!({ "contact": c, "reasons": d.reasons }))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Json(json!({ "duplicates": list })))
}

fn merge_json(m: &contact::Merge) -> Result<Value, Error> {
    Ok(json!({
        "id": public::<MergeId>(&m.id)?,
        "survivor": m.survivor.as_ref().map(contact_json).transpose()?,
        "merged": m.merged.as_ref().map(contact_json).transpose()?,
        "moved_touchpoints": m.moved_touchpoints,
        "merged_at": unix(&m.merged_at),
        "undone_at": unix(&m.undone_at),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    /// The duplicate to fold into the contact in the path.
    merged_id: String,
}

/// `POST /api/contacts/{id}/merge`: folds `merged_id` into this contact.
async fn merge(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<MergeBody>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsWrite)?;
    let survivor = ContactId::parse_public_at("id", &id)?;
    let merged = ContactId::parse_public_at("merged_id", &body.merged_id)?;
    let call = keyed(
        request(
            contact::MergeContactsRequest {
                survivor_id: survivor.uuid().to_string(),
                merged_id: merged.uuid().to_string(),
            },
            &caller,
        ),
        &headers,
    )?;
    let done = state
        .contacts
        .clone()
        .merge_contacts(call)
        .await
        .into_answer("contact")?;
    Ok(Json(json!({ "success": true, "merge": merge_json(&done)? })))
}

/// `POST /api/contacts/merges/{merge_id}/undo`.
async fn undo_merge(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(merge_id): PathParam,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsWrite)?;
    let id = MergeId::parse_public_at("merge_id", &merge_id)?;
    let done = state
        .contacts
        .clone()
        .undo_merge(request(
            contact::UndoMergeRequest {
                merge_id: id.uuid().to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("contact")?;
    Ok(Json(json!({ "success": true, "merge": merge_json(&done)? })))
}
