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
use serde::{Deserialize, Serialize};

use super::bookings::keyed;
use super::contacts::ContactChanged;
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/pipelines", get(list))
        .route("/api/contacts/{id}/stage", post(move_contact))
        .route("/api/contacts/{id}/warmness", post(adjust_warmness))
}

/// A stage of a pipeline, and where a contact in it may move.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PipelineStage {
    pub id: String,
    pub name: String,
    /// The stages (ids) a contact here may move to.
    pub next: Vec<String>,
}

/// A pipeline with its stages in board order.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Pipeline {
    pub id: String,
    pub name: String,
    pub stages: Vec<PipelineStage>,
    /// The stages (ids) a contact may enter the pipeline at.
    pub entry_stages: Vec<String>,
}

/// Every pipeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Pipelines {
    pub pipelines: Vec<Pipeline>,
}

fn pipeline_json(p: &contact::Pipeline) -> Pipeline {
    Pipeline {
        id: p.id.clone(),
        name: p.name.clone(),
        stages: p
            .stages
            .iter()
            .map(|s| PipelineStage {
                id: s.id.clone(),
                name: s.name.clone(),
                next: s.next.clone(),
            })
            .collect(),
        entry_stages: p.entry_stages.clone(),
    }
}

/// `GET /api/pipelines`: every pipeline, its stages in board order, where
/// each stage may move, and where a pipeline may be entered.
#[utoipa::path(operation_id = "pipelines_list", get, path = "/api/pipelines", tag = "pipelines", responses((status = 200, description = "OK", body = Pipelines), crate::openapi::Problems))]
async fn list(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Pipelines>, Problem> {
    caller.require_permission(Permission::ContactsRead)?;
    let found = state
        .contacts
        .clone()
        .list_pipelines(request(contact::ListPipelinesRequest {}, &caller))
        .await
        .into_answer("contact")?;
    Ok(Json(Pipelines {
        pipelines: found.pipelines.iter().map(pipeline_json).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
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
#[utoipa::path(operation_id = "pipelines_move_contact", post, path = "/api/contacts/{id}/stage", tag = "pipelines", params(("id" = String, Path, description = "id")), request_body = Stage, responses((status = 200, description = "OK", body = ContactChanged), crate::openapi::Problems))]
async fn move_contact(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Stage>,
) -> Result<Json<ContactChanged>, Problem> {
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
    Ok(ContactChanged::json(&moved)?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Adjustment {
    #[serde(default)]
    delta: i32,
    #[serde(default)]
    reason: String,
}

/// `POST /api/contacts/{id}/warmness`: adds a delta with its reason to the
/// contact's score; the breakdown lists it.
#[utoipa::path(operation_id = "pipelines_adjust_warmness", post, path = "/api/contacts/{id}/warmness", tag = "pipelines", params(("id" = String, Path, description = "id")), request_body = Adjustment, responses((status = 200, description = "OK", body = ContactChanged), crate::openapi::Problems))]
async fn adjust_warmness(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Adjustment>,
) -> Result<Json<ContactChanged>, Problem> {
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
    Ok(ContactChanged::json(&adjusted)?)
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, move_contact, adjust_warmness))]
pub struct Api;
