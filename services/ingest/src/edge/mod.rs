//! The public webhook endpoints, and the accept pipeline they share.
//!
//! Each delivery is verified with its provider's real scheme, parsed,
//! routed to its organisation, then in one transaction appended raw to the
//! event log (deduplicated on the provider's event id) together with the
//! normalised event in the outbox; the answer goes back as soon as that
//! commits. Everything after is asynchronous. A refusal answers with a
//! problem naming the field or header at fault and is recorded, with the
//! body, in `rejected_deliveries`; nothing else is stored.
//!
//! One file per provider holds its handlers and how it proves who it is:
//! [`wix`], [`manychat`], [`forms`], [`clicksend`], [`twilio`],
//! [`sendgrid`]. This file
//! holds what they share: the state, the router, answering and recording a
//! refusal, finding the organisation, reading phones and emails, and the
//! accept steps for leads (ManyChat, forms) and texts (ClickSend, Twilio).
//! Parsing a body is [`crate::payload`]'s, with no I/O.

mod clicksend;
mod forms;
mod manychat;
mod sendgrid;
mod twilio;
mod wix;

pub(crate) use wix::{booking_draft, notice_customer, stored_notice};

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use attend_kit::FieldError;
use attend_kit::bus::outbox::Outbox;
use attend_kit::bus::{Draft, timestamp};
use attend_kit::contact_point::{Email, Phone, Region};
use attend_kit::db::Db;
use attend_kit::http::serve::Answered;
use attend_kit::ids::{BookingId, EventId, TypedId};
use attend_kit::orgs::{Directory, Org};
use attend_proto::ingest::v1::{LeadReceived, SmsReceived, SmsStatusReported};
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use governor::DefaultKeyedRateLimiter;
use http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::payload;
use crate::payload::leads::Lead;
use crate::payload::sms::{Inbound, Report};
use crate::refusal::Rejection;
use crate::signature::{IntakeSecret, SendGridKey, TwilioToken, WebhookSecret, WixKey};
use crate::store::{self, LogEntry, Recorded, Rejected};

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
    /// SendGrid's Event Webhook verification key.
    pub sendgrid: Option<SendGridKey>,
    /// The scheme, host and port providers call us on (Twilio signs it).
    pub public_base_url: Option<String>,
    /// Form submissions per client address.
    pub form_limit: DefaultKeyedRateLimiter<IpAddr>,
    pub trust_forwarded_for: bool,
}

/// The public router (webhooks); the runtime adds ops routes and observation.
pub fn router(edge: Arc<Edge>) -> Router {
    Router::new()
        .route(wix::BOOKINGS, post(wix::bookings))
        .route(manychat::ENDPOINT, post(manychat::delivery))
        .route(forms::ENDPOINT, post(forms::submission).options(forms::preflight))
        .route(clicksend::INBOUND, post(clicksend::inbound).get(clicksend::inbound_get))
        .route(clicksend::RECEIPTS, post(clicksend::receipts))
        .route(twilio::INBOUND, post(twilio::inbound))
        .route(twilio::STATUS, post(twilio::status))
        .route(
            sendgrid::EVENTS,
            // SendGrid's batches are larger than other deliveries: the
            // route's own limit replaces the router's.
            post(sendgrid::events).layer(DefaultBodyLimit::max(sendgrid::BODY_LIMIT)),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(edge)
}

/// A delivery as received: what the event log or the refusal record keeps.
struct Delivery<'a> {
    provider: &'static str,
    /// The route, not the path: a path may carry a token.
    endpoint: &'static str,
    headers: &'a HeaderMap,
    /// The headers worth keeping, without credentials.
    kept: Map<String, Value>,
    body: &'a [u8],
    /// How to read the body: JSON unless form-encoded.
    content_type: Option<&'a str>,
    /// The query of the URL the provider called (a callback URL we gave it).
    query: Option<&'a str>,
}

impl<'a> Delivery<'a> {
    fn new(provider: &'static str, endpoint: &'static str, headers: &'a HeaderMap, body: &'a [u8]) -> Self {
        let kept = kept_headers(headers);
        Self {
            provider,
            endpoint,
            headers,
            kept,
            body,
            content_type: headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
            query: None,
        }
    }

    /// With the query of the URL the provider called.
    fn with_query(self, query: Option<&'a str>) -> Self {
        Self { query, ..self }
    }

    /// A body that is form-encoded whatever the headers say (a query string).
    fn form_encoded(self) -> Self {
        Self {
            content_type: Some("application/x-www-form-urlencoded"),
            ..self
        }
    }

    /// Its event-log row, under a fresh event id and naming no subject.
    fn entry<'e>(&'e self, delivery_id: &'e str, event_type: &'e str) -> LogEntry<'e> {
        static NO_SUBJECTS: OnceLock<Map<String, Value>> = OnceLock::new();
        LogEntry {
            id: EventId::new().uuid(),
            provider: self.provider,
            delivery_id,
            event_type,
            endpoint: self.endpoint,
            headers: &self.kept,
            body: self.body,
            subject_ids: NO_SUBJECTS.get_or_init(Map::new),
        }
    }
}

/// Keeps a refusal for operators; failing to is logged.
async fn record_rejected(db: &Db, r: &Rejected<'_>) {
    tracing::warn!(provider = r.provider, endpoint = r.endpoint, code = r.reason_code, reason = %r.reason, "webhook refused");
    if let Err(e) = store::record_rejection(db.pool(), r).await {
        tracing::error!(error = %e, "cannot record a refused webhook");
    }
}

/// Records a refusal the framework made before any handler ran (a body
/// over the limit, an unknown path, a wrong method, headers over the
/// limit, a bad path encoding), so every refusal is in
/// `rejected_deliveries`. The body was not read, so none is kept.
pub fn record_framework_refusals(db: Db) -> attend_kit::http::serve::OnRefusal {
    Arc::new(move |refused: attend_kit::http::serve::Refused| {
        let db = db.clone();
        Box::pin(async move {
            let kept = kept_headers(&refused.headers);
            let provider = provider_of(&refused.route);
            let r = Rejected {
                provider,
                endpoint: &refused.route,
                reason_code: &refused.code,
                reason: &refused.detail,
                http_status: refused.status.as_u16(),
                headers: &kept,
                body: &[],
            };
            metrics::counter!("attend_webhooks_received_total", "provider" => provider, "outcome" => "rejected")
                .increment(1);
            record_rejected(&db, &r).await;
        })
    })
}

/// The provider a route belongs to (`unknown` for an unmatched path).
fn provider_of(route: &str) -> &'static str {
    let known = [
        ("/webhooks/wix/", "wix"),
        (manychat::ENDPOINT, "manychat"),
        ("/webhooks/forms/", "form"),
        ("/webhooks/clicksend/", "clicksend"),
        ("/webhooks/twilio/", "twilio"),
        ("/webhooks/sendgrid/", "sendgrid"),
    ];
    known
        .into_iter()
        .find(|(prefix, _)| route.starts_with(prefix))
        .map_or("unknown", |(_, provider)| provider)
}

/// The headers worth keeping, without credentials.
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

/// A delivery we took.
#[derive(Debug)]
struct Accepted {
    event_id: EventId,
    booking_id: Option<BookingId>,
    handled: bool,
    duplicate: bool,
}

/// What a messaging provider's callback reports, and the provider's
/// parser for it.
#[derive(Clone, Copy)]
enum Callback {
    /// A text to one of the practice's numbers.
    Inbound(fn(&Value) -> Result<Inbound, Vec<FieldError>>),
    /// A delivery report for a message we sent.
    Status(fn(&Value) -> Result<Report, Vec<FieldError>>),
}

/// A setting a provider's check needs; until an operator sets it, 503.
fn configured<'a, T>(setting: &'a Option<T>, var: &str, what: &str) -> Result<&'a T, Rejection> {
    setting.as_ref().ok_or_else(|| Rejection::not_configured(var, what))
}

impl Edge {
    /// The answer to a delivery, counted, with a refusal recorded.
    async fn respond(&self, delivery: &Delivery<'_>, result: Result<Accepted, Rejection>) -> Response {
        let provider = delivery.provider;
        match result {
            Ok(accepted) => {
                let outcome = if accepted.duplicate { "duplicate" } else { "accepted" };
                metrics::counter!("attend_webhooks_received_total", "provider" => provider, "outcome" => outcome)
                    .increment(1);
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
            Err(rejection) => self.refuse(delivery, rejection).await,
        }
    }

    /// A refusal: counted, recorded, answered as a problem.
    async fn refuse(&self, delivery: &Delivery<'_>, rejection: Rejection) -> Response {
        metrics::counter!("attend_webhooks_received_total", "provider" => delivery.provider, "outcome" => "rejected")
            .increment(1);
        self.record(delivery, &rejection).await;
        let mut response = rejection.into_response();
        response.extensions_mut().insert(Answered);
        response
    }

    /// Keeps a refusal for operators. Failing to is logged, not answered:
    /// the provider gets the refusal either way.
    async fn record(&self, delivery: &Delivery<'_>, rejection: &Rejection) {
        let r = Rejected {
            provider: delivery.provider,
            endpoint: delivery.endpoint,
            reason_code: rejection.code(),
            reason: rejection.detail(),
            http_status: rejection.status().as_u16(),
            headers: &delivery.kept,
            body: delivery.body,
        };
        record_rejected(&self.db, &r).await;
    }

    async fn organisation_by_slug(&self, slug: &str) -> Result<Org, Rejection> {
        // Not a slug at all: nobody has it, and identity needn't be asked.
        if !attend_kit::orgs::is_slug(slug) {
            return Err(Rejection::no_organisation(
                attend_kit::Error::NotFound("organisation".to_owned()),
                slug,
            ));
        }
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
        delivery: &Delivery<'_>,
        slug: &str,
        read: fn(&Value) -> Result<Lead, Vec<FieldError>>,
    ) -> Result<Accepted, Rejection> {
        let value = payload::object(delivery.body, delivery.content_type).map_err(Rejection::malformed)?;
        let lead = &read(&value).map_err(Rejection::malformed)?;
        let org = &self.organisation_by_slug(slug).await?;
        let read = read_lead_contacts(lead, org)?;
        let delivery_id = delivery_key(lead.delivery_id.as_deref(), delivery.body);
        let entry = delivery.entry(&delivery_id, &lead.event);
        self.append_and_publish(org, entry, |id| lead_draft(delivery.provider, org, lead, read, id))
            .await
    }

    /// A messaging provider's callback for `org`, read by the provider's
    /// parser.
    async fn accept_callback(
        &self,
        delivery: &Delivery<'_>,
        org: &Org,
        callback: Callback,
    ) -> Result<Accepted, Rejection> {
        let mut value = payload::object(delivery.body, delivery.content_type).map_err(Rejection::malformed)?;
        // Parameters of the callback URL we gave the provider (Twilio's
        // `attend_id`) read like fields, never over the body's own.
        if let (Some(query), Some(fields)) = (delivery.query, value.as_object_mut()) {
            for (name, v) in url::form_urlencoded::parse(query.as_bytes()) {
                fields
                    .entry(name.into_owned())
                    .or_insert_with(|| Value::String(v.into_owned()));
            }
        }
        match callback {
            Callback::Inbound(read) => {
                let sms = read(&value).map_err(Rejection::malformed)?;
                self.accept_sms(delivery, org, &sms).await
            }
            Callback::Status(read) => {
                let report = read(&value).map_err(Rejection::malformed)?;
                self.accept_report(delivery, org, &report).await
            }
        }
    }

    async fn accept_sms(&self, delivery: &Delivery<'_>, org: &Org, sms: &Inbound) -> Result<Accepted, Rejection> {
        let entry = delivery.entry(&sms.message_id, "sms.inbound");
        let draft = sms_draft(delivery.provider, org, sms)?;
        self.append_and_publish(org, entry, draft).await
    }

    async fn accept_report(&self, delivery: &Delivery<'_>, org: &Org, report: &Report) -> Result<Accepted, Rejection> {
        // A report is about our message; an unreadable recipient is no
        // reason to lose it.
        let to = phone_as_sent(report.to.as_deref(), org.phone_region);
        let delivery_id = report.delivery_id();
        let entry = delivery.entry(&delivery_id, "sms.status");
        self.append_and_publish(org, entry, |id| {
            let event = SmsStatusReported {
                provider: delivery.provider.to_owned(),
                message_id: report.message_id.clone(),
                status: report.status.to_owned(),
                provider_status: report.provider_status.clone(),
                error_code: report.error_code.clone().unwrap_or_default(),
                error_text: report.error_text.clone().unwrap_or_default(),
                to,
                reported_at: Some(timestamp(report.reported_at.unwrap_or_else(chrono::Utc::now))),
                raw_event_id: id.uuid().to_string(),
                reference: report.reference.clone().unwrap_or_default(),
            };
            Draft::new(org.id, &event)
        })
        .await
    }
}

/// A lead's phone and email as the organisation reads them.
pub(crate) fn read_lead_contacts(lead: &Lead, org: &Org) -> Result<(String, String), Rejection> {
    read_phone_and_email(
        (lead.phone.as_deref(), lead.phone_field),
        (lead.email.as_deref(), lead.email_field),
        org.phone_region,
    )
}

/// The event a lead becomes (its phone and email read already).
pub(crate) fn lead_draft(
    provider: &str,
    org: &Org,
    lead: &Lead,
    (phone, email): (String, String),
    id: EventId,
) -> Draft {
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
}

/// The event an inbound text becomes, given its id; refused when the
/// sender's number can't be read.
pub(crate) fn sms_draft<'a>(
    provider: &'a str,
    org: &'a Org,
    sms: &'a Inbound,
) -> Result<impl FnOnce(EventId) -> Draft + 'a, Rejection> {
    let from = Phone::parse(&sms.from, org.phone_region)
        .map_err(|r| Rejection::malformed(vec![FieldError::new(sms.from_field, r)]))?
        .to_string();
    // Our own number: kept as sent if it isn't one we can read.
    let to = phone_as_sent(sms.to.as_deref(), org.phone_region);
    Ok(move |id: EventId| {
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

/// A person's phone in E.164 and email normalised, each with the body
/// field it came from; empty when not sent. Refused naming every field
/// that can't be read, both at once.
fn read_phone_and_email(
    (phone, phone_field): (Option<&str>, &str),
    (email, email_field): (Option<&str>, &str),
    region: Region,
) -> Result<(String, String), Rejection> {
    let mut problems = Vec::new();
    let phone = phone
        .map(|raw| Phone::parse(raw, region).map(|p| p.to_string()))
        .transpose()
        .unwrap_or_else(|r| {
            problems.push(FieldError::new(phone_field, r));
            None
        });
    let email = email
        .map(|raw| Email::parse(raw).map(|e| e.to_string()))
        .transpose()
        .unwrap_or_else(|r| {
            problems.push(FieldError::new(email_field, r));
            None
        });
    if !problems.is_empty() {
        return Err(Rejection::malformed(problems));
    }
    Ok((phone.unwrap_or_default(), email.unwrap_or_default()))
}

/// A phone in E.164 when we can read it, else as sent (empty when absent).
fn phone_as_sent(raw: Option<&str>, region: Region) -> String {
    raw.map(|raw| Phone::parse(raw, region).map_or_else(|_| raw.to_owned(), |p| p.to_string()))
        .unwrap_or_default()
}
