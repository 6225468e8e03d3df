//! Entry points for the cargo-fuzz targets in `fuzz/` and the property
//! tests in `fuzz_props`: each takes arbitrary bytes, reads them as one
//! delivery, runs the verifiers and parsers the edge runs on it, and
//! asserts the promises the edge relies on. A broken promise panics, which
//! is what a fuzzer reports. Built for tests and with the `fuzzing`
//! feature only; a normal build never has it (docs/fuzzing.md).
//!
//! The promises, for every verifier and parser:
//! 1. no panic, whatever the input;
//! 2. a refusal names what is at fault (a field and a reason, or a
//!    signature error's message) and is answered 4xx, never 5xx;
//! 3. a value accepted is storable: no NUL or other control character but
//!    tab and line breaks (a name: one line), each string within its
//!    documented bound ([`TEXT_MAX`], [`ID_MAX`], or the field's own);
//! 4. an error text is under [`ERROR_MAX`] bytes: it never echoes an
//!    unbounded input.
//!
//! And for the verifiers: what the sender signs verifies, and a forged or
//! altered proof is refused.
//!
//! The bytes are read by [`Parts`]: a mode byte, then parts that are each a
//! length byte and that many bytes, then the body (the rest).

use std::sync::OnceLock;

use attend_kit::FieldError;
use attend_kit::contact_point::{Email, Phone, Region};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::payload::leads::{self, Lead};
use crate::payload::sms::{self, Inbound, Report};
use crate::payload::wix::{self, Notice};
use crate::payload::{self, ID_MAX, TEXT_MAX};
use crate::refusal::Rejection;
use crate::signature::{
    IntakeSecret, SignatureError, TwilioToken, WebhookSecret, WixKey, looks_like_jwt, url_candidates,
};

/// Longest error text (a field's name and reason, or a signature error) a
/// refusal may carry.
pub const ERROR_MAX: usize = 1_000;

/// The clock the Standard Webhooks checks run at (2026-09-21).
pub const NOW: i64 = 1_790_000_000;

/// Test-only secrets and keys, the ones the integration tests use.
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const INTAKE_SECRET: &str = "test-intake-secret-0123456789abcdef";
pub const TWILIO_AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const WIX_PRIVATE_KEY: &str = include_str!("../testdata/wix_test_key.pem");
pub const WIX_PUBLIC_KEY: &str = include_str!("../testdata/wix_test_key.pub.pem");

/// Regions a local phone is read in.
const REGIONS: [&str; 6] = ["AU", "US", "GB", "NZ", "DE", "IN"];

/// A fuzzer's bytes read as the parts of one delivery.
pub struct Parts<'a>(&'a [u8]);

impl<'a> Parts<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self(data)
    }

    /// One byte (0 once the input is used up).
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((first, rest)) => {
                self.0 = rest;
                *first
            }
            None => 0,
        }
    }

    /// A part: a length byte, then that many bytes (fewer at the end).
    pub fn part(&mut self) -> &'a [u8] {
        let len = usize::from(self.byte()).min(self.0.len());
        let (part, rest) = self.0.split_at(len);
        self.0 = rest;
        part
    }

    /// A part as text, invalid UTF-8 replaced.
    pub fn text(&mut self) -> String {
        String::from_utf8_lossy(self.part()).into_owned()
    }

    /// Whatever is left: the body.
    pub fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// The region the byte picks.
pub fn region(byte: u8) -> Region {
    REGIONS[usize::from(byte) % REGIONS.len()].parse().unwrap_or_default()
}

fn webhook_secret() -> &'static WebhookSecret {
    static SECRET: OnceLock<Option<WebhookSecret>> = OnceLock::new();
    match SECRET.get_or_init(|| WebhookSecret::parse(WEBHOOK_SECRET).ok()) {
        Some(secret) => secret,
        None => panic!("the test Standard Webhooks secret parses"),
    }
}

fn intake_secret() -> &'static IntakeSecret {
    static SECRET: OnceLock<Option<IntakeSecret>> = OnceLock::new();
    match SECRET.get_or_init(|| IntakeSecret::parse(INTAKE_SECRET).ok()) {
        Some(secret) => secret,
        None => panic!("the test intake secret parses"),
    }
}

fn twilio_token() -> &'static TwilioToken {
    static TOKEN: OnceLock<Option<TwilioToken>> = OnceLock::new();
    match TOKEN.get_or_init(|| TwilioToken::parse(TWILIO_AUTH_TOKEN).ok()) {
        Some(token) => token,
        None => panic!("the test Twilio token parses"),
    }
}

fn wix_key() -> &'static WixKey {
    static KEY: OnceLock<Option<WixKey>> = OnceLock::new();
    match KEY.get_or_init(|| WixKey::parse(WIX_PUBLIC_KEY).ok()) {
        Some(key) => key,
        None => panic!("the test Wix public key parses"),
    }
}

/// Signs `header` and `claims` (any bytes) with the test Wix key, RS256,
/// as Wix would: a token whose signature is good whatever it says.
pub fn sign_wix(header: &[u8], claims: &[u8]) -> String {
    static KEY: OnceLock<Option<jsonwebtoken::EncodingKey>> = OnceLock::new();
    let Some(key) = KEY.get_or_init(|| jsonwebtoken::EncodingKey::from_rsa_pem(WIX_PRIVATE_KEY.as_bytes()).ok()) else {
        panic!("the test Wix private key parses");
    };
    let message = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
    match jsonwebtoken::crypto::sign(message.as_bytes(), key, jsonwebtoken::Algorithm::RS256) {
        Ok(signature) => format!("{message}.{signature}"),
        Err(e) => panic!("signing with the test key: {e}"),
    }
}

/// The header Wix sends.
pub const WIX_HEADER: &[u8] = br#"{"alg":"RS256","typ":"JWT"}"#;

/// A documented Wix "booking created" delivery's claims, expiring in 2096.
pub fn wix_created_claims() -> Value {
    let event = json!({
        "id": "6c9b3f5e-7a86-4d7e-9b1c-2f1f0a6d5e01",
        "entityFqdn": "wix.bookings.v2.booking",
        "slug": "created",
        "createdEvent": {"entity": {
            "id": "f1d6a8b2-1c3e-4f5a-9b7d-0e2c4a6b8d10",
            "bookedEntity": {"slot": {"serviceId": "svc-1", "startDate": "2026-12-05T10:00:00.000Z",
                "endDate": "2026-12-05T10:30:00.000Z"}, "title": "Skin check"},
            "contactDetails": {"contactId": "c-1", "firstName": "Jane", "lastName": "Doe",
                "email": "Jane@Example.com", "phone": "0400 000 000", "countryCode": "AU"},
            "status": "CONFIRMED", "paymentStatus": "NOT_PAID",
            "startDate": "2026-12-05T10:00:00.000Z", "endDate": "2026-12-05T10:30:00.000Z"
        }},
        "eventTime": "2026-11-21T09:00:00.123Z"
    });
    let data = json!({
        "eventType": "wix.bookings.v2.booking_created",
        "instanceId": "wix-instance-1",
        "data": event.to_string(),
    });
    json!({"data": data.to_string(), "iat": 1_790_000_000, "exp": 4_000_000_000u64})
}

// ---------------------------------------------------------------- promises

/// A parser's refusal: at least one field, each named with a reason, each
/// text bounded, answered 400.
pub(crate) fn assert_refusal(errors: &[FieldError]) {
    assert!(!errors.is_empty(), "a refusal names at least one field");
    assert!(errors.len() <= 40, "{} problems for one body", errors.len());
    for e in errors {
        assert!(!e.field.is_empty(), "a problem without a field: {e:?}");
        assert!(!e.reason.trim().is_empty(), "a problem without a reason: {e:?}");
        assert_error_text(&e.to_string());
    }
    let rejection = Rejection::malformed(errors.to_vec());
    assert_eq!(rejection.status(), http::StatusCode::BAD_REQUEST);
}

/// A verifier's refusal: a bounded message, answered 4xx.
pub(crate) fn assert_signature_refusal(e: SignatureError) {
    let text = e.to_string();
    assert!(!text.is_empty(), "a signature refusal says why");
    assert_error_text(&text);
    let rejection = Rejection::from(e);
    assert!(
        rejection.status().is_client_error(),
        "{} for {text}",
        rejection.status()
    );
    assert_error_text(rejection.detail());
}

/// A reason from the kit's readers (a phone, an email).
fn assert_reason(field: &str, reason: &str) {
    assert!(!reason.trim().is_empty(), "{field}: a refusal without a reason");
    assert_error_text(&format!("{field}: {reason}"));
}

pub(crate) fn assert_error_text(text: &str) {
    assert!(
        text.len() < ERROR_MAX,
        "an error text of {} bytes echoes its input: {}…",
        text.len(),
        text.chars().take(120).collect::<String>()
    );
    assert!(!text.contains('\0'), "an error text holds a NUL: {text:?}");
}

/// A string a parser accepted: storable, within `max` characters.
pub(crate) fn assert_storable(field: &str, value: &str, max: usize) {
    assert!(!value.contains('\0'), "{field} holds a NUL: {value:?}");
    assert!(
        !value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
        "{field} holds a control character: {value:?}"
    );
    let count = value.chars().count();
    assert!(count <= max, "{field} is {count} characters, over its {max}");
}

fn assert_opt(field: &str, value: Option<&str>, max: usize) {
    if let Some(value) = value {
        assert!(!value.is_empty(), "{field} is present but empty");
        assert_storable(field, value, max);
    }
}

/// A name: one line, storable.
fn assert_name(field: &str, value: &str, max: usize) {
    assert_storable(field, value, max);
    assert!(
        !value.chars().any(|c| c.is_whitespace() && c != ' ') && value.trim() == value,
        "{field} is not one trimmed line: {value:?}"
    );
}

/// The phone and email as the edge reads them.
fn assert_phone_and_email(phone: Option<&str>, email: Option<&str>, region: Region) {
    if let Some(raw) = phone {
        match Phone::parse(raw, region) {
            Ok(p) => {
                let e164 = p.as_str();
                // libphonenumber's metadata has valid numbers past E.164's
                // 15 digits (German ones up to 17): a '+', a country code
                // and up to 17 digits.
                assert!(
                    e164.starts_with('+') && e164.len() <= 21 && e164[1..].bytes().all(|b| b.is_ascii_digit()),
                    "{e164:?} is not E.164"
                );
            }
            Err(reason) => assert_reason("phone", &reason),
        }
    }
    if let Some(raw) = email {
        match Email::parse(raw) {
            Ok(e) => assert_storable("email", e.as_str(), Email::MAX),
            Err(reason) => assert_reason("email", &reason),
        }
    }
}

/// A booking delivery, or its refusal; `id_max` bounds the delivery id.
pub(crate) fn assert_notice(result: Result<Notice, Vec<FieldError>>, id_max: usize) {
    let notice = match result {
        Ok(notice) => notice,
        Err(errors) => return assert_refusal(&errors),
    };
    assert!(!notice.delivery_id.is_empty(), "a delivery without an id");
    assert_storable("delivery_id", &notice.delivery_id, id_max);
    assert!(!notice.event_type.is_empty(), "a delivery without an event type");
    assert_storable("event_type", &notice.event_type, TEXT_MAX);
    assert_opt("instance_id", notice.instance_id.as_deref(), TEXT_MAX);
    let Some((_, b)) = notice.booking else { return };
    assert!(!b.external_booking_id.is_empty(), "a booking without an id");
    assert_storable("external_booking_id", &b.external_booking_id, ID_MAX);
    assert_opt("external_contact_id", b.external_contact_id.as_deref(), TEXT_MAX);
    assert_opt("service_id", b.service_id.as_deref(), TEXT_MAX);
    assert_opt("service_name", b.service_name.as_deref(), TEXT_MAX);
    assert_storable("external_status", &b.external_status, TEXT_MAX);
    assert_storable("external_payment_status", &b.external_payment_status, TEXT_MAX);
    if let Some(c) = b.customer {
        assert_name("customer.name", &c.name, 200);
        assert!(
            c.phone.is_some() || c.email.is_some(),
            "a customer with no phone or email"
        );
        assert_opt("customer.phone", c.phone.as_deref(), TEXT_MAX);
        assert_opt("customer.email", c.email.as_deref(), TEXT_MAX);
        assert_opt("customer.country_code", c.country_code.as_deref(), TEXT_MAX);
        assert!(!c.phone_field.is_empty() && !c.email_field.is_empty());
        let region = c
            .country_code
            .as_deref()
            .and_then(|code| code.parse().ok())
            .unwrap_or_default();
        assert_phone_and_email(c.phone.as_deref(), c.email.as_deref(), region);
    }
}

/// A lead, or its refusal; its phone and email read in `region`.
pub(crate) fn assert_lead(result: Result<Lead, Vec<FieldError>>, region: Region) {
    let lead = match result {
        Ok(lead) => lead,
        Err(errors) => return assert_refusal(&errors),
    };
    assert!(!lead.event.is_empty(), "a lead without an event");
    assert_storable("event", &lead.event, 100);
    assert_opt("delivery_id", lead.delivery_id.as_deref(), ID_MAX);
    if let Some(name) = &lead.name {
        assert_name("name", name, 200);
    }
    assert!(
        lead.phone.is_some() || lead.email.is_some(),
        "a lead with no phone or email"
    );
    assert_opt("phone", lead.phone.as_deref(), Phone::MAX_TEXT);
    assert_opt("email", lead.email.as_deref(), Email::MAX);
    assert_opt("intent", lead.intent.as_deref(), 100);
    assert_opt("flow_name", lead.flow_name.as_deref(), 200);
    assert!(
        lead.buttons_clicked.len() <= 50,
        "{} buttons",
        lead.buttons_clicked.len()
    );
    for button in &lead.buttons_clicked {
        assert!(!button.is_empty(), "an empty button");
        assert_storable("buttons_clicked", button, 200);
    }
    assert_opt("external_contact_id", lead.external_contact_id.as_deref(), ID_MAX);
    assert_opt("source", lead.source.as_deref(), 100);
    for (field, tag) in [
        ("utm.source", &lead.utm.source),
        ("utm.medium", &lead.utm.medium),
        ("utm.campaign", &lead.utm.campaign),
        ("utm.term", &lead.utm.term),
        ("utm.content", &lead.utm.content),
    ] {
        assert_storable(field, tag, 200);
    }
    assert_opt("click_id", lead.click_id.as_deref(), 500);
    assert_opt("form_name", lead.form_name.as_deref(), 200);
    assert_opt("page_url", lead.page_url.as_deref(), 2_000);
    assert_opt("message", lead.message.as_deref(), 2_000);
    assert_phone_and_email(lead.phone.as_deref(), lead.email.as_deref(), region);
}

/// An inbound text, or its refusal.
pub(crate) fn assert_inbound(result: Result<Inbound, Vec<FieldError>>, region: Region) {
    let sms = match result {
        Ok(sms) => sms,
        Err(errors) => return assert_refusal(&errors),
    };
    assert!(!sms.message_id.is_empty() && !sms.from.is_empty());
    assert_storable("message_id", &sms.message_id, ID_MAX);
    assert_storable("from", &sms.from, TEXT_MAX);
    assert_opt("to", sms.to.as_deref(), TEXT_MAX);
    assert_storable("body", &sms.body, 1_600);
    assert_opt("original_message_id", sms.original_message_id.as_deref(), TEXT_MAX);
    assert_phone_and_email(Some(&sms.from), None, region);
    // Our own number is kept as sent when it can't be read.
    assert_phone_and_email(sms.to.as_deref(), None, region);
}

/// A delivery report, or its refusal.
pub(crate) fn assert_report(result: Result<Report, Vec<FieldError>>) {
    let report = match result {
        Ok(report) => report,
        Err(errors) => return assert_refusal(&errors),
    };
    assert!(!report.message_id.is_empty());
    assert_storable("message_id", &report.message_id, ID_MAX);
    assert!(
        ["queued", "sent", "delivered", "retrying", "failed"].contains(&report.status),
        "{}",
        report.status
    );
    assert_storable("provider_status", &report.provider_status, 20);
    assert_opt("error_code", report.error_code.as_deref(), TEXT_MAX);
    assert_opt("error_text", report.error_text.as_deref(), TEXT_MAX);
    assert_opt("to", report.to.as_deref(), TEXT_MAX);
    assert_storable("delivery_id", &report.delivery_id(), ID_MAX + 21);
}

/// The content type the byte picks: JSON, a form, none, or a form with a charset.
fn content_type(byte: u8) -> Option<&'static str> {
    match byte % 4 {
        0 => Some("application/json"),
        1 => Some("application/x-www-form-urlencoded"),
        2 => None,
        _ => Some("application/x-www-form-urlencoded; charset=utf-8"),
    }
}

/// The body as the edge reads it, or its refusal (then `None`).
fn object(body: &[u8], content_type: Option<&str>) -> Option<Value> {
    match payload::object(body, content_type) {
        Ok(value) => {
            assert!(value.is_object(), "a body read as {value}");
            Some(value)
        }
        Err(errors) => {
            assert_refusal(&errors);
            None
        }
    }
}

// ---------------------------------------------------------------- targets

/// Standard Webhooks: `webhook-id`, `webhook-timestamp` and
/// `webhook-signature` as sent, or signed by the sender (mode & 1) at a
/// time near ours; then the seed's JSON form, as the edge reads it.
pub fn standard_webhooks(data: &[u8]) {
    let mut input = Parts::new(data);
    let mode = input.byte();
    let id = input.part();
    let timestamp = input.part();
    let signatures = input.part();
    let body = input.rest();
    let secret = webhook_secret();
    if mode & 0x40 != 0 {
        // The secret as configured: read, never a panic.
        let _ = WebhookSecret::parse(&String::from_utf8_lossy(id));
    }
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &[u8]| {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    };
    let signed = mode & 1 != 0;
    let id_text = String::from_utf8_lossy(id).into_owned();
    // Signed by the sender up to 384 seconds either side of our clock.
    let seconds = signed.then(|| NOW + i64::from(i8::from_le_bytes([timestamp.first().copied().unwrap_or(0)])) * 3);
    if mode & 2 == 0 {
        put("webhook-id", id);
    }
    if mode & 4 == 0 {
        match seconds {
            Some(s) => put("webhook-timestamp", s.to_string().as_bytes()),
            None => put("webhook-timestamp", timestamp),
        }
    }
    let genuine = seconds.map(|s| secret.sign(&id_text, s, body));
    if mode & 8 == 0 {
        match &genuine {
            Some(sig) => {
                let mut list = signatures.to_vec();
                list.push(b' ');
                list.extend_from_slice(sig.as_bytes());
                put("webhook-signature", &list);
            }
            None => put("webhook-signature", signatures),
        }
    }
    let sent = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let sent_id = sent("webhook-id");
    let sent_signatures = sent("webhook-signature").unwrap_or_default();
    let complete = sent_id.as_ref().is_some_and(|id| (1..=256).contains(&id.len()))
        && sent("webhook-timestamp").is_some()
        && !sent_signatures.is_empty();
    match secret.verify(&headers, body, NOW) {
        Ok(delivery_id) => {
            assert_eq!(Some(&delivery_id), sent_id.as_ref());
            assert_storable("webhook-id", &delivery_id, 256);
            assert!(
                genuine
                    .as_ref()
                    .is_some_and(|g| sent_signatures.split(' ').any(|s| s == g)),
                "a forged signature verified: {sent_signatures:?}"
            );
            assert_notice(wix::from_seed_json(body, &delivery_id), 256);
        }
        Err(e) => {
            let in_time = seconds.is_some_and(|s| (NOW - s).abs() <= 300);
            assert!(
                !(signed && complete && in_time),
                "a delivery the sender signed is refused: {e}"
            );
            assert_signature_refusal(e);
        }
    }
}

/// Wix JWTs. Mode 0: any token. 1: any claims, signed with the key. 2: any
/// header and claims, signed with the key. 3: a good token, altered.
pub fn wix_jwt(data: &[u8]) {
    let mut input = Parts::new(data);
    let mode = input.byte();
    let key = wix_key();
    match mode % 4 {
        0 => {
            let body = input.rest();
            if looks_like_jwt(body) {
                let token = std::str::from_utf8(body).unwrap_or_default().trim();
                match key.verify(token) {
                    Ok(claims) => panic!("a token nobody signed verified: {claims}"),
                    Err(e) => assert_signature_refusal(e),
                }
            }
        }
        1 => {
            let claims = input.rest();
            let token = sign_wix(WIX_HEADER, claims);
            assert!(
                claims.is_empty() || looks_like_jwt(token.as_bytes()),
                "a signed token is not taken for a JWT"
            );
            match key.verify(&token) {
                Ok(claims) => assert_notice(wix::from_wix_claims(&claims), ID_MAX),
                Err(e) => {
                    assert!(
                        matches!(
                            e,
                            SignatureError::Expired | SignatureError::NoExpiry | SignatureError::UnreadableClaims(_)
                        ),
                        "a token signed with the key is refused as forged: {e}"
                    );
                    assert_signature_refusal(e);
                }
            }
        }
        2 => {
            let header = input.part();
            let token = sign_wix(header, input.rest());
            match key.verify(&token) {
                Ok(claims) => {
                    let alg = jsonwebtoken::decode_header(&token).map(|h| h.alg);
                    assert!(
                        matches!(alg, Ok(jsonwebtoken::Algorithm::RS256)),
                        "a token saying {alg:?} verified"
                    );
                    assert_notice(wix::from_wix_claims(&claims), ID_MAX);
                }
                Err(e) => assert_signature_refusal(e),
            }
        }
        _ => {
            let at = input.byte();
            let how = input.byte();
            let extra = input.rest();
            let claims = wix_created_claims();
            let good = sign_wix(WIX_HEADER, claims.to_string().as_bytes()).into_bytes();
            let at = usize::from(at) * good.len() / 256;
            let mut altered = good.clone();
            match how % 4 {
                0 => altered[at] ^= how | 1,
                1 => altered.truncate(at),
                2 => altered.splice(at..at, extra.iter().copied()).for_each(drop),
                _ => altered.splice(at.., extra.iter().copied()).for_each(drop),
            }
            if !looks_like_jwt(&altered) {
                return;
            }
            let token = std::str::from_utf8(&altered).unwrap_or_default().trim();
            match key.verify(token) {
                Ok(read) => assert_eq!(read, claims, "an altered token verified with other claims"),
                Err(e) => assert_signature_refusal(e),
            }
        }
    }
}

/// The Wix parsers on their own, fast: mode 0 the seed's JSON form, 1 any
/// claims, 2 an event (the body) under a booking event type the next byte
/// picks, as JSON text the way Wix nests it.
pub fn wix_payload(data: &[u8]) {
    let mut input = Parts::new(data);
    let mode = input.byte();
    match mode % 3 {
        0 => assert_notice(wix::from_seed_json(input.rest(), "fuzz-delivery"), 256),
        1 => {
            if let Ok(claims) = serde_json::from_slice::<Value>(input.rest()) {
                assert_notice(wix::from_wix_claims(&claims), ID_MAX);
            }
        }
        _ => {
            const TYPES: [&str; 7] = [
                "wix.bookings.v2.booking_created",
                "wix.bookings.v2.booking_confirmed",
                "wix.bookings.v2.booking_declined",
                "wix.bookings.v2.booking_canceled",
                "wix.bookings.v2.booking_rescheduled",
                "wix.bookings.v2.booking_updated",
                "wix.contacts.v4.contact_created",
            ];
            let event_type = TYPES[usize::from(input.byte()) % TYPES.len()];
            let event = String::from_utf8_lossy(input.rest());
            let data = json!({"eventType": event_type, "instanceId": "wix-instance-1", "data": event});
            let claims = json!({"data": data.to_string()});
            assert_notice(wix::from_wix_claims(&claims), ID_MAX);
        }
    }
}

/// Twilio: a URL (built from a scheme, host, port and path, or any text),
/// `X-Twilio-Signature` as sent or made by Twilio over a form of the URL
/// with or without its default port, then the body read as an inbound
/// text and as a status callback.
pub fn twilio(data: &[u8]) {
    let mut input = Parts::new(data);
    let mode = input.byte();
    let host = input.text();
    let path = input.text();
    let presented = input.part();
    let body = input.rest();
    let token = twilio_token();
    let scheme = if mode & 1 == 0 { "https" } else { "http" };
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let mut host_text = String::new();
    let (url, twilio_url) = if mode & 2 != 0 {
        (host.clone(), host.clone())
    } else {
        let host: String = host
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            .collect();
        let host = host.trim_matches(|c| c == '.' || c == '-');
        let host = if host.is_empty() { "hooks.example.com" } else { host };
        host_text = host.to_owned();
        let mut path: String = path.chars().filter(|c| c.is_ascii_graphic() && *c != '#').collect();
        if mode & 0x80 != 0 {
            // A JSON body, covered by its hash in the query.
            use sha2::Digest as _;
            let hash: String = sha2::Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect();
            path.push_str(if path.contains('?') { "&" } else { "?" });
            path.push_str(&format!("bodySHA256={hash}"));
        }
        // How we configured the URL and how Twilio called it: the same, or
        // one with the default port and the other without.
        let (ours, theirs) = match (mode >> 2) & 3 {
            0 => ("", ""),
            1 => ("", default_port),
            2 => (default_port, ""),
            _ => (":8443", ":8443"),
        };
        (
            format!("{scheme}://{host}{ours}/{path}"),
            format!("{scheme}://{host}{theirs}/{path}"),
        )
    };
    // What the signature covers, read as the verifier reads it.
    let parsed = url::Url::parse(&url).ok();
    let query_hash = parsed.as_ref().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "bodySHA256")
            .map(|(_, v)| v.into_owned())
    });
    let params = match query_hash {
        Some(_) => Vec::new(),
        None => crate::signature::form_pairs(body),
    };
    let signed = mode & 0x10 != 0;
    let sent = if signed {
        token.sign(&twilio_url, &params).into_bytes()
    } else {
        presented.to_vec()
    };
    let mut headers = HeaderMap::new();
    if mode & 0x20 == 0
        && let Ok(value) = HeaderValue::from_bytes(&sent)
    {
        headers.insert("x-twilio-signature", value);
    }
    match token.verify(&url, &headers, body) {
        Ok(()) => {
            let sent = String::from_utf8_lossy(&sent);
            assert!(
                url_candidates(&url).iter().any(|c| token.sign(c, &params) == sent),
                "a forged Twilio signature verified: {sent:?} for {url}"
            );
        }
        Err(e) => {
            use sha2::Digest as _;
            let actual: String = sha2::Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect();
            // A domain as written (not an address the URL parser rewrites),
            // and a body its hash covers.
            let plain_host = parsed
                .as_ref()
                .and_then(|u| u.host_str())
                .is_some_and(|h| h.eq_ignore_ascii_case(&host_text));
            let hash_ok = query_hash.as_ref().is_none_or(|h| h.eq_ignore_ascii_case(&actual));
            let structured = mode & 2 == 0 && mode & 0x20 == 0;
            assert!(
                !(signed && structured && plain_host && hash_ok),
                "Twilio's own signature over {twilio_url} is refused for {url}: {e}"
            );
            assert_signature_refusal(e);
        }
    }
    let region = region(mode);
    if let Some(value) = object(body, Some("application/x-www-form-urlencoded")) {
        assert_inbound(sms::twilio_inbound(&value), region);
        assert_report(sms::twilio_status_callback(&value));
    }
    if let Some(value) = object(body, Some("application/json")) {
        assert_inbound(sms::twilio_inbound(&value), region);
        assert_report(sms::twilio_status_callback(&value));
    }
}

/// ManyChat and ClickSend tokens. Mode & 2 clear: the text as presented
/// (after `Bearer `). Set: a token made for the text as a slug, then with
/// the byte after the mode flipped at a place.
pub fn intake_token(data: &[u8]) {
    let mut input = Parts::new(data);
    let mode = input.byte();
    let flip = input.byte();
    let text = String::from_utf8_lossy(input.rest()).into_owned();
    let secret = intake_secret();
    let (provider, other) = if mode & 1 == 0 {
        ("manychat", "clicksend")
    } else {
        ("clicksend", "manychat")
    };
    if mode & 2 == 0 {
        let presented = text.strip_prefix("Bearer ").unwrap_or(&text);
        match secret.verify(provider, presented) {
            Ok(slug) => {
                assert!(!slug.is_empty() && slug.len() <= 100);
                assert_eq!(
                    secret.token(provider, &slug),
                    presented.trim(),
                    "a forged token verified"
                );
            }
            Err(e) => assert_signature_refusal(e),
        }
        return;
    }
    let slug = text;
    let token = secret.token(provider, &slug);
    let fits = !slug.is_empty() && slug.len() <= 100 && slug.trim_start() == slug && slug.trim_end() == slug;
    match secret.verify(provider, &token) {
        Ok(read) => assert_eq!(read, slug),
        Err(e) => {
            assert!(!fits, "the token made for {slug:?} is refused: {e}");
            assert_signature_refusal(e);
        }
    }
    if let Ok(read) = secret.verify(other, &token) {
        panic!("{provider}'s token for {read:?} verified for {other}");
    }
    let mut altered = token.clone().into_bytes();
    let at = usize::from(flip) * altered.len() / 256;
    altered[at] ^= (flip | 1) & 0x7f;
    if let Ok(altered) = String::from_utf8(altered)
        && altered.trim() != token.trim()
        && let Ok(read) = secret.verify(provider, &altered)
    {
        // A flip in the slug makes another slug whose MAC won't match;
        // only white space at the ends can change and still verify.
        assert_eq!(
            secret.token(provider, &read),
            altered.trim(),
            "an altered token verified"
        );
    }
}

/// ManyChat External Requests: the body, as JSON or a form the byte picks.
pub fn manychat(data: &[u8]) {
    let mut input = Parts::new(data);
    let mode = input.byte();
    if let Some(value) = object(input.rest(), content_type(mode)) {
        assert_lead(leads::from_manychat(&value), region(mode >> 2));
    }
}

/// Web forms: the body, as JSON or a form the byte picks.
pub fn forms(data: &[u8]) {
    let mut input = Parts::new(data);
    let mode = input.byte();
    if let Some(value) = object(input.rest(), content_type(mode)) {
        assert_lead(leads::from_form(&value), region(mode >> 2));
    }
}

/// ClickSend inbound texts and delivery receipts: the body, as JSON or a
/// form the byte picks, read as both.
pub fn clicksend(data: &[u8]) {
    let mut input = Parts::new(data);
    let mode = input.byte();
    if let Some(value) = object(input.rest(), content_type(mode)) {
        assert_inbound(sms::clicksend_inbound(&value), region(mode >> 2));
        assert_report(sms::clicksend_receipt(&value));
    }
}
