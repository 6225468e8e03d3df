//! The sandbox: sends nothing; the queue row is the record of what would
//! have been sent. The default in development and tests.

use futures::future::BoxFuture;

use crate::email::{EmailProvider, Outgoing, SendError};

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Sandbox;

/// The sandbox's name, which the sender compares against: only a real
/// provider's copy of a sensitive email is redacted.
pub(crate) const NAME: &str = "sandbox";

impl EmailProvider for Sandbox {
    fn name(&self) -> &'static str {
        NAME
    }

    fn send<'a>(&'a self, email: &'a Outgoing) -> BoxFuture<'a, Result<String, SendError>> {
        Box::pin(async move {
            tracing::info!(
                from = %email.from,
                to = %email.to,
                subject = %email.subject,
                body_bytes = email.body_text.len(),
                html_bytes = email.body_html.as_ref().map_or(0, String::len),
                "sandbox email recorded, not sent"
            );
            Ok(format!("sandbox-{}", email.id))
        })
    }
}
