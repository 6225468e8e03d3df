//! HTTP pieces every service shares.
//!
//! # Layout
//! - this module: RFC 9457 problem responses, and request extractors whose
//!   refusals are problems ([`JsonBody`], [`QueryParams`], [`PathParam`]);
//! - [`serve`]: how a public listener is served: header limits, and every
//!   refusal the framework makes (404, 405, 413, 431, a bad path) answered
//!   as problem+json too;
//! - [`ops`]: `/healthz`, `/readyz`, `/metrics`, the client's address and
//!   request observation.

mod ops;
pub mod serve;

pub use ops::{Check, Readiness, client_ip, observe, ops_router};

use axum::Json;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::error::{Error, FieldError};

/// An RFC 9457 `application/problem+json` response with a stable `code`.
/// `type` and `title` are derived from the code and the status.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: std::borrow::Cow<'static, str>,
    pub detail: String,
    /// The fields at fault, for validation problems.
    pub errors: Vec<FieldError>,
    /// Extra response headers (e.g. `Retry-After`).
    pub headers: Vec<(http::HeaderName, String)>,
}

impl serde::Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &format!("https://attend.dev/problems/{}", self.code))?;
        map.serialize_entry("title", self.status.canonical_reason().unwrap_or("Error"))?;
        map.serialize_entry("status", &self.status.as_u16())?;
        map.serialize_entry("detail", &self.detail)?;
        map.serialize_entry("code", &self.code)?;
        if !self.errors.is_empty() {
            map.serialize_entry("errors", &self.errors)?;
        }
        map.end()
    }
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// A 400 naming one field and why.
    pub fn invalid_field(code: &'static str, field: impl Into<String>, reason: impl Into<String>) -> Self {
        let error = FieldError::new(field, reason);
        let mut p = Self::new(StatusCode::BAD_REQUEST, code, error.to_string());
        p.errors.push(error);
        p
    }

    /// A 429 with `Retry-After`: "too many {what}; try again in N seconds".
    pub fn rate_limited(what: &str, wait: std::time::Duration) -> Self {
        let seconds = wait.as_secs().max(1);
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many {what}; try again in {seconds} seconds"),
        )
        .with_header(http::header::RETRY_AFTER, seconds.to_string())
    }

    pub fn with_header(mut self, name: http::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let extra = self.headers.clone();
        let mut response = (status, Json(&self)).into_response();
        // Middleware that watches refusals reads the code from here.
        response.extensions_mut().insert(self.clone());
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/problem+json"),
        );
        for (name, value) in extra {
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
        response
    }
}

/// The single mapping from a service error to an HTTP problem.
impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(fields) => {
                let detail = fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                let mut p = Problem::new(StatusCode::BAD_REQUEST, "validation_failed", detail);
                p.errors = fields;
                p
            }
            Error::NotFound(what) => Problem::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found")),
            Error::Conflict(why) | Error::Precondition(why) => Problem::new(StatusCode::CONFLICT, "conflict", why),
            Error::Unauthenticated(why) => Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", why),
            Error::Forbidden(why) => Problem::new(StatusCode::FORBIDDEN, "forbidden", why),
            Error::Unavailable(why) => {
                tracing::warn!(error = %why, "dependency unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "a service this request needs is unavailable; try again shortly",
                )
                .with_header(http::header::RETRY_AFTER, "5")
            }
            Error::RateLimited { retry_after, message } => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
                    .with_header(http::header::RETRY_AFTER, retry_after.to_string())
            }
            Error::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; it has been logged",
                )
            }
        }
    }
}

/// A JSON request body; a body that can't be read is a problem+json
/// `malformed_body` naming what is wrong, never axum's plain text.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            // A body over the limit is a 413; anything else unreadable, a 400.
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(serve::too_large()),
            Err(e) => Err(Problem::new(StatusCode::BAD_REQUEST, "malformed_body", e.body_text())),
        }
    }
}

/// One path parameter; one that can't be decoded (`%FF`) is a problem+json
/// `malformed_path`.
#[derive(Debug, Clone)]
pub struct PathParam(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathParam {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(e) => Err(Problem::new(StatusCode::BAD_REQUEST, "malformed_path", e.body_text())),
        }
    }
}

/// A query string; one that can't be read is a problem+json
/// `malformed_query` naming what is wrong.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(e) => Err(Problem::new(StatusCode::BAD_REQUEST, "malformed_query", e.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn problems_are_problem_json_with_the_field_named() {
        let response = Problem::from(Error::invalid("customerInfo.phone", "is not a phone number")).into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()[http::header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["code"], "validation_failed");
        assert_eq!(json["status"], 400);
        assert_eq!(json["errors"][0]["field"], "customerInfo.phone");
        assert_eq!(json["errors"][0]["reason"], "is not a phone number");
    }

    #[tokio::test]
    async fn internal_errors_say_nothing_about_the_cause() {
        let response =
            Problem::from(Error::Internal(anyhow::anyhow!("relation \"secret\" does not exist"))).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("secret"));
    }
}
