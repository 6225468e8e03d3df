//! The scheduler: claims due jobs and runs them; runs the periodic checks.
//!
//! Jobs are claimed with `FOR UPDATE SKIP LOCKED` in a platform
//! transaction (every organisation's), marked running and committed before
//! anything runs: replicas never run one job at once. A job whose worker
//! died stays running; after [`LEASE`] any replica claims it again, and
//! the action's idempotency key makes the second run change nothing the
//! first already did. An event's jobs run in order (rule priority, then
//! action index): a job waits while an earlier one of its event is due and
//! not finished.
//!
//! Time is the kit's clock: tests move it to make a 48-hour reminder due,
//! and the scheduler, polling, runs it.

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use tokio_util::sync::CancellationToken;

use super::Engine;
use crate::store;

/// How long a claimed job may run before another replica takes it over.
pub(crate) const LEASE: Duration = Duration::from_secs(120);

/// Jobs claimed at a time, and run at once.
const BATCH: i64 = 32;
const CONCURRENCY: usize = 8;

/// How often the scheduler looks for due jobs when nothing wakes it.
const POLL: Duration = Duration::from_millis(100);

/// How often the periodic checks look whether a period has begun.
const CRON_EVERY: Duration = Duration::from_secs(5);

impl Engine {
    pub async fn run_scheduler(self, shutdown: CancellationToken) {
        let mut last_cron: Option<(Instant, chrono::DateTime<chrono::Utc>)> = None;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let now = self.clock.now();
            // The checks run every few seconds, and at once when the clock
            // jumped (a test moved it).
            let cron_due = last_cron
                .is_none_or(|(real, clock)| real.elapsed() >= CRON_EVERY || (now - clock).num_seconds().abs() >= 60);
            if cron_due {
                if let Err(e) = self.periodic_checks(now).await {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "automation: periodic checks failed; will retry"
                    );
                }
                last_cron = Some((Instant::now(), now));
            }
            let ran = match self.tick().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "automation: claiming jobs failed; will retry");
                    0
                }
            };
            if ran == 0 {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        }
    }

    /// Claims and runs one batch of due jobs; how many.
    pub async fn tick(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let lease = now - chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::MAX);
        // Platform transaction: the scheduler serves every organisation.
        let mut tx = self.db.platform().await?;
        let jobs = store::jobs::claim_due(&mut tx, now, lease, BATCH).await?;
        tx.commit().await?;
        let n = jobs.len();
        futures::stream::iter(jobs)
            .for_each_concurrent(CONCURRENCY, |job| async move {
                let id = job.id;
                if let Err(e) = self.execute(job).await {
                    // Left running: the lease gives it back.
                    tracing::warn!(job = %id, error = format!("{e:#}"), "automation: a job could not be recorded");
                }
            })
            .await;
        Ok(n)
    }
}
