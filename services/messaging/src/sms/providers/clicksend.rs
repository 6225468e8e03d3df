//! ClickSend's REST API v3, for outbound SMS.
//!
//! # The wire format, as ClickSend documents it
//!
//! `POST {base}/v3/sms/send` (base `https://rest.clicksend.com`), HTTP basic
//! auth with the account's username and an API key, a JSON body:
//!
//! ```json
//! {"messages": [{"source": "attend", "from": "+61411111111", "to": "+61422222222",
//!                "body": "…", "custom_string": "<our message id>"}]}
//! ```
//!
//! - `source` names the sending application (free text, for ClickSend's
//!   reports).
//! - `from` is a dedicated number, an alphanumeric sender id or absent; when
//!   absent ClickSend sends from its shared pool. We leave it out when our
//!   `from` is empty.
//! - `custom_string` (up to 4,096 characters) is echoed in the answer and in
//!   the delivery receipt ClickSend posts back, so the receipt finds our
//!   message even if we crashed before recording ClickSend's `message_id`.
//!
//! The answer to a request ClickSend understood is HTTP 200:
//!
//! ```json
//! {"http_code": 200, "response_code": "SUCCESS", "response_msg": "Messages queued for delivery.",
//!  "data": {"total_price": 0.07, "total_count": 1, "queued_count": 1,
//!           "messages": [{"message_id": "BF7AD270-0DE2-418B-B606-71D527D9C1AE", "status": "SUCCESS",
//!                         "custom_string": "<our message id>", "to": "+61422222222", "message_parts": 1,
//!                         "…": "…"}]}}
//! ```
//!
//! The HTTP status and `response_code` are about the whole request; each
//! message has its own `status`, and a 200 may carry a message that was
//! refused (its `status` is then one of ClickSend's response codes, such as
//! `INVALID_RECIPIENT`). A request refused whole is a 4xx or 5xx whose body
//! has the same envelope (`{"http_code": 401, "response_code": "UNAUTHORIZED",
//! "response_msg": "…", "data": null}`), or, from a proxy in front of
//! ClickSend, something else entirely.
//!
//! # What each answer becomes
//!
//! | ClickSend says | [`SendError`] | why |
//! | --- | --- | --- |
//! | 200, message `status` `SUCCESS` | — ([`Accepted`], `provider_status` "SUCCESS") | queued for delivery |
//! | message `status` `INVALID_RECIPIENT`, `INVALID_SENDER_ID`, `COUNTRY_NOT_ENABLED`, `EMPTY_MESSAGE`, `MISSING_REQUIRED_FIELDS`, `TOO_MANY_RECIPIENTS`, `INVALID_CREDENTIALS`, `MISSING_CREDENTIALS`, `ACCOUNT_NOT_ACTIVATED`, … (any code not listed as transient) | `Permanent`, code = the status | the same message would be refused again; a code we don't know is far likelier one more validation error than a passing state, and the code is kept for whoever reads the failure |
//! | message `status` `INSUFFICIENT_CREDIT` | `Transient` | the practice tops up in ClickSend's dashboard and the queued reminders should then go, within the sender's attempts |
//! | message `status` `THROTTLED` | `Transient` | ClickSend: "identical message already sent to this recipient; try again in a few seconds" |
//! | message `status` `INTERNAL_ERROR`, `SOMETHING_IS_WRONG` | `Transient` | ClickSend's own fault |
//! | 401, 403 | `Permanent`, code = `response_code` (or `http_401`) | bad credentials or a disabled account: retrying can't fix configuration |
//! | 408, 429 | `Transient`, `Retry-After` honoured when present | too fast, or too slow to send |
//! | 5xx | `Transient`, `Retry-After` honoured when present | ClickSend (or its edge) is unwell |
//! | any other 4xx (400 `BAD_REQUEST`, 404, 405, …) | `Permanent`, code = `response_code` (or `http_<status>`) | the request itself is wrong |
//! | 3xx | `Permanent`, code `http_<status>` | ClickSend documents none: the base URL is wrong |
//! | no answer: refused, reset, timed out after [`super::REQUEST_TIMEOUT`] | `Transient` | may be gone in a minute |
//! | 2xx we can't read, or without our message | `Transient` | we can't tell whether it was queued; resending risks a duplicate, not resending risks a missed appointment, and a duplicate reminder is the smaller harm |
//!
//! ClickSend reports no opt-out at send time that we know of, so this adapter
//! never answers [`SendError::OptedOut`]: a patient's STOP arrives as an
//! inbound text, and the sender doesn't send to opted-out patients.
//!
//! # What it deliberately doesn't do
//!
//! - Retry: one call, one request. The sender retries with backoff and
//!   jitter, and knows how many attempts a message has had.
//! - Prevent duplicates: ClickSend has no idempotency key, so a send that
//!   timed out after ClickSend queued it is sent again on retry. Both copies
//!   carry our id in `custom_string`.
//! - Count segments, check the recipient's format or opt-out, or pick the
//!   sender id: the message arrives decided.
//! - Log: the sender records the outcome; the body (which may hold health
//!   information) never leaves this adapter except to ClickSend.

use std::time::Duration;

use attend_kit::secret::Secret;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{Accepted, OutgoingSms, SendError, SmsProvider};

/// Where ClickSend's REST API lives.
pub(crate) const DEFAULT_BASE_URL: &str = "https://rest.clicksend.com";

/// Our application's name in ClickSend's reports.
const SOURCE: &str = "attend";

/// Sends through ClickSend's REST API v3. Its `Debug` hides the API key.
#[derive(Debug)]
pub(crate) struct ClickSend {
    http: reqwest::Client,
    base_url: Url,
    username: String,
    api_key: Secret<String>,
}

impl ClickSend {
    /// An adapter for the account `username` with `api_key`; `base_url` is
    /// [`DEFAULT_BASE_URL`] except in tests.
    pub(crate) fn new(base_url: &str, username: String, api_key: Secret<String>) -> Result<Self, String> {
        let base_url = super::base_url(base_url, "the ClickSend base URL")?;
        if username.trim().is_empty() {
            return Err("the ClickSend username is empty".to_owned());
        }
        if api_key.expose().trim().is_empty() {
            return Err("the ClickSend API key is empty".to_owned());
        }
        Ok(Self {
            http: super::http_client(super::REQUEST_TIMEOUT)?,
            base_url,
            username,
            api_key,
        })
    }

    /// The same adapter with another whole-request timeout.
    #[cfg(test)]
    pub(crate) fn with_timeout(self, timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            http: super::http_client(timeout)?,
            ..self
        })
    }

    fn endpoint(&self) -> Url {
        super::join_path(&self.base_url, &["v3", "sms", "send"])
    }

    async fn send_one(&self, sms: &OutgoingSms) -> Result<Accepted, SendError> {
        let custom_string = sms.id.to_string();
        let request = SendRequest {
            messages: [Message {
                source: SOURCE,
                from: Some(sms.from.as_str()).filter(|from| !from.is_empty()),
                to: &sms.to,
                body: &sms.body,
                custom_string: &custom_string,
            }],
        };
        let response = self
            .http
            .post(self.endpoint())
            .basic_auth(&self.username, Some(self.api_key.expose()))
            .json(&request)
            .send()
            .await
            .map_err(|e| super::transport_failure("ClickSend", e))?;
        let status = response.status();
        let retry_after = super::retry_after(response.headers());
        let text = response
            .text()
            .await
            .map_err(|e| super::transport_failure("ClickSend", e))?;
        answer(status, retry_after, &text, &custom_string)
    }
}

impl SmsProvider for ClickSend {
    fn name(&self) -> &'static str {
        "clicksend"
    }

    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send_one(sms))
    }
}

#[derive(Serialize)]
struct SendRequest<'a> {
    messages: [Message<'a>; 1],
}

#[derive(Serialize)]
struct Message<'a> {
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    to: &'a str,
    body: &'a str,
    custom_string: &'a str,
}

/// The envelope of every ClickSend answer; only what we read.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    response_code: Option<String>,
    #[serde(default)]
    response_msg: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    messages: Vec<Sent>,
}

#[derive(Deserialize)]
struct Sent {
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    custom_string: Option<String>,
}

/// What ClickSend's answer means for the message whose id is `ours`.
fn answer(status: StatusCode, retry_after: Option<Duration>, text: &str, ours: &str) -> Result<Accepted, SendError> {
    let envelope = serde_json::from_str::<Envelope>(text).ok();
    if !status.is_success() {
        return Err(refused(status, retry_after, envelope.as_ref(), text));
    }
    let Some(envelope) = envelope else {
        return Err(SendError::Transient {
            reason: format!(
                "ClickSend answered {status} with a body we can't read, so whether it queued the message is unknown: {}",
                super::excerpt(text)
            ),
            retry_after: None,
        });
    };
    let messages = envelope.data.map(|d| d.messages).unwrap_or_default();
    // One message was sent; find it by our id, else take the only one.
    let sent = messages
        .iter()
        .find(|m| m.custom_string.as_deref() == Some(ours))
        .or(messages.first());
    let Some(sent) = sent else {
        return Err(SendError::Transient {
            reason: format!(
                "ClickSend answered {status} ({}: {}) without the message, so whether it queued it is unknown",
                envelope.response_code.as_deref().unwrap_or("no response_code"),
                envelope.response_msg.as_deref().unwrap_or(""),
            ),
            retry_after: None,
        });
    };
    let message_status = sent.status.as_deref().unwrap_or_default();
    match (message_status, sent.message_id.as_deref()) {
        ("SUCCESS", Some(id)) if !id.is_empty() => Ok(Accepted {
            provider_message_id: id.to_owned(),
            provider_status: message_status.to_owned(),
        }),
        ("SUCCESS", _) => Err(SendError::Transient {
            reason: "ClickSend queued the message but gave no message_id; sending again".to_owned(),
            retry_after: None,
        }),
        ("", _) => Err(SendError::Transient {
            reason: "ClickSend answered without the message's status, so whether it queued it is unknown".to_owned(),
            retry_after: None,
        }),
        (code, _) => Err(message_refused(code, envelope.response_msg.as_deref())),
    }
}

/// Per-message statuses that may pass; every other refusal is permanent.
const TRANSIENT_STATUSES: &[&str] = &[
    "INSUFFICIENT_CREDIT",
    "THROTTLED",
    "INTERNAL_ERROR",
    "SOMETHING_IS_WRONG",
];

/// A message ClickSend refused with `code` in a request it accepted.
fn message_refused(code: &str, response_msg: Option<&str>) -> SendError {
    let reason = format!(
        "ClickSend refused the message: {code}{}",
        response_msg.map(|m| format!(" ({m})")).unwrap_or_default()
    );
    if TRANSIENT_STATUSES.contains(&code) {
        SendError::Transient {
            reason,
            retry_after: None,
        }
    } else {
        SendError::Permanent {
            code: code.to_owned(),
            reason,
        }
    }
}

/// A request ClickSend (or something in front of it) refused whole.
fn refused(status: StatusCode, retry_after: Option<Duration>, envelope: Option<&Envelope>, text: &str) -> SendError {
    let code = envelope
        .and_then(|e| e.response_code.clone())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| format!("http_{}", status.as_u16()));
    let said = envelope
        .and_then(|e| e.response_msg.clone())
        .unwrap_or_else(|| super::excerpt(text));
    let reason = format!("ClickSend answered {status}: {code}: {said}");
    if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT || status.is_server_error() {
        SendError::Transient { reason, retry_after }
    } else {
        // 401/403 (credentials, a disabled account), 400 and the rest of
        // 4xx, and the 3xx ClickSend never sends.
        SendError::Permanent { code, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use uuid::Uuid;
    use wiremock::matchers::{body_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const USERNAME: &str = "practice@example.com";
    const API_KEY: &str = "ABCDEF12-3456-7890-ABCD-EF1234567890";
    /// `Basic base64("practice@example.com:ABCDEF12-3456-7890-ABCD-EF1234567890")`.
    const AUTHORIZATION: &str = "Basic cHJhY3RpY2VAZXhhbXBsZS5jb206QUJDREVGMTItMzQ1Ni03ODkwLUFCQ0QtRUYxMjM0NTY3ODkw";
    const MESSAGE_ID: &str = "BF7AD270-0DE2-418B-B606-71D527D9C1AE";

    fn sms() -> OutgoingSms {
        OutgoingSms {
            id: Uuid::parse_str("0190f3a4-5b6c-7d8e-9f00-112233445566").unwrap(),
            org_slug: "harbour-physio".to_owned(),
            to: "+61422222222".to_owned(),
            from: "HarbourPhys".to_owned(),
            body: "Hi Sam, your appointment is tomorrow at 9:30. Reply Y to confirm.".to_owned(),
        }
    }

    fn clicksend(server: &MockServer) -> ClickSend {
        ClickSend::new(&server.uri(), USERNAME.to_owned(), Secret::new(API_KEY.to_owned())).unwrap()
    }

    /// ClickSend's documented answer, for one message with `status`.
    fn answered(status: &str) -> Value {
        json!({
            "http_code": 200,
            "response_code": "SUCCESS",
            "response_msg": "Messages queued for delivery.",
            "data": {
                "total_price": 0.077,
                "total_count": 1,
                "queued_count": i32::from(status == "SUCCESS"),
                "messages": [{
                    "direction": "out",
                    "date": 1_775_012_927,
                    "to": "+61422222222",
                    "body": "Hi Sam, your appointment is tomorrow at 9:30. Reply Y to confirm.",
                    "from": "HarbourPhys",
                    "schedule": "",
                    "message_id": MESSAGE_ID,
                    "message_parts": 1,
                    "message_price": "0.0770",
                    "from_email": null,
                    "list_id": null,
                    "custom_string": "0190f3a4-5b6c-7d8e-9f00-112233445566",
                    "contact_id": null,
                    "user_id": 304_497,
                    "subaccount_id": 745_158,
                    "country": "AU",
                    "carrier": "Telstra",
                    "status": status
                }],
                "_currency": {"currency_name_short": "AUD", "currency_prefix_d": "$", "currency_prefix_c": "c", "currency_name_long": "Australian Dollars"}
            }
        })
    }

    /// The envelope ClickSend answers a refused request with.
    fn refusal(http_code: u16, response_code: &str, response_msg: &str) -> ResponseTemplate {
        ResponseTemplate::new(http_code).set_body_json(json!({
            "http_code": http_code,
            "response_code": response_code,
            "response_msg": response_msg,
            "data": null
        }))
    }

    async fn answering(response: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v3/sms/send"))
            .respond_with(response)
            .mount(&server)
            .await;
        server
    }

    #[tokio::test]
    async fn a_message_is_posted_as_clicksend_documents_with_our_id_in_custom_string() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v3/sms/send"))
            .and(header("authorization", AUTHORIZATION))
            .and(header("content-type", "application/json"))
            .and(body_json(json!({"messages": [{
                "source": "attend",
                "from": "HarbourPhys",
                "to": "+61422222222",
                "body": "Hi Sam, your appointment is tomorrow at 9:30. Reply Y to confirm.",
                "custom_string": "0190f3a4-5b6c-7d8e-9f00-112233445566"
            }]})))
            .respond_with(ResponseTemplate::new(200).set_body_json(answered("SUCCESS")))
            .expect(1)
            .mount(&server)
            .await;

        let accepted = clicksend(&server).send(&sms()).await.unwrap();

        assert_eq!(
            accepted,
            Accepted {
                provider_message_id: MESSAGE_ID.to_owned(),
                provider_status: "SUCCESS".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn an_empty_sender_is_left_out_so_clicksend_uses_its_shared_numbers() {
        let server = answering(ResponseTemplate::new(200).set_body_json(answered("SUCCESS"))).await;
        let sms = OutgoingSms {
            from: String::new(),
            ..sms()
        };

        clicksend(&server).send(&sms).await.unwrap();

        let requests = server.received_requests().await.unwrap();
        let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body["messages"][0].get("from"), None, "{body}");
        assert_eq!(body["messages"][0]["to"], "+61422222222");
    }

    #[tokio::test]
    async fn a_base_url_with_a_path_keeps_it() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/proxy/v3/sms/send"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answered("SUCCESS")))
            .expect(1)
            .mount(&server)
            .await;
        let adapter = ClickSend::new(
            &format!("{}/proxy/", server.uri()),
            USERNAME.to_owned(),
            Secret::new(API_KEY.to_owned()),
        )
        .unwrap();

        adapter.send(&sms()).await.unwrap();
    }

    #[tokio::test]
    async fn a_recipient_clicksend_calls_invalid_fails_permanently_with_its_code() {
        let server = answering(ResponseTemplate::new(200).set_body_json(answered("INVALID_RECIPIENT"))).await;

        let error = clicksend(&server).send(&sms()).await.unwrap_err();

        let SendError::Permanent { code, reason } = error else {
            panic!("{error:?}")
        };
        assert_eq!(code, "INVALID_RECIPIENT");
        assert!(reason.contains("INVALID_RECIPIENT"), "{reason}");
    }

    #[tokio::test]
    async fn a_country_not_enabled_fails_permanently() {
        let server = answering(ResponseTemplate::new(200).set_body_json(answered("COUNTRY_NOT_ENABLED"))).await;

        let error = clicksend(&server).send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Permanent { code, .. } if code == "COUNTRY_NOT_ENABLED"),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn running_out_of_credit_is_transient_so_a_top_up_lets_the_message_go() {
        let server = answering(ResponseTemplate::new(200).set_body_json(answered("INSUFFICIENT_CREDIT"))).await;

        let error = clicksend(&server).send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Transient { reason, retry_after: None } if reason.contains("INSUFFICIENT_CREDIT")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn too_many_requests_is_transient_and_keeps_clicksends_wait() {
        let server = answering(
            refusal(429, "TOO_MANY_REQUESTS", "Too many requests. Please slow down.").insert_header("Retry-After", "7"),
        )
        .await;

        let error = clicksend(&server).send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Transient { retry_after: Some(wait), .. } if *wait == Duration::from_secs(7)),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn too_many_requests_without_a_wait_leaves_it_to_the_sender() {
        let server = answering(refusal(429, "TOO_MANY_REQUESTS", "Too many requests.")).await;

        let error = clicksend(&server).send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Transient { retry_after: None, .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn an_unavailable_clicksend_is_transient_even_when_its_edge_answers_html() {
        let server = answering(
            ResponseTemplate::new(503).set_body_raw("<html><body>503 Service Unavailable</body></html>", "text/html"),
        )
        .await;

        let error = clicksend(&server).send(&sms()).await.unwrap_err();

        let SendError::Transient { reason, retry_after } = error else {
            panic!("{error:?}")
        };
        assert_eq!(retry_after, None);
        assert!(
            reason.contains("http_503") && reason.contains("Service Unavailable"),
            "{reason}"
        );
    }

    #[tokio::test]
    async fn an_internal_error_is_transient() {
        let server = answering(refusal(500, "INTERNAL_SERVER_ERROR", "Internal server error.")).await;

        let error = clicksend(&server).send(&sms()).await.unwrap_err();

        assert!(matches!(error, SendError::Transient { .. }), "{error:?}");
    }

    #[tokio::test]
    async fn bad_credentials_fail_permanently() {
        for (status, code) in [(401, "UNAUTHORIZED"), (403, "FORBIDDEN")] {
            let server = answering(refusal(status, code, "Invalid credentials.")).await;

            let error = clicksend(&server).send(&sms()).await.unwrap_err();

            assert_eq!(
                error,
                SendError::Permanent {
                    code: code.to_owned(),
                    reason: format!(
                        "ClickSend answered {}: {code}: Invalid credentials.",
                        StatusCode::from_u16(status).unwrap()
                    ),
                }
            );
        }
    }

    #[tokio::test]
    async fn a_bad_request_fails_permanently_with_clicksends_code() {
        let server = answering(refusal(400, "BAD_REQUEST", "Some fields are missing.")).await;

        let error = clicksend(&server).send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Permanent { code, .. } if code == "BAD_REQUEST"),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_redirect_is_reported_not_followed() {
        let server =
            answering(ResponseTemplate::new(301).insert_header("Location", "https://elsewhere.example/")).await;

        let error = clicksend(&server).send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Permanent { code, .. } if code == "http_301"),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_success_we_cannot_read_is_transient_because_the_outcome_is_unknown() {
        for body in [
            "not json",
            r#"{"http_code":200,"response_code":"SUCCESS","data":{"messages":[]}}"#,
        ] {
            let server = answering(ResponseTemplate::new(200).set_body_string(body)).await;

            let error = clicksend(&server).send(&sms()).await.unwrap_err();

            assert!(matches!(error, SendError::Transient { .. }), "{body}: {error:?}");
        }
    }

    #[tokio::test]
    async fn a_clicksend_slower_than_the_timeout_is_transient() {
        let server = answering(
            ResponseTemplate::new(200)
                .set_body_json(answered("SUCCESS"))
                .set_delay(Duration::from_secs(5)),
        )
        .await;
        let adapter = clicksend(&server).with_timeout(Duration::from_millis(200)).unwrap();

        let error = adapter.send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Transient { reason, .. } if reason.contains("timed out")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_clicksend_that_cannot_be_reached_is_transient() {
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let adapter = ClickSend::new(&base, USERNAME.to_owned(), Secret::new(API_KEY.to_owned())).unwrap();

        let error = adapter.send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Transient { reason, .. } if reason.contains("could not connect")),
            "{error:?}"
        );
    }

    #[test]
    fn each_documented_message_status_is_permanent_or_transient_as_the_table_says() {
        for code in [
            "INVALID_RECIPIENT",
            "INVALID_SENDER_ID",
            "COUNTRY_NOT_ENABLED",
            "EMPTY_MESSAGE",
            "MISSING_REQUIRED_FIELDS",
            "TOO_MANY_RECIPIENTS",
            "INVALID_CREDENTIALS",
            "MISSING_CREDENTIALS",
            "ACCOUNT_NOT_ACTIVATED",
            "A_CODE_CLICKSEND_ADDS_LATER",
        ] {
            assert!(
                matches!(message_refused(code, None), SendError::Permanent { code: c, .. } if c == code),
                "{code}"
            );
        }
        for code in [
            "INSUFFICIENT_CREDIT",
            "THROTTLED",
            "INTERNAL_ERROR",
            "SOMETHING_IS_WRONG",
        ] {
            assert!(
                matches!(message_refused(code, None), SendError::Transient { .. }),
                "{code}"
            );
        }
    }

    #[test]
    fn the_answer_names_our_message_by_custom_string_among_several() {
        let mut body = answered("SUCCESS");
        let mut other = body["data"]["messages"][0].clone();
        other["custom_string"] = json!("someone else");
        other["message_id"] = json!("OTHER");
        body["data"]["messages"] = json!([other, body["data"]["messages"][0].clone()]);

        let accepted = answer(
            StatusCode::OK,
            None,
            &body.to_string(),
            "0190f3a4-5b6c-7d8e-9f00-112233445566",
        )
        .unwrap();

        assert_eq!(accepted.provider_message_id, MESSAGE_ID);
    }

    #[test]
    fn settings_without_credentials_or_a_usable_url_are_refused() {
        let key = || Secret::new(API_KEY.to_owned());
        assert!(ClickSend::new(DEFAULT_BASE_URL, USERNAME.to_owned(), key()).is_ok());
        assert!(ClickSend::new(DEFAULT_BASE_URL, " ".to_owned(), key()).is_err());
        assert!(ClickSend::new(DEFAULT_BASE_URL, USERNAME.to_owned(), Secret::new(String::new())).is_err());
        assert!(ClickSend::new("rest.clicksend.com", USERNAME.to_owned(), key()).is_err());
    }

    #[test]
    fn the_api_key_never_shows_in_debug_output() {
        let adapter = ClickSend::new(DEFAULT_BASE_URL, USERNAME.to_owned(), Secret::new(API_KEY.to_owned())).unwrap();
        let shown = format!("{adapter:?}");
        assert!(!shown.contains(API_KEY) && shown.contains(USERNAME), "{shown}");
    }
}
