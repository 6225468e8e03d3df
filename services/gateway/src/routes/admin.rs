//! `/api/admin/*`: the organisation's users, invitations and audit trail,
//! for administrators.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::bus::timestamp;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem, QueryParams};
use attend_proto::identity::v1 as pb;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{text, unix_seconds};
use crate::AppState;
use crate::auth::SignedIn;
use crate::routes::auth::{User, user_json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/users", get(users))
        .route("/api/admin/users/{id}/deactivate", post(deactivate))
        .route("/api/admin/users/{id}/activate", post(activate))
        .route("/api/admin/invitations", post(invite))
        .route("/api/admin/audit", get(audit))
}

/// The organisation's users.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Users {
    pub users: Vec<User>,
}

#[utoipa::path(operation_id = "admin_users", get, path = "/api/admin/users", tag = "admin", responses((status = 200, description = "OK", body = Users), crate::openapi::Problems))]
async fn users(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Users>, Problem> {
    caller.require_permission(Permission::UsersManage)?;
    let list = state
        .identity
        .clone()
        .list_users(request(pb::ListUsersRequest {}, &caller))
        .await
        .into_answer("identity")?;
    Ok(Json(Users {
        users: list.users.iter().map(user_json).collect::<Result<Vec<_>, _>>()?,
    }))
}

async fn set_active(
    state: AppState,
    caller: attend_kit::grpc::Caller,
    id: String,
    active: bool,
) -> Result<Json<User>, Problem> {
    caller.require_permission(Permission::UsersManage)?;
    let user = state
        .identity
        .clone()
        .set_user_active(request(pb::SetUserActiveRequest { user_id: id, active }, &caller))
        .await
        .into_answer("identity")?;
    Ok(Json(user_json(&user)?))
}

#[utoipa::path(operation_id = "admin_deactivate", post, path = "/api/admin/users/{id}/deactivate", tag = "admin", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = User), crate::openapi::Problems))]
async fn deactivate(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<User>, Problem> {
    set_active(state, caller, id, false).await
}

#[utoipa::path(operation_id = "admin_activate", post, path = "/api/admin/users/{id}/activate", tag = "admin", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = User), crate::openapi::Problems))]
async fn activate(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<User>, Problem> {
    set_active(state, caller, id, true).await
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Invite {
    email: String,
    role: String,
    #[serde(default)]
    name: String,
}

/// An invitation to join the organisation, as sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub role: String,
    pub name: String,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

#[utoipa::path(operation_id = "admin_invite", post, path = "/api/admin/invitations", tag = "admin", request_body = Invite, responses((status = 201, description = "Invited", body = Invitation), crate::openapi::Problems))]
async fn invite(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    JsonBody(body): JsonBody<Invite>,
) -> Result<(StatusCode, Json<Invitation>), Problem> {
    caller.require_permission(Permission::UsersManage)?;
    let invitation = state
        .identity
        .clone()
        .create_invitation(request(
            pb::CreateInvitationRequest {
                email: body.email,
                role: body.role,
                name: body.name,
            },
            &caller,
        ))
        .await
        .into_answer("identity")?;
    Ok((
        StatusCode::CREATED,
        Json(Invitation {
            expires_at: unix_seconds(&invitation.expires_at),
            id: invitation.id,
            email: invitation.email,
            role: invitation.role,
            name: invitation.name,
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    /// RFC 3339.
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
    before: Option<String>,
}

fn instant(field: &str, text: Option<String>) -> Result<Option<prost_types::Timestamp>, Error> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map(|t| timestamp(t.with_timezone(&Utc)))
            .map_err(|_| {
                Error::invalid(
                    field,
                    format!("{t:?} is not an RFC 3339 time such as 2026-11-21T00:00:00Z"),
                )
            })
    })
    .transpose()
}

/// One entry of the audit trail.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: String,
    /// The acting user's id; null when no user acted.
    pub actor: Option<String>,
    pub actor_role: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// Unix seconds.
    pub occurred_at: Option<i64>,
    /// What the action carried (free-form; `{}` when there is nothing).
    #[schema(value_type = Object)]
    pub details: Value,
    /// The service that recorded it.
    pub source: String,
}

/// A page of the audit trail, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; null on the last.
    pub next_before: Option<String>,
}

#[utoipa::path(operation_id = "admin_audit", get, path = "/api/admin/audit", tag = "admin", params(AuditQuery), responses((status = 200, description = "OK", body = AuditPage), crate::openapi::Problems))]
async fn audit(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<AuditPage>, Problem> {
    caller.require_permission(Permission::AuditRead)?;
    let page = state
        .identity
        .clone()
        .list_audit(request(
            pb::ListAuditRequest {
                actor_user_id: q.actor.unwrap_or_default(),
                action: q.action.unwrap_or_default(),
                target_type: q.target_type.unwrap_or_default(),
                target_id: q.target_id.unwrap_or_default(),
                from: instant("from", q.from)?,
                to: instant("to", q.to)?,
                limit: q.limit.unwrap_or_default(),
                before: q.before.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("identity")?;
    let entries = page
        .entries
        .iter()
        .map(|e| AuditEntry {
            id: e.id.clone(),
            actor: text(&e.actor_user_id),
            actor_role: e.actor_role.clone(),
            action: e.action.clone(),
            target_type: e.target_type.clone(),
            target_id: e.target_id.clone(),
            occurred_at: unix_seconds(&e.occurred_at),
            details: serde_json::from_str::<Value>(&e.details_json).unwrap_or_else(|_| Value::Object(Map::new())),
            source: e.source.clone(),
        })
        .collect();
    Ok(Json(AuditPage {
        entries,
        next_before: text(&page.next_before),
    }))
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(users, deactivate, activate, invite, audit))]
pub struct Api;
