//! SendGrid's Event Webhook: a signed batch of events about the emails
//! messaging sent through SendGrid (delivered, opened, clicked, bounced,
//! unsubscribed, …), each routed to its organisation by the `org` slug
//! messaging put in the email's `custom_args`.
//!
//! The batch is verified as a whole (ECDSA over the timestamp and the raw
//! body: [`crate::signature::SendGridKey`]), then each event is taken on
//! its own: logged with its own JSON under its `sg_event_id` (a redelivered
//! batch changes nothing) and published as `ingest.email_event`. A batch
//! mixes organisations, so one event that can't be taken never costs the
//! others: it is left out, recorded in `rejected_deliveries` (with the
//! batch's answer, 200, as its status), and listed in the answer.
//! Only what makes the whole batch unusable (the signature, a body that
//! isn't an array of events, our own storage or directory failing) is a
//! refusal of the batch, answered with a problem as elsewhere; SendGrid
//! retries those.

use std::sync::Arc;

use attend_kit::bus::{Draft, timestamp};
use attend_kit::ids::{EventId, TypedId};
use attend_proto::ingest::v1::EmailEventReported;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::{Delivery, Edge, configured, record_rejected};
use crate::payload::email::{self, EmailEvent, Item};
use crate::refusal::Rejection;
use crate::store::{LogEntry, Rejected};

pub(super) const EVENTS: &str = "/webhooks/sendgrid/events";

/// Largest batch accepted: SendGrid posts a batch when it reaches 768 KB
/// (or every 30 seconds), which is over the other endpoints' limit.
pub(super) const BODY_LIMIT: usize = 1024 * 1024;

/// What became of a batch's events.
#[derive(Debug, Default)]
struct Taken {
    accepted: usize,
    duplicates: usize,
    /// `sg_event_id` (or the element's index) and why, for each left out.
    left_out: Vec<Value>,
}

/// `POST /webhooks/sendgrid/events`.
pub(super) async fn events(State(edge): State<Arc<Edge>>, headers: HeaderMap, body: Bytes) -> Response {
    let delivery = Delivery::new("sendgrid", EVENTS, &headers, &body);
    let result = async {
        let key = configured(
            &edge.sendgrid,
            "ATTEND_SENDGRID_WEBHOOK_PUBLIC_KEY",
            "a SendGrid event batch",
        )?;
        key.verify(delivery.headers, delivery.body, chrono::Utc::now().timestamp())?;
        let batch = email::sendgrid_batch(delivery.body).map_err(Rejection::malformed)?;
        edge.take_batch(&delivery, batch).await
    }
    .await;
    match result {
        Ok(taken) => {
            metrics::counter!("attend_webhooks_received_total", "provider" => "sendgrid", "outcome" => "accepted")
                .increment(1);
            (
                StatusCode::OK,
                Json(json!({
                    "success": true,
                    "accepted": taken.accepted,
                    "duplicates": taken.duplicates,
                    "left_out": taken.left_out,
                })),
            )
                .into_response()
        }
        Err(rejection) => edge.refuse(&delivery, rejection).await,
    }
}

impl Edge {
    async fn take_batch(&self, delivery: &Delivery<'_>, batch: Vec<(Item, Value)>) -> Result<Taken, Rejection> {
        let mut taken = Taken::default();
        for (index, (item, raw)) in batch.into_iter().enumerate() {
            let raw = serde_json::to_vec(&raw).unwrap_or_default();
            match item {
                Item::Event(event) => match self.take_event(delivery, &event, &raw).await? {
                    Ok(duplicate) => {
                        taken.accepted += 1;
                        taken.duplicates += usize::from(duplicate);
                    }
                    Err(left_out) => {
                        self.record_left_out(delivery, &left_out, &raw).await;
                        taken.left_out.push(json!({
                            "index": index, "sg_event_id": event.event_id,
                            "code": left_out.code(), "reason": left_out.detail(),
                        }));
                    }
                },
                Item::Ignored { event_id, why } => {
                    metrics::counter!("attend_sendgrid_events_ignored_total").increment(1);
                    taken.left_out.push(json!({
                        "index": index, "sg_event_id": event_id, "code": "not_handled", "reason": why,
                    }));
                }
                Item::Malformed { event_id, problems } => {
                    let left_out = Rejection::malformed(problems);
                    self.record_left_out(delivery, &left_out, &raw).await;
                    taken.left_out.push(json!({
                        "index": index, "sg_event_id": event_id,
                        "code": left_out.code(), "reason": left_out.detail(),
                    }));
                }
            }
        }
        Ok(taken)
    }

    /// One event: its organisation, then the log and the outbox. The outer
    /// error refuses the batch (the directory or the database is down);
    /// the inner one leaves this event out (no such organisation);
    /// `Ok(Ok(duplicate))` took it.
    async fn take_event(
        &self,
        delivery: &Delivery<'_>,
        event: &EmailEvent,
        raw: &[u8],
    ) -> Result<Result<bool, Rejection>, Rejection> {
        let org = match self.organisation_by_slug(&event.org).await {
            Ok(org) => org,
            Err(r) if r.status() == StatusCode::NOT_FOUND => return Ok(Err(r)),
            Err(r) => return Err(r),
        };
        let no_subjects = Map::new();
        let event_type = format!("email.{}", event.event);
        let entry = LogEntry {
            id: EventId::new().uuid(),
            provider: delivery.provider,
            delivery_id: &event.event_id,
            event_type: &event_type,
            endpoint: delivery.endpoint,
            headers: &delivery.kept,
            body: raw,
            subject_ids: &no_subjects,
        };
        let accepted = self
            .append_and_publish(&org, entry, |id| {
                let e = EmailEventReported {
                    provider: delivery.provider.to_owned(),
                    event: event.event.to_owned(),
                    email: event.email.clone(),
                    reference: event.reference.clone(),
                    event_id: event.event_id.clone(),
                    message_id: event.message_id.clone().unwrap_or_default(),
                    url: event.url.clone().unwrap_or_default(),
                    reason: event.reason.clone().unwrap_or_default(),
                    bounce_type: event.bounce_type.clone().unwrap_or_default(),
                    status: event.status.clone().unwrap_or_default(),
                    occurred_at: event.occurred_at.map(timestamp),
                    raw_event_id: id.uuid().to_string(),
                };
                Draft::new(org.id, &e)
            })
            .await?;
        Ok(Ok(accepted.duplicate))
    }

    /// Keeps an event left out of an accepted batch for operators, with
    /// the batch's status.
    async fn record_left_out(&self, delivery: &Delivery<'_>, why: &Rejection, raw: &[u8]) {
        metrics::counter!("attend_sendgrid_events_left_out_total", "code" => why.code()).increment(1);
        let r = Rejected {
            provider: delivery.provider,
            endpoint: delivery.endpoint,
            reason_code: why.code(),
            reason: why.detail(),
            http_status: StatusCode::OK.as_u16(),
            headers: &delivery.kept,
            body: raw,
        };
        record_rejected(&self.db, &r).await;
    }
}
