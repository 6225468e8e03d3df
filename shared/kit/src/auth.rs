//! The access-token contract between identity (which signs) and the gateway
//! (which verifies): claims, issuer, audience, lifetime, and verification
//! against the identity service's published JSON Web Key Set.
//!
//! Tokens are EdDSA (Ed25519) JWTs with a `kid`. Verification accepts only
//! EdDSA with a known `kid`, so `alg: none`, HS256 signed with a public key,
//! and keys the identity service never published are all refused.

use std::collections::HashMap;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::error::Error;
use crate::grpc::{Caller, Role};
use crate::ids::{OrgId, TypedId, UserId};

pub const ISSUER: &str = "attend-identity";
pub const AUDIENCE: &str = "attend";
/// Access tokens are short-lived; refresh tokens renew them.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user (UUID).
    pub sub: String,
    /// The user's organisation (UUID).
    pub org: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    /// Token id, for audit.
    pub jti: String,
}

impl AccessClaims {
    /// The caller these claims describe.
    pub fn caller(&self) -> Result<Caller, Error> {
        let bad = |what: &str| Error::Unauthenticated(format!("access token has an invalid {what}"));
        let org = OrgId::parse_uuid(&self.org).map_err(|_| bad("org"))?;
        let user = UserId::parse_uuid(&self.sub).map_err(|_| bad("sub"))?;
        let role: Role = self.role.parse().map_err(|_| bad("role"))?;
        if !Role::USER_ROLES.contains(&role) {
            return Err(bad("role"));
        }
        Ok(Caller::user(org, user, role))
    }
}

/// Verifies access tokens against a set of published keys.
#[derive(Clone, Default)]
pub struct Verifier {
    keys: HashMap<String, DecodingKey>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Verifier {
    /// Builds a verifier from JWKS JSON; keys other than Ed25519 are ignored.
    pub fn from_jwks_json(json: &str) -> anyhow::Result<Self> {
        let set: JwkSet = serde_json::from_str(json)?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            if let jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(_) = &jwk.algorithm {
                keys.insert(kid, DecodingKey::from_jwk(jwk)?);
            }
        }
        Ok(Self { keys })
    }

    pub fn knows(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The `kid` a token claims to be signed with (unverified).
    pub fn kid_of(token: &str) -> Option<String> {
        jsonwebtoken::decode_header(token).ok()?.kid
    }

    /// Checks signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, Error> {
        let unauthenticated = |why: &str| Error::Unauthenticated(why.to_owned());
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| unauthenticated("the access token is malformed"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(unauthenticated("the access token uses an algorithm we do not accept"));
        }
        let kid = header
            .kid
            .ok_or_else(|| unauthenticated("the access token names no signing key"))?;
        let key = self
            .keys
            .get(&kid)
            .ok_or_else(|| unauthenticated("the access token was signed with an unknown key"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => unauthenticated("the access token has expired"),
                _ => unauthenticated("the access token is not valid"),
            })
    }
}
