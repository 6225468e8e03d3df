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
use serde::Deserialize;
use serde_json::{Value, json};

use super::unix;
use crate::AppState;
use crate::auth::SignedIn;
use crate::routes::auth::user_json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/users", get(users))
        .route("/api/admin/users/{id}/deactivate", post(deactivate))
        .route("/api/admin/users/{id}/activate", post(activate))
        .route("/api/admin/invitations", post(invite))
        .route("/api/admin/audit", get(audit))
}

async fn users(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::UsersManage)?;
    let list = state
        .identity
        .clone()
        .list_users(request(pb::ListUsersRequest {}, &caller))
        .await
        .into_answer("identity")?;
    Ok(Json(json!({
        "users": list.users.iter().map(user_json).collect::<Result<Vec<_>, _>>()?,
    })))
}

async fn set_active(
    state: AppState,
    caller: attend_kit::grpc::Caller,
    id: String,
    active: bool,
) -> Result<Json<Value>, Problem> {
    caller.require_permission(Permission::UsersManage)?;
    let user = state
        .identity
        .clone()
        .set_user_active(request(pb::SetUserActiveRequest { user_id: id, active }, &caller))
        .await
        .into_answer("identity")?;
    Ok(Json(user_json(&user)?))
}

async fn deactivate(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    set_active(state, caller, id, false).await
}

async fn activate(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
    set_active(state, caller, id, true).await
}

#[derive(Deserialize)]
struct Invite {
    email: String,
    role: String,
    #[serde(default)]
    name: String,
}

async fn invite(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    JsonBody(body): JsonBody<Invite>,
) -> Result<(StatusCode, Json<Value>), Problem> {
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
        Json(json!({
            "id": invitation.id,
            "email": invitation.email,
            "role": invitation.role,
            "name": invitation.name,
            "expires_at": unix(&invitation.expires_at),
        })),
    ))
}

#[derive(Deserialize)]
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

async fn audit(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<Value>, Problem> {
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
    let entries: Vec<Value> = page
        .entries
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "actor": if e.actor_user_id.is_empty() { Value::Null } else { json!(e.actor_user_id) },
                "actor_role": e.actor_role,
                "action": e.action,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "occurred_at": unix(&e.occurred_at),
                "details": serde_json::from_str::<Value>(&e.details_json).unwrap_or_else(|_| json!({})),
                "source": e.source,
            })
        })
        .collect();
    Ok(Json(json!({
        "entries": entries,
        "next_before": if page.next_before.is_empty() { Value::Null } else { json!(page.next_before) },
    })))
}
