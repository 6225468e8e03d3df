//! Outbound email: the provider interface, the sandbox provider, and the
//! sender that works through the queue.
//!
//! The sender claims due emails with `FOR UPDATE SKIP LOCKED` (several
//! replicas share the queue), hands each to the provider, and records what
//! the provider said. A provider failure is retried with growing delays and
//! the email is marked failed, with the reason, after the last attempt.

use std::time::Duration;

use anyhow::Context as _;
use attend_kit::db::Db;
use chrono::Utc;
use futures::future::BoxFuture;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::store::{self, Due};

/// An email as a provider receives it.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub id: Uuid,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body_text: String,
}

/// Something that delivers email.
pub(crate) trait EmailProvider: Send + Sync + 'static {
    /// The name recorded beside each email it sends.
    fn name(&self) -> &'static str;
    /// Sends, returning the provider's id for the message.
    fn send<'a>(&'a self, email: &'a Outgoing) -> BoxFuture<'a, anyhow::Result<String>>;
}

/// Sends nothing: the queue row is the record of what would have been
/// sent. The default in development and tests.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Sandbox;

impl EmailProvider for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn send<'a>(&'a self, email: &'a Outgoing) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(async move {
            tracing::info!(
                from = %email.from,
                to = %email.to,
                subject = %email.subject,
                body_bytes = email.body_text.len(),
                "sandbox email recorded, not sent"
            );
            Ok(format!("sandbox-{}", email.id))
        })
    }
}

/// What a sensitive email's body becomes once a real provider has it.
pub const REDACTED: &str = "[redacted after sending: it held a one-time sign-in link]";

/// Attempts before an email is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// Delay before attempt `n + 1` after `n` failed attempts.
pub fn retry_delay(attempts: i32) -> Duration {
    // At least one attempt has failed when this is asked; clamp anyway.
    Duration::from_secs(30 * 2u64.pow(attempts.clamp(1, 8) as u32 - 1))
}

/// Works through the queue until shutdown.
pub(crate) struct Sender {
    pub db: Db,
    pub provider: Box<dyn EmailProvider>,
    pub from: String,
}

impl Sender {
    pub async fn run(self, shutdown: CancellationToken) {
        let mut listener = None;
        loop {
            if listener.is_none() {
                listener = match PgListener::connect_with(self.db.pool()).await {
                    Ok(mut l) => l.listen("messaging_email").await.ok().map(|()| l),
                    Err(e) => {
                        tracing::warn!(error = %e, "email sender: cannot LISTEN; polling");
                        None
                    }
                };
            }
            if let Err(e) = self.send_due().await {
                tracing::warn!(error = format!("{e:#}"), "email sender: round failed; will retry");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                notified = async {
                    match listener.as_mut() {
                        Some(l) => l.recv().await.map(|_| ()),
                        None => std::future::pending().await,
                    }
                } => {
                    if notified.is_err() {
                        listener = None;
                    }
                }
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Sends every due email; returns how many were attempted.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            // Platform transaction: the sender serves every organisation.
            let mut tx = self.db.platform().await?;
            let due = store::claim_due(&mut tx).await.context("claim due emails")?;
            if due.is_empty() {
                tx.commit().await?;
                return Ok(total);
            }
            total += due.len();
            for Due {
                id,
                to_address,
                subject,
                body_text,
                attempts,
                sensitive,
            } in due
            {
                let email = Outgoing {
                    id,
                    from: self.from.clone(),
                    to: to_address,
                    subject,
                    body_text,
                };
                match self.provider.send(&email).await {
                    Ok(provider_id) => {
                        // Once delivered, a secret has no business staying here.
                        let redact = sensitive && self.provider.name() != Sandbox.name();
                        let body = redact.then_some(REDACTED);
                        store::mark_sent(&mut tx, id, self.provider.name(), &provider_id, body).await?;
                    }
                    Err(e) => {
                        let attempts = attempts + 1;
                        let failed = attempts >= MAX_ATTEMPTS;
                        let error = format!("{e:#}");
                        tracing::warn!(email = %id, attempts, error, "email not sent");
                        let next = Utc::now() + retry_delay(attempts);
                        store::mark_attempt_failed(&mut tx, id, attempts, &error, self.provider.name(), failed, next)
                            .await?;
                    }
                }
            }
            tx.commit().await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_from_thirty_seconds() {
        assert_eq!(retry_delay(1), Duration::from_secs(30));
        assert_eq!(retry_delay(2), Duration::from_secs(60));
        assert_eq!(retry_delay(3), Duration::from_secs(120));
        assert!(retry_delay(MAX_ATTEMPTS) > retry_delay(MAX_ATTEMPTS - 1));
        assert_eq!(retry_delay(0), retry_delay(1));
    }
}
