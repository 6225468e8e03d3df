//! Who is calling: bearer access tokens verified locally against the keys
//! the identity service publishes (a JWK set), refreshed periodically and
//! at once (at most every few seconds) when a token names a key we don't
//! know yet, so key rotation needs no restart.

use attend_kit::error::PeerAnswer;
use std::sync::Arc;
use std::time::{Duration, Instant};

use attend_kit::Error;
use attend_kit::auth::Verifier;
use attend_kit::grpc::{Caller, Traced, request};
use attend_kit::http::Problem;
use attend_proto::identity::v1::GetSigningKeysRequest;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use axum::extract::FromRequestParts;
use http::request::Parts;
use tokio::sync::{Mutex, RwLock};

use crate::AppState;

/// Keys that verify access tokens.
#[derive(Clone)]
pub struct Keys {
    identity: IdentityServiceClient<Traced>,
    verifier: Arc<RwLock<Verifier>>,
    /// When an unknown kid last made us fetch, to bound such fetches (a
    /// flood of tokens with made-up kids must not become a flood of calls).
    last_unknown_fetch: Arc<Mutex<Option<Instant>>>,
}

/// The shortest time between two fetches triggered by unknown kids.
const MIN_REFETCH: Duration = Duration::from_secs(5);

impl Keys {
    pub fn new(identity: Traced) -> Self {
        Self {
            identity: IdentityServiceClient::new(identity),
            verifier: Arc::default(),
            last_unknown_fetch: Arc::default(),
        }
    }

    /// Fetches the current key set from identity.
    pub async fn refresh(&self) -> Result<(), Error> {
        let jwks = self
            .identity
            .clone()
            .get_signing_keys(request(GetSigningKeysRequest {}, &Caller::anonymous()))
            .await
            .into_answer("identity")?
            .jwks_json;
        let verifier = Verifier::from_jwks_json(&jwks)
            .map_err(|e| Error::Internal(e.context("identity published an unreadable key set")))?;
        *self.verifier.write().await = verifier;
        Ok(())
    }

    /// Whether any key is loaded (for `/readyz`).
    pub fn loaded(&self) -> bool {
        self.verifier.try_read().map(|v| !v.is_empty()).unwrap_or(true)
    }

    /// Verifies a token, fetching keys first if it names an unknown one.
    pub async fn caller(&self, token: &str) -> Result<Caller, Error> {
        if let Some(kid) = Verifier::kid_of(token)
            && !self.verifier.read().await.knows(&kid)
        {
            // One fetch at a time; a request that waited here may find the
            // key already fetched.
            let mut last = self.last_unknown_fetch.lock().await;
            if !self.verifier.read().await.knows(&kid) && !last.is_some_and(|at| at.elapsed() < MIN_REFETCH) {
                self.refresh().await?;
                // Only a fetch that didn't find the kid counts against the
                // next: a real key, fetched after a rotation, must not hold
                // back the key of a rotation moments later.
                *last = (!self.verifier.read().await.knows(&kid)).then(Instant::now);
            }
        }
        let claims = self.verifier.read().await.verify(token)?;
        claims.caller()
    }
}

/// A signed-in caller, taken from `Authorization: Bearer <token>`.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Problem::from(Error::Unauthenticated(
                    "sign in: send Authorization: Bearer <access token>".to_owned(),
                ))
                .with_header(http::header::WWW_AUTHENTICATE, "Bearer")
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Problem::from(Error::Unauthenticated(
                    "the Authorization header must be `Bearer <access token>`".to_owned(),
                ))
                .with_header(http::header::WWW_AUTHENTICATE, "Bearer")
            })?;
        let caller = state.keys.caller(token).await.map_err(|e| {
            Problem::from(e).with_header(http::header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
        })?;
        if let Some(user) = caller.user {
            state.limits.check_user(user)?;
        }
        Ok(Self(caller))
    }
}
