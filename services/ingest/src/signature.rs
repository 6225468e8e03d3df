//! Provider signature schemes, exactly as each provider documents them.
//!
//! - Standard Webhooks (standardwebhooks.com; Svix, Zapier/Make forwarders):
//!   HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{raw body}` with the
//!   base64 key after `whsec_`, base64 signatures `v1,<sig>` (several,
//!   space-separated, during key rotation), compared in constant time,
//!   timestamp within 5 minutes.
//! - Wix: the body is a JWT signed RS256 with the Wix app's key; we verify
//!   with its public key, accept no other algorithm, and require `exp`.
//! - Twilio: `X-Twilio-Signature` is base64 HMAC-SHA1, keyed with the
//!   account's auth token, over the full URL Twilio requested followed by
//!   every POST parameter's name and value, sorted by name (then value),
//!   with no separators. Twilio is inconsistent about default ports, so
//!   like its own libraries we accept the URL with and without one. A JSON
//!   body is covered by a `bodySHA256` query parameter instead.
//! - SendGrid's Signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature`
//!   is a base64 DER ECDSA signature (P-256, SHA-256) over the
//!   `X-Twilio-Email-Event-Webhook-Timestamp` value's bytes followed by the
//!   raw body; the key is the base64 DER SubjectPublicKeyInfo SendGrid's
//!   settings page shows ([`SendGridKey`]). The timestamp must be within
//!   5 minutes of our clock, as with Standard Webhooks.
//! - ManyChat and ClickSend sign nothing: each organisation gets its own
//!   token ([`IntakeSecret`]), sent in the `Authorization` header (ManyChat)
//!   or the callback URL (ClickSend), compared in constant time.
//!
//! Over 500 lines for its tests (about 300): each scheme is checked against
//! its provider's published vectors, which is worth keeping beside the code.

use std::time::Duration;

use attend_kit::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How far a Standard Webhooks timestamp may be from our clock.
pub(crate) const TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SignatureError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the {header} header is malformed: {why}")]
    MalformedHeader { header: &'static str, why: String },
    #[error("the {header} is {skew} seconds away from our clock (the limit is 300): a stale or replayed delivery")]
    StaleTimestamp { header: &'static str, skew: i64 },
    #[error("no signature matches the body")]
    BadSignature,
    #[error("the JWT is signed with {0:?}; only RS256 is accepted")]
    WrongAlgorithm(String),
    #[error("the JWT has expired")]
    Expired,
    #[error("the JWT has no expiry (exp)")]
    NoExpiry,
    /// Correctly signed, but its claims can't be read (nested too deep,
    /// not JSON): the sender's fault, not a forgery.
    #[error("the JWT's signature is good but its claims can't be read: {0}")]
    UnreadableClaims(String),
}

/// A Standard Webhooks signing secret.
#[derive(Debug, Clone)]
pub struct WebhookSecret(Secret<Vec<u8>>);

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
        Ok(Self(Secret::new(key)))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
        let mut mac = hmac_sha256(self.0.expose());
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

    /// The headers a sender puts on a signed JSON delivery: content type,
    /// `webhook-id`, `webhook-timestamp` and `webhook-signature`. Fails if
    /// `id` can't be a header value (senders choose their own ids).
    pub fn headers(
        &self,
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<http::HeaderMap, http::header::InvalidHeaderValue> {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        headers.insert("webhook-id", id.parse()?);
        headers.insert("webhook-timestamp", timestamp.into());
        headers.insert("webhook-signature", self.sign(id, timestamp, body).parse()?);
        Ok(headers)
    }

    /// Verifies a delivery; returns the `webhook-id` (the dedupe key).
    pub(crate) fn verify(&self, headers: &http::HeaderMap, body: &[u8], now: i64) -> Result<String, SignatureError> {
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
        // Saturating: a timestamp near either end of i64 is merely stale.
        let skew = now.saturating_sub(seconds);
        if skew.unsigned_abs() > TOLERANCE.as_secs() {
            return Err(SignatureError::StaleTimestamp {
                header: "webhook-timestamp",
                skew,
            });
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
    pub(crate) fn verify(&self, token: &str) -> Result<serde_json::Value, SignatureError> {
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
                // The header was read above, so a JSON error now is the
                // claims', read only after the signature was verified.
                jsonwebtoken::errors::ErrorKind::Json(json) => SignatureError::UnreadableClaims(unreadable(json)),
                _ => SignatureError::BadSignature,
            })
    }
}

/// Derives each organisation's webhook token for providers that don't
/// sign (ManyChat, ClickSend) from one server secret: `<slug>.<mac>`, where
/// mac is the first 32 characters of base64url(HMAC-SHA256(secret,
/// "attend-intake:<provider>:<slug>")). Nothing is stored; a leaked token
/// lets one provider post for one organisation, and rotating the secret
/// rotates them all.
#[derive(Debug, Clone)]
pub struct IntakeSecret(Secret<Vec<u8>>);

impl IntakeSecret {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() < 32 {
            return Err("must be at least 32 characters (e.g. `openssl rand -hex 32`)".to_owned());
        }
        Ok(Self(Secret::new(text.as_bytes().to_vec())))
    }

    fn mac(&self, provider: &str, slug: &str) -> String {
        let mut mac = hmac_sha256(self.0.expose());
        mac.update(format!("attend-intake:{provider}:{slug}").as_bytes());
        let mut text = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        text.truncate(32);
        text
    }

    /// The organisation's token for a provider.
    pub fn token(&self, provider: &str, slug: &str) -> String {
        format!("{slug}.{}", self.mac(provider, slug))
    }

    /// Checks a presented token; the organisation's slug.
    pub(crate) fn verify(&self, provider: &str, presented: &str) -> Result<String, SignatureError> {
        let (slug, mac) = presented.trim().rsplit_once('.').ok_or(SignatureError::BadSignature)?;
        if slug.is_empty() || slug.len() > 100 {
            return Err(SignatureError::BadSignature);
        }
        let expected = self.mac(provider, slug);
        if bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
            Ok(slug.to_owned())
        } else {
            Err(SignatureError::BadSignature)
        }
    }
}

/// A Twilio account's auth token.
#[derive(Debug, Clone)]
pub struct TwilioToken(Secret<String>);

impl TwilioToken {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("must be the account's auth token (32 hex characters)".to_owned());
        }
        Ok(Self(Secret::new(text.to_owned())))
    }

    /// The signature Twilio sends for `url` and these POST parameters.
    pub fn sign(&self, url: &str, params: &[(String, String)]) -> String {
        let mut sorted: Vec<&(String, String)> = params.iter().collect();
        sorted.sort();
        let mut text = url.to_owned();
        for (name, value) in sorted {
            text.push_str(name);
            text.push_str(value);
        }
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            self.0.expose().as_bytes(),
        );
        STANDARD.encode(aws_lc_rs::hmac::sign(&key, text.as_bytes()).as_ref())
    }

    /// Verifies `X-Twilio-Signature` for a request Twilio made to `url`
    /// (the public URL, query included). A form body's parameters are
    /// signed; any other body must match the URL's `bodySHA256`.
    pub(crate) fn verify(&self, url: &str, headers: &http::HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
        const HEADER: &str = "x-twilio-signature";
        let presented = headers
            .get(HEADER)
            .ok_or(SignatureError::MissingHeader("X-Twilio-Signature"))?
            .to_str()
            .map_err(|_| SignatureError::MalformedHeader {
                header: "X-Twilio-Signature",
                why: "not ASCII".to_owned(),
            })?;
        let query_hash = url::Url::parse(url).ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "bodySHA256")
                .map(|(_, v)| v.into_owned())
        });
        let params = match &query_hash {
            Some(hash) => {
                let actual: String = Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect();
                if !bool::from(actual.as_bytes().ct_eq(hash.to_ascii_lowercase().as_bytes())) {
                    return Err(SignatureError::BadSignature);
                }
                Vec::new()
            }
            None => form_pairs(body),
        };
        let matched = url_candidates(url)
            .iter()
            .any(|candidate| bool::from(self.sign(candidate, &params).as_bytes().ct_eq(presented.as_bytes())));
        if matched {
            Ok(())
        } else {
            Err(SignatureError::BadSignature)
        }
    }
}

/// SendGrid's Event Webhook verification key: a P-256 public key.
#[derive(Clone)]
pub struct SendGridKey {
    /// The uncompressed point (0x04, X, Y), as aws-lc-rs verifies with.
    point: Vec<u8>,
}

impl std::fmt::Debug for SendGridKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SendGridKey")
    }
}

/// The DER of a P-256 SubjectPublicKeyInfo up to its point: SEQUENCE {
/// SEQUENCE { OID id-ecPublicKey, OID prime256v1 }, BIT STRING (no unused
/// bits) }, 91 bytes in all with the 65-byte uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

impl SendGridKey {
    /// The header with the signature.
    pub const SIGNATURE: &'static str = "X-Twilio-Email-Event-Webhook-Signature";
    /// The header with the timestamp.
    pub const TIMESTAMP: &'static str = "X-Twilio-Email-Event-Webhook-Timestamp";

    /// The key as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo
    /// (a PEM `PUBLIC KEY` block is accepted too). Only an uncompressed
    /// P-256 key is: that is what SendGrid issues.
    pub fn parse(text: &str) -> Result<Self, String> {
        let b64: String = text
            .replace("\\n", "\n")
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = STANDARD
            .decode(b64.trim())
            .map_err(|_| "must be the base64 public key SendGrid shows".to_owned())?;
        Self::from_spki_der(&der)
    }

    /// A key from its DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, String> {
        match der.strip_prefix(&P256_SPKI_PREFIX[..]) {
            Some(point) if point.len() == 65 && point[0] == 0x04 => Ok(Self { point: point.to_vec() }),
            _ => Err("is not an uncompressed P-256 (prime256v1) public key in SubjectPublicKeyInfo form".to_owned()),
        }
    }

    /// Verifies a delivery: the signature over the timestamp and the raw
    /// body, the timestamp within [`TOLERANCE`] of `now` (Unix seconds).
    pub(crate) fn verify(&self, headers: &http::HeaderMap, body: &[u8], now: i64) -> Result<(), SignatureError> {
        let get = |name: &'static str| -> Result<&str, SignatureError> {
            headers
                .get(name)
                .ok_or(SignatureError::MissingHeader(name))?
                .to_str()
                .map(str::trim)
                .map_err(|_| SignatureError::MalformedHeader {
                    header: name,
                    why: "not ASCII".to_owned(),
                })
        };
        let signature = get(Self::SIGNATURE)?;
        let timestamp = get(Self::TIMESTAMP)?;
        let seconds: i64 = timestamp.parse().map_err(|_| SignatureError::MalformedHeader {
            header: Self::TIMESTAMP,
            why: "must be Unix seconds".to_owned(),
        })?;
        let signature = STANDARD
            .decode(signature)
            .map_err(|_| SignatureError::MalformedHeader {
                header: Self::SIGNATURE,
                why: "must be base64".to_owned(),
            })?;
        // Saturating: a timestamp near either end of i64 is merely stale.
        let skew = now.saturating_sub(seconds);
        if skew.unsigned_abs() > TOLERANCE.as_secs() {
            return Err(SignatureError::StaleTimestamp {
                header: Self::TIMESTAMP,
                skew,
            });
        }
        let mut signed = Vec::with_capacity(timestamp.len() + body.len());
        signed.extend_from_slice(timestamp.as_bytes());
        signed.extend_from_slice(body);
        aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1, &self.point)
            .verify(&signed, &signature)
            .map_err(|_| SignatureError::BadSignature)
    }
}

/// Why signed claims can't be read, cut to 200 characters: serde quotes
/// the value it could not read, and claims that are one JSON string would
/// come back whole.
fn unreadable(json: &impl std::fmt::Display) -> String {
    const SHOWN: usize = 200;
    let text = json.to_string();
    if text.chars().count() > SHOWN {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    } else {
        text
    }
}

/// An HMAC-SHA256 keyed with `key`, ready for the message.
fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    #[allow(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length")
}

/// `application/x-www-form-urlencoded` pairs, decoded.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The URL as given, with its scheme's default port added, and without
/// any port: Twilio signs one of these.
pub(crate) fn url_candidates(url: &str) -> Vec<String> {
    let mut candidates = vec![url.to_owned()];
    let Ok(parsed) = url::Url::parse(url) else {
        return candidates;
    };
    let Some(host) = parsed.host_str() else {
        return candidates;
    };
    // `Url` hides a default port, so look at the text itself: past the
    // scheme (a host may be spelled inside it, "h" in "http"), in any case
    // (the parser lowers the host; lowering ASCII keeps every offset).
    let start = url.find("://").map_or(0, |i| i + 3);
    let after_host = url[start..]
        .to_ascii_lowercase()
        .find(host)
        .map_or(url.len(), |i| start + i + host.len());
    let port_text: String = url[after_host..]
        .strip_prefix(':')
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    if port_text.is_empty() {
        let default = match parsed.scheme() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        };
        if let Some(port) = default {
            candidates.push(format!("{}:{port}{}", &url[..after_host], &url[after_host..]));
        }
    } else {
        candidates.push(format!(
            "{}{}",
            &url[..after_host],
            &url[after_host + 1 + port_text.len()..]
        ));
    }
    candidates
}

/// Does this body look like a compact JWT (three base64url parts)?
pub(crate) fn looks_like_jwt(body: &[u8]) -> bool {
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
    fn a_senders_headers_carry_the_spec_signature_and_verify() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        let h = secret.headers(SPEC_ID, SPEC_TS, SPEC_BODY).unwrap();
        assert_eq!(h["webhook-signature"], SPEC_SIG);
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(secret.verify(&h, SPEC_BODY, SPEC_TS).unwrap(), SPEC_ID);
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
        assert!(matches!(err, SignatureError::StaleTimestamp { skew: 301, .. }));
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

    /// Twilio's published validation example (its helper libraries' tests).
    const TWILIO_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const TWILIO_BODY: &[u8] =
        b"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212";

    fn twilio_headers(signature: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("x-twilio-signature", signature.parse().unwrap());
        h
    }

    #[test]
    fn twilio_signatures_match_the_documented_example() {
        let token = TwilioToken::parse("12345").err();
        assert!(token.is_some(), "a real auth token is 32 characters");
        assert!(
            TwilioToken::parse("not hex, but thirty-two chars!!!").is_err(),
            "and they are hex digits"
        );
        assert!(TwilioToken::parse("0123456789ABCDEF0123456789abcdef").is_ok());
        let token = TwilioToken(Secret::new("12345".to_owned()));
        let params = form_pairs(TWILIO_BODY);
        assert_eq!(token.sign(TWILIO_URL, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(
            token
                .verify(TWILIO_URL, &twilio_headers("RSOYDt4T1cUTdK1PDd93/VVr8B8="), TWILIO_BODY)
                .is_ok()
        );
        let tampered =
            b"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=9999&From=%2B14158675309&To=%2B18005551212";
        assert_eq!(
            token.verify(TWILIO_URL, &twilio_headers("RSOYDt4T1cUTdK1PDd93/VVr8B8="), tampered),
            Err(SignatureError::BadSignature)
        );
        assert_eq!(
            token.verify(TWILIO_URL, &http::HeaderMap::new(), TWILIO_BODY),
            Err(SignatureError::MissingHeader("X-Twilio-Signature"))
        );
    }

    #[test]
    fn twilio_signatures_survive_default_ports_either_way() {
        let token = TwilioToken(Secret::new("12345".to_owned()));
        let params = form_pairs(TWILIO_BODY);
        assert_eq!(
            token.sign("https://mycompany.com:443/myapp.php?foo=1&bar=2", &params),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert_eq!(
            token.sign("http://mycompany.com:80/myapp.php?foo=1&bar=2", &params),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        );
        // Signed with :443 by Twilio, configured here without it; and the reverse.
        let h = twilio_headers("kvajT1Ptam85bY51eRf/AJRuM3w=");
        assert!(token.verify(TWILIO_URL, &h, TWILIO_BODY).is_ok());
        let h = twilio_headers("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(
            token
                .verify("https://mycompany.com:443/myapp.php?foo=1&bar=2", &h, TWILIO_BODY)
                .is_ok()
        );
        // A non-default port is kept when Twilio keeps it.
        let h = twilio_headers("Zmvh+3yNM1Phv2jhDCwEM3q5ebU=");
        assert!(
            token
                .verify("http://mycompany.com:1234/myapp.php?foo=1&bar=2", &h, TWILIO_BODY)
                .is_ok()
        );
    }

    #[test]
    fn twilio_repeated_parameters_sort_by_value() {
        let token = TwilioToken(Secret::new("12345".to_owned()));
        let params = form_pairs(b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234");
        assert_eq!(token.sign(TWILIO_URL, &params), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }

    #[test]
    fn twilio_json_bodies_are_covered_by_their_hash() {
        let token = TwilioToken(Secret::new("12345".to_owned()));
        let body = br#"{"property": "value", "boolean": true}"#;
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        assert_eq!(token.sign(url, &[]), "a9nBmqA0ju/hNViExpshrM61xv4=");
        let h = twilio_headers("a9nBmqA0ju/hNViExpshrM61xv4=");
        assert!(token.verify(url, &h, body).is_ok());
        assert_eq!(
            token.verify(url, &h, br#"{"property": "other"}"#),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn intake_tokens_are_per_organisation_and_provider() {
        let secret = IntakeSecret::parse("0123456789abcdef0123456789abcdef").unwrap();
        let token = secret.token("manychat", "clinic-a");
        assert!(token.starts_with("clinic-a."));
        assert_eq!(secret.verify("manychat", &token).unwrap(), "clinic-a");
        assert_eq!(
            secret.verify("clicksend", &token),
            Err(SignatureError::BadSignature),
            "another provider's token"
        );
        let forged = token.replacen("clinic-a", "clinic-b", 1);
        assert_eq!(secret.verify("manychat", &forged), Err(SignatureError::BadSignature));
        assert!(secret.verify("manychat", "no-dot").is_err());
        assert!(IntakeSecret::parse("too short").is_err());
    }

    #[test]
    fn secrets_print_redacted() {
        let shown = format!(
            "{:?} {:?} {:?}",
            WebhookSecret::parse(SPEC_SECRET).unwrap(),
            IntakeSecret::parse("0123456789abcdef0123456789abcdef").unwrap(),
            TwilioToken::parse("0123456789abcdef0123456789abcdef").unwrap(),
        );
        assert_eq!(
            shown,
            "WebhookSecret(<redacted>) IntakeSecret(<redacted>) TwilioToken(<redacted>)"
        );
    }

    /// A fresh P-256 key pair, and its public half as SendGrid shows it.
    fn sendgrid_pair() -> (aws_lc_rs::signature::EcdsaKeyPair, String) {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        let pair = aws_lc_rs::signature::EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING)
            .unwrap();
        let der = pair.public_key().as_der().unwrap();
        let shown = STANDARD.encode(der.as_ref());
        (pair, shown)
    }

    fn sendgrid_headers(pair: &aws_lc_rs::signature::EcdsaKeyPair, timestamp: &str, body: &[u8]) -> http::HeaderMap {
        let mut signed = timestamp.as_bytes().to_vec();
        signed.extend_from_slice(body);
        let signature = pair.sign(&aws_lc_rs::rand::SystemRandom::new(), &signed).unwrap();
        let mut h = http::HeaderMap::new();
        h.insert(
            "x-twilio-email-event-webhook-signature",
            STANDARD.encode(signature.as_ref()).parse().unwrap(),
        );
        h.insert("x-twilio-email-event-webhook-timestamp", timestamp.parse().unwrap());
        h
    }

    const SENDGRID_BODY: &[u8] =
        br#"[{"email":"example@test.com","timestamp":1513299569,"event":"delivered","sg_event_id":"a"}]"#;

    #[test]
    fn a_sendgrid_batch_signed_over_its_timestamp_and_raw_body_is_accepted() {
        let (pair, shown) = sendgrid_pair();
        let key = SendGridKey::parse(&shown).unwrap();
        let h = sendgrid_headers(&pair, "1775012927", SENDGRID_BODY);
        assert_eq!(key.verify(&h, SENDGRID_BODY, 1_775_012_927), Ok(()));
        assert_eq!(key.verify(&h, SENDGRID_BODY, 1_775_012_927 + 300), Ok(()));
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{shown}\n-----END PUBLIC KEY-----\n");
        assert!(SendGridKey::parse(&pem).is_ok(), "a PEM block reads too");
    }

    #[test]
    fn a_sendgrid_batch_changed_in_transit_or_signed_by_another_key_is_refused() {
        let (pair, shown) = sendgrid_pair();
        let key = SendGridKey::parse(&shown).unwrap();
        let h = sendgrid_headers(&pair, "1775012927", SENDGRID_BODY);
        let tampered = SENDGRID_BODY
            .to_vec()
            .into_iter()
            .map(|b| if b == b'a' { b'b' } else { b })
            .collect::<Vec<_>>();
        assert_eq!(
            key.verify(&h, &tampered, 1_775_012_927),
            Err(SignatureError::BadSignature)
        );
        let mut later = h.clone();
        later.insert("x-twilio-email-event-webhook-timestamp", "1775012928".parse().unwrap());
        assert_eq!(
            key.verify(&later, SENDGRID_BODY, 1_775_012_927),
            Err(SignatureError::BadSignature),
            "the timestamp is signed"
        );
        let (other, _) = sendgrid_pair();
        let forged = sendgrid_headers(&other, "1775012927", SENDGRID_BODY);
        assert_eq!(
            key.verify(&forged, SENDGRID_BODY, 1_775_012_927),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn a_stale_or_unsigned_sendgrid_batch_is_refused_naming_the_header() {
        let (pair, shown) = sendgrid_pair();
        let key = SendGridKey::parse(&shown).unwrap();
        let h = sendgrid_headers(&pair, "1775012927", SENDGRID_BODY);
        assert_eq!(
            key.verify(&h, SENDGRID_BODY, 1_775_012_927 + 301),
            Err(SignatureError::StaleTimestamp {
                header: SendGridKey::TIMESTAMP,
                skew: 301
            })
        );
        let mut unsigned = h.clone();
        unsigned.remove("x-twilio-email-event-webhook-signature");
        assert_eq!(
            key.verify(&unsigned, SENDGRID_BODY, 1_775_012_927),
            Err(SignatureError::MissingHeader(SendGridKey::SIGNATURE))
        );
        let mut garbled = h;
        garbled.insert("x-twilio-email-event-webhook-signature", "not base64!".parse().unwrap());
        assert!(matches!(
            key.verify(&garbled, SENDGRID_BODY, 1_775_012_927),
            Err(SignatureError::MalformedHeader { .. })
        ));
    }

    #[test]
    fn only_a_p256_public_key_is_taken() {
        assert!(SendGridKey::parse("not base64!").is_err());
        assert!(SendGridKey::parse(&STANDARD.encode([0u8; 91])).is_err());
        // An Ed25519 SubjectPublicKeyInfo: a key, but not SendGrid's kind.
        let ed25519 = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        let der = ed25519.public_key().as_der().unwrap();
        assert!(SendGridKey::parse(&STANDARD.encode(der.as_ref())).is_err());
        assert_eq!(
            format!("{:?}", SendGridKey::parse(&sendgrid_pair().1).unwrap()),
            "SendGridKey"
        );
    }

    #[test]
    fn jwt_shapes_are_recognised() {
        assert!(looks_like_jwt(b"eyJhbGciOiJSUzI1NiJ9.eyJkYXRhIjoiIn0.c2ln"));
        assert!(!looks_like_jwt(br#"{"event":"bookings/created"}"#));
        assert!(!looks_like_jwt(b"a.b"));
    }

    /// Found while fuzzing: `now - timestamp` overflowed an i64, a panic in a
    /// debug build and a wrapped skew in a release one.
    #[test]
    fn a_webhook_timestamp_at_either_end_of_time_is_stale_not_an_overflow() {
        let secret = WebhookSecret::parse(SPEC_SECRET).unwrap();
        for ts in [i64::MIN, i64::MIN + 1, -i64::MAX, i64::MAX] {
            let h = headers(SPEC_ID, &ts.to_string(), &secret.sign(SPEC_ID, ts, SPEC_BODY));
            let err = secret.verify(&h, SPEC_BODY, SPEC_TS).unwrap_err();
            assert!(matches!(err, SignatureError::StaleTimestamp { .. }), "{ts}: {err}");
        }
    }

    /// Found while fuzzing: the port was looked for after the first place the
    /// host's name appears, which for a host spelled inside the scheme ("h"
    /// in "http") or written in capitals (the parser lowers it) was not the
    /// host at all, so Twilio's signature over the other form was refused.
    #[test]
    fn twilio_signatures_with_a_default_port_verify_whatever_the_hosts_spelling() {
        let token = TwilioToken(Secret::new("12345".to_owned()));
        let params = form_pairs(TWILIO_BODY);
        for (ours, theirs) in [
            ("http://h/hook", "http://h:80/hook"),
            ("https://s/hook", "https://s:443/hook"),
            ("http://ttp/hook", "http://ttp:80/hook"),
            ("https://Hooks.Example.com/hook", "https://Hooks.Example.com:443/hook"),
            ("https://Hooks.Example.com:443/hook", "https://Hooks.Example.com/hook"),
        ] {
            let h = twilio_headers(&token.sign(theirs, &params));
            assert_eq!(
                token.verify(ours, &h, TWILIO_BODY),
                Ok(()),
                "signed {theirs}, checked as {ours}"
            );
        }
    }

    /// Found while fuzzing: a correctly signed token whose claims are one JSON
    /// string had serde's message quote the whole string back.
    #[test]
    fn a_signed_wix_token_whose_claims_are_a_long_string_is_refused_without_echoing_it() {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("../testdata/wix_test_key.pem")).unwrap();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!("x".repeat(5_000)).to_string();
        let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims));
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::RS256).unwrap();
        let wix = WixKey::parse(include_str!("../testdata/wix_test_key.pub.pem")).unwrap();
        let err = wix.verify(&format!("{message}.{signature}")).unwrap_err();
        assert!(matches!(err, SignatureError::UnreadableClaims(_)), "{err}");
        assert!(err.to_string().len() < 300, "{err}");
    }
}
