//! Twilio's Programmable Messaging API, for outbound SMS.
//!
//! # The wire format, as Twilio documents it
//!
//! `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json` (base
//! `https://api.twilio.com`), HTTP basic auth `AccountSid:AuthToken`, an
//! `application/x-www-form-urlencoded` body:
//!
//! - `To`: the recipient, E.164.
//! - `From`: a Twilio number (E.164) or an alphanumeric sender id of the
//!   account; **or** `MessagingServiceSid` instead, when our `from` is a
//!   Messaging Service's SID. A SID is two letters and 32 hex digits, so
//!   `from` is sent as `MessagingServiceSid` only when it is `MG` and exactly
//!   32 hex digits: an alphanumeric sender id can begin with "MG" (up to 11
//!   characters, so never 34) and stays a `From`.
//! - `Body`: the text (Twilio refuses more than 1,600 characters, 21617).
//! - `StatusCallback`: where Twilio posts the message's status changes. Sent
//!   when the adapter has a callback base (ingest's public base URL):
//!   `{base}/webhooks/twilio/{org_slug}/status?attend_id={our message id}`.
//!   Ingest serves that route and checks `X-Twilio-Signature`, which Twilio
//!   computes over this exact URL, query included. Our id in the query lets
//!   a callback find its message even if we crashed before recording the
//!   `MessageSid`.
//!
//! A message Twilio took is answered `201 Created` with the Message
//! resource as JSON; we read `sid` (`SM…`) and `status` (`queued`, or
//! `accepted` through a Messaging Service):
//!
//! ```json
//! {"sid": "SM1234567890abcdef1234567890abcdef", "status": "queued", "to": "+61422222222",
//!  "from": "+61411111111", "num_segments": "1", "error_code": null, "error_message": null, "…": "…"}
//! ```
//!
//! A refusal is a 4xx or 5xx with Twilio's error object:
//!
//! ```json
//! {"code": 21211, "message": "Invalid 'To' Phone Number: +6142222XXXX",
//!  "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}
//! ```
//!
//! # What each answer becomes
//!
//! Twilio's `code` is read first, then the HTTP status:
//!
//! | Twilio says | [`SendError`] | why |
//! | --- | --- | --- |
//! | 2xx with a `sid` | — ([`Accepted`], `provider_status` = Twilio's `status`) | taken; delivery arrives by status callback |
//! | code 21610 (attempt to send to an unsubscribed recipient: they replied STOP) | `OptedOut`, code "21610" | record the opt-out as well as the failure |
//! | code 20429 (too many requests), or HTTP 429 | `Transient`, `Retry-After` honoured when present | too fast |
//! | code 21611 (the `From` has too many queued messages) | `Transient`, `Retry-After` honoured when present | Twilio's queue for the number drains |
//! | HTTP 5xx (20500, 20503, or a proxy's page), HTTP 408 | `Transient`, `Retry-After` honoured when present | Twilio is unwell |
//! | 21211 (invalid `To`), 21614 (`To` not a mobile number), 21612 (`To` not reachable from this `From`), 21408 (region not enabled), 21606 / 21659 (`From` not usable), 21608 (trial account, unverified number), 21602 / 21617 (body missing, too long), 21603 / 21604 (`From` / `To` missing), … (any other 4xx) | `Permanent`, code = Twilio's code | the same request would be refused again |
//! | 20003 (authentication, HTTP 401), 20404 (no such account, HTTP 404) | `Permanent`, code = Twilio's code | configuration: retrying can't fix it |
//! | a 4xx without Twilio's error object, a 3xx | `Permanent`, code `http_<status>` | the request or the base URL is wrong |
//! | no answer: refused, reset, timed out after [`super::REQUEST_TIMEOUT`] | `Transient` | may be gone in a minute |
//! | 2xx we can't read, or without a `sid` | `Transient` | we can't tell whether it was queued; a duplicate reminder is the smaller harm than a missed appointment |
//!
//! Delivery failures (30003 unreachable handset, 30007 carrier filtering,
//! …) happen after the 201 and arrive by status callback, through ingest.
//!
//! # What it deliberately doesn't do
//!
//! - Retry: one call, one request. The sender retries with backoff and
//!   jitter, and knows how many attempts a message has had.
//! - Prevent duplicates: the Messages API takes no idempotency key, so a
//!   send that timed out after Twilio queued it is sent again on retry.
//!   Each copy's callback carries our id.
//! - Count segments, check the recipient's format or opt-out, or pick the
//!   sender: the message arrives decided.
//! - Log: the sender records the outcome; the body (which may hold health
//!   information) never leaves this adapter except to Twilio.
//! - Use API keys (`SK…`) or subaccounts: the account SID and its auth token
//!   are the credentials, the same token ingest verifies callbacks with.

use std::time::Duration;

use attend_kit::secret::Secret;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use url::Url;
use url::form_urlencoded;

use super::{Accepted, OutgoingSms, SendError, SmsProvider};

/// Where Twilio's REST API lives.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Sends through Twilio's Messages API. Its `Debug` hides the auth token.
#[derive(Debug)]
pub(crate) struct Twilio {
    http: reqwest::Client,
    base_url: Url,
    account_sid: String,
    auth_token: Secret<String>,
    /// Ingest's public base URL, for status callbacks; `None` sends none
    /// (the Messaging Service's own callback, if it has one, applies).
    status_callback_base: Option<Url>,
}

impl Twilio {
    /// An adapter for the account `account_sid` (`AC…`) with `auth_token`;
    /// `base_url` is [`DEFAULT_BASE_URL`] except in tests;
    /// `status_callback_base` is ingest's public base URL, as Twilio reaches
    /// it (the same as ingest's `ATTEND_PUBLIC_BASE_URL`, so the signature
    /// checks out).
    pub(crate) fn new(
        base_url: &str,
        account_sid: String,
        auth_token: Secret<String>,
        status_callback_base: Option<&str>,
    ) -> Result<Self, String> {
        let base_url = super::base_url(base_url, "the Twilio base URL")?;
        if !is_sid(&account_sid, "AC") {
            return Err(format!(
                "the Twilio account SID {account_sid:?} is not AC followed by 32 hex digits"
            ));
        }
        if auth_token.expose().trim().is_empty() {
            return Err("the Twilio auth token is empty".to_owned());
        }
        let status_callback_base = status_callback_base
            .map(|base| super::base_url(base, "the status callback base URL"))
            .transpose()?;
        Ok(Self {
            http: super::http_client(super::REQUEST_TIMEOUT)?,
            base_url,
            account_sid,
            auth_token,
            status_callback_base,
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
        super::join_path(
            &self.base_url,
            &["2010-04-01", "Accounts", &self.account_sid, "Messages.json"],
        )
    }

    /// Where Twilio is to post this message's status changes.
    fn status_callback(&self, sms: &OutgoingSms) -> Option<Url> {
        let base = self.status_callback_base.as_ref()?;
        let mut url = super::join_path(base, &["webhooks", "twilio", &sms.org_slug, "status"]);
        url.query_pairs_mut().append_pair("attend_id", &sms.id.to_string());
        Some(url)
    }

    async fn send_one(&self, sms: &OutgoingSms) -> Result<Accepted, SendError> {
        let body = form_body(sms, self.status_callback(sms).as_ref());
        let response = self
            .http
            .post(self.endpoint())
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| super::transport_failure("Twilio", e))?;
        let status = response.status();
        let retry_after = super::retry_after(response.headers());
        let text = response
            .text()
            .await
            .map_err(|e| super::transport_failure("Twilio", e))?;
        answer(status, retry_after, &text)
    }
}

impl SmsProvider for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send_one(sms))
    }
}

/// `prefix` and 32 hex digits: how every Twilio SID looks.
fn is_sid(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix)
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The request's form body.
fn form_body(sms: &OutgoingSms, status_callback: Option<&Url>) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("To", &sms.to);
    if is_sid(&sms.from, "MG") {
        form.append_pair("MessagingServiceSid", &sms.from);
    } else {
        form.append_pair("From", &sms.from);
    }
    form.append_pair("Body", &sms.body);
    if let Some(url) = status_callback {
        form.append_pair("StatusCallback", url.as_str());
    }
    form.finish()
}

/// The Message resource; only what we read.
#[derive(Deserialize)]
struct Message {
    sid: Option<String>,
    status: Option<String>,
}

/// Twilio's error object.
#[derive(Deserialize)]
struct TwilioError {
    code: Option<u32>,
    message: Option<String>,
    more_info: Option<String>,
}

/// Twilio's error codes that are about the recipient's consent.
const UNSUBSCRIBED: u32 = 21610;

/// Twilio's error codes that pass: too many requests, and a `From` whose
/// queue is full.
const TRANSIENT_CODES: &[u32] = &[20429, 21611];

/// What Twilio's answer means.
fn answer(status: StatusCode, retry_after: Option<Duration>, text: &str) -> Result<Accepted, SendError> {
    if !status.is_success() {
        return Err(refused(status, retry_after, text));
    }
    match serde_json::from_str::<Message>(text) {
        Ok(Message { sid: Some(sid), status }) if !sid.is_empty() => Ok(Accepted {
            provider_message_id: sid,
            provider_status: status.unwrap_or_default(),
        }),
        _ => Err(SendError::Transient {
            reason: format!(
                "Twilio answered {status} without a message sid, so whether it queued the message is unknown: {}",
                super::excerpt(text)
            ),
            retry_after: None,
        }),
    }
}

/// A request Twilio (or something in front of it) refused.
fn refused(status: StatusCode, retry_after: Option<Duration>, text: &str) -> SendError {
    let error = serde_json::from_str::<TwilioError>(text).ok();
    let code = error.as_ref().and_then(|e| e.code);
    let said = match &error {
        Some(TwilioError {
            message: Some(message),
            more_info,
            ..
        }) => match more_info {
            Some(more) => format!("{message} ({more})"),
            None => message.clone(),
        },
        _ => super::excerpt(text),
    };
    let code_text = code.map_or_else(|| format!("http_{}", status.as_u16()), |c| c.to_string());
    let reason = format!("Twilio answered {status}: {code_text}: {said}");
    if code == Some(UNSUBSCRIBED) {
        return SendError::OptedOut {
            code: code_text,
            reason,
        };
    }
    let passes = code.is_some_and(|c| TRANSIENT_CODES.contains(&c))
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error();
    if passes {
        SendError::Transient { reason, retry_after }
    } else {
        SendError::Permanent {
            code: code_text,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use uuid::Uuid;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
    const AUTH_TOKEN: &str = "f1e2d3c4b5a6978877665544332211ff";
    /// `Basic base64("AC0123456789abcdef0123456789abcdef:f1e2d3c4b5a6978877665544332211ff")`.
    const AUTHORIZATION: &str =
        "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpmMWUyZDNjNGI1YTY5Nzg4Nzc2NjU1NDQzMzIyMTFmZg==";
    const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";
    const MESSAGE_SID: &str = "SM1234567890abcdef1234567890abcdef";
    const SERVICE_SID: &str = "MG9752274e9e519418a7406176694466fa";

    fn sms() -> OutgoingSms {
        OutgoingSms {
            id: Uuid::parse_str("0190f3a4-5b6c-7d8e-9f00-112233445566").unwrap(),
            org_slug: "harbour-physio".to_owned(),
            to: "+61422222222".to_owned(),
            from: "+61411111111".to_owned(),
            body: "Hi Sam, your appointment is tomorrow at 9:30 & lasts 45 min. Reply Y to confirm.".to_owned(),
        }
    }

    fn twilio(server: &MockServer, callback_base: Option<&str>) -> Twilio {
        Twilio::new(
            &server.uri(),
            ACCOUNT_SID.to_owned(),
            Secret::new(AUTH_TOKEN.to_owned()),
            callback_base,
        )
        .unwrap()
    }

    /// Twilio's documented Message resource, as a 201 answers it.
    fn created(status: &str) -> ResponseTemplate {
        ResponseTemplate::new(201).set_body_json(json!({
            "account_sid": ACCOUNT_SID,
            "api_version": "2010-04-01",
            "body": "Hi Sam, your appointment is tomorrow at 9:30 & lasts 45 min. Reply Y to confirm.",
            "date_created": "Thu, 24 Aug 2026 05:01:45 +0000",
            "date_sent": null,
            "date_updated": "Thu, 24 Aug 2026 05:01:45 +0000",
            "direction": "outbound-api",
            "error_code": null,
            "error_message": null,
            "from": "+61411111111",
            "messaging_service_sid": null,
            "num_media": "0",
            "num_segments": "1",
            "price": null,
            "price_unit": "AUD",
            "sid": MESSAGE_SID,
            "status": status,
            "subresource_uris": {"media": format!("{MESSAGES_PATH}/{MESSAGE_SID}/Media.json")},
            "to": "+61422222222",
            "uri": format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}.json")
        }))
    }

    /// Twilio's documented error object.
    fn error(status: u16, code: u32, message: &str) -> ResponseTemplate {
        ResponseTemplate::new(status).set_body_json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status
        }))
    }

    async fn answering(response: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(MESSAGES_PATH))
            .respond_with(response)
            .mount(&server)
            .await;
        server
    }

    fn form(request: &Request) -> Vec<(String, String)> {
        form_urlencoded::parse(&request.body).into_owned().collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[tokio::test]
    async fn a_message_is_posted_as_twilio_documents_with_our_id_in_the_status_callback() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(MESSAGES_PATH))
            .and(header("authorization", AUTHORIZATION))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .respond_with(created("queued"))
            .expect(1)
            .mount(&server)
            .await;

        let accepted = twilio(&server, Some("https://ingest.attend.example"))
            .send(&sms())
            .await
            .unwrap();

        assert_eq!(
            accepted,
            Accepted {
                provider_message_id: MESSAGE_SID.to_owned(),
                provider_status: "queued".to_owned()
            }
        );
        let requests = server.received_requests().await.unwrap();
        assert_eq!(
            form(&requests[0]),
            pairs(&[
                ("To", "+61422222222"),
                ("From", "+61411111111"),
                (
                    "Body",
                    "Hi Sam, your appointment is tomorrow at 9:30 & lasts 45 min. Reply Y to confirm."
                ),
                (
                    "StatusCallback",
                    "https://ingest.attend.example/webhooks/twilio/harbour-physio/status?attend_id=0190f3a4-5b6c-7d8e-9f00-112233445566"
                ),
            ])
        );
    }

    #[tokio::test]
    async fn without_a_callback_base_no_status_callback_is_sent() {
        let server = answering(created("queued")).await;

        twilio(&server, None).send(&sms()).await.unwrap();

        let requests = server.received_requests().await.unwrap();
        let fields = form(&requests[0]);
        assert!(fields.iter().all(|(k, _)| k != "StatusCallback"), "{fields:?}");
    }

    #[tokio::test]
    async fn a_messaging_service_sid_is_sent_as_messaging_service_sid_not_from() {
        let server = answering(created("accepted")).await;
        let sms = OutgoingSms {
            from: SERVICE_SID.to_owned(),
            ..sms()
        };

        let accepted = twilio(&server, None).send(&sms).await.unwrap();

        assert_eq!(accepted.provider_status, "accepted");
        let requests = server.received_requests().await.unwrap();
        let fields = form(&requests[0]);
        assert!(
            fields.contains(&("MessagingServiceSid".to_owned(), SERVICE_SID.to_owned())),
            "{fields:?}"
        );
        assert!(fields.iter().all(|(k, _)| k != "From"), "{fields:?}");
    }

    #[test]
    fn a_sender_id_that_merely_begins_with_mg_stays_a_from() {
        for from in [
            "MGClinic",
            "MGPhysio",
            "MG9752274e9e519418a7406176694466fz",
            "+61411111111",
        ] {
            let body = form_body(
                &OutgoingSms {
                    from: from.to_owned(),
                    ..sms()
                },
                None,
            );
            let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
            assert!(
                fields.contains(&("From".to_owned(), from.to_owned())),
                "{from}: {fields:?}"
            );
        }
    }

    #[test]
    fn the_callback_url_is_the_route_ingest_serves_under_any_base() {
        let server_uri = "http://127.0.0.1:1";
        for base in [
            "https://ingest.attend.example",
            "https://ingest.attend.example/",
            "https://attend.example/ingest/",
        ] {
            let adapter = Twilio::new(
                server_uri,
                ACCOUNT_SID.to_owned(),
                Secret::new(AUTH_TOKEN.to_owned()),
                Some(base),
            )
            .unwrap();
            let url = adapter.status_callback(&sms()).unwrap();
            assert_eq!(
                url.as_str(),
                format!(
                    "{}/webhooks/twilio/harbour-physio/status?attend_id=0190f3a4-5b6c-7d8e-9f00-112233445566",
                    base.trim_end_matches('/')
                )
            );
        }
    }

    #[tokio::test]
    async fn a_recipient_who_replied_stop_is_reported_as_opted_out() {
        let server = answering(error(400, 21610, "Attempt to send to unsubscribed recipient")).await;

        let error = twilio(&server, None).send(&sms()).await.unwrap_err();

        assert_eq!(
            error,
            SendError::OptedOut {
                code: "21610".to_owned(),
                reason: "Twilio answered 400 Bad Request: 21610: Attempt to send to unsubscribed recipient \
                         (https://www.twilio.com/docs/errors/21610)"
                    .to_owned(),
            }
        );
    }

    #[tokio::test]
    async fn an_invalid_number_fails_permanently_with_twilios_code() {
        let server = answering(error(400, 21211, "Invalid 'To' Phone Number: +6142222XXXX")).await;

        let error = twilio(&server, None).send(&sms()).await.unwrap_err();

        let SendError::Permanent { code, reason } = error else {
            panic!("{error:?}")
        };
        assert_eq!(code, "21211");
        assert!(reason.contains("Invalid 'To' Phone Number"), "{reason}");
    }

    #[tokio::test]
    async fn numbers_and_regions_twilio_cannot_reach_fail_permanently() {
        for (code, message) in [
            (21614, "'To' number is not a valid mobile number"),
            (
                21612,
                "The 'To' phone number is not currently reachable using the 'From' phone number via SMS.",
            ),
            (
                21408,
                "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
            ),
            (
                21606,
                "The 'From' phone number provided is not a valid message-capable Twilio phone number",
            ),
        ] {
            let server = answering(error(400, code, message)).await;

            let error = twilio(&server, None).send(&sms()).await.unwrap_err();

            assert!(
                matches!(&error, SendError::Permanent { code: c, .. } if *c == code.to_string()),
                "{code}: {error:?}"
            );
        }
    }

    #[tokio::test]
    async fn bad_credentials_fail_permanently() {
        let server = answering(error(401, 20003, "Authenticate")).await;

        let error = twilio(&server, None).send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Permanent { code, .. } if code == "20003"),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn too_many_requests_is_transient_and_keeps_twilios_wait() {
        let server = answering(error(429, 20429, "Too Many Requests").insert_header("Retry-After", "12")).await;

        let error = twilio(&server, None).send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Transient { retry_after: Some(wait), .. } if *wait == Duration::from_secs(12)),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_full_queue_for_the_sender_number_is_transient() {
        let server = answering(error(
            400,
            21611,
            "This 'From' number has exceeded the maximum number of queued messages",
        ))
        .await;

        let error = twilio(&server, None).send(&sms()).await.unwrap_err();

        assert!(matches!(error, SendError::Transient { .. }), "{error:?}");
    }

    #[tokio::test]
    async fn an_unavailable_twilio_is_transient_whatever_its_body() {
        for response in [
            error(503, 20503, "Service Unavailable"),
            ResponseTemplate::new(503).set_body_raw("<html>upstream connect error</html>", "text/html"),
            ResponseTemplate::new(500),
        ] {
            let server = answering(response).await;

            let error = twilio(&server, None).send(&sms()).await.unwrap_err();

            assert!(
                matches!(error, SendError::Transient { retry_after: None, .. }),
                "{error:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_refusal_without_twilios_error_object_fails_permanently_by_http_status() {
        let server = answering(ResponseTemplate::new(404).set_body_string("Not Found")).await;

        let error = twilio(&server, None).send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Permanent { code, reason } if code == "http_404" && reason.contains("Not Found")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_success_without_a_sid_is_transient_because_the_outcome_is_unknown() {
        let server = answering(ResponseTemplate::new(201).set_body_json(json!({"status": "queued"}))).await;

        let error = twilio(&server, None).send(&sms()).await.unwrap_err();

        assert!(matches!(error, SendError::Transient { .. }), "{error:?}");
    }

    #[tokio::test]
    async fn a_twilio_slower_than_the_timeout_is_transient() {
        let server = answering(created("queued").set_delay(Duration::from_secs(5))).await;
        let adapter = twilio(&server, None).with_timeout(Duration::from_millis(200)).unwrap();

        let error = adapter.send(&sms()).await.unwrap_err();

        assert!(
            matches!(&error, SendError::Transient { reason, .. } if reason.contains("timed out")),
            "{error:?}"
        );
    }

    #[test]
    fn settings_must_name_an_account_and_usable_urls() {
        let token = || Secret::new(AUTH_TOKEN.to_owned());
        let new = |sid: &str, token, callback| Twilio::new(DEFAULT_BASE_URL, sid.to_owned(), token, callback);
        assert!(new(ACCOUNT_SID, token(), None).is_ok());
        assert!(new(ACCOUNT_SID, token(), Some("https://ingest.attend.example")).is_ok());
        assert!(
            new("SK0123456789abcdef0123456789abcdef", token(), None).is_err(),
            "an API key"
        );
        assert!(new("AC123", token(), None).is_err());
        assert!(new(ACCOUNT_SID, Secret::new(String::new()), None).is_err());
        assert!(new(ACCOUNT_SID, token(), Some("ingest.attend.example")).is_err());
    }

    #[test]
    fn the_auth_token_never_shows_in_debug_output() {
        let adapter = Twilio::new(
            DEFAULT_BASE_URL,
            ACCOUNT_SID.to_owned(),
            Secret::new(AUTH_TOKEN.to_owned()),
            None,
        )
        .unwrap();
        let shown = format!("{adapter:?}");
        assert!(!shown.contains(AUTH_TOKEN) && shown.contains(ACCOUNT_SID), "{shown}");
    }

    proptest! {
        /// Whatever a body holds (`&`, `=`, `+`, emoji, newlines), Twilio
        /// decodes exactly it.
        #[test]
        fn any_body_reaches_twilio_unchanged(body in any::<String>(), to in "\\+[1-9][0-9]{6,14}") {
            let sms = OutgoingSms { body: body.clone(), to: to.clone(), ..sms() };
            let encoded = form_body(&sms, None);
            let fields: Vec<(String, String)> = form_urlencoded::parse(encoded.as_bytes()).into_owned().collect();
            prop_assert_eq!(fields, pairs(&[("To", &to), ("From", "+61411111111"), ("Body", &body)]));
        }
    }

    #[test]
    fn the_documented_example_error_is_read() {
        let value: Value = json!({"code": 21211, "message": "m", "more_info": "u", "status": 400});
        let error = refused(StatusCode::BAD_REQUEST, None, &value.to_string());
        assert_eq!(
            error,
            SendError::Permanent {
                code: "21211".to_owned(),
                reason: "Twilio answered 400 Bad Request: 21211: m (u)".to_owned()
            }
        );
    }
}
