//! The SMS sender: works through the queue until shutdown.
//!
//! Each round, for every message due (its `send_at` has come):
//! 1. in the organisation's transaction, claim it: `sending`, one more
//!    attempt, committed **before** the provider is asked. A message whose
//!    appointment has begun (`not_after`) is skipped instead; one whose
//!    recipient opted out since it was queued is blocked;
//! 2. wait for the sender number's turn (a long code sends about one
//!    message a second: `ATTEND_SMS_PER_SECOND`), then ask the provider
//!    (up to `ATTEND_SMS_CONCURRENCY` messages are in these steps at once);
//! 3. in a second transaction, record the answer and publish it:
//!    `messaging.sms_sent`; a transient failure goes back to the queue with
//!    a growing, jittered delay (or the provider's `Retry-After`), and fails
//!    after [`MAX_ATTEMPTS`]; a permanent one fails at once; an opt-out at
//!    the provider also records the opt-out.
//!
//! A crash between 1 and 3 leaves the message `sending`. It is never sent
//! again: after `ATTEND_SMS_UNCONFIRMED_AFTER` it becomes `unconfirmed`,
//! and the provider's delivery receipt, which carries our id, settles it
//! (ADR 0009 says why this errs towards not sending twice).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use attend_kit::bus::Draft;
use attend_kit::bus::outbox::Outbox;
use attend_kit::clock::SharedClock;
use attend_kit::db::Db;
use attend_kit::ids::OrgId;
use attend_kit::orgs::Directory;
use attend_proto::messaging::v1 as pb;
use futures::StreamExt as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::providers::{OutgoingSms, SendError, SmsProvider};
use crate::consent;
use crate::outbound::about;
use crate::store::{self, Outcome, SmsRow};

/// Attempts before a message that keeps failing transiently is failed.
pub(crate) const MAX_ATTEMPTS: i32 = 6;

/// Messages a round claims at most.
const ROUND_LEN: usize = 50;
const ROUND: i64 = ROUND_LEN as i64;

/// Delay before the next attempt after `attempts` failed ones: 30 s, 1, 2,
/// 4, 8 min…, capped at an hour, less up to half at random so a burst of
/// failures doesn't come back as a burst.
/// The longest a message waits between attempts.
const RETRY_CAP: Duration = Duration::from_secs(3_600);

pub(crate) fn retry_delay(attempts: i32, jitter: f64) -> Duration {
    let base = 30u64
        .saturating_mul(1 << attempts.clamp(1, 8).saturating_sub(1))
        .min(RETRY_CAP.as_secs());
    let jitter = jitter.clamp(0.0, 1.0);
    Duration::from_secs_f64(base as f64 * (1.0 - jitter / 2.0))
}

/// A fraction in [0, 1) from fresh random bits.
fn jitter() -> f64 {
    (Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

pub(crate) struct Sender {
    pub db: Db,
    pub outbox: Outbox,
    pub clock: SharedClock,
    pub provider: Arc<dyn SmsProvider>,
    /// For each organisation's slug (Twilio's status callback names it).
    pub orgs: Directory,
    /// Sends per second per sender number.
    pub per_sender: DefaultKeyedRateLimiter<String>,
    /// How long a message may stay `sending` before its answer is taken
    /// to be lost.
    pub unconfirmed_after: Duration,
    /// Rung when a message is queued.
    pub wake: Arc<Notify>,
    /// Messages sent at once (`ATTEND_SMS_CONCURRENCY`).
    pub concurrency: usize,
}

impl Sender {
    pub(crate) fn rate(per_second: NonZeroU32) -> DefaultKeyedRateLimiter<String> {
        RateLimiter::keyed(Quota::per_second(per_second))
    }

    pub(crate) async fn run(self, shutdown: CancellationToken) {
        loop {
            match self.round().await {
                // A full round: more may be due; go on at once.
                Ok(handled) if handled >= ROUND_LEN => {
                    if shutdown.is_cancelled() {
                        break;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "sms sender: round failed; will retry"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// One pass over the queue; how many messages were handled.
    pub(crate) async fn round(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let stale = now - chrono::Duration::from_std(self.unconfirmed_after).unwrap_or(chrono::Duration::MAX);
        // Platform transactions: the sender serves every organisation.
        let mut tx = self.db.platform().await?;
        let lost = store::unconfirm_stale(
            &mut tx,
            stale,
            "the service stopped while the provider was being asked; not sent again in case it went \
             (its delivery receipt will settle it)",
        )
        .await?;
        let due = store::due(&mut tx, now, ROUND).await?;
        tx.commit().await?;
        for row in &lost {
            tracing::warn!(message = %row.id, "an SMS may or may not have gone: left unconfirmed");
            metrics::counter!("attend_sms_unconfirmed_total").increment(1);
        }
        let handled = due.len();
        // Several at once: each waits on the provider, and the per-number
        // rate keeps any one number at its pace.
        futures::stream::iter(due)
            .for_each_concurrent(self.concurrency, |(id, org)| async move {
                if let Err(e) = self.send_one(OrgId::from(org), id).await {
                    tracing::warn!(message = %id, error = format!("{e:#}"), "sms sender: could not send");
                }
            })
            .await;
        Ok(handled)
    }

    async fn send_one(&self, org: OrgId, id: Uuid) -> anyhow::Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.tenant(org).await?;
        let Some(row) = store::claim(&mut tx, org, id, now).await? else {
            if let Some(late) =
                store::skip_if_late(&mut tx, org, id, now, "the appointment it is about has begun").await?
            {
                self.publish(&mut tx, &late, Published::Failed).await?;
            }
            tx.commit().await?;
            return Ok(());
        };
        // Opted out since it was queued (a reply to the opt-out itself goes).
        let blocked = match row.is_reply {
            true => None,
            false => consent::sms_blocked(&mut tx, org, &row.to_number).await?,
        };
        if let Some(why) = blocked {
            let blocked = store::block(&mut tx, row.id, &why).await?;
            self.publish(&mut tx, &blocked, Published::Failed).await?;
            tx.commit().await?;
            return Ok(());
        }
        tx.commit().await?;

        let slug = self.orgs.get(org).await.map(|o| o.slug).unwrap_or_default();
        self.per_sender.until_key_ready(&row.from_number).await;
        let sms = OutgoingSms {
            id: row.id,
            org_slug: slug,
            to: row.to_number.clone(),
            from: row.from_number.clone(),
            body: row.body.clone(),
        };
        let answer = self.provider.send(&sms).await;

        let provider = self.provider.name();
        let mut tx = self.db.tenant(org).await?;
        match answer {
            Ok(accepted) => {
                let sent = Outcome::Sent {
                    provider,
                    provider_message_id: &accepted.provider_message_id,
                    at: self.clock.now(),
                };
                match store::record_outcome(&mut tx, row.id, &sent).await? {
                    Some(row) => self.publish(&mut tx, &row, Published::Sent).await?,
                    // A receipt got here first; it published what it knew.
                    None => store::note_provider_id(&mut tx, row.id, provider, &accepted.provider_message_id).await?,
                }
            }
            Err(SendError::Transient { reason, retry_after }) if row.attempts < MAX_ATTEMPTS => {
                // A provider's Retry-After is honoured up to the back-off's own cap.
                let wait = retry_after
                    .unwrap_or_else(|| retry_delay(row.attempts, jitter()))
                    .min(RETRY_CAP);
                let at = self.clock.now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                tracing::info!(message = %row.id, attempts = row.attempts, %reason, ?wait, "sms not sent yet; will retry");
                let retry = Outcome::Retry {
                    provider,
                    reason: &reason,
                    at,
                };
                if store::record_outcome(&mut tx, row.id, &retry).await?.is_none() {
                    tracing::info!(message = %row.id, %reason, "settled while the provider answered; not retried");
                }
            }
            Err(e) => {
                let reason = match &e {
                    SendError::Transient { .. } => format!("gave up after {} attempts: {e}", row.attempts),
                    other => other.to_string(),
                };
                let failed = Outcome::Failed {
                    provider,
                    reason: &reason,
                };
                if let SendError::OptedOut { code, .. } = &e {
                    consent::provider_opt_out(&mut tx, &self.outbox, &row, provider, code, self.clock.now()).await?;
                }
                match store::record_outcome(&mut tx, row.id, &failed).await? {
                    Some(failed_row) => self.publish(&mut tx, &failed_row, Published::Failed).await?,
                    None => {
                        tracing::info!(message = %row.id, %reason, "settled while the provider answered; its failure not recorded")
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn publish(&self, tx: &mut attend_kit::db::Tx, row: &SmsRow, what: Published) -> anyhow::Result<()> {
        let message = Some(row.clone().into_proto());
        let draft = match what {
            Published::Sent => Draft::new(row.org(), &pb::SmsSent { message }),
            Published::Failed => Draft::new(row.org(), &pb::SmsFailed { message }),
        };
        self.outbox.add(tx, about(draft, row)).await?;
        Ok(())
    }
}

/// Which fact a send became.
#[derive(Debug, Clone, Copy)]
enum Published {
    Sent,
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_with_jitter_and_a_cap() {
        assert_eq!(retry_delay(1, 0.0), Duration::from_secs(30));
        assert_eq!(retry_delay(2, 0.0), Duration::from_secs(60));
        assert_eq!(
            retry_delay(1, 1.0),
            Duration::from_secs(15),
            "jitter takes at most half"
        );
        assert_eq!(retry_delay(20, 0.0), Duration::from_secs(3_600));
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
