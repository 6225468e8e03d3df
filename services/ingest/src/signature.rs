//! Provider signature schemes, exactly as each provider documents them.
//!
//! - Standard Webhooks (standardwebhooks.com; Svix, Zapier/Make forwarders):
//!   HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{raw body}` with the
//!   base64 key after `whsec_`, base64 signatures `v1,<sig>` (several,
//!   space-separated, during key rotation), compared in constant time,
//!   timestamp within 5 minutes.
//! - Wix: the body is a JWT signed RS256 with the Wix app's key; we verify
//!   with its public key, accept no other algorithm, and require `exp`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a Standard Webhooks timestamp may be from our clock.
pub const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the {header} header is malformed: {why}")]
    MalformedHeader { header: &'static str, why: String },
    #[error(
        "the webhook-timestamp is {0} seconds away from our clock (the limit is 300): a stale or replayed delivery"
    )]
    StaleTimestamp(i64),
    #[error("no signature matches the body")]
    BadSignature,
    #[error("the JWT is signed with {0:?}; only RS256 is accepted")]
    WrongAlgorithm(String),
    #[error("the JWT has expired")]
    Expired,
    #[error("the JWT has no expiry (exp)")]
    NoExpiry,
}

impl SignatureError {
    /// A stable code for responses and the rejected-delivery record.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHeader(_) => "missing_signature",
            Self::MalformedHeader { .. } => "malformed_header",
            Self::StaleTimestamp(_) => "stale_timestamp",
            Self::BadSignature => "bad_signature",
            Self::WrongAlgorithm(_) => "bad_algorithm",
            Self::Expired => "token_expired",
            Self::NoExpiry => "bad_signature",
        }
    }

    /// 400 for a request that is malformed or stale, 401 for one we cannot
    /// authenticate.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::MalformedHeader { .. } | Self::StaleTimestamp(_) => http::StatusCode::BAD_REQUEST,
            _ => http::StatusCode::UNAUTHORIZED,
        }
    }
}

/// A Standard Webhooks signing secret.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    /// `whsec_<base64>` as the spec serialises it; any other text is used
    /// as the key bytes themselves (some forwarders let you type a secret).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let key = match text.strip_prefix("whsec_") {
            Some(b64) => STANDARD
                .decode(b64)
                .map_err(|_| "after whsec_ the secret must be base64".to_owned())?,
            None => text.as_bytes().to_vec(),
        };
        if key.len() < 16 {
            return Err("the secret must be at least 16 bytes".to_owned());
        }
        Ok(Self(key))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    /// The `webhook-signature` value for a message (senders and tests).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(id, &timestamp.to_string(), body)))
    }

    /// Verifies a delivery; returns the `webhook-id` (the dedupe key).
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8], now: i64) -> Result<String, SignatureError> {
        let get = |name: &'static str| -> Result<&str, SignatureError> {
            headers
                .get(name)
                .ok_or(SignatureError::MissingHeader(name))?
                .to_str()
                .map_err(|_| SignatureError::MalformedHeader {
                    header: name,
                    why: "not ASCII".to_owned(),
                })
        };
        let signatures = get("webhook-signature")?;
        let id = get("webhook-id")?;
        let timestamp = get("webhook-timestamp")?;
        if id.is_empty() || id.len() > 256 {
            return Err(SignatureError::MalformedHeader {
                header: "webhook-id",
                why: "must be 1-256 characters".to_owned(),
            });
        }
        let seconds: i64 = timestamp.parse().map_err(|_| SignatureError::MalformedHeader {
            header: "webhook-timestamp",
            why: "must be Unix seconds".to_owned(),
        })?;
        let skew = now - seconds;
        if skew.unsigned_abs() > TOLERANCE.as_secs() {
            return Err(SignatureError::StaleTimestamp(skew));
        }
        let expected = self.mac(id, timestamp, body);
        let matched = signatures
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| STANDARD.decode(b64).ok())
            .any(|candidate| bool::from(candidate.ct_eq(&expected)));
        if matched {
            Ok(id.to_owned())
        } else {
            Err(SignatureError::BadSignature)
        }
    }
}

/// The Wix app's public key.
#[derive(Clone)]
pub struct WixKey(DecodingKey);

impl std::fmt::Debug for WixKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WixKey")
    }
}

impl WixKey {
    /// The PEM from the Wix app dashboard; `\n` escapes (as env files often
    /// carry them) are accepted.
    pub fn parse(pem: &str) -> Result<Self, String> {
        let pem = pem.trim().replace("\\n", "\n");
        DecodingKey::from_rsa_pem(pem.as_bytes())
            .map(Self)
            .map_err(|e| format!("is not an RSA public key in PEM form: {e}"))
    }

    /// Verifies the JWT body and returns its claims.
    pub fn verify(&self, token: &str) -> Result<serde_json::Value, SignatureError> {
        // JWT-shaped but with a header we can't read (`alg: none`, say):
        // unverifiable, so unauthenticated.
        let header = jsonwebtoken::decode_header(token).map_err(|_| SignatureError::BadSignature)?;
        if header.alg != Algorithm::RS256 {
            return Err(SignatureError::WrongAlgorithm(format!("{:?}", header.alg)));
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_aud = false;
        validation.leeway = 60;
        jsonwebtoken::decode::<serde_json::Value>(token, &self.0, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => SignatureError::Expired,
                jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(_) => SignatureError::NoExpiry,
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                    SignatureError::WrongAlgorithm(format!("{:?}", header.alg))
                }
                _ => SignatureError::BadSignature,
            })
    }
}

/// Does this body look like a compact JWT (three base64url parts)?
pub fn looks_like_jwt(body: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    let parts: Vec<&str> = text.trim().split('.').collect();
    parts.len() == 3
        && parts.iter().take(2).all(|p| !p.is_empty())
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference vector published with the Standard Webhooks spec.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TS: i64 = 1614265330;
    const SPEC_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SPEC_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers(id: &str, ts: &str, sig: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("webhook-id", id.parse().unwrap());
        h.insert("webhook-timestamp", ts.parse().unwrap());
        h.insert("webhook-signature", sig.parse().unwrap());
        h
    }

    #[test]
    fn signing_reproduces_the_spec_vector() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        assert_eq!(secret.sign(SPEC_ID, SPEC_TS, SPEC_BODY), SPEC_SIG);
    }

    #[test]
    fn the_spec_vector_verifies_at_its_own_time() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let h = headers(SPEC_ID, &SPEC_TS.to_string(), SPEC_SIG);
        assert_eq!(secret.verify(&h, SPEC_BODY, SPEC_TS + 10).unwrap(), SPEC_ID);
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let h = headers(SPEC_ID, &SPEC_TS.to_string(), SPEC_SIG);
        assert_eq!(
            secret.verify(&h, br#"{"test": 2432232315}"#, SPEC_TS),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn one_matching_signature_among_several_is_enough() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let sigs = format!("v1,bm90IHRoaXMgb25l {SPEC_SIG} v2,whatever");
        let h = headers(SPEC_ID, &SPEC_TS.to_string(), &sigs);
        assert!(secret.verify(&h, SPEC_BODY, SPEC_TS).is_ok());
    }

    #[test]
    fn stale_and_future_timestamps_are_refused() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let h = headers(SPEC_ID, &SPEC_TS.to_string(), SPEC_SIG);
        let err = secret.verify(&h, SPEC_BODY, SPEC_TS + 301).unwrap_err();
        assert!(matches!(err, SignatureError::StaleTimestamp(301)));
        assert_eq!(err.status(), http::StatusCode::BAD_REQUEST);
        assert!(secret.verify(&h, SPEC_BODY, SPEC_TS - 301).is_err());
        assert!(secret.verify(&h, SPEC_BODY, SPEC_TS + 300).is_ok());
    }

    #[test]
    fn missing_headers_are_named() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let mut h = headers(SPEC_ID, &SPEC_TS.to_string(), SPEC_SIG);
        h.remove("webhook-signature");
        assert_eq!(
            secret.verify(&h, SPEC_BODY, SPEC_TS),
            Err(SignatureError::MissingHeader("webhook-signature"))
        );
    }

    #[test]
    fn the_wrong_secret_is_refused() {
        let other = WebhookSecret::parse("whsec_dGhpcyBpcyBhIGRpZmZlcmVudCBrZXkh").unwrap();
        let h = headers(SPEC_ID, &SPEC_TS.to_string(), SPEC_SIG);
        assert_eq!(other.verify(&h, SPEC_BODY, SPEC_TS), Err(SignatureError::BadSignature));
    }

    #[test]
    fn short_or_undecodable_secrets_are_refused() {
        assert!(WebhookSecret::parse("whsec_!!!").is_err());
        assert!(WebhookSecret::parse("short").is_err());
        assert!(WebhookSecret::parse("a plain secret of enough length").is_ok());
    }

    #[test]
    fn jwt_shapes_are_recognised() {
        assert!(looks_like_jwt(b"eyJhbGciOiJSUzI1NiJ9.eyJkYXRhIjoiIn0.c2ln"));
        assert!(!looks_like_jwt(br#"{"event":"bookings/created"}"#));
        assert!(!looks_like_jwt(b"a.b"));
    }
}
