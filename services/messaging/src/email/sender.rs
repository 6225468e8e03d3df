//! The email sender: works through the queue until shutdown.
//!
//! Each round claims due emails of every organisation with `FOR UPDATE
//! SKIP LOCKED` (several replicas share the queue), hands each to the
//! provider, and records what the provider said, in the same transaction:
//!
//! - taken: `sent`, with the provider's id; a sensitive email's bodies are
//!   redacted once a real provider has them;
//! - [`SendError::Transient`] (no answer, 429, 5xx, an SMTP 4xx): queued
//!   again after the provider's `Retry-After`, else a growing delay
//!   ([`retry_delay`]), and `failed` after [`MAX_ATTEMPTS`];
//! - [`SendError::Permanent`] (a refused address or request, our
//!   credentials): `failed` at once, with the provider's reason.
//!
//! An email is never dropped: it is queued, sent or failed with a reason.
//! A crash after the provider took an email but before the commit leaves it
//! queued, so it is sent again: email errs towards arriving twice, unlike
//! SMS (ADR 0009), because a lost reset link or invitation has no receipt
//! to settle it and the person can't ask for it again without it.

use std::time::Duration;

use anyhow::Context as _;
use attend_kit::db::Db;
use attend_kit::ids::OrgId;
use attend_kit::orgs::Directory;
use chrono::Utc;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::providers::sandbox;
use super::{EmailProvider, Outgoing, REDACTED, SendError};
use crate::store::{self, Due};

/// Attempts before an email that keeps failing transiently is failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// The longest wait a provider's `Retry-After` is taken at.
const LONGEST_WAIT: Duration = Duration::from_secs(3_600);

/// Delay before attempt `n + 1` after `n` failed attempts.
pub fn retry_delay(attempts: i32) -> Duration {
    // At least one attempt has failed when this is asked; clamp anyway.
    Duration::from_secs(30 * 2u64.pow(attempts.clamp(1, 8) as u32 - 1))
}

/// Works through the queue until shutdown.
pub(crate) struct Sender {
    pub db: Db,
    pub provider: Box<dyn EmailProvider>,
    /// `ATTEND_EMAIL_FROM`.
    pub from: lettre::message::Mailbox,
    /// Each organisation's slug, which SendGrid's events carry back.
    pub orgs: Directory,
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
            let mut attempted = 0;
            for row in due {
                // The organisation's slug travels with the email (SendGrid
                // routes its events by it). Without the directory the email
                // waits for the next round, no attempt counted.
                let slug = match self.orgs.get(OrgId::from(row.org_id)).await {
                    Ok(org) => org.slug,
                    Err(e) => {
                        tracing::warn!(email = %row.id, error = %e, "email waits: the organisation directory is unavailable");
                        continue;
                    }
                };
                attempted += 1;
                self.send_one(&mut tx, row, slug).await?;
            }
            tx.commit().await?;
            total += attempted;
            if attempted == 0 {
                // Every due email is waiting on the directory: try again
                // next round rather than spin.
                return Ok(total);
            }
        }
    }

    async fn send_one(&self, tx: &mut attend_kit::db::Tx, row: Due, org_slug: String) -> anyhow::Result<()> {
        let Due {
            id,
            to_address,
            subject,
            body_text,
            body_html,
            attempts,
            sensitive,
            ..
        } = row;
        let email = Outgoing {
            id,
            org_slug,
            from: self.from.clone(),
            to: to_address,
            subject,
            body_text,
            body_html,
        };
        let provider = self.provider.name();
        match self.provider.send(&email).await {
            Ok(provider_id) => {
                // Once delivered, a secret has no business staying here.
                let redact = sensitive && provider != sandbox::NAME;
                let body = redact.then_some(REDACTED);
                store::mark_sent(tx, id, provider, &provider_id, body).await?;
            }
            Err(e) => {
                let attempts = attempts + 1;
                let (failed, wait, error) = match &e {
                    SendError::Permanent { .. } => (true, Duration::ZERO, e.to_string()),
                    SendError::Transient { retry_after, .. } if attempts < MAX_ATTEMPTS => (
                        false,
                        retry_after.map_or_else(|| retry_delay(attempts), |w| w.min(LONGEST_WAIT)),
                        e.to_string(),
                    ),
                    SendError::Transient { .. } => {
                        (true, Duration::ZERO, format!("gave up after {attempts} attempts: {e}"))
                    }
                };
                tracing::warn!(email = %id, attempts, failed, error, "email not sent");
                let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                store::mark_attempt_failed(tx, id, attempts, &error, provider, failed, next).await?;
            }
        }
        Ok(())
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
