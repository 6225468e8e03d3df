//! The public webhook endpoints.
//!
//! Each delivery is verified with its provider's real scheme, parsed,
//! routed to its organisation, then in one transaction appended raw to the
//! event log (deduplicated on the provider's event id) together with the
//! normalised event in the outbox; the answer goes back as soon as that
//! commits. Everything after is asynchronous. A refusal answers with a
//! problem naming the field or header at fault and is recorded, with the
//! body, in `rejected_deliveries`; nothing else is stored.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use attend_kit::FieldError;
use attend_kit::bus::outbox::Outbox;
use attend_kit::bus::{Draft, timestamp};
use attend_kit::contact_point::{Email, Phone, Region};
use attend_kit::db::Db;
use attend_kit::http::Problem;
use attend_kit::ids::{BookingId, EventId, TypedId};
use attend_kit::orgs::{Directory, Org};
use attend_proto::ingest::v1::{Customer, ExternalBookingReceived, LeadReceived, SmsReceived, SmsStatusReported};
use axum::extract::{ConnectInfo, DefaultBodyLimit, OriginalUri, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use governor::DefaultKeyedRateLimiter;
use governor::clock::{Clock, DefaultClock};
use http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::payload;
use crate::payload::leads::{self, Lead};
use crate::payload::sms::{self, Inbound, Report};
use crate::payload::wix::{self, Notice};
use crate::refusal::Rejection;
use crate::signature::{IntakeSecret, SignatureError, TwilioToken, WebhookSecret, WixKey, looks_like_jwt};
use crate::store::{self, LogEntry, Recorded, Reference, Rejected};

/// Largest webhook body accepted.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Everything the endpoints need.
pub struct Edge {
    pub db: Db,
    pub outbox: Outbox,
    pub orgs: Directory,
    pub wix_key: Option<WixKey>,
    pub webhook_secret: Option<WebhookSecret>,
    /// Per-organisation tokens for ManyChat and ClickSend.
    pub intake: Option<IntakeSecret>,
    pub twilio: Option<TwilioToken>,
    /// The scheme, host and port providers call us on (Twilio signs it).
    pub public_base_url: Option<String>,
    /// Form submissions per client address.
    pub form_limit: DefaultKeyedRateLimiter<IpAddr>,
    pub trust_forwarded_for: bool,
}

const MANYCHAT: &str = "/webhooks/manychat";
const FORMS: &str = "/webhooks/forms/{org}";
const CLICKSEND_INBOUND: &str = "/webhooks/clicksend/{token}/inbound";
const CLICKSEND_RECEIPTS: &str = "/webhooks/clicksend/{token}/receipts";
const TWILIO_INBOUND: &str = "/webhooks/twilio/{org}/inbound";
const TWILIO_STATUS: &str = "/webhooks/twilio/{org}/status";

/// The public router (webhooks); the runtime adds ops routes and observation.
pub fn router(edge: Arc<Edge>) -> Router {
    Router::new()
        .route("/webhooks/wix/bookings", post(wix_bookings))
        .route(MANYCHAT, post(manychat))
        .route(FORMS, post(form).options(form_preflight))
        .route(CLICKSEND_INBOUND, post(clicksend_inbound).get(clicksend_inbound_get))
        .route(CLICKSEND_RECEIPTS, post(clicksend_receipts))
        .route(TWILIO_INBOUND, post(twilio_inbound))
        .route(TWILIO_STATUS, post(twilio_status))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(edge)
}

/// A delivery we took.
#[derive(Debug)]
struct Accepted {
    event_id: EventId,
    booking_id: Option<BookingId>,
    handled: bool,
    duplicate: bool,
}

/// The answer to a delivery, counted, with a refusal recorded.
async fn respond(
    edge: &Edge,
    provider: &'static str,
    endpoint: &str,
    headers: &HeaderMap,
    body: &[u8],
    result: Result<Accepted, Rejection>,
) -> Response {
    match result {
        Ok(accepted) => {
            let outcome = if accepted.duplicate { "duplicate" } else { "accepted" };
            metrics::counter!("webhooks_received_total", "provider" => provider, "outcome" => outcome).increment(1);
            let mut answer = json!({
                "success": true,
                "eventId": accepted.event_id.to_string(),
                "handled": accepted.handled,
                "duplicate": accepted.duplicate,
            });
            if let Some(booking) = accepted.booking_id {
                answer["bookingId"] = json!(booking.to_string());
            }
            (StatusCode::OK, Json(answer)).into_response()
        }
        Err(rejection) => {
            metrics::counter!("webhooks_received_total", "provider" => provider, "outcome" => "rejected").increment(1);
            edge.record(endpoint, provider, &rejection, headers, body).await;
            rejection.into_response()
        }
    }
}

async fn wix_bookings(State(edge): State<Arc<Edge>>, headers: HeaderMap, body: Bytes) -> Response {
    const ENDPOINT: &str = "/webhooks/wix/bookings";
    let result = edge.accept_wix_booking(ENDPOINT, &headers, &body).await;
    respond(&edge, "wix", ENDPOINT, &headers, &body, result).await
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// A sender's own delivery id, or the body's hash: a retry of the same
/// body is the same delivery.
fn delivery_key(own: Option<&str>, body: &[u8]) -> String {
    match own {
        Some(id) => id.to_owned(),
        None => {
            let hash: String = Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect();
            format!("sha256:{hash}")
        }
    }
}

/// `POST /webhooks/manychat`: a flow's External Request, with the
/// organisation's token in `Authorization` (`Bearer <token>`).
async fn manychat(State(edge): State<Arc<Edge>>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let secret = edge
            .intake
            .as_ref()
            .ok_or_else(|| Rejection::not_configured("ATTEND_INTAKE_SECRET", "a ManyChat delivery"))?;
        let presented = headers
            .get(header::AUTHORIZATION)
            .ok_or(SignatureError::MissingHeader("Authorization"))?
            .to_str()
            .map_err(|_| SignatureError::BadSignature)?;
        let token = presented.strip_prefix("Bearer ").unwrap_or(presented);
        let slug = secret.verify("manychat", token)?;
        let raw = Raw {
            endpoint: MANYCHAT,
            provider: "manychat",
            headers: &headers,
            body: &body,
        };
        edge.accept_lead(&raw, &slug, leads::from_manychat).await
    }
    .await;
    respond(&edge, "manychat", MANYCHAT, &headers, &body, result).await
}

/// CORS for landing pages on other domains that post with `fetch`.
fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        header::HeaderValue::from_static("content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        header::HeaderValue::from_static("86400"),
    );
    response
}

async fn form_preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

/// `POST /webhooks/forms/{org}`: a public lead form (JSON or
/// form-encoded), limited per client address.
async fn form(
    State(edge): State<Arc<Edge>>,
    Path(slug): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = attend_kit::http::client_ip(&headers, Some(peer), edge.trust_forwarded_for);
    if let Some(ip) = ip
        && let Err(not_until) = edge.form_limit.check_key(&ip)
    {
        metrics::counter!("webhooks_received_total", "provider" => "form", "outcome" => "rate_limited").increment(1);
        let problem = Problem::rate_limited(
            "submissions from this address",
            not_until.wait_time_from(DefaultClock::default().now()),
        );
        return cors(problem.into_response());
    }
    let raw = Raw {
        endpoint: FORMS,
        provider: "form",
        headers: &headers,
        body: &body,
    };
    let result = edge.accept_lead(&raw, &slug, leads::from_form).await;
    cors(respond(&edge, "form", FORMS, &headers, &body, result).await)
}

/// A ClickSend callback: the token in its URL, then the message.
async fn clicksend(edge: &Edge, kind: Callback, token: &str, headers: &HeaderMap, body: &[u8], form: bool) -> Response {
    let endpoint = match kind {
        Callback::Inbound => CLICKSEND_INBOUND,
        Callback::Status => CLICKSEND_RECEIPTS,
    };
    let result = async {
        let secret = edge
            .intake
            .as_ref()
            .ok_or_else(|| Rejection::not_configured("ATTEND_INTAKE_SECRET", "a ClickSend callback"))?;
        let slug = secret.verify("clicksend", token)?;
        let org = edge.organisation_by_slug(&slug).await?;
        let content = if form {
            Some("application/x-www-form-urlencoded")
        } else {
            content_type(headers)
        };
        let value = payload::object(body, content).map_err(Rejection::malformed)?;
        let raw = Raw {
            endpoint,
            provider: "clicksend",
            headers,
            body,
        };
        edge.accept_callback(&raw, kind, &org, &value).await
    }
    .await;
    respond(edge, "clicksend", endpoint, headers, body, result).await
}

/// `POST /webhooks/clicksend/{token}/inbound`: an inbound rule's URL action
/// (`post` or `json`).
async fn clicksend_inbound(
    State(edge): State<Arc<Edge>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    clicksend(&edge, Callback::Inbound, &token, &headers, &body, false).await
}

/// `GET /webhooks/clicksend/{token}/inbound`: the same, `get` style.
async fn clicksend_inbound_get(
    State(edge): State<Arc<Edge>>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    clicksend(&edge, Callback::Inbound, &token, &headers, query.as_bytes(), true).await
}

/// `POST /webhooks/clicksend/{token}/receipts`: delivery receipts.
async fn clicksend_receipts(
    State(edge): State<Arc<Edge>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    clicksend(&edge, Callback::Status, &token, &headers, &body, false).await
}

/// The URL Twilio called: the configured public base, or this request's
/// scheme and host, with the path and query as received.
fn public_url(edge: &Edge, headers: &HeaderMap, uri: &http::Uri) -> String {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match &edge.public_base_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("localhost");
            let scheme = if edge.trust_forwarded_for {
                headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("http")
            } else {
                "http"
            };
            format!("{scheme}://{host}{path}")
        }
    }
}

/// Verifies a Twilio request and finds its organisation.
async fn twilio_org(
    edge: &Edge,
    slug: &str,
    headers: &HeaderMap,
    uri: &http::Uri,
    body: &[u8],
) -> Result<Org, Rejection> {
    let token = edge
        .twilio
        .as_ref()
        .ok_or_else(|| Rejection::not_configured("ATTEND_TWILIO_AUTH_TOKEN", "a Twilio request"))?;
    let url = public_url(edge, headers, uri);
    token
        .verify(&url, headers, body)
        .map_err(|e| Rejection::twilio_signature(e, &url))?;
    edge.organisation_by_slug(slug).await
}

/// A delivery as received, for the event log.
struct Raw<'a> {
    endpoint: &'a str,
    provider: &'static str,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl<'a> Raw<'a> {
    /// Its event-log row, under a fresh event id.
    fn entry(&self, delivery_id: &'a str, event_type: &'a str, kept: &'a Map<String, Value>) -> LogEntry<'a> {
        LogEntry {
            id: EventId::new().uuid(),
            provider: self.provider,
            delivery_id,
            event_type,
            endpoint: self.endpoint,
            headers: kept,
            body: self.body,
            subject_ids: EMPTY.get_or_init(Map::new),
        }
    }
}

static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();

/// What a messaging provider's callback reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Callback {
    /// A text to one of the practice's numbers.
    Inbound,
    /// A delivery report for a message we sent.
    Status,
}

impl Edge {
    /// Parses a provider's callback and accepts it.
    async fn accept_callback(
        &self,
        raw: &Raw<'_>,
        kind: Callback,
        org: &Org,
        value: &Value,
    ) -> Result<Accepted, Rejection> {
        let malformed = Rejection::malformed;
        match (raw.provider, kind) {
            ("twilio", Callback::Inbound) => {
                let sms = sms::twilio_inbound(value).map_err(malformed)?;
                self.accept_sms(raw, org, &sms).await
            }
            ("twilio", Callback::Status) => {
                let report = sms::twilio_status_callback(value).map_err(malformed)?;
                self.accept_report(raw, org, &report).await
            }
            (_, Callback::Inbound) => {
                let sms = sms::clicksend_inbound(value).map_err(malformed)?;
                self.accept_sms(raw, org, &sms).await
            }
            (_, Callback::Status) => {
                let report = sms::clicksend_receipt(value).map_err(malformed)?;
                self.accept_report(raw, org, &report).await
            }
        }
    }
}

/// A Twilio callback: signature, organisation, then the message.
async fn twilio(
    edge: &Edge,
    kind: Callback,
    slug: &str,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let endpoint = match kind {
        Callback::Inbound => TWILIO_INBOUND,
        Callback::Status => TWILIO_STATUS,
    };
    let result = async {
        let org = twilio_org(edge, slug, headers, uri, body).await?;
        let value = payload::object(body, content_type(headers)).map_err(Rejection::malformed)?;
        let raw = Raw {
            endpoint,
            provider: "twilio",
            headers,
            body,
        };
        edge.accept_callback(&raw, kind, &org, &value).await
    }
    .await;
    let answered_inbound = kind == Callback::Inbound && result.is_ok();
    let response = respond(edge, "twilio", endpoint, headers, body, result).await;
    if answered_inbound {
        // Twilio reads the answer as TwiML: an empty one sends no reply.
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/xml")],
            r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#,
        )
            .into_response()
    } else {
        response
    }
}

/// `POST /webhooks/twilio/{org}/inbound`: a text to one of the practice's
/// Twilio numbers.
async fn twilio_inbound(
    State(edge): State<Arc<Edge>>,
    Path(slug): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    twilio(&edge, Callback::Inbound, &slug, &uri, &headers, &body).await
}

/// `POST /webhooks/twilio/{org}/status`: a message status callback.
async fn twilio_status(
    State(edge): State<Arc<Edge>>,
    Path(slug): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    twilio(&edge, Callback::Status, &slug, &uri, &headers, &body).await
}

/// Request headers worth keeping, without credentials.
fn kept_headers(headers: &HeaderMap) -> Map<String, Value> {
    headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "authorization" | "proxy-authorization" | "cookie"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            )
        })
        .collect()
}

impl Edge {
    async fn record(&self, endpoint: &str, provider: &str, rejection: &Rejection, headers: &HeaderMap, body: &[u8]) {
        tracing::warn!(provider, endpoint, code = rejection.code(), reason = %rejection.detail(), "webhook refused");
        let r = Rejected {
            provider,
            endpoint,
            reason_code: rejection.code(),
            reason: rejection.detail(),
            http_status: rejection.status().as_u16(),
            headers: &kept_headers(headers),
            body,
        };
        if let Err(e) = store::record_rejection(self.db.pool(), &r).await {
            tracing::error!(error = %e, "cannot record a refused webhook");
        }
    }

    /// Verifies and parses a Wix booking delivery in either accepted form.
    fn verify_wix(&self, headers: &HeaderMap, body: &[u8]) -> Result<Notice, Rejection> {
        let now = chrono::Utc::now().timestamp();
        if headers.contains_key("webhook-signature") {
            let secret = self
                .webhook_secret
                .as_ref()
                .ok_or_else(|| Rejection::not_configured("ATTEND_WEBHOOK_SECRET", "a Standard Webhooks delivery"))?;
            let delivery_id = secret.verify(headers, body, now)?;
            return wix::from_seed_json(body, &delivery_id).map_err(Rejection::malformed);
        }
        if looks_like_jwt(body) {
            let key = self
                .wix_key
                .as_ref()
                .ok_or_else(|| Rejection::not_configured("ATTEND_WIX_PUBLIC_KEY", "a Wix JWT delivery"))?;
            // looks_like_jwt checked the body is ASCII.
            let token = std::str::from_utf8(body).unwrap_or_default().trim();
            let claims = key.verify(token)?;
            return wix::from_wix_claims(&claims).map_err(Rejection::malformed);
        }
        if serde_json::from_slice::<Value>(body).is_ok_and(|v| v.is_object()) {
            return Err(Rejection::unsigned_json());
        }
        Err(Rejection::malformed(vec![FieldError::new(
            "body",
            "must be a Wix JWT, or a JSON object signed with Standard Webhooks headers",
        )]))
    }

    async fn organisation(&self, instance_id: Option<&str>) -> Result<Org, Rejection> {
        let found = match instance_id {
            Some(id) => self.orgs.resolve("wix", id).await,
            None => self.orgs.resolve("", "").await,
        };
        found.map_err(|e| Rejection::no_wix_organisation(e, instance_id))
    }

    async fn organisation_by_slug(&self, slug: &str) -> Result<Org, Rejection> {
        self.orgs
            .resolve("slug", slug)
            .await
            .map_err(|e| Rejection::no_organisation(e, slug))
    }

    /// Appends a verified delivery and its normalised event in one
    /// transaction; a duplicate changes nothing and gets the first answer.
    async fn append_and_publish(
        &self,
        org: &Org,
        entry: LogEntry<'_>,
        event: impl FnOnce(EventId) -> Draft,
    ) -> Result<Accepted, Rejection> {
        let event_id = EventId::from(entry.id);
        let row = self.outbox.row(event(event_id).with_id(event_id));
        let recorded = store::record(self.db.pool(), org.id, &entry, None, Some(&row)).await?;
        let (event_id, duplicate) = match recorded {
            Recorded::Duplicate { id, .. } => (EventId::from(id), true),
            Recorded::New | Recorded::KnownAs(_) => {
                self.outbox.wake();
                (event_id, false)
            }
        };
        Ok(Accepted {
            event_id,
            booking_id: None,
            handled: true,
            duplicate,
        })
    }

    /// A lead delivery (ManyChat, a form): its body read by `read`, for the
    /// organisation `slug`.
    async fn accept_lead(
        &self,
        raw: &Raw<'_>,
        slug: &str,
        read: fn(&Value) -> Result<Lead, Vec<FieldError>>,
    ) -> Result<Accepted, Rejection> {
        let value = payload::object(raw.body, content_type(raw.headers)).map_err(Rejection::malformed)?;
        let lead = &read(&value).map_err(Rejection::malformed)?;
        let org = &self.organisation_by_slug(slug).await?;
        let (provider, body) = (raw.provider, raw.body);
        let mut problems = Vec::new();
        let phone = lead
            .phone
            .as_deref()
            .map(|raw| read_phone(raw, lead.phone_field, org.phone_region, &mut problems))
            .unwrap_or_default();
        let email = lead
            .email
            .as_deref()
            .map(|raw| read_email(raw, lead.email_field, &mut problems))
            .unwrap_or_default();
        if !problems.is_empty() {
            return Err(Rejection::malformed(problems));
        }
        let delivery_id = delivery_key(lead.delivery_id.as_deref(), body);
        let kept = kept_headers(raw.headers);
        let entry = raw.entry(&delivery_id, &lead.event, &kept);
        self.append_and_publish(org, entry, |id| {
            let event = LeadReceived {
                provider: provider.to_owned(),
                event: lead.event.clone(),
                name: lead.name.clone().unwrap_or_default(),
                phone,
                email,
                intent: lead.intent.clone().unwrap_or_default(),
                flow_name: lead.flow_name.clone().unwrap_or_default(),
                buttons_clicked: lead.buttons_clicked.clone(),
                external_contact_id: lead.external_contact_id.clone().unwrap_or_default(),
                source: lead.source.clone().unwrap_or_default(),
                utm: Some(lead.utm.clone()),
                click_id: lead.click_id.clone().unwrap_or_default(),
                form_name: lead.form_name.clone().unwrap_or_default(),
                page_url: lead.page_url.clone().unwrap_or_default(),
                message: lead.message.clone().unwrap_or_default(),
                occurred_at: Some(timestamp(lead.occurred_at.unwrap_or_else(chrono::Utc::now))),
                raw_event_id: id.uuid().to_string(),
            };
            Draft::new(org.id, &event)
        })
        .await
    }

    async fn accept_sms(&self, raw: &Raw<'_>, org: &Org, sms: &Inbound) -> Result<Accepted, Rejection> {
        let provider = raw.provider;
        let mut problems = Vec::new();
        let from = read_phone(&sms.from, sms.from_field, org.phone_region, &mut problems);
        if !problems.is_empty() {
            return Err(Rejection::malformed(problems));
        }
        // Our own number: kept as sent if it isn't one we can read.
        let to = sms
            .to
            .as_deref()
            .map(|raw| Phone::parse(raw, org.phone_region).map_or_else(|_| raw.to_owned(), |p| p.to_string()))
            .unwrap_or_default();
        let kept = kept_headers(raw.headers);
        let entry = raw.entry(&sms.message_id, "sms.inbound", &kept);
        self.append_and_publish(org, entry, |id| {
            let event = SmsReceived {
                provider: provider.to_owned(),
                message_id: sms.message_id.clone(),
                from,
                to,
                body: sms.body.clone(),
                received_at: Some(timestamp(sms.received_at.unwrap_or_else(chrono::Utc::now))),
                original_message_id: sms.original_message_id.clone().unwrap_or_default(),
                raw_event_id: id.uuid().to_string(),
            };
            Draft::new(org.id, &event)
        })
        .await
    }

    async fn accept_report(&self, raw: &Raw<'_>, org: &Org, report: &Report) -> Result<Accepted, Rejection> {
        let provider = raw.provider;
        let to = report
            .to
            .as_deref()
            .map(|raw| Phone::parse(raw, org.phone_region).map_or_else(|_| raw.to_owned(), |p| p.to_string()))
            .unwrap_or_default();
        let delivery_id = report.delivery_id();
        let kept = kept_headers(raw.headers);
        let entry = raw.entry(&delivery_id, "sms.status", &kept);
        self.append_and_publish(org, entry, |id| {
            let event = SmsStatusReported {
                provider: provider.to_owned(),
                message_id: report.message_id.clone(),
                status: report.status.to_owned(),
                provider_status: report.provider_status.clone(),
                error_code: report.error_code.clone().unwrap_or_default(),
                error_text: report.error_text.clone().unwrap_or_default(),
                to,
                reported_at: Some(timestamp(report.reported_at.unwrap_or_else(chrono::Utc::now))),
                raw_event_id: id.uuid().to_string(),
            };
            Draft::new(org.id, &event)
        })
        .await
    }

    async fn accept_wix_booking(
        &self,
        endpoint: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Accepted, Rejection> {
        let notice = self.verify_wix(headers, body)?;
        let org = self.organisation(notice.instance_id.as_deref()).await?;

        // Parse the customer with the organisation's region before storing anything.
        let booking = match &notice.booking {
            Some((action, b)) => {
                let customer = match &b.customer {
                    Some(c) => Some(customer(c, org.phone_region)?),
                    None => None,
                };
                Some((*action, b, customer))
            }
            None => None,
        };

        let event_id = EventId::new();
        let kept = kept_headers(headers);
        // A booking's id is assigned the first time ingest sees it; the
        // event carries it, so a later event about a known booking is
        // encoded again with the id it already has.
        let mut candidate = booking.as_ref().map(|_| BookingId::new());
        for _ in 0..2 {
            let mut subject_ids = Map::new();
            if let Some(id) = candidate {
                subject_ids.insert("booking_id".to_owned(), json!(id.uuid().to_string()));
            }
            let event = match (&booking, candidate) {
                (Some((action, b, customer)), Some(booking_id)) => {
                    let event = ExternalBookingReceived {
                        provider: "wix".to_owned(),
                        action: *action as i32,
                        booking_id: booking_id.uuid().to_string(),
                        external_booking_id: b.external_booking_id.clone(),
                        external_contact_id: b.external_contact_id.clone().unwrap_or_default(),
                        customer: customer.clone(),
                        external_service_id: b.service_id.clone().unwrap_or_default(),
                        service_name: b.service_name.clone().unwrap_or_default(),
                        start_time: b.start.map(timestamp),
                        end_time: b.end.map(timestamp),
                        external_status: b.external_status.clone(),
                        external_payment_status: b.external_payment_status.clone(),
                        raw_event_id: event_id.uuid().to_string(),
                        status: b.status as i32,
                        payment_status: b.payment as i32,
                        provider_event_time: notice.event_time.map(timestamp),
                    };
                    // The published event has the event-log row's id.
                    let draft = Draft::new(org.id, &event)
                        .with_id(event_id)
                        .about("booking_id", booking_id);
                    Some(self.outbox.row(draft))
                }
                _ => None,
            };
            let reference = match (&booking, candidate) {
                (Some((_, b, _)), Some(id)) => Some(Reference {
                    kind: "booking",
                    external_id: &b.external_booking_id,
                    fresh: id.uuid(),
                }),
                _ => None,
            };
            let entry = LogEntry {
                id: event_id.uuid(),
                provider: "wix",
                delivery_id: &notice.delivery_id,
                event_type: &notice.event_type,
                endpoint,
                headers: &kept,
                body,
                subject_ids: &subject_ids,
            };
            match store::record(self.db.pool(), org.id, &entry, reference, event.as_ref()).await? {
                Recorded::New => {
                    self.outbox.wake();
                    return Ok(Accepted {
                        event_id,
                        booking_id: candidate,
                        handled: booking.is_some(),
                        duplicate: false,
                    });
                }
                Recorded::Duplicate { id, subject_ids } => {
                    let booking_id = subject_ids
                        .get("booking_id")
                        .and_then(Value::as_str)
                        .and_then(|s| BookingId::parse_uuid(s).ok());
                    return Ok(Accepted {
                        event_id: EventId::from(id),
                        handled: booking_id.is_some(),
                        booking_id,
                        duplicate: true,
                    });
                }
                Recorded::KnownAs(id) => candidate = Some(BookingId::from(id)),
            }
        }
        Err(Rejection::unstored("the booking's id changed twice while recording"))
    }
}

/// Reads the customer's phone and email, naming the body field at fault.
fn customer(c: &wix::Customer, org_region: Region) -> Result<Customer, Rejection> {
    let region = c
        .country_code
        .as_deref()
        .and_then(|code| code.parse::<Region>().ok())
        .unwrap_or(org_region);
    let mut problems = Vec::new();
    let phone = c
        .phone
        .as_deref()
        .map(|raw| read_phone(raw, &c.phone_field, region, &mut problems))
        .unwrap_or_default();
    let email = c
        .email
        .as_deref()
        .map(|raw| read_email(raw, &c.email_field, &mut problems))
        .unwrap_or_default();
    if !problems.is_empty() {
        return Err(Rejection::malformed(problems));
    }
    Ok(Customer {
        name: c.name.clone(),
        phone,
        email,
    })
}

/// A phone in E.164 (empty, with the problem noted, when unreadable).
fn read_phone(raw: &str, field: &str, region: Region, problems: &mut Vec<FieldError>) -> String {
    Phone::parse(raw, region)
        .map(|p| p.to_string())
        .map_err(|r| problems.push(FieldError::new(field, r)))
        .unwrap_or_default()
}

/// An email, normalised (empty, with the problem noted, when unreadable).
fn read_email(raw: &str, field: &str, problems: &mut Vec<FieldError>) -> String {
    Email::parse(raw)
        .map(|e| e.to_string())
        .map_err(|r| problems.push(FieldError::new(field, r)))
        .unwrap_or_default()
}
