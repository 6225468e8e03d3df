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
use chrono::Utc;
use uuid::Uuid;

use crate::api::Api;
use crate::audit::Entry;
use crate::keys::KeyRing;
use crate::store::sessions::RefreshRow;
use crate::store::users::{LoginRow, UserRow};
use crate::throttle::{self, Tracked};
use crate::{password, store, tokens};

/// How long a refresh token lives; each rotation starts a new period.
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

fn refused() -> Error {
    Error::Unauthenticated("email or password is wrong".to_owned())
}

fn invalid_refresh() -> Error {
    Error::Unauthenticated("the refresh token is not valid; sign in again".to_owned())
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
    let expires_at = tokens::expiry(REFRESH_TOKEN_TTL);
    store::sessions::insert(
        tx,
        family.unwrap_or_else(Uuid::now_v7),
        &user,
        &refresh_hash,
        expires_at,
    )
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
    // Platform transaction: sign-in finds an account by email before
    // anyone knows its organisation.
    let mut tx = api.db.platform().await?;
    let account = Tracked::load(&mut tx, throttle::ACCOUNT, throttle::account_key(&req.email)).await?;
    let address = match throttle::address_key(&req.client_address) {
        Some(key) => Some(Tracked::load(&mut tx, throttle::ADDRESS, key).await?),
        None => None,
    };
    let allowed = account
        .check(now)
        .and_then(|()| address.as_ref().map_or(Ok(()), |address| address.check(now)));
    if let Err(refusal) = allowed {
        tx.commit().await?;
        return Err(refusal);
    }

    let found = match Email::parse(&req.email) {
        Ok(email) => store::users::for_login(&mut tx, email.as_str()).await?,
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
            account.failed(&mut tx, now).await?;
            if let Some(address) = address {
                address.failed(&mut tx, now).await?;
            }
            if let Some(user) = user {
                let reason = if user.is_active {
                    "wrong password"
                } else {
                    "deactivated"
                };
                store::audit::write(
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
    account.forget(&mut tx).await?;
    let user = store::users::record_login(&mut tx, user.user_id()).await?;
    store::audit::write(
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
    let Some(owner) = store::sessions::owner(&mut tx, &hash).await? else {
        return Err(invalid_refresh());
    };
    store::users::lock(&mut tx, owner).await?;
    let Some(RefreshRow {
        id,
        family_id: family,
        user_id,
        org_id,
        expires_at,
        used_at,
        revoked_at,
    }) = store::sessions::find_locked(&mut tx, &hash).await?
    else {
        return Err(invalid_refresh());
    };
    if revoked_at.is_some() || expires_at <= Utc::now() {
        return Err(invalid_refresh());
    }
    if used_at.is_some() {
        store::sessions::revoke_family(&mut tx, family).await?;
        // Whoever presented it may not be the user: no actor.
        store::audit::write(
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
    let user = match store::users::by_id(&mut tx, UserId::from(user_id)).await? {
        Some(user) if user.is_active => user,
        _ => {
            store::sessions::revoke_family(&mut tx, family).await?;
            tx.commit().await?;
            return Err(invalid_refresh());
        }
    };
    store::sessions::spend(&mut tx, id).await?;
    let response = open(&api.keys, &mut tx, user, Some(family)).await?;
    tx.commit().await?;
    Ok(response)
}

pub(crate) async fn logout(api: &Api, req: pb::LogoutRequest) -> Result<pb::LogoutResponse, Error> {
    let hash = tokens::hash(&req.refresh_token);
    let mut tx = api.db.platform().await?;
    // Logging out twice, or with an unknown token, is not an error.
    if let Some(family) = store::sessions::family(&mut tx, &hash).await? {
        store::sessions::revoke_family(&mut tx, family).await?;
    }
    tx.commit().await?;
    Ok(pb::LogoutResponse {})
}
