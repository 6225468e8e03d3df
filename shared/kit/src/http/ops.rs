//! The ops routes every service answers (`/healthz`, `/readyz`,
//! `/metrics`), the client's address, and request observation (a span and
//! metrics per request).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::StatusCode;
use tracing::Instrument;

use crate::bus::Bus;
use crate::db::Db;

/// A named readiness check: true when ready.
pub type Check = Arc<dyn Fn() -> bool + Send + Sync>;

/// What `/readyz` checks.
#[derive(Clone, Default)]
pub struct Readiness {
    pub db: Option<Db>,
    pub bus: Option<Bus>,
    /// Further named checks (e.g. the gateway has loaded signing keys).
    pub checks: Vec<(&'static str, Check)>,
}

impl Readiness {
    /// Whether every dependency answers, and each one's state.
    pub async fn report(&self) -> (bool, serde_json::Map<String, serde_json::Value>) {
        let mut all = true;
        let mut report = serde_json::Map::new();
        let mut put = |name: &str, ok: bool| {
            all &= ok;
            report.insert(name.to_owned(), (if ok { "ok" } else { "down" }).into());
        };
        if let Some(db) = &self.db {
            put("postgres", db.ping().await);
        }
        if let Some(bus) = &self.bus {
            put("nats", bus.is_connected());
        }
        for (name, check) in &self.checks {
            put(name, check());
        }
        (all, report)
    }
}

/// `/healthz` (the process answers), `/readyz` (dependencies answer) and `/metrics`.
/// The client's address: the connection's peer, or, behind a proxy we were
/// told to trust, the last `X-Forwarded-For` entry: the one that proxy
/// appended. Entries before it were sent by the client, who can write
/// anything there.
pub fn client_ip(
    headers: &http::HeaderMap,
    peer: Option<std::net::SocketAddr>,
    trust_forwarded_for: bool,
) -> Option<std::net::IpAddr> {
    if trust_forwarded_for
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(ip);
    }
    peer.map(|addr| addr.ip())
}

pub fn ops_router(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(|| async { crate::metrics::render() }))
        .with_state(Arc::new(readiness))
}

async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    let (ok, report) = readiness.report().await;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report)).into_response()
}

/// Middleware: a span per request (continuing an incoming `traceparent`)
/// and request metrics labelled by route template, not raw path.
pub async fn observe(State(service): State<&'static str>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().to_string();
    let span = tracing::info_span!(
        "http",
        otel.kind = "server",
        otel.name = format!("{method} {route}"),
        http.method = %method,
        http.route = %route,
        http.status = tracing::field::Empty,
        service,
    );
    crate::telemetry::set_parent_from(&span, &crate::telemetry::HeaderExtractor(request.headers()));
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.status", status);
    let labels = [
        ("service", service.to_owned()),
        ("route", route),
        ("method", method),
        ("status", status.to_string()),
    ];
    metrics::counter!("attend_http_requests_total", &labels).increment(1);
    metrics::histogram!("attend_http_request_duration_seconds", &labels[..3]).record(started.elapsed().as_secs_f64());
    response
}
