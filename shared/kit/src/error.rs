//! The one error type of service code, and the one place it becomes a gRPC
//! [`Status`] (and back again on the calling side).
//!
//! Client errors carry what the caller needs to fix the request (the field
//! and the reason). [`Error::Internal`] carries a cause chain that goes to the
//! log and never to the caller.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A request field that was wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `customerInfo.phone`.
    pub field: String,
    /// Why it was refused, in words a person can act on.
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is wrong; one entry per field at fault.
    #[error("invalid request: {}", join(.0))]
    Invalid(Vec<FieldError>),
    /// The thing asked for does not exist in the caller's organisation.
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request can't apply to the thing as it is now (a stage move the
    /// pipeline doesn't allow, confirming a cancelled booking): gRPC's
    /// FAILED_PRECONDITION, HTTP 409. A caller reads it back as
    /// [`Error::Conflict`], as it reads every "not in this state" answer.
    #[error("failed precondition: {0}")]
    Precondition(String),
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A dependency is down or timed out; retrying later may succeed.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Too many attempts: try again after `retry_after` seconds.
    #[error("rate limited: {message}")]
    RateLimited { retry_after: u64, message: String },
    /// A bug or an unexpected failure; details stay in the log.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn join(errors: &[FieldError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// gRPC metadata carrying a rate limit's wait, in seconds.
pub const RETRY_AFTER: &str = "retry-after";

impl Error {
    /// One field at fault.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, reason)])
    }

    /// The same error, with each field at fault renamed by `rename` (a
    /// peer's name for a field, as the caller's request spells it).
    #[must_use]
    pub fn with_fields_renamed(self, rename: impl Fn(&str) -> String) -> Self {
        match self {
            Self::Invalid(fields) => Self::Invalid(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(rename(&f.field), f.reason))
                    .collect(),
            ),
            other => other,
        }
    }

    /// Whether retrying the same request later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Self::Unavailable(format!("database: {e}"))
            }
            _ => Self::Internal(anyhow::Error::new(e).context("database query failed")),
        }
    }
}

impl From<crate::ids::IdError> for Error {
    fn from(e: crate::ids::IdError) -> Self {
        Self::invalid("id", e.to_string())
    }
}

/// Longest message (and field reason) a `Status` carries. The message
/// travels in an HTTP/2 header: an unbounded one (a reason quoting a
/// 5,000-character value) overflowed the peer's header limit and turned a
/// 400 into a protocol error.
const STATUS_TEXT_MAX: usize = 1_000;

/// `text` cut to at most `max` bytes, on a character boundary.
fn bounded(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max.saturating_sub('…'.len_utf8());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        let b = |text: String| bounded(text, STATUS_TEXT_MAX);
        match e {
            Error::Invalid(fields) => {
                let message = b(join(&fields));
                let mut details = ErrorDetails::new();
                // Every reason bounded, and no more of them than fit.
                for f in fields.iter().take(20) {
                    details.add_bad_request_violation(bounded(f.field.clone(), 200), bounded(f.reason.clone(), 300));
                }
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            Error::NotFound(what) => Status::not_found(b(format!("{what} not found"))),
            Error::Conflict(why) => Status::already_exists(b(why)),
            Error::Precondition(why) => Status::failed_precondition(b(why)),
            Error::Unauthenticated(why) => Status::unauthenticated(b(why)),
            Error::Forbidden(why) => Status::permission_denied(b(why)),
            Error::Unavailable(why) => {
                tracing::warn!(error = %why, "dependency unavailable");
                Status::unavailable(b(why))
            }
            Error::RateLimited { retry_after, message } => {
                let mut status = Status::resource_exhausted(b(message));
                if let Ok(v) = retry_after.to_string().parse() {
                    status.metadata_mut().insert(RETRY_AFTER, v);
                }
                status
            }
            Error::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                Status::internal("internal error")
            }
        }
    }
}

/// A peer's answer as ours: the message, or what its `Status` means for
/// us. `peer` names the service called.
pub trait PeerAnswer<T> {
    fn into_answer(self, peer: &str) -> Result<T, Error>;
}

impl<T> PeerAnswer<T> for Result<tonic::Response<T>, Status> {
    fn into_answer(self, peer: &str) -> Result<T, Error> {
        self.map(tonic::Response::into_inner).map_err(|s| from_status(s, peer))
    }
}

/// What a peer's `Status` means for us, the caller. `peer` names the service
/// called, for the messages of errors that are not the caller's fault.
pub fn from_status(status: Status, peer: &str) -> Error {
    match status.code() {
        Code::InvalidArgument | Code::OutOfRange => {
            let fields: Vec<FieldError> = status
                .get_details_bad_request()
                .map(|br| {
                    br.field_violations
                        .into_iter()
                        .map(|v| FieldError::new(v.field, v.description))
                        .collect()
                })
                .unwrap_or_default();
            if fields.is_empty() {
                Error::invalid("request", status.message().to_owned())
            } else {
                Error::Invalid(fields)
            }
        }
        Code::NotFound => Error::NotFound(
            status
                .message()
                .strip_suffix(" not found")
                .unwrap_or(status.message())
                .to_owned(),
        ),
        Code::AlreadyExists | Code::FailedPrecondition | Code::Aborted => Error::Conflict(status.message().to_owned()),
        Code::Unauthenticated => Error::Unauthenticated(status.message().to_owned()),
        Code::PermissionDenied => Error::Forbidden(status.message().to_owned()),
        Code::ResourceExhausted if status.metadata().contains_key(RETRY_AFTER) => Error::RateLimited {
            retry_after: status
                .metadata()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
            message: status.message().to_owned(),
        },
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Cancelled => {
            Error::Unavailable(format!("{peer}: {}", status.message()))
        }
        _ => Error::Internal(anyhow::anyhow!(
            "{peer} answered {:?}: {}",
            status.code(),
            status.message()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_survive_a_round_trip_through_status() {
        let status: Status = Error::Invalid(vec![
            FieldError::new("phone", "is not a phone number"),
            FieldError::new("email", "is missing an @"),
        ])
        .into();
        assert_eq!(status.code(), Code::InvalidArgument);
        match from_status(status, "contact") {
            Error::Invalid(fields) => assert_eq!(
                fields,
                vec![
                    FieldError::new("phone", "is not a phone number"),
                    FieldError::new("email", "is missing an @"),
                ]
            ),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn renaming_fields_keeps_the_reasons_and_leaves_other_errors_alone() {
        let renamed = Error::Invalid(vec![FieldError::new("vitals.pulse", "is too high")])
            .with_fields_renamed(|f| f.replace("vitals.", "vital_signs."));
        match renamed {
            Error::Invalid(fields) => assert_eq!(fields, vec![FieldError::new("vital_signs.pulse", "is too high")]),
            other => panic!("expected Invalid, got {other:?}"),
        }
        let kept = Error::NotFound("client".to_owned()).with_fields_renamed(|_| "x".to_owned());
        assert!(matches!(kept, Error::NotFound(ref w) if w == "client"), "{kept:?}");
    }

    #[test]
    fn internal_errors_hide_their_cause_from_the_caller() {
        let status: Status = Error::Internal(anyhow::anyhow!("password=hunter2 in a failed query")).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
    }

    #[test]
    fn a_rate_limit_keeps_its_wait_through_status() {
        let status: Status = Error::RateLimited {
            retry_after: 42,
            message: "slow down".to_owned(),
        }
        .into();
        match from_status(status, "identity") {
            Error::RateLimited { retry_after, message } => {
                assert_eq!(retry_after, 42);
                assert_eq!(message, "slow down");
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
    }

    #[test]
    fn a_status_never_carries_an_unbounded_message() {
        let reason = format!("{} is not a phone number", "4".repeat(5_000));
        let status: Status = Error::Invalid(vec![FieldError::new("phone", reason)]).into();
        assert!(status.message().len() <= STATUS_TEXT_MAX, "{}", status.message().len());
        let Error::Invalid(fields) = from_status(status, "contact") else {
            panic!("still a validation error");
        };
        assert_eq!(fields[0].field, "phone");
        assert!(fields[0].reason.len() <= 300);
        assert_eq!(bounded("ééé".to_owned(), 4), "…", "cut on a character boundary");
    }

    #[test]
    fn a_failed_precondition_reads_back_as_a_conflict_with_its_reason() {
        let status: Status = Error::Precondition("new_lead can't move to attended".to_owned()).into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        match from_status(status, "contact") {
            Error::Conflict(why) => assert_eq!(why, "new_lead can't move to attended"),
            other => panic!("expected Conflict, got {other:?}"),
        }
    }

    #[test]
    fn unavailable_peers_are_transient() {
        let err = from_status(Status::unavailable("connection refused"), "contact");
        assert!(err.is_transient());
        assert!(!from_status(Status::not_found("contact not found"), "contact").is_transient());
    }
}
