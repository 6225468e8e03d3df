//! Lead forms: `POST /webhooks/forms/{org}` from public landing pages.
//!
//! Anyone can post a form, so nothing is verified: the organisation is the
//! slug in the URL, and each client address is limited
//! (`ATTEND_FORM_RATE_LIMIT`). A page on another domain posts with
//! `fetch`, so every answer carries CORS headers.

use std::net::SocketAddr;
use std::sync::Arc;

use attend_kit::http::{PathParam, Problem};
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use governor::clock::{Clock, DefaultClock};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

use super::{Delivery, Edge};
use crate::payload::leads;

pub(super) const ENDPOINT: &str = "/webhooks/forms/{org}";

/// A submission (JSON or form-encoded), limited per client address. A
/// limited one is neither stored nor recorded as refused.
pub(super) async fn submission(
    State(edge): State<Arc<Edge>>,
    PathParam(slug): PathParam,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = attend_kit::http::client_ip(&headers, Some(peer), edge.trust_forwarded_for);
    if let Some(ip) = ip
        && let Err(not_until) = edge.form_limit.check_key(&ip)
    {
        metrics::counter!("attend_webhooks_received_total", "provider" => "form", "outcome" => "rate_limited")
            .increment(1);
        let problem = Problem::rate_limited(
            "submissions from this address",
            not_until.wait_time_from(DefaultClock::default().now()),
        );
        // Answered, and deliberately not recorded: a flood must not fill
        // the refusal log.
        let mut response = problem.into_response();
        response.extensions_mut().insert(attend_kit::http::serve::Answered);
        return cors(response);
    }
    let delivery = Delivery::new("form", ENDPOINT, &headers, &body);
    let result = edge.accept_lead(&delivery, &slug, leads::from_form).await;
    cors(edge.respond(&delivery, result).await)
}

/// The browser's CORS preflight before a cross-origin `fetch`.
pub(super) async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

/// CORS for landing pages on other domains that post with `fetch`.
fn cors(mut response: Response) -> Response {
    const ALLOW: [(HeaderName, &str); 4] = [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS"),
        (header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"),
        (header::ACCESS_CONTROL_MAX_AGE, "86400"),
    ];
    for (name, value) in ALLOW {
        response.headers_mut().insert(name, HeaderValue::from_static(value));
    }
    response
}
