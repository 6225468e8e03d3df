//! Every way ingest refuses a delivery, with its HTTP status and stable
//! code, in one place.
//!
//! The code is a contract: providers' dashboards, operators reading
//! `rejected_deliveries` and the tests all match on it, so each refusal
//! gets its status and code here and nowhere else. The modules that find
//! the fault (signature checks, payload parsing, the directory, storage)
//! only say what is wrong. A 503 carries `Retry-After`: it is our fault
//! or our configuration, so the provider should retry and nothing is lost.

use attend_kit::http::Problem;
use attend_kit::{Error, FieldError};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::signature::SignatureError;

/// Why a delivery was refused.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
}

impl Rejection {
    fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A body we can read but not accept, each field at fault named.
    pub fn malformed(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "malformed_body",
            detail,
            errors,
        }
    }

    /// One field at fault, under its own code.
    fn field(code: &'static str, field: &str, reason: impl Into<String>) -> Self {
        Self {
            code,
            ..Self::malformed(vec![FieldError::new(field, reason)])
        }
    }

    /// A JSON body without the Standard Webhooks headers: we can't tell who
    /// sent it.
    pub fn unsigned_json() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "missing_signature",
            "a JSON body must be signed with the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature",
        )
    }

    /// A Twilio signature that is refused. A mismatch is most often Twilio
    /// calling another URL than the one we rebuilt, so the detail names ours.
    pub fn twilio_signature(e: SignatureError, url: &str) -> Self {
        match e {
            SignatureError::BadSignature => Self {
                detail: format!(
                    "X-Twilio-Signature does not match {url}: if Twilio calls another URL (a proxy, https), set ATTEND_PUBLIC_BASE_URL"
                ),
                ..Self::from(e)
            },
            other => Self::from(other),
        }
    }

    /// We can't verify this kind of delivery until an operator configures
    /// it; 503 so the provider retries and nothing is lost meanwhile.
    pub fn not_configured(var: &str, what: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            format!("{what} can't be verified: {var} is not set on this server"),
        )
    }

    /// The directory's answer for the organisation a URL names by slug.
    pub fn no_organisation(e: Error, slug: &str) -> Self {
        match e {
            Error::NotFound(_) => Self::new(
                StatusCode::NOT_FOUND,
                "unknown_organisation",
                format!("no organisation has the slug {slug:?}"),
            ),
            other => Self::directory_unavailable(&other),
        }
    }

    /// The directory's answer for the organisation of a Wix instance; with
    /// no instance id, the only organisation there is.
    pub fn no_wix_organisation(e: Error, instance_id: Option<&str>) -> Self {
        let instance = |reason: String| Self::field("unknown_organisation", "instanceId", reason);
        match e {
            Error::NotFound(_) => match instance_id {
                Some(id) => instance(format!("no organisation is linked to Wix instance {id:?}")),
                None => instance("no organisation exists yet".to_owned()),
            },
            Error::Conflict(_) => instance(
                "is required: several organisations exist, so the delivery must say which Wix instance it is from"
                    .to_owned(),
            ),
            other => Self::directory_unavailable(&other),
        }
    }

    fn directory_unavailable(e: &Error) -> Self {
        tracing::warn!(error = %e, "cannot resolve the organisation of a webhook");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the organisation directory is unavailable; retry shortly",
        )
    }

    /// A verified delivery we could not store, logged with `why`; the
    /// provider retries it.
    pub fn unstored(why: impl std::fmt::Display) -> Self {
        tracing::error!(error = %why, "cannot store a webhook");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the delivery could not be stored; retry shortly",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl From<SignatureError> for Rejection {
    /// 400 for a request that is malformed or stale (an expired Wix token
    /// is a genuine delivery, too old to act on), 401 for one we cannot
    /// authenticate.
    fn from(e: SignatureError) -> Self {
        let (status, code) = match &e {
            SignatureError::MissingHeader(_) => (StatusCode::UNAUTHORIZED, "missing_signature"),
            SignatureError::MalformedHeader { .. } => (StatusCode::BAD_REQUEST, "malformed_header"),
            SignatureError::StaleTimestamp { .. } => (StatusCode::BAD_REQUEST, "stale_timestamp"),
            SignatureError::BadSignature => (StatusCode::UNAUTHORIZED, "bad_signature"),
            SignatureError::WrongAlgorithm(_) => (StatusCode::UNAUTHORIZED, "bad_algorithm"),
            SignatureError::Expired => (StatusCode::BAD_REQUEST, "token_expired"),
            SignatureError::NoExpiry => (StatusCode::UNAUTHORIZED, "bad_signature"),
            SignatureError::UnreadableClaims(_) => (StatusCode::BAD_REQUEST, "malformed_body"),
        };
        Self::new(status, code, e.to_string())
    }
}

impl From<sqlx::Error> for Rejection {
    fn from(e: sqlx::Error) -> Self {
        Self::unstored(e)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut problem = Problem::new(self.status, self.code, self.detail);
        problem.errors = self.errors;
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            problem = problem.with_header(http::header::RETRY_AFTER, "30");
        }
        problem.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_faults_answer_with_their_status_and_code() {
        let cases = [
            (
                SignatureError::MissingHeader("webhook-signature"),
                StatusCode::UNAUTHORIZED,
                "missing_signature",
            ),
            (
                SignatureError::MalformedHeader {
                    header: "webhook-id",
                    why: "must be 1-256 characters".to_owned(),
                },
                StatusCode::BAD_REQUEST,
                "malformed_header",
            ),
            (
                SignatureError::StaleTimestamp {
                    header: "webhook-timestamp",
                    skew: 301,
                },
                StatusCode::BAD_REQUEST,
                "stale_timestamp",
            ),
            (SignatureError::BadSignature, StatusCode::UNAUTHORIZED, "bad_signature"),
            (
                SignatureError::WrongAlgorithm("HS256".to_owned()),
                StatusCode::UNAUTHORIZED,
                "bad_algorithm",
            ),
            (SignatureError::Expired, StatusCode::BAD_REQUEST, "token_expired"),
            (SignatureError::NoExpiry, StatusCode::UNAUTHORIZED, "bad_signature"),
            (
                SignatureError::UnreadableClaims("recursion limit exceeded".to_owned()),
                StatusCode::BAD_REQUEST,
                "malformed_body",
            ),
        ];
        for (fault, status, code) in cases {
            let detail = fault.to_string();
            let rejection = Rejection::from(fault);
            assert_eq!((rejection.status(), rejection.code()), (status, code), "{detail}");
            assert_eq!(rejection.detail(), detail);
        }
    }
}
