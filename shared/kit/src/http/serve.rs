//! Serving a public listener (the gateway's API, ingest's webhooks).
//!
//! Every refusal on a public listener is `application/problem+json`,
//! including the ones the framework makes before any handler runs: an
//! unknown path (404), a wrong method (405), a body over the limit (413),
//! a path parameter that isn't valid percent-encoding (400), too many or
//! too large headers (431), a timeout. [`problem_responses`] turns each of
//! those into a problem with a stable code; handlers' own problems pass
//! through untouched.
//!
//! Header limits are ours, not hyper's: hyper is given room
//! ([`HYPER_MAX_BUF`], [`HYPER_MAX_HEADERS`]) so that a request a little
//! over [`MAX_HEADERS`] or [`MAX_HEADER_BYTES`] reaches [`limit_headers`]
//! and gets a problem. Beyond hyper's own room the connection is refused
//! by hyper with a bare 431: there is no request to answer yet.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use super::Problem;

/// A refusal on a public listener that no handler answered itself (a
/// framework refusal), for listeners that must keep a record of every
/// refusal (ingest).
#[derive(Debug, Clone)]
pub struct Refused {
    pub method: http::Method,
    /// The route template it matched (`/webhooks/forms/{org}`), never the
    /// raw path (a path may carry a token); `unmatched` for an unknown path.
    pub route: String,
    pub headers: http::HeaderMap,
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
}

/// What a listener does with each [`Refused`].
pub type OnRefusal = std::sync::Arc<dyn Fn(Refused) -> futures::future::BoxFuture<'static, ()> + Send + Sync>;

/// Marks a response whose refusal its handler already dealt with (answered
/// and, where the listener keeps them, recorded).
#[derive(Debug, Clone, Copy)]
pub struct Answered;

/// Most headers a request may carry.
pub const MAX_HEADERS: usize = 100;
/// Most bytes of header names and values a request may carry.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// What hyper itself accepts before it refuses a connection outright.
pub const HYPER_MAX_HEADERS: usize = 1_000;
pub const HYPER_MAX_BUF: usize = 1024 * 1024;

/// The problem for a body over the listener's limit.
pub fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "the request body is larger than this endpoint accepts",
    )
}

/// Serves `router` on `listener` until `shutdown`, then lets requests in
/// flight finish. Each request carries the peer's address
/// (`ConnectInfo<SocketAddr>`), and its replies go out at once
/// (`TCP_NODELAY`), not after the client's delayed ACK.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    on_refusal: Option<OnRefusal>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let router = router
        .layer(axum::middleware::from_fn(limit_headers))
        .layer(axum::middleware::from_fn_with_state(on_refusal, problem_responses));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_buf_size(HYPER_MAX_BUF)
        .max_headers(HYPER_MAX_HEADERS);
    builder
        .http2()
        .max_header_list_size(u32::try_from(HYPER_MAX_BUF).unwrap_or(u32::MAX));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Refuses a request with too many or too large headers with a problem.
pub async fn limit_headers(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("a request may carry at most {MAX_HEADERS} headers and {MAX_HEADER_BYTES} bytes of them"),
        )
        .into_response();
    }
    next.run(request).await
}

/// Turns a refusal the framework made (plain text or empty) into a
/// problem with a stable code; problems and successes pass untouched. A
/// refusal no handler answered goes to `on_refusal`, when the listener
/// keeps them.
pub async fn problem_responses(
    axum::extract::State(on_refusal): axum::extract::State<Option<OnRefusal>>,
    request: Request,
    next: Next,
) -> Response {
    // Only a listener that records refusals pays for keeping these.
    let seen = on_refusal.as_ref().map(|_| {
        let route = request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
        (request.method().clone(), route, request.headers().clone())
    });
    let response = framework_problem(next.run(request).await).await;
    let status = response.status();
    if let (Some(on_refusal), Some((method, route, headers))) = (on_refusal, seen)
        && (status.is_client_error() || status.is_server_error())
        && response.extensions().get::<Answered>().is_none()
    {
        let (code, detail) = response
            .extensions()
            .get::<Problem>()
            .map(|p| (p.code.to_string(), p.detail.clone()))
            .unwrap_or_else(|| (framework_code(status).to_owned(), String::new()));
        on_refusal(Refused {
            method,
            route,
            headers,
            status,
            code,
            detail,
        })
        .await;
    }
    response
}

/// A framework refusal (plain text or empty) as a problem; anything else
/// as it was.
async fn framework_problem(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Framework refusals are a line of text at most; read no more than that.
    let text = axum::body::to_bytes(body, 4 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let text = text.trim();
    let detail = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_owned()
    } else {
        crate::text::shown(text).trim_matches('"').to_owned()
    };
    let mut problem = match status {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        _ => Problem::new(status, framework_code(status), detail),
    };
    // What the framework said about how to proceed stays (Allow on a 405).
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name).and_then(|v| v.to_str().ok()) {
            problem = problem.with_header(name, value);
        }
    }
    let mut response = problem.into_response();
    response.extensions_mut().extend(parts.extensions);
    response
}

/// The stable code of a refusal the framework made, by its status.
fn framework_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "malformed_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => "timeout",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "malformed_body",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        s if s.is_server_error() => "internal",
        _ => "refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use http::HeaderValue;

    async fn answer(router: Router, request: Request) -> (StatusCode, serde_json::Value, Option<String>) {
        let router = router
            .layer(axum::middleware::from_fn(limit_headers))
            .layer(axum::middleware::from_fn_with_state(None, problem_responses));
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let allow = response
            .headers()
            .get(header::ALLOW)
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json",
            "{status}"
        );
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap(), allow)
    }

    fn app() -> Router {
        Router::new()
            .route(
                "/things/{id}",
                post(|super::super::PathParam(id): super::super::PathParam| async move { id }),
            )
            .layer(axum::extract::DefaultBodyLimit::max(16))
    }

    #[tokio::test]
    async fn every_framework_refusal_is_a_problem() {
        let get = |uri: &str| Request::get(uri).body(axum::body::Body::empty()).unwrap();
        let (status, problem, _) = answer(app(), get("/nowhere")).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );

        let (status, problem, allow) = answer(app(), get("/things/1")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(problem["code"], "method_not_allowed");
        assert_eq!(allow.as_deref(), Some("POST"));

        let post = |uri: &str, body: &'static str| Request::post(uri).body(axum::body::Body::from(body)).unwrap();
        let (status, problem, _) = answer(app(), post("/things/%FF", "")).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("malformed_path"))
        );

        let mut many = Request::post("/things/1").body(axum::body::Body::empty()).unwrap();
        for i in 0..=MAX_HEADERS {
            many.headers_mut().insert(
                http::HeaderName::try_from(format!("x-h{i}")).unwrap(),
                HeaderValue::from_static("1"),
            );
        }
        let (status, problem, _) = answer(app(), many).await;
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(problem["code"], "headers_too_large");
    }
}
