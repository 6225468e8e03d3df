//! Outbound email.
//!
//! - [`providers`]: the sandbox, SMTP and SendGrid, behind [`EmailProvider`];
//!   chosen by `ATTEND_EMAIL_PROVIDER`.
//! - [`sender`]: the queue worker that sends through the provider, retrying
//!   what may pass and failing at once what never will.
//! - [`templates`]: the password-reset and invitation emails, rendered from
//!   minijinja templates (`templates/email/*.j2`).
//!
//! Queueing an email (and reading the queue) is the feature module
//! [`crate::emails`]; what providers report back is the consumer
//! [`crate::consumers::emails`].

pub(crate) mod providers;
pub(crate) mod sender;
pub(crate) mod templates;

use std::time::Duration;

use futures::future::BoxFuture;
use uuid::Uuid;

/// An email as a provider receives it.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// Our email id: SendGrid carries it back in its events (`attend_id`);
    /// SMTP makes it the Message-ID.
    pub id: Uuid,
    /// The organisation's slug, which SendGrid's events carry back (`org`)
    /// so ingest can route them.
    pub org_slug: String,
    pub from: lettre::message::Mailbox,
    /// Lower-case.
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
}

/// Why a provider didn't take an email, and so what the sender does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SendError {
    /// Try again later (no answer, 429, 5xx, an SMTP 4xx); `retry_after`
    /// when the provider said how long.
    #[error("transient: {reason}")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Never going to work as it is (a refused address, a bad request, our
    /// credentials): the email fails at once, with the reason.
    #[error("permanent: {reason}")]
    Permanent { reason: String },
}

impl SendError {
    pub(crate) fn transient(reason: impl Into<String>) -> Self {
        Self::Transient {
            reason: reason.into(),
            retry_after: None,
        }
    }

    pub(crate) fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent { reason: reason.into() }
    }
}

/// Something that delivers email.
pub(crate) trait EmailProvider: Send + Sync + 'static {
    /// The name recorded beside each email it sends: "sandbox", "smtp",
    /// "sendgrid".
    fn name(&self) -> &'static str;
    /// Sends, returning the provider's id for the message.
    fn send<'a>(&'a self, email: &'a Outgoing) -> BoxFuture<'a, Result<String, SendError>>;
}

/// What a sensitive email's bodies become once a real provider has it.
pub const REDACTED: &str = "[redacted after sending: it held a one-time sign-in link]";
