//! Internal call tokens: how a service proves to another who is calling.
//!
//! Every gRPC call between attend processes carries `x-attend-token`: a
//! short-lived token signed with the fleet key (`ATTEND_FLEET_KEY`, HMAC-SHA256),
//! naming the service that made it (`iss`), the one service it is for
//! (`aud`), and the caller it vouches for (role, organisation, user). The
//! client side mints one per call from the caller a handler wrote into the
//! request ([`crate::grpc::Caller::apply`]); the server side verifies it
//! before anything reads the caller, and rebuilds the caller metadata from
//! the token alone, so bare `x-attend-org`/`-user`/`-role` headers from the
//! network are dropped, never believed.
//!
//! Format: `v1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "v1." + claims))>`.
//! A token lives [`LIFETIME`]; clocks may disagree by [`LEEWAY_SECS`].
//!
//! Anyone holding the fleet key can mint any caller: the key is what a pod
//! on the cluster network lacks. `docs/security.md` describes the model.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::secret::Secret;

/// The metadata key that carries the token.
pub const TOKEN_HEADER: &str = "x-attend-token";
/// How long a minted token is good for.
pub const LIFETIME: Duration = Duration::from_secs(60);
/// How far apart two processes' clocks may be.
pub const LEEWAY_SECS: i64 = 30;
/// The shortest fleet key accepted.
pub const MIN_KEY_LEN: usize = 32;
/// Tokens claiming a longer life than this are refused whatever their signature.
const MAX_LIFETIME_SECS: i64 = 300;
const VERSION: &str = "v1";

/// The fleet's shared signing key.
#[derive(Clone, Debug)]
pub struct FleetKey(Arc<Secret<Vec<u8>>>);

impl FleetKey {
    /// A key from configuration: at least [`MIN_KEY_LEN`] characters.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.len() < MIN_KEY_LEN {
            return Err(format!(
                "must be at least {MIN_KEY_LEN} characters (got {}); generate one with `openssl rand -base64 48`",
                value.len()
            ));
        }
        Ok(Self(Arc::new(Secret::new(value.as_bytes().to_vec()))))
    }

    /// A key for one process only (every service of `attend run all`).
    pub fn random() -> Self {
        let mut bytes = [0u8; 48];
        // The system's random source failing is not something to run on.
        #[allow(clippy::expect_used, reason = "no secure randomness means no safe keys at all")]
        aws_lc_rs::rand::fill(&mut bytes).expect("the system's random number generator works");
        Self(Arc::new(Secret::new(bytes.to_vec())))
    }

    fn mac(&self, signed: &[u8]) -> Hmac<Sha256> {
        #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.expose()).expect("HMAC accepts any key length");
        mac.update(signed);
        mac
    }

    /// A signed token carrying `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        // Serialising a struct of strings and integers cannot fail.
        let json = serde_json::to_vec(claims).unwrap_or_default();
        let signed = format!("{VERSION}.{}", B64.encode(json));
        let tag = self.mac(signed.as_bytes()).finalize().into_bytes();
        format!("{signed}.{}", B64.encode(tag))
    }

    /// The claims of `token` if this key signed it for `audience` and it is
    /// current at `now` (seconds since the epoch); otherwise why not.
    pub fn verify(&self, token: &str, audience: &str, now: i64) -> Result<Claims, Refusal> {
        let (signed, tag) = token.rsplit_once('.').ok_or(Refusal::Malformed)?;
        let (version, payload) = signed.split_once('.').ok_or(Refusal::Malformed)?;
        if version != VERSION {
            return Err(Refusal::Malformed);
        }
        let tag = B64.decode(tag).map_err(|_| Refusal::Malformed)?;
        self.mac(signed.as_bytes())
            .verify_slice(&tag)
            .map_err(|_| Refusal::BadSignature)?;
        let json = B64.decode(payload).map_err(|_| Refusal::Malformed)?;
        let claims: Claims = serde_json::from_slice(&json).map_err(|_| Refusal::Malformed)?;
        if claims.aud != audience {
            return Err(Refusal::WrongAudience {
                audience: claims.aud,
                expected: audience.to_owned(),
            });
        }
        if claims.exp - claims.iat > MAX_LIFETIME_SECS || claims.iat > now + LEEWAY_SECS {
            return Err(Refusal::Implausible);
        }
        if claims.exp + LEEWAY_SECS < now {
            return Err(Refusal::Expired);
        }
        Ok(claims)
    }
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who minted it: a service name, or `operator` for the CLI and tests.
    pub iss: String,
    /// The one service it is for.
    pub aud: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Issued and expiry times, seconds since the epoch.
    pub iat: i64,
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the internal token is malformed")]
    Malformed,
    #[error("the internal token's signature does not match the fleet key")]
    BadSignature,
    #[error("the internal token is for {audience}, not {expected}")]
    WrongAudience { audience: String, expected: String },
    #[error("the internal token has expired")]
    Expired,
    #[error("the internal token's times are implausible (issued in the future or living too long)")]
    Implausible,
}

impl Refusal {
    /// A label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::BadSignature => "bad_signature",
            Refusal::WrongAudience { .. } => "wrong_audience",
            Refusal::Expired => "expired",
            Refusal::Implausible => "implausible",
        }
    }
}

/// Seconds since the epoch, by the system clock (tokens are about real time,
/// never a test's moved clock).
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FleetKey {
        FleetKey::parse("a-test-fleet-key-that-is-long-enough-0123").unwrap()
    }

    fn claims(aud: &str, iat: i64) -> Claims {
        Claims {
            iss: "gateway".into(),
            aud: aud.into(),
            role: "staff".into(),
            org: Some("0192f0c1-0000-7000-8000-000000000001".into()),
            user: None,
            iat,
            exp: iat + LIFETIME.as_secs() as i64,
        }
    }

    #[test]
    fn a_token_verifies_for_its_audience_only() {
        let token = key().sign(&claims("contact", 1000));
        assert_eq!(key().verify(&token, "contact", 1010).unwrap(), claims("contact", 1000));
        assert!(matches!(
            key().verify(&token, "booking", 1010),
            Err(Refusal::WrongAudience { .. })
        ));
    }

    #[test]
    fn expired_future_and_foreign_tokens_are_refused() {
        let token = key().sign(&claims("contact", 1000));
        assert_eq!(key().verify(&token, "contact", 1000 + 60 + 31), Err(Refusal::Expired));
        assert_eq!(key().verify(&token, "contact", 1000 - 31), Err(Refusal::Implausible));
        let other = FleetKey::parse("another-fleet-key-that-is-long-enough-99").unwrap();
        assert_eq!(other.verify(&token, "contact", 1010), Err(Refusal::BadSignature));
        let mut long = claims("contact", 1000);
        long.exp = 1000 + 3600;
        assert_eq!(
            key().verify(&key().sign(&long), "contact", 1010),
            Err(Refusal::Implausible)
        );
    }

    #[test]
    fn a_changed_claim_breaks_the_signature() {
        let token = key().sign(&claims("contact", 1000));
        let (_, payload, tag) = {
            let mut parts = token.split('.');
            (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
        };
        let mut forged = claims("contact", 1000);
        forged.role = "admin".into();
        let forged_payload = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert_ne!(payload, forged_payload);
        let forged_token = format!("v1.{forged_payload}.{tag}");
        assert_eq!(key().verify(&forged_token, "contact", 1010), Err(Refusal::BadSignature));
        assert_eq!(key().verify("not a token", "contact", 1010), Err(Refusal::Malformed));
    }

    #[test]
    fn short_keys_are_refused_naming_the_length() {
        let err = FleetKey::parse("short").unwrap_err();
        assert!(err.contains("at least 32"), "{err}");
        assert_ne!(
            FleetKey::random().sign(&claims("a", 1)),
            FleetKey::random().sign(&claims("a", 1))
        );
    }
}
