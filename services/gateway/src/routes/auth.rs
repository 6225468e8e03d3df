//! `/api/auth/*`: sign in and out, refresh, the signed-in user, password
//! reset, invitations. Endpoints that need no sign-in are limited per
//! client address; identity also throttles failed sign-ins per account.

use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, request};
use attend_kit::http::{JsonBody, Problem};
use attend_proto::identity::v1 as pb;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::unix;
use crate::AppState;
use crate::auth::SignedIn;
use crate::limits::ClientAddress;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/refresh", post(refresh))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me).put(update_me))
        .route("/api/auth/forgot-password", post(forgot_password))
        .route("/api/auth/reset-password", post(reset_password))
        .route("/api/auth/accept-invitation", post(accept_invitation))
}

/// A user as the API shows them.
pub fn user_json(user: &pb::User) -> Result<Value, attend_kit::Error> {
    use attend_kit::ids::{OrgId, TypedId, UserId};
    Ok(json!({
        "id": UserId::parse_uuid(&user.id)?.to_string(),
        "org_id": OrgId::parse_uuid(&user.org_id)?.to_string(),
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_active": user.is_active,
        "created_at": unix(&user.created_at),
        "last_login_at": unix(&user.last_login_at),
    }))
}

fn session_json(session: pb::LoginResponse) -> Result<Json<Value>, Problem> {
    let user = session
        .user
        .ok_or_else(|| attend_kit::Error::Internal(anyhow::anyhow!("identity answered without a user")))?;
    Ok(Json(json!({
        "access_token": session.access_token,
        "token_type": "Bearer",
        "expires_in": session.expires_in,
        "refresh_token": session.refresh_token,
        "refresh_expires_in": session.refresh_expires_in,
        "user": user_json(&user)?,
    })))
}

/// Refuses clients over their allowance on the sign-in endpoints.
fn limit(state: &AppState, client: ClientAddress) -> Result<(), Problem> {
    match client.0 {
        Some(ip) => state.limits.check_address(ip),
        None => Ok(()),
    }
}

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<Value>, Problem> {
    limit(&state, client)?;
    let session = state
        .identity
        .clone()
        .login(request(
            pb::LoginRequest {
                email: body.email,
                password: body.password,
                client_address: client.text(),
            },
            &Caller::anonymous(),
        ))
        .await
        .into_answer("identity")?;
    session_json(session)
}

#[derive(Deserialize)]
struct RefreshToken {
    refresh_token: String,
}

async fn refresh(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<RefreshToken>,
) -> Result<Json<Value>, Problem> {
    limit(&state, client)?;
    let session = state
        .identity
        .clone()
        .refresh(request(
            pb::RefreshRequest {
                refresh_token: body.refresh_token,
                client_address: client.text(),
            },
            &Caller::anonymous(),
        ))
        .await
        .into_answer("identity")?;
    session_json(session)
}

async fn logout(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<RefreshToken>,
) -> Result<StatusCode, Problem> {
    limit(&state, client)?;
    state
        .identity
        .clone()
        .logout(request(
            pb::LogoutRequest {
                refresh_token: body.refresh_token,
            },
            &Caller::anonymous(),
        ))
        .await
        .into_answer("identity")?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Value>, Problem> {
    let user = state
        .identity
        .clone()
        .get_me(request(pb::GetMeRequest {}, &caller))
        .await
        .into_answer("identity")?;
    Ok(Json(user_json(&user)?))
}

#[derive(Deserialize)]
struct UpdateMe {
    #[serde(default)]
    name: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn update_me(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    JsonBody(body): JsonBody<UpdateMe>,
) -> Result<Json<Value>, Problem> {
    let user = state
        .identity
        .clone()
        .update_me(request(
            pb::UpdateMeRequest {
                name: body.name,
                current_password: body.current_password,
                new_password: body.new_password,
            },
            &caller,
        ))
        .await
        .into_answer("identity")?;
    Ok(Json(user_json(&user)?))
}

#[derive(Deserialize)]
struct ForgotPassword {
    email: String,
}

async fn forgot_password(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<ForgotPassword>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    limit(&state, client)?;
    state
        .identity
        .clone()
        .request_password_reset(request(
            pb::RequestPasswordResetRequest {
                email: body.email,
                client_address: client.text(),
            },
            &Caller::anonymous(),
        ))
        .await
        .into_answer("identity")?;
    // The same answer whether or not the email has an account.
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "success": true,
            "detail": "if an account exists for that email, a link to reset its password is on its way",
        })),
    ))
}

#[derive(Deserialize)]
struct ResetPassword {
    token: String,
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<ResetPassword>,
) -> Result<Json<Value>, Problem> {
    limit(&state, client)?;
    state
        .identity
        .clone()
        .reset_password(request(
            pb::ResetPasswordRequest {
                token: body.token,
                new_password: body.password,
            },
            &Caller::anonymous(),
        ))
        .await
        .into_answer("identity")?;
    Ok(Json(json!({ "success": true })))
}

#[derive(Deserialize)]
struct AcceptInvitation {
    token: String,
    password: String,
    #[serde(default)]
    name: String,
}

async fn accept_invitation(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<AcceptInvitation>,
) -> Result<Json<Value>, Problem> {
    limit(&state, client)?;
    let session = state
        .identity
        .clone()
        .accept_invitation(request(
            pb::AcceptInvitationRequest {
                token: body.token,
                password: body.password,
                name: body.name,
                client_address: client.text(),
            },
            &Caller::anonymous(),
        ))
        .await
        .into_answer("identity")?;
    session_json(session)
}
