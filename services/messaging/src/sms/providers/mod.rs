//! SMS providers behind one trait: ClickSend, Twilio, and the sandbox that
//! records what would have been sent. Chosen by configuration
//! (`ATTEND_SMS_PROVIDER`); base URLs are settings, so tests run the real
//! adapters against local fake servers.

pub(crate) mod clicksend;
pub(crate) mod sandbox;
pub(crate) mod twilio;

use futures::future::BoxFuture;
use uuid::Uuid;

/// A message as a provider is asked to send it.
#[derive(Debug, Clone)]
pub(crate) struct OutgoingSms {
    /// Our message id: ClickSend carries it in `custom_string`, Twilio in
    /// the status callback URL, so a receipt finds its message even if we
    /// crashed before recording the provider's id.
    pub id: Uuid,
    /// The organisation's slug, for the callback URL.
    pub org_slug: String,
    /// E.164.
    pub to: String,
    /// A number in E.164 or an alphanumeric sender id.
    pub from: String,
    pub body: String,
}

/// What the provider said when it took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub provider_message_id: String,
    /// The provider's own word for its state ("SUCCESS", "queued").
    pub provider_status: String,
}

/// Why a provider didn't take a message, and so what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SendError {
    /// Try again later (a timeout, 429, 5xx); `retry_after` when the
    /// provider said how long.
    #[error("transient: {reason}")]
    Transient {
        reason: String,
        retry_after: Option<std::time::Duration>,
    },
    /// Never going to work (a bad number, a bad request, our credentials).
    #[error("permanent: {reason}")]
    Permanent { code: String, reason: String },
    /// The recipient unsubscribed at the provider (Twilio 21610): record an
    /// opt-out as well as the failure.
    #[error("the recipient opted out at the provider: {reason}")]
    OptedOut { code: String, reason: String },
}

/// Something that sends SMS.
pub(crate) trait SmsProvider: Send + Sync + 'static {
    /// Recorded beside each message it sends: "sandbox", "clicksend", "twilio".
    fn name(&self) -> &'static str;
    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> BoxFuture<'a, Result<Accepted, SendError>>;
}

// What the HTTP adapters share lives in [`crate::providers`].
pub(crate) use crate::providers::{REQUEST_TIMEOUT, base_url, excerpt, http_client, join_path, retry_after};

/// A request that got no usable answer: refused, reset, timed out. Always
/// transient; the provider may still have taken a message that timed out,
/// which neither provider lets us find out before retrying.
pub(crate) fn transport_failure(provider: &str, e: reqwest::Error) -> SendError {
    SendError::Transient {
        reason: crate::providers::transport_reason(provider, e),
        retry_after: None,
    }
}
