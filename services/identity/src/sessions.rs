//! Signing in: login (throttled), access tokens, refresh-token rotation
//! with reuse detection, logout.
//!
//! A session is a family of refresh tokens. Each refresh spends the token
//! presented and issues the next of the family. Presenting a spent token
//! means a copy was stolen or replayed: the whole family is revoked, so
//! both the thief and the user must sign in again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use attend_kit::Error;
use attend_kit::auth::{ACCESS_TOKEN_TTL, AUDIENCE, AccessClaims, ISSUER};
use attend_kit::contact_point::Email;
use attend_kit::db::Tx;
use attend_kit::grpc::Role;
use attend_kit::ids::{OrgId, UserId};
use attend_proto::identity::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::api::Api;
use crate::audit::{self, Entry};
use crate::keys::KeyRing;
use crate::throttle::{self, Verdict};
use crate::users::UserRow;
use crate::{password, tokens};

/// How long a refresh token lives; each rotation starts a new period.
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

fn refused() -> Error {
    Error::Unauthenticated("email or password is wrong".to_owned())
}

fn invalid_refresh() -> Error {
    Error::Unauthenticated("the refresh token is not valid; sign in again".to_owned())
}

/// A refresh token as stored.
#[derive(sqlx::FromRow)]
struct RefreshRow {
    id: Uuid,
    family_id: Uuid,
    user_id: Uuid,
    org_id: Uuid,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

/// A user with the hash their password is checked against.
#[derive(sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

/// Signs an access token for a user and starts (or continues) a family
/// of refresh tokens, in `tx`.
pub(crate) async fn open(
    keys: &KeyRing,
    tx: &mut Tx,
    user: UserRow,
    family: Option<Uuid>,
) -> Result<pb::LoginResponse, Error> {
    let (refresh_token, refresh_hash) = tokens::new_token("rt")?;
    let expires_at = Utc::now() + chrono::Duration::from_std(REFRESH_TOKEN_TTL).unwrap_or_default();
    sqlx::query(
        "insert into identity.refresh_tokens (id, family_id, user_id, org_id, token_hash, expires_at)
             values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(family.unwrap_or_else(Uuid::now_v7))
    .bind(user.id)
    .bind(user.org_id)
    .bind(refresh_hash)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    let access_token = sign_access_token(keys, &user).await?;
    Ok(pb::LoginResponse {
        access_token,
        expires_in: ACCESS_TOKEN_TTL.as_secs() as i64,
        user: Some(user.into_proto()),
        refresh_token,
        refresh_expires_in: REFRESH_TOKEN_TTL.as_secs() as i64,
    })
}

async fn sign_access_token(keys: &KeyRing, user: &UserRow) -> Result<String, Error> {
    let key = keys.current().await?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| anyhow::anyhow!("clock before 1970: {e}"))?
        .as_secs() as i64;
    let claims = AccessClaims {
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        sub: user.id.to_string(),
        org: user.org_id.to_string(),
        role: user.role.clone(),
        iat: now,
        exp: now + ACCESS_TOKEN_TTL.as_secs() as i64,
        jti: Uuid::now_v7().to_string(),
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    Ok(jsonwebtoken::encode(&header, &claims, key.encoding_key())
        .map_err(|e| anyhow::anyhow!("signing the access token failed: {e}"))?)
}

pub(crate) async fn login(api: &Api, req: pb::LoginRequest) -> Result<pb::LoginResponse, Error> {
    let now = Utc::now();
    let account = throttle::account_key(&req.email);
    let address = throttle::address_key(&req.client_address);
    // Platform transaction: sign-in finds an account by email before
    // anyone knows its organisation.
    let mut tx = api.db.platform().await?;
    let account_state = throttle::load(&mut tx, &account).await?;
    let address_state = match &address {
        Some(key) => throttle::load(&mut tx, key).await?,
        None => None,
    };
    for verdict in [
        throttle::ACCOUNT.check(account_state.as_ref(), now),
        throttle::ADDRESS.check(address_state.as_ref(), now),
    ] {
        if let Verdict::Wait { seconds, message } = verdict {
            tx.commit().await?;
            return Err(Error::RateLimited {
                retry_after: seconds,
                message,
            });
        }
    }

    let found: Option<LoginRow> = match Email::parse(&req.email) {
        Ok(email) => {
            // Locked: a password reset or deactivation waits for this
            // sign-in to finish, or this sign-in sees its result.
            sqlx::query_as(
                "select id, org_id, email, name, role, is_active, created_at, last_login_at, password_hash
                     from identity.users where email = $1 for update",
            )
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?
        }
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some(LoginRow { user, password_hash }) => (Some(user), Some(password_hash)),
        None => (None, None),
    };
    // The same work whether or not the account exists.
    let ok = password::verify(req.password, hash).await?;
    let user = match user {
        Some(user) if ok && user.is_active => user,
        user => {
            throttle::save(&mut tx, &account, &throttle::ACCOUNT.after_failure(account_state, now)).await?;
            if let Some(key) = &address {
                throttle::save(&mut tx, key, &throttle::ADDRESS.after_failure(address_state, now)).await?;
            }
            if let Some(user) = user {
                let reason = if user.is_active {
                    "wrong password"
                } else {
                    "deactivated"
                };
                audit::write(
                    &mut tx,
                    Entry::own(user.org(), user.user_id(), user.role(), "auth.login_failed")
                        .with_details(serde_json::json!({ "reason": reason, "address": req.client_address })),
                )
                .await?;
            }
            tx.commit().await?;
            return Err(refused());
        }
    };
    throttle::clear(&mut tx, &account).await?;
    let user: UserRow = sqlx::query_as(
        "update identity.users set last_login_at = now() where id = $1
             returning id, org_id, email, name, role, is_active, created_at, last_login_at",
    )
    .bind(user.id)
    .fetch_one(&mut *tx)
    .await?;
    audit::write(
        &mut tx,
        Entry::own(user.org(), user.user_id(), user.role(), "auth.login")
            .with_details(serde_json::json!({ "address": req.client_address })),
    )
    .await?;
    let response = open(&api.keys, &mut tx, user, None).await?;
    tx.commit().await?;
    Ok(response)
}

pub(crate) async fn refresh(api: &Api, req: pb::RefreshRequest) -> Result<pb::LoginResponse, Error> {
    let hash = tokens::hash(&req.refresh_token);
    // Platform transaction: the token is the only credential.
    let mut tx = api.db.platform().await?;
    // Lock the user first. Password changes, resets and deactivation
    // update the user row before revoking tokens, so either they wait
    // for this refresh and then revoke the token it issues, or this
    // refresh waits for them and finds its token revoked.
    let owner: Option<Uuid> = sqlx::query_scalar("select user_id from identity.refresh_tokens where token_hash = $1")
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(owner) = owner else {
        return Err(invalid_refresh());
    };
    sqlx::query("select 1 from identity.users where id = $1 for update")
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    let found: Option<RefreshRow> = sqlx::query_as(
        "select id, family_id, user_id, org_id, expires_at, used_at, revoked_at
             from identity.refresh_tokens where token_hash = $1 for update",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(RefreshRow {
        id,
        family_id: family,
        user_id,
        org_id,
        expires_at,
        used_at,
        revoked_at,
    }) = found
    else {
        return Err(invalid_refresh());
    };
    if revoked_at.is_some() || expires_at <= Utc::now() {
        return Err(invalid_refresh());
    }
    if used_at.is_some() {
        revoke_family(&mut tx, family).await?;
        // Whoever presented it may not be the user: no actor.
        audit::write(
            &mut tx,
            Entry {
                org: OrgId::from(org_id),
                actor: None,
                actor_role: Role::Anonymous,
                action: "auth.refresh_reuse",
                target_type: "user",
                target_id: UserId::from(user_id).to_string(),
                details: serde_json::json!({ "address": req.client_address }),
            },
        )
        .await?;
        tx.commit().await?;
        tracing::warn!(user = %UserId::from(user_id), "a spent refresh token was presented; its session is revoked");
        return Err(Error::Unauthenticated(
            "this refresh token was already used, so the session has been signed out everywhere; sign in again"
                .to_owned(),
        ));
    }
    let user: Option<UserRow> = sqlx::query_as(
        "select id, org_id, email, name, role, is_active, created_at, last_login_at from identity.users where id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    let user = match user {
        Some(user) if user.is_active => user,
        _ => {
            revoke_family(&mut tx, family).await?;
            tx.commit().await?;
            return Err(invalid_refresh());
        }
    };
    sqlx::query("update identity.refresh_tokens set used_at = now() where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let response = open(&api.keys, &mut tx, user, Some(family)).await?;
    tx.commit().await?;
    Ok(response)
}

pub(crate) async fn logout(api: &Api, req: pb::LogoutRequest) -> Result<pb::LogoutResponse, Error> {
    let hash = tokens::hash(&req.refresh_token);
    let mut tx = api.db.platform().await?;
    let family: Option<Uuid> =
        sqlx::query_scalar("select family_id from identity.refresh_tokens where token_hash = $1")
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
    // Logging out twice, or with an unknown token, is not an error.
    if let Some(family) = family {
        revoke_family(&mut tx, family).await?;
    }
    tx.commit().await?;
    Ok(pb::LogoutResponse {})
}

pub(crate) async fn revoke_family(tx: &mut Tx, family: Uuid) -> sqlx::Result<()> {
    sqlx::query("update identity.refresh_tokens set revoked_at = now() where family_id = $1 and revoked_at is null")
        .bind(family)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Signs a user out everywhere (password change or reset, deactivation).
pub(crate) async fn revoke_user(tx: &mut Tx, user: Uuid) -> sqlx::Result<()> {
    sqlx::query("update identity.refresh_tokens set revoked_at = now() where user_id = $1 and revoked_at is null")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
