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
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::bookings::{Booking, keyed};
use super::tasks::Task;
use super::{public_id, text, unix_seconds};
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

/// A contact as the API shows it (seed 000's shape, times as Unix seconds).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Contact {
    /// `contact_…`.
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub source: String,
    pub intent: Option<String>,
    pub current_pipeline: String,
    pub current_stage: String,
    /// 0–100.
    pub warmness_score: i32,
    /// `HOT`, `WARM` or `COOL`.
    pub warmness_label: String,
    /// How the score was reached, as the contact service computed it
    /// (free-form; `{}` when there is none).
    #[schema(value_type = Object)]
    pub warmness_breakdown: Value,
    pub is_existing_patient: bool,
    /// `contact_…` this contact was merged into; null unless merged.
    pub merged_into: Option<String>,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// Unix seconds.
    pub updated_at: Option<i64>,
}

/// JSON text from another service, or `{}` when it is not JSON.
fn object_or_empty(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::Object(Map::new()))
}

pub fn contact_json(c: &contact::Contact) -> Result<Contact, Error> {
    Ok(Contact {
        id: public::<ContactId>(&c.id)?,
        name: c.name.clone(),
        phone: text(&c.phone),
        email: text(&c.email),
        source: c.source.clone(),
        intent: text(&c.intent),
        current_pipeline: c.current_pipeline.clone(),
        current_stage: c.current_stage.clone(),
        warmness_score: c.warmness_score,
        warmness_label: c.warmness_label.clone(),
        warmness_breakdown: object_or_empty(&c.warmness_breakdown_json),
        is_existing_patient: c.is_existing_patient,
        merged_into: public_id::<ContactId>(&c.merged_into)?,
        created_at: unix_seconds(&c.created_at),
        updated_at: unix_seconds(&c.updated_at),
    })
}

fn contacts_json(list: &[contact::Contact]) -> Result<Vec<Contact>, Error> {
    list.iter().map(contact_json).collect()
}

/// The names of the contacts of a list another service keeps (SMS
/// conversations, rule runs), by public id, in one call per 200. A list
/// still shows without them: a caller who may not read contacts, or a
/// contact service that doesn't answer, gets no names (logged).
pub async fn names<'a>(
    state: &AppState,
    caller: &attend_kit::grpc::Caller,
    ids: impl IntoIterator<Item = &'a Option<String>>,
) -> std::collections::HashMap<String, String> {
    let wanted = super::distinct_uuids::<ContactId>(ids);
    let mut found = std::collections::HashMap::new();
    if caller.require_permission(Permission::ContactsRead).is_err() {
        return found;
    }
    for chunk in wanted.chunks(200) {
        let page = state
            .contacts
            .clone()
            .list_contacts(request(
                contact::ListContactsRequest {
                    ids: chunk.to_vec(),
                    limit: 200,
                    ..Default::default()
                },
                caller,
            ))
            .await
            .into_answer("contact");
        match page {
            Ok(page) => {
                for c in page.contacts {
                    if let Ok(id) = ContactId::parse_uuid(&c.id) {
                        found.insert(id.to_string(), c.name);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "contact names for a list"),
        }
    }
    found
}

/// One event on a contact's timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Touchpoint {
    /// `touchpoint_…`.
    pub id: String,
    /// When it happened, Unix seconds.
    pub timestamp: Option<i64>,
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    pub channel: Option<String>,
    /// What the event carried (free-form; `{}` when there is nothing).
    #[schema(value_type = Object)]
    pub details: Value,
}

fn touchpoint_json(t: &contact::Touchpoint) -> Result<Touchpoint, Error> {
    Ok(Touchpoint {
        id: public::<TouchpointId>(&t.id)?,
        timestamp: unix_seconds(&t.occurred_at),
        kind: t.r#type.clone(),
        source: t.source.clone(),
        channel: text(&t.channel),
        details: object_or_empty(&t.details_json),
    })
}

fn touchpoints_json(list: &[contact::Touchpoint]) -> Result<Vec<Touchpoint>, Error> {
    list.iter().map(touchpoint_json).collect()
}

/// A contact with everything about them: bookings, the first page of the
/// timeline and tasks.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactDetail {
    pub contact: Contact,
    pub bookings: Vec<Booking>,
    /// Newest first.
    pub touchpoints: Vec<Touchpoint>,
    /// Pass as `cursor` to `GET /api/contacts/{id}/touchpoints` for older
    /// events; null on the last page.
    pub touchpoints_next_cursor: Option<String>,
    pub tasks: Vec<Task>,
}

/// A page of a contact's timeline, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Timeline {
    pub touchpoints: Vec<Touchpoint>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A page of contacts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactList {
    pub contacts: Vec<Contact>,
    /// Pass as `cursor` for the next page; null on the last (and always
    /// when found by phone or email).
    pub next_cursor: Option<String>,
}

/// A contact after a change: `{"success": true, "contact": …}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactChanged {
    pub success: bool,
    pub contact: Contact,
}

impl ContactChanged {
    pub fn json(c: &contact::Contact) -> Result<Json<ContactChanged>, Error> {
        Ok(Json(ContactChanged {
            success: true,
            contact: contact_json(c)?,
        }))
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    cursor: Option<String>,
    limit: Option<u32>,
}

#[utoipa::path(operation_id = "contacts_show", get, path = "/api/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "id"), Page), responses((status = 200, description = "OK", body = ContactDetail), crate::openapi::Problems))]
async fn show(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<ContactDetail>, Problem> {
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
    Ok(Json(ContactDetail {
        contact: contact_json(&found)?,
        bookings: bookings
            .bookings
            .iter()
            .map(super::bookings::booking_json)
            .collect::<Result<Vec<_>, _>>()?,
        touchpoints: touchpoints_json(&touchpoints.touchpoints)?,
        touchpoints_next_cursor: text(&touchpoints.next_cursor),
        tasks: tasks
            .tasks
            .iter()
            .map(super::tasks::task_json)
            .collect::<Result<Vec<_>, _>>()?,
    }))
}

/// `GET /api/contacts/{id}/touchpoints`: the timeline, a page at a time.
#[utoipa::path(operation_id = "contacts_timeline", get, path = "/api/contacts/{id}/touchpoints", tag = "contacts", params(("id" = String, Path, description = "id"), Page), responses((status = 200, description = "OK", body = Timeline), crate::openapi::Problems))]
async fn timeline(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(page): QueryParams<Page>,
) -> Result<Json<Timeline>, Problem> {
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
    Ok(Json(Timeline {
        touchpoints: touchpoints_json(&found.touchpoints)?,
        next_cursor: text(&found.next_cursor),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    /// Only these contacts: up to 200 `contact_…` ids, comma-separated (to
    /// name the contacts of conversations or rule runs in one call).
    /// Merged contacts are not listed.
    ids: Option<String>,
}

/// Public contact ids, comma-separated, as the contact service's ids.
fn contact_ids(list: Option<&str>) -> Result<Vec<String>, Error> {
    list.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| Ok(ContactId::parse_public_at("ids", id)?.uuid().to_string()))
        .collect()
}

/// `GET /api/contacts`: by exact phone or email when given, else the
/// filtered list.
#[utoipa::path(operation_id = "contacts_list", get, path = "/api/contacts", tag = "contacts", params(ListQuery), responses((status = 200, description = "OK", body = ContactList), crate::openapi::Problems))]
async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ContactList>, Problem> {
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
        return Ok(Json(ContactList {
            contacts: contacts_json(&found.contacts)?,
            next_cursor: None,
        }));
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
                ids: contact_ids(q.ids.as_deref())?,
            },
            &caller,
        ))
        .await
        .into_answer("contact")?;
    Ok(Json(ContactList {
        contacts: contacts_json(&found.contacts)?,
        next_cursor: text(&found.next_cursor),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
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
#[utoipa::path(operation_id = "contacts_create", post, path = "/api/contacts", tag = "contacts", request_body = NewContact, responses((status = 201, description = "Created", body = ContactChanged), crate::openapi::Problems))]
async fn create(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewContact>,
) -> Result<(StatusCode, Json<ContactChanged>), Problem> {
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
    Ok((StatusCode::CREATED, ContactChanged::json(&created)?))
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

/// The fields `PATCH /api/contacts/{id}` may change: only those given
/// change; null clears phone, email or intent. Any other field is refused.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a description of the PATCH body, which is read field by field (`patch_field`)
pub struct ContactPatch {
    #[schema(value_type = String, required = false)]
    name: Option<String>,
    /// Null clears it.
    phone: Option<String>,
    /// Null clears it.
    email: Option<String>,
    #[schema(value_type = String, required = false)]
    source: Option<String>,
    /// Null clears it.
    intent: Option<String>,
    /// A pipeline's id (`GET /api/pipelines`).
    #[schema(value_type = String, required = false)]
    current_pipeline: Option<String>,
    /// A stage of that pipeline.
    #[schema(value_type = String, required = false)]
    current_stage: Option<String>,
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
#[utoipa::path(operation_id = "contacts_update", patch, path = "/api/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "id")), request_body = ContactPatch, responses((status = 200, description = "OK", body = ContactChanged), crate::openapi::Problems))]
async fn update(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Json<ContactChanged>, Problem> {
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
    Ok(ContactChanged::json(&updated)?)
}

/// `GET /api/contacts/{id}/duplicates`: contacts likely to be the same person.
#[utoipa::path(operation_id = "contacts_duplicates", get, path = "/api/contacts/{id}/duplicates", tag = "contacts", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = Duplicates), crate::openapi::Problems))]
async fn duplicates(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Duplicates>, Problem> {
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
            Ok(Duplicate {
                contact: d.contact.as_ref().map(contact_json).transpose()?,
                reasons: d.reasons.clone(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Json(Duplicates { duplicates: list }))
}

/// A contact likely to be the same person, and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Duplicate {
    pub contact: Option<Contact>,
    /// `same_email`, `same_name`, `similar_phone`.
    pub reasons: Vec<String>,
}

/// Contacts likely to be the same person as the one asked about.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Duplicates {
    pub duplicates: Vec<Duplicate>,
}

/// One merge of two contacts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactMerge {
    /// `merge_…`: pass to `POST /api/contacts/merges/{merge_id}/undo`.
    pub id: String,
    /// The contact that remains.
    pub survivor: Option<Contact>,
    /// The contact folded into the survivor.
    pub merged: Option<Contact>,
    /// Timeline entries moved to the survivor.
    pub moved_touchpoints: u32,
    /// Unix seconds.
    pub merged_at: Option<i64>,
    /// Unix seconds; null unless undone.
    pub undone_at: Option<i64>,
}

/// A merge after it was done or undone: `{"success": true, "merge": …}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MergeDone {
    pub success: bool,
    pub merge: ContactMerge,
}

fn merge_json(m: &contact::Merge) -> Result<Json<MergeDone>, Error> {
    Ok(Json(MergeDone {
        success: true,
        merge: ContactMerge {
            id: public::<MergeId>(&m.id)?,
            survivor: m.survivor.as_ref().map(contact_json).transpose()?,
            merged: m.merged.as_ref().map(contact_json).transpose()?,
            moved_touchpoints: m.moved_touchpoints,
            merged_at: unix_seconds(&m.merged_at),
            undone_at: unix_seconds(&m.undone_at),
        },
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    /// The duplicate to fold into the contact in the path.
    merged_id: String,
}

/// `POST /api/contacts/{id}/merge`: folds `merged_id` into this contact.
#[utoipa::path(operation_id = "contacts_merge", post, path = "/api/contacts/{id}/merge", tag = "contacts", params(("id" = String, Path, description = "id")), request_body = MergeBody, responses((status = 200, description = "OK", body = MergeDone), crate::openapi::Problems))]
async fn merge(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<MergeBody>,
) -> Result<Json<MergeDone>, Problem> {
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
    Ok(merge_json(&done)?)
}

/// `POST /api/contacts/merges/{merge_id}/undo`.
#[utoipa::path(operation_id = "contacts_undo_merge", post, path = "/api/contacts/merges/{merge_id}/undo", tag = "contacts", params(("merge_id" = String, Path, description = "merge id")), responses((status = 200, description = "OK", body = MergeDone), crate::openapi::Problems))]
async fn undo_merge(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(merge_id): PathParam,
) -> Result<Json<MergeDone>, Problem> {
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
    Ok(merge_json(&done)?)
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, show, update, timeline, duplicates, merge, undo_merge))]
pub struct Api;

#[cfg(test)]
mod tests {
    use super::*;

    /// Empty text is null, never absent; an unreadable breakdown is `{}`.
    #[test]
    fn a_contact_with_nothing_optional_shows_nulls_and_an_empty_breakdown() {
        let c = contact::Contact {
            id: "0190a6f2-7c1e-7d4a-9f3b-2a5c8e1d4b6f".to_owned(),
            name: "Ada".to_owned(),
            warmness_breakdown_json: "not json".to_owned(),
            ..Default::default()
        };
        let json = serde_json::to_value(contact_json(&c).unwrap()).unwrap();
        for field in ["phone", "email", "intent", "merged_into", "created_at", "updated_at"] {
            assert_eq!(json[field], Value::Null, "{field} in {json}");
        }
        assert_eq!(json["warmness_breakdown"], serde_json::json!({}));
        assert!(json["id"].as_str().unwrap().starts_with("contact_"), "{json}");
        assert_eq!(json.as_object().unwrap().len(), 15, "{json}");
    }
}
