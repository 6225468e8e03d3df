//! `/api/auth/*`: sign in and out, refresh, the signed-in user, password
//! reset, invitations. Endpoints that need no sign-in are limited per
//! client address; identity also throttles failed sign-ins per account.

use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, request};
use attend_kit::http::{JsonBody, Problem};
use attend_kit::ids::{OrgId, TypedId as _};
use attend_proto::identity::v1 as pb;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{Done, unix_seconds};
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
#[derive(Serialize, utoipa::ToSchema)]
pub struct User {
    /// `user_…`.
    pub id: String,
    /// `org_…`.
    pub org_id: String,
    pub email: String,
    pub name: String,
    /// `admin`, `staff`, `readonly`, `care_team`, `family` or `client`.
    pub role: String,
    pub is_active: bool,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// Unix seconds; absent before the first sign-in.
    pub last_login_at: Option<i64>,
}

/// The names of users of the caller's organisation by public id, to say
/// who wrote a care update or a message. A list still shows without them:
/// when identity doesn't answer, names are null (logged).
pub async fn user_names<'a>(
    state: &AppState,
    caller: &Caller,
    ids: impl IntoIterator<Item = &'a Option<String>>,
) -> std::collections::HashMap<String, String> {
    use attend_kit::ids::UserId;
    let mut found = std::collections::HashMap::new();
    for chunk in super::distinct_uuids::<UserId>(ids).chunks(200) {
        let answer = state
            .identity
            .clone()
            .list_user_names(request(pb::ListUserNamesRequest { ids: chunk.to_vec() }, caller))
            .await
            .into_answer("identity");
        match answer {
            Ok(list) => {
                for u in list.users {
                    if let Ok(id) = UserId::parse_uuid(&u.id) {
                        found.insert(id.to_string(), u.name);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "user names for a list"),
        }
    }
    found
}

/// A user as the API shows them.
pub fn user_json(user: &pb::User) -> Result<User, attend_kit::Error> {
    use attend_kit::ids::UserId;
    Ok(User {
        id: UserId::parse_uuid(&user.id)?.to_string(),
        org_id: OrgId::parse_uuid(&user.org_id)?.to_string(),
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role.clone(),
        is_active: user.is_active,
        created_at: unix_seconds(&user.created_at),
        last_login_at: unix_seconds(&user.last_login_at),
    })
}

/// A signed-in session: the access token (short-lived, sent as
/// `Authorization: Bearer`) and the refresh token that renews it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Session {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; rotate it at `/api/auth/refresh` before it expires. Using a
    /// rotated one again signs the user out everywhere.
    pub refresh_token: String,
    pub refresh_expires_in: i64,
    pub user: User,
}

fn session_json(session: pb::LoginResponse) -> Result<Json<Session>, Problem> {
    let user = session
        .user
        .ok_or_else(|| attend_kit::Error::Internal(anyhow::anyhow!("identity answered without a user")))?;
    Ok(Json(Session {
        access_token: session.access_token,
        token_type: "Bearer".to_owned(),
        expires_in: session.expires_in,
        refresh_token: session.refresh_token,
        refresh_expires_in: session.refresh_expires_in,
        user: user_json(&user)?,
    }))
}

/// Refuses clients over their allowance on the sign-in endpoints.
fn limit(state: &AppState, client: ClientAddress) -> Result<(), Problem> {
    match client.0 {
        Some(ip) => state.limits.check_address(ip),
        None => Ok(()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Login {
    email: String,
    password: String,
}

#[utoipa::path(operation_id = "auth_login", post, path = "/api/auth/login", tag = "auth", security(()), request_body = Login, responses((status = 200, description = "OK", body = Session), crate::openapi::Problems))]
async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<Session>, Problem> {
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

#[derive(Deserialize, utoipa::ToSchema)]
struct RefreshToken {
    refresh_token: String,
}

#[utoipa::path(operation_id = "auth_refresh", post, path = "/api/auth/refresh", tag = "auth", security(()), request_body = RefreshToken, responses((status = 200, description = "OK", body = Session), crate::openapi::Problems))]
async fn refresh(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<RefreshToken>,
) -> Result<Json<Session>, Problem> {
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

#[utoipa::path(operation_id = "auth_logout", post, path = "/api/auth/logout", tag = "auth", security(()), request_body = RefreshToken, responses((status = 204, description = "Signed out; the refresh token no longer works"), crate::openapi::Problems))]
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

/// The organisation a user belongs to, as their pages need it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgSummary {
    /// `org_…`.
    pub id: String,
    pub name: String,
    /// IANA zone: the practice's times (tasks, bookings, reports) are shown in it.
    pub time_zone: String,
}

/// The signed-in user, with their organisation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    pub organisation: OrgSummary,
}

#[utoipa::path(operation_id = "auth_me", get, path = "/api/auth/me", tag = "auth", responses((status = 200, description = "OK", body = Me), crate::openapi::Problems))]
async fn me(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Me>, Problem> {
    let (mut identity, mut orgs) = (state.identity.clone(), state.identity.clone());
    let org_id = caller
        .org
        .map(|o| o.uuid().to_string())
        .ok_or_else(|| attend_kit::Error::Forbidden("this is for people signed in to an organisation".to_owned()))?;
    let (user, org) = futures::join!(
        identity.get_me(request(pb::GetMeRequest {}, &caller)),
        orgs.get_organisation(request(pb::GetOrganisationRequest { id: org_id }, &caller)),
    );
    let user = user.into_answer("identity")?;
    let org = org.into_answer("identity")?;
    Ok(Json(Me {
        user: user_json(&user)?,
        organisation: OrgSummary {
            id: OrgId::parse_uuid(&org.id).map_err(attend_kit::Error::from)?.to_string(),
            name: org.name,
            time_zone: org.time_zone,
        },
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateMe {
    #[serde(default)]
    name: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

#[utoipa::path(operation_id = "auth_update_me", put, path = "/api/auth/me", tag = "auth", request_body = UpdateMe, responses((status = 200, description = "OK", body = User), crate::openapi::Problems))]
async fn update_me(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    JsonBody(body): JsonBody<UpdateMe>,
) -> Result<Json<User>, Problem> {
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

#[derive(Deserialize, utoipa::ToSchema)]
struct ForgotPassword {
    email: String,
}

/// A request taken, whose outcome the caller is not told.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub success: bool,
    pub detail: String,
}

#[utoipa::path(operation_id = "auth_forgot_password", post, path = "/api/auth/forgot-password", tag = "auth", security(()), request_body = ForgotPassword, responses((status = 202, description = "Accepted, whether or not the email has an account", body = Accepted), crate::openapi::Problems))]
async fn forgot_password(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<ForgotPassword>,
) -> Result<(StatusCode, Json<Accepted>), Problem> {
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
        Json(Accepted {
            success: true,
            detail: "if an account exists for that email, a link to reset its password is on its way".to_owned(),
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ResetPassword {
    token: String,
    password: String,
}

#[utoipa::path(operation_id = "auth_reset_password", post, path = "/api/auth/reset-password", tag = "auth", security(()), request_body = ResetPassword, responses((status = 200, description = "OK", body = Done), crate::openapi::Problems))]
async fn reset_password(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<ResetPassword>,
) -> Result<Json<Done>, Problem> {
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
    Ok(Done::json())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AcceptInvitation {
    token: String,
    password: String,
    #[serde(default)]
    name: String,
}

#[utoipa::path(operation_id = "auth_accept_invitation", post, path = "/api/auth/accept-invitation", tag = "auth", security(()), request_body = AcceptInvitation, responses((status = 200, description = "OK", body = Session), crate::openapi::Problems))]
async fn accept_invitation(
    State(state): State<AppState>,
    client: ClientAddress,
    JsonBody(body): JsonBody<AcceptInvitation>,
) -> Result<Json<Session>, Problem> {
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

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    login,
    refresh,
    logout,
    me,
    update_me,
    forgot_password,
    reset_password,
    accept_invitation
))]
pub struct Api;
