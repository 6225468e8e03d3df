//! REST routes, one module per resource, each exposing its own `router()`.

pub mod auth;
pub mod contacts;

use attend_kit::http::Problem;
use http::StatusCode;

/// A JSON body that failed to parse, as a problem naming what is wrong.
pub fn bad_json(e: axum::extract::rejection::JsonRejection) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "malformed_body", e.body_text())
}

/// Any `/api` path that matches no route.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}
