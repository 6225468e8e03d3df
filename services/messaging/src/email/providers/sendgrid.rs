//! SendGrid's v3 Mail Send API, for outbound email.
//!
//! # The wire format, as SendGrid documents it
//!
//! `POST {base}/v3/mail/send` (base `https://api.sendgrid.com`, or the EU
//! subuser's `https://api.eu.sendgrid.com`), `Authorization: Bearer
//! <API key>`, a JSON body:
//!
//! ```json
//! {"personalizations": [{"to": [{"email": "sam@example.com"}]}],
//!  "from": {"email": "no-reply@clinic.example", "name": "Harbour Physio"},
//!  "subject": "Reset your attend password",
//!  "content": [{"type": "text/plain", "value": "…"}, {"type": "text/html", "value": "…"}],
//!  "custom_args": {"attend_id": "0190f3a4-…", "org": "harbour-physio"}}
//! ```
//!
//! - `content`: text/plain first, then text/html (SendGrid requires that
//!   order); the html part only when the email has one.
//! - `custom_args` (top level, so every personalization gets them): our
//!   email id and the organisation's slug. SendGrid copies them, as
//!   top-level fields, into every event of its Event Webhook, which is how
//!   ingest routes an event to its organisation and messaging finds the
//!   email, even if we crashed before recording SendGrid's id.
//! - Tracking (opens, clicks) is the account's setting; nothing here turns
//!   it on or off.
//!
//! A message SendGrid took is answered `202 Accepted` with an empty body
//! and its id in `X-Message-Id` (the prefix of every event's
//! `sg_message_id`). A refusal carries SendGrid's error object:
//!
//! ```json
//! {"errors": [{"message": "The from address does not match a verified Sender Identity.",
//!              "field": "from", "help": "https://sendgrid.com/docs/…"}]}
//! ```
//!
//! # What each answer becomes
//!
//! | SendGrid says | result | why |
//! | --- | --- | --- |
//! | any 2xx (202; 200 in sandbox mode) | sent, the id from `X-Message-Id` (empty when absent) | taken; delivery arrives by the Event Webhook |
//! | 429 | [`SendError::Transient`], `Retry-After` (else `X-RateLimit-Reset`) honoured | too fast |
//! | 5xx, 408 | [`SendError::Transient`], `Retry-After` honoured | SendGrid is unwell |
//! | 400 (a bad field), 401 / 403 (the key, its scopes, an unverified sender), 413 (too large), any other 4xx, a 3xx | [`SendError::Permanent`], with SendGrid's messages and fields | the same request would be refused again |
//! | no answer: refused, reset, timed out after [`REQUEST_TIMEOUT`] | [`SendError::Transient`] | may pass; a send that timed out after SendGrid took it is sent again (Mail Send takes no idempotency key) |
//!
//! # What it deliberately doesn't do
//!
//! - Retry: the sender does, with backoff, and counts attempts.
//! - Log bodies: a reset link never leaves this adapter except to SendGrid.
//! - Use dynamic templates, categories or ASM groups: messaging renders the
//!   email itself, so what was sent is what the queue row shows.

use std::time::Duration;

use attend_kit::secret::Secret;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::email::{EmailProvider, Outgoing, SendError};
use crate::providers::{REQUEST_TIMEOUT, base_url, excerpt, http_client, join_path, retry_after, transport_reason};

/// Where SendGrid's API lives.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.sendgrid.com";

/// Sends through SendGrid. Its `Debug` hides the API key.
#[derive(Debug)]
pub(crate) struct SendGrid {
    http: reqwest::Client,
    base_url: Url,
    api_key: Secret<String>,
}

impl SendGrid {
    /// An adapter for `api_key`; `base_url` is [`DEFAULT_BASE_URL`] except
    /// in the EU region and in tests.
    pub(crate) fn new(base: &str, api_key: Secret<String>) -> Result<Self, String> {
        let base_url = base_url(base, "the SendGrid base URL")?;
        if api_key.expose().trim().is_empty() {
            return Err("the SendGrid API key is empty".to_owned());
        }
        Ok(Self {
            http: http_client(REQUEST_TIMEOUT)?,
            base_url,
            api_key,
        })
    }

    async fn send_one(&self, email: &Outgoing) -> Result<String, SendError> {
        let response = self
            .http
            .post(join_path(&self.base_url, &["v3", "mail", "send"]))
            .bearer_auth(self.api_key.expose())
            .json(&body(email))
            .send()
            .await
            .map_err(|e| SendError::transient(transport_reason("SendGrid", e)))?;
        let status = response.status();
        let wait = retry_after(response.headers()).or_else(|| rate_limit_reset(response.headers()));
        let id = response
            .headers()
            .get("x-message-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if status.is_success() {
            return Ok(id.unwrap_or_default());
        }
        let text = response.text().await.unwrap_or_default();
        Err(refused(status, wait, &text))
    }
}

impl EmailProvider for SendGrid {
    fn name(&self) -> &'static str {
        "sendgrid"
    }

    fn send<'a>(&'a self, email: &'a Outgoing) -> BoxFuture<'a, Result<String, SendError>> {
        Box::pin(self.send_one(email))
    }
}

/// The Mail Send body.
fn body(email: &Outgoing) -> Value {
    let mut from = json!({"email": email.from.email.to_string()});
    if let Some(name) = &email.from.name {
        from["name"] = json!(name);
    }
    let mut content = vec![json!({"type": "text/plain", "value": email.body_text})];
    if let Some(html) = &email.body_html {
        content.push(json!({"type": "text/html", "value": html}));
    }
    json!({
        "personalizations": [{"to": [{"email": email.to}]}],
        "from": from,
        "subject": email.subject,
        "content": content,
        "custom_args": {"attend_id": email.id.to_string(), "org": email.org_slug},
    })
}

/// `X-RateLimit-Reset` (Unix seconds) as a wait, when a 429 has no
/// `Retry-After`.
fn rate_limit_reset(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let at: i64 = headers.get("x-ratelimit-reset")?.to_str().ok()?.trim().parse().ok()?;
    let wait = at - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(wait.clamp(0, 3_600) as u64))
}

#[derive(Deserialize)]
struct Errors {
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    message: Option<String>,
    field: Option<String>,
}

/// A request SendGrid (or something in front of it) refused.
fn refused(status: StatusCode, retry_after: Option<Duration>, text: &str) -> SendError {
    let said = match serde_json::from_str::<Errors>(text) {
        Ok(Errors { errors }) if !errors.is_empty() => errors
            .iter()
            .map(|e| match (&e.field, &e.message) {
                (Some(field), Some(message)) => format!("{field}: {message}"),
                (None, Some(message)) => message.clone(),
                (Some(field), None) => format!("{field}: refused"),
                (None, None) => "refused".to_owned(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => excerpt(text),
    };
    let reason = format!("SendGrid answered {status}: {said}");
    let passes =
        status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT || status.is_server_error();
    if passes {
        SendError::Transient { reason, retry_after }
    } else {
        SendError::permanent(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const KEY: &str = "SG.test-key.not-real";

    fn email(html: bool) -> Outgoing {
        Outgoing {
            id: Uuid::parse_str("0190f3a4-5b6c-7d8e-9f00-112233445566").unwrap(),
            org_slug: "harbour-physio".to_owned(),
            from: "Harbour Physio <no-reply@harbour.example>".parse().unwrap(),
            to: "sam@example.com".to_owned(),
            subject: "Reset your attend password".to_owned(),
            body_text: "Open https://app.example/reset?token=abc".to_owned(),
            body_html: html.then(|| "<p>Open <a href=\"https://app.example/reset?token=abc\">this</a></p>".to_owned()),
        }
    }

    async fn answering(response: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v3/mail/send"))
            .respond_with(response)
            .mount(&server)
            .await;
        server
    }

    fn sendgrid(server: &MockServer) -> SendGrid {
        SendGrid::new(&server.uri(), Secret::new(KEY.to_owned())).unwrap()
    }

    #[tokio::test]
    async fn an_email_is_posted_as_sendgrid_documents_with_our_id_and_organisation_in_custom_args() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v3/mail/send"))
            .and(header("authorization", "Bearer SG.test-key.not-real"))
            .and(header("content-type", "application/json"))
            .respond_with(ResponseTemplate::new(202).insert_header("x-message-id", "14c5d75ce93.dfd.64b469.filter0001"))
            .expect(1)
            .mount(&server)
            .await;

        let id = sendgrid(&server).send(&email(true)).await.unwrap();

        assert_eq!(id, "14c5d75ce93.dfd.64b469.filter0001");
        let requests = server.received_requests().await.unwrap();
        let sent: Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(
            sent,
            json!({
                "personalizations": [{"to": [{"email": "sam@example.com"}]}],
                "from": {"email": "no-reply@harbour.example", "name": "Harbour Physio"},
                "subject": "Reset your attend password",
                "content": [
                    {"type": "text/plain", "value": "Open https://app.example/reset?token=abc"},
                    {"type": "text/html", "value": "<p>Open <a href=\"https://app.example/reset?token=abc\">this</a></p>"}
                ],
                "custom_args": {"attend_id": "0190f3a4-5b6c-7d8e-9f00-112233445566", "org": "harbour-physio"}
            })
        );
    }

    #[tokio::test]
    async fn a_text_only_email_sends_one_content_part_and_a_bare_address_no_name() {
        let server = answering(ResponseTemplate::new(202)).await;
        let mut plain = email(false);
        plain.from = "no-reply@harbour.example".parse().unwrap();
        assert_eq!(
            sendgrid(&server).send(&plain).await.unwrap(),
            "",
            "no X-Message-Id: none recorded"
        );
        let sent: Value = serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
        assert_eq!(sent["from"], json!({"email": "no-reply@harbour.example"}));
        assert_eq!(sent["content"].as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn too_many_requests_is_transient_and_keeps_sendgrids_wait() {
        let server = answering(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_json(json!({"errors": [{"message": "too many requests", "field": null}]})),
        )
        .await;
        let err = sendgrid(&server).send(&email(true)).await.unwrap_err();
        assert_eq!(
            err,
            SendError::Transient {
                reason: "SendGrid answered 429 Too Many Requests: too many requests".to_owned(),
                retry_after: Some(Duration::from_secs(7)),
            }
        );
    }

    #[tokio::test]
    async fn a_rate_limit_reset_stands_in_for_a_missing_retry_after() {
        let reset = chrono::Utc::now().timestamp() + 30;
        let server = answering(ResponseTemplate::new(429).insert_header("x-ratelimit-reset", reset.to_string())).await;
        let Err(SendError::Transient {
            retry_after: Some(wait),
            ..
        }) = sendgrid(&server).send(&email(true)).await
        else {
            panic!("transient with a wait");
        };
        assert!(
            wait > Duration::from_secs(20) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }

    #[tokio::test]
    async fn a_server_error_is_transient() {
        let server = answering(ResponseTemplate::new(503).set_body_string("<html>Service Unavailable</html>")).await;
        let err = sendgrid(&server).send(&email(true)).await.unwrap_err();
        assert!(
            matches!(&err, SendError::Transient { retry_after: None, reason } if reason.contains("503")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_bad_request_is_permanent_and_names_sendgrids_fields() {
        let server = answering(ResponseTemplate::new(400).set_body_json(json!({"errors": [
            {"message": "The from address does not match a verified Sender Identity.", "field": "from", "help": "https://sendgrid.com/docs/for-developers/sending-email/sender-identity/"}
        ]})))
        .await;
        let err = sendgrid(&server).send(&email(true)).await.unwrap_err();
        assert_eq!(
            err,
            SendError::permanent(
                "SendGrid answered 400 Bad Request: from: The from address does not match a verified Sender Identity."
            )
        );
    }

    #[tokio::test]
    async fn a_refused_key_is_permanent() {
        let server = answering(ResponseTemplate::new(401).set_body_json(json!({"errors": [
            {"message": "The provided authorization grant is invalid, expired, or revoked", "field": null, "help": null}
        ]})))
        .await;
        assert!(matches!(
            sendgrid(&server).send(&email(true)).await,
            Err(SendError::Permanent { .. })
        ));
    }

    #[tokio::test]
    async fn no_answer_is_transient() {
        let server = answering(ResponseTemplate::new(202).set_delay(Duration::from_secs(5))).await;
        let adapter = SendGrid {
            http: http_client(Duration::from_millis(200)).unwrap(),
            ..sendgrid(&server)
        };
        let err = adapter.send(&email(true)).await.unwrap_err();
        assert!(
            matches!(&err, SendError::Transient { reason, .. } if reason.contains("timed out")),
            "{err:?}"
        );
    }

    #[test]
    fn its_debug_never_shows_the_key() {
        let adapter = SendGrid::new(DEFAULT_BASE_URL, Secret::new(KEY.to_owned())).unwrap();
        assert!(!format!("{adapter:?}").contains("SG.test"));
        assert!(SendGrid::new(DEFAULT_BASE_URL, Secret::new(" ".to_owned())).is_err());
    }
}
