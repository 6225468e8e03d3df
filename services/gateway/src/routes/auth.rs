//! `POST /api/auth/login`.

use attend_kit::Error;
use attend_kit::error::from_status;
use attend_kit::grpc::{Caller, request};
use attend_kit::http::Problem;
use attend_kit::ids::{OrgId, TypedId, UserId};
use attend_proto::identity::v1::LoginRequest;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/auth/login", post(login))
}

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    body: Result<Json<Login>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let Json(body) = body.map_err(super::bad_json)?;
    let response = state
        .identity
        .clone()
        .login(request(
            LoginRequest {
                email: body.email,
                password: body.password,
            },
            &Caller::anonymous(),
        ))
        .await
        .map_err(|s| from_status(s, "identity"))?
        .into_inner();
    let user = response
        .user
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("login answered without a user")))?;
    let public_id = |id: &str, what: &str| -> Result<String, Error> {
        match what {
            "user" => Ok(UserId::parse_uuid(id)?.to_string()),
            _ => Ok(OrgId::parse_uuid(id)?.to_string()),
        }
    };
    Ok(Json(json!({
        "access_token": response.access_token,
        "token_type": "Bearer",
        "expires_in": response.expires_in,
        "user": {
            "id": public_id(&user.id, "user")?,
            "org_id": public_id(&user.org_id, "org")?,
            "email": user.email,
            "name": user.name,
            "role": user.role,
        }
    })))
}
