//! Twilio: inbound texts and message status callbacks, each signed with
//! `X-Twilio-Signature` over the URL Twilio called. The organisation is
//! the slug in the URL.

use std::sync::Arc;

use attend_kit::http::PathParam;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};

use super::{Callback, Delivery, Edge, configured};
use crate::payload::sms;
use crate::refusal::Rejection;

pub(super) const INBOUND: &str = "/webhooks/twilio/{org}/inbound";
pub(super) const STATUS: &str = "/webhooks/twilio/{org}/status";

/// `POST .../inbound`: a text to one of the practice's Twilio numbers.
pub(super) async fn inbound(
    State(edge): State<Arc<Edge>>,
    PathParam(slug): PathParam,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delivery = Delivery::new("twilio", INBOUND, &headers, &body);
    answer(&edge, &delivery, &slug, &uri, Callback::Inbound(sms::twilio_inbound)).await
}

/// `POST .../status`: a message status callback.
pub(super) async fn status(
    State(edge): State<Arc<Edge>>,
    PathParam(slug): PathParam,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delivery = Delivery::new("twilio", STATUS, &headers, &body).with_query(uri.query());
    answer(
        &edge,
        &delivery,
        &slug,
        &uri,
        Callback::Status(sms::twilio_status_callback),
    )
    .await
}

/// The signature over the URL, the organisation, then the message.
async fn answer(edge: &Edge, delivery: &Delivery<'_>, slug: &str, uri: &http::Uri, callback: Callback) -> Response {
    let result = async {
        let token = configured(&edge.twilio, "ATTEND_TWILIO_AUTH_TOKEN", "a Twilio request")?;
        let url = public_url(edge, delivery.headers, uri);
        token
            .verify(&url, delivery.headers, delivery.body)
            .map_err(|e| Rejection::twilio_signature(e, &url))?;
        let org = edge.organisation_by_slug(slug).await?;
        edge.accept_callback(delivery, &org, callback).await
    }
    .await;
    let accepted_text = matches!(callback, Callback::Inbound(_)) && result.is_ok();
    let response = edge.respond(delivery, result).await;
    if accepted_text {
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
