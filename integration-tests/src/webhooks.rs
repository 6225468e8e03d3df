//! What providers send ingest, and what ingest made of it: Wix webhook
//! JWTs and the claims inside them, bodies signed with Standard Webhooks,
//! posts to the intake endpoints with each organisation's intake token,
//! and the refusals ingest recorded.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

use crate::TestFleet;

/// The Wix app key tests sign with, and its public half given to ingest.
pub const WIX_PRIVATE_KEY: &str = include_str!("../../services/ingest/testdata/wix_test_key.pem");
pub const WIX_PUBLIC_KEY: &str = include_str!("../../services/ingest/testdata/wix_test_key.pub.pem");
/// Somebody else's key.
pub const OTHER_PRIVATE_KEY: &str = include_str!("../../services/ingest/testdata/other_key.pem");
/// The Standard Webhooks secret tests sign with.
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The secret ingest derives ManyChat and ClickSend tokens from in tests.
pub const INTAKE_SECRET: &str = "test-intake-secret-0123456789abcdef";

/// The Twilio auth token ingest verifies with in tests.
pub const TWILIO_AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";

impl TestFleet {
    /// POSTs a body to the Wix bookings webhook with Standard Webhooks headers.
    pub async fn post_signed_json(&self, webhook_id: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let now = chrono::Utc::now().timestamp();
        self.post_webhook(
            body.into_bytes(),
            vec![
                ("content-type", "application/json".to_owned()),
                ("webhook-id", webhook_id.to_owned()),
                ("webhook-timestamp", now.to_string()),
            ],
            true,
        )
        .await
    }

    /// POSTs raw bytes and headers to the Wix bookings webhook. With
    /// `sign`, adds a `webhook-signature` over the body with the test secret
    /// and the given `webhook-id` and `webhook-timestamp`.
    pub async fn post_webhook(&self, body: Vec<u8>, headers: Vec<(&str, String)>, sign: bool) -> (u16, Value) {
        let mut request = self.http.post(format!("{}/webhooks/wix/bookings", self.ingest()));
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        if sign {
            let ts = header("webhook-timestamp").parse::<i64>().unwrap_or_default();
            request = request.header("webhook-signature", self.secret.sign(&header("webhook-id"), ts, &body));
        }
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let response = request.body(body).send().await.expect("webhook request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs a Wix JWT body.
    pub async fn post_wix_jwt(&self, token: &str) -> (u16, Value) {
        self.post_webhook(
            token.as_bytes().to_vec(),
            vec![("content-type", "text/plain".to_owned())],
            false,
        )
        .await
    }

    /// An organisation's token for ManyChat or ClickSend.
    pub fn intake_token(&self, provider: &str, slug: &str) -> String {
        attend_ingest::signature::IntakeSecret::parse(INTAKE_SECRET)
            .expect("test intake secret")
            .token(provider, slug)
    }

    /// POSTs to an ingest path with a content type and extra headers.
    pub async fn post_ingest(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.ingest()))
            .header("content-type", content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("ingest request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body, headers)
    }

    /// The reasons ingest recorded for refused deliveries, oldest first.
    pub async fn rejections(&self) -> Vec<(String, String, String)> {
        sqlx::query_as("select provider, reason_code, reason from ingest.rejected_deliveries order by received_at, id")
            .fetch_all(&mut self.admin().await)
            .await
            .expect("read rejected deliveries")
    }
}

/// A Wix webhook JWT, signed RS256 with `key_pem`, carrying a Bookings v2
/// "booking created" event.
pub fn wix_jwt(key_pem: &str, claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(key_pem.as_bytes()).expect("test RSA key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("sign JWT")
}

/// The claims of a Wix "booking created" webhook as Wix documents them:
/// `data` is JSON text holding `eventType`, `instanceId` and `data` (JSON
/// text of the event itself).
pub fn wix_created_claims(instance: &str, event_id: &str, booking_id: &str, phone: &str, expires_in: i64) -> Value {
    let start = chrono::Utc::now() + chrono::Duration::days(3);
    wix_created_claims_at(instance, event_id, booking_id, phone, start, expires_in)
}

/// As [`wix_created_claims`], for an appointment at `start` (tests on a
/// clock of their own choose it).
pub fn wix_created_claims_at(
    instance: &str,
    event_id: &str,
    booking_id: &str,
    phone: &str,
    start: chrono::DateTime<chrono::Utc>,
    expires_in: i64,
) -> Value {
    let start = start.to_rfc3339();
    let event = serde_json::json!({
        "id": event_id,
        "entityFqdn": "wix.bookings.v2.booking",
        "slug": "created",
        "entityId": booking_id,
        "createdEvent": {
            "entity": {
                "id": booking_id,
                "bookedEntity": {
                    "slot": {"serviceId": "svc-skin-check", "startDate": start, "timezone": "Australia/Sydney"},
                    "title": "Skin check"
                },
                "contactDetails": {
                    "contactId": "wix-contact-1",
                    "firstName": "Jane",
                    "lastName": "Doe",
                    "email": "Jane.Doe@Example.com",
                    "phone": phone,
                    "countryCode": "AU"
                },
                "status": "CONFIRMED",
                "paymentStatus": "NOT_PAID",
                "startDate": start
            }
        },
                "eventTime": chrono::Utc::now().to_rfc3339()
    });
    wix_claims(instance, "wix.bookings.v2.booking_created", &event, expires_in)
}

/// JWT claims wrapping a Wix event as Wix nests it: `data` is JSON text
/// with `eventType`, `instanceId` and `data`, the event as JSON text.
pub fn wix_claims(instance: &str, event_type: &str, event: &Value, expires_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    let data = serde_json::json!({
        "eventType": event_type,
        "instanceId": instance,
        "data": event.to_string(),
    });
    serde_json::json!({"data": data.to_string(), "iat": now, "exp": now + expires_in})
}

/// A Wix Bookings v2 action event (confirmed, canceled, declined,
/// rescheduled) about `booking_id`: the booking at `actionEvent.body.booking`,
/// with the given status and start, timed at `event_time`.
pub fn wix_action_claims(
    instance: &str,
    action: &str,
    event_id: &str,
    booking_id: &str,
    status: &str,
    start: chrono::DateTime<chrono::Utc>,
    event_time: chrono::DateTime<chrono::Utc>,
) -> Value {
    let event = serde_json::json!({
        "id": event_id,
        "entityFqdn": "wix.bookings.v2.booking",
        "slug": action,
        "entityId": booking_id,
        "actionEvent": {
            "body": {
                "booking": {
                    "id": booking_id,
                    "bookedEntity": {
                        "slot": {"serviceId": "svc-skin-check", "startDate": start.to_rfc3339()},
                        "title": "Skin check"
                    },
                    "status": status,
                    "paymentStatus": "NOT_PAID",
                    "startDate": start.to_rfc3339()
                }
            }
        },
        "eventTime": event_time.to_rfc3339()
    });
    wix_claims(instance, &format!("wix.bookings.v2.booking_{action}"), &event, 300)
}

/// The seed's JSON body for a booking.
pub fn seed_booking(instance: Option<&str>, booking_id: &str, phone: &str) -> Value {
    let mut body = serde_json::json!({
        "event": "bookings/created",
        "bookingId": booking_id,
        "contactId": format!("wix-contact-{booking_id}"),
        "serviceId": "service_abc",
        "startTime": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339(),
        "status": "scheduled",
        "customerInfo": {"name": "Jane Doe", "phone": phone, "email": "jane@example.com"}
    });
    if let Some(instance) = instance {
        body["instanceId"] = Value::String(instance.to_owned());
    }
    body
}
