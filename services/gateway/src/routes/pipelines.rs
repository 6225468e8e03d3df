//! `/api/pipelines` and a contact's place in them: the pipelines with
//! their stages and allowed moves, moving a contact
//! (`POST /api/contacts/{id}/stage`) and adjusting its warmness
//! (`POST /api/contacts/{id}/warmness`).

use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem};
use attend_kit::ids::{ContactId, TypedId};
use attend_proto::contact::v1 as contact;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::bookings::keyed;
use super::contacts::contact_json;
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/pipelines", get(list))
        .route("/api/contacts/{id}/stage", post(move_contact))
        .route("/api/contacts/{id}/warmness", post(adjust_warmness))
}

fn pipeline_json(p: &contact::Pipeline) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "stages": p.stages.iter().map(|s| json!({ "id": s.id, "name": s.name, "next": s.next })).collect::<Vec<_>>(),
        "entry_stages": p.entry_stages,
    })
}

/// `GET /api/pipelines`: every pipeline, its stages in board order, where
/// each stage may move, and where a pipeline may be entered.
async fn list(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsRead)?;
    let found = state
        .contacts
        .clone()
        .list_pipelines(request(contact::ListPipelinesRequest {}, &caller))
        .await
        .into_answer("contact")?;
    Ok(Json(
        json!({ "pipelines": found.pipelines.iter().map(pipeline_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stage {
    /// Absent: the contact's own pipeline.
    #[serde(default)]
    pipeline: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    cause: String,
}

/// `POST /api/contacts/{id}/stage`: moves the contact along an allowed
/// transition (409 naming both stages otherwise).
async fn move_contact(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Stage>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsWrite)?;
    let id = ContactId::parse_public_at("id", &id)?;
    let call = keyed(
        request(
            contact::MoveContactRequest {
                contact_id: id.uuid().to_string(),
                pipeline: body.pipeline,
                stage: body.stage,
                cause: body.cause,
            },
            &caller,
        ),
        &headers,
    )?;
    let moved = state.contacts.clone().move_contact(call).await.into_answer("contact")?;
    Ok(Json(json!({ "success": true, "contact": contact_json(&moved)? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Adjustment {
    #[serde(default)]
    delta: i32,
    #[serde(default)]
    reason: String,
}

/// `POST /api/contacts/{id}/warmness`: adds a delta with its reason to the
/// contact's score; the breakdown lists it.
async fn adjust_warmness(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Adjustment>,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::ContactsWrite)?;
    let id = ContactId::parse_public_at("id", &id)?;
    let call = keyed(
        request(
            contact::AdjustWarmnessRequest {
                contact_id: id.uuid().to_string(),
                delta: body.delta,
                reason: body.reason,
            },
            &caller,
        ),
        &headers,
    )?;
    let adjusted = state
        .contacts
        .clone()
        .adjust_warmness(call)
        .await
        .into_answer("contact")?;
    Ok(Json(json!({ "success": true, "contact": contact_json(&adjusted)? })))
}
