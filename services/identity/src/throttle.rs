//! Sign-in throttling, per account and per client address: after a few
//! failures each further attempt must wait longer (backoff), and after more
//! the key is locked for a while. Keys are what was typed
//! (`account:<email>`), whether or not that account exists, so being
//! throttled reveals nothing about which emails have accounts.

use std::time::Duration;

use attend_kit::Error;
use attend_kit::db::{Db, Tx};
use chrono::{DateTime, Utc};

use crate::store;

/// How a kind of key is throttled.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures after which each attempt must wait (1 s, then doubling).
    pub backoff_after: i32,
    /// Failures that lock the key.
    pub lock_after: i32,
    pub lock_for: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
    /// Who is throttled, for the message ("this account", "your network").
    pub who: &'static str,
}

pub const ACCOUNT: Policy = Policy {
    backoff_after: 3,
    lock_after: 5,
    lock_for: Duration::from_secs(15 * 60),
    window: Duration::from_secs(15 * 60),
    who: "this account",
};

pub const ADDRESS: Policy = Policy {
    backoff_after: 10,
    lock_after: 30,
    lock_for: Duration::from_secs(15 * 60),
    window: Duration::from_secs(15 * 60),
    who: "your network",
};

/// The recorded failures of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct State {
    pub failures: i32,
    pub last_failure_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Wait this many seconds; `message` says why, in words for the user.
    Wait {
        seconds: u64,
        message: String,
    },
}

fn secs(d: chrono::Duration) -> u64 {
    u64::try_from(d.num_milliseconds().max(0))
        .unwrap_or(0)
        .div_ceil(1000)
        .max(1)
}

impl Policy {
    fn window(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.window).unwrap_or_default()
    }

    /// The wait required after `failures` failures (none before `backoff_after`).
    pub fn backoff(&self, failures: i32) -> Option<Duration> {
        (failures >= self.backoff_after)
            .then(|| Duration::from_secs(1u64 << (failures - self.backoff_after).clamp(0, 6)))
    }

    pub fn check(&self, state: Option<&State>, now: DateTime<Utc>) -> Verdict {
        let Some(s) = state else {
            return Verdict::Allow;
        };
        if let Some(until) = s.locked_until
            && until > now
        {
            let seconds = secs(until - now);
            return Verdict::Wait {
                seconds,
                message: format!(
                    "too many failed sign-ins for {}; try again in {} minutes, or reset your password",
                    self.who,
                    seconds.div_ceil(60)
                ),
            };
        }
        if now - s.last_failure_at > self.window() || s.locked_until.is_some() {
            // Old failures, or a lock that has run out: a fresh start.
            return Verdict::Allow;
        }
        if let Some(gap) = self.backoff(s.failures) {
            let gap = chrono::Duration::from_std(gap).unwrap_or_default();
            let elapsed = now - s.last_failure_at;
            if elapsed < gap {
                let seconds = secs(gap - elapsed);
                return Verdict::Wait {
                    seconds,
                    message: format!("too many failed sign-ins; wait {seconds} seconds before trying again"),
                };
            }
        }
        Verdict::Allow
    }

    /// The state after one more failure.
    pub fn after_failure(&self, state: Option<State>, now: DateTime<Utc>) -> State {
        let failures = match state {
            Some(s) if s.locked_until.is_none() && now - s.last_failure_at <= self.window() => s.failures + 1,
            _ => 1,
        };
        let lock = chrono::Duration::from_std(self.lock_for).unwrap_or_default();
        State {
            failures,
            last_failure_at: now,
            locked_until: (failures >= self.lock_after).then(|| now + lock),
        }
    }
}

/// One key's failures, read (and its row locked) in a sign-in's
/// transaction: checked before the attempt, counted after a failure.
pub(crate) struct Tracked {
    policy: Policy,
    key: String,
    state: Option<State>,
}

impl Tracked {
    pub(crate) async fn load(tx: &mut Tx, policy: Policy, key: String) -> sqlx::Result<Self> {
        let state = store::throttle::load(tx, &key).await?;
        Ok(Self { policy, key, state })
    }

    /// Refuses an attempt that must wait.
    pub(crate) fn check(&self, now: DateTime<Utc>) -> Result<(), Error> {
        match self.policy.check(self.state.as_ref(), now) {
            Verdict::Allow => Ok(()),
            Verdict::Wait { seconds, message } => Err(Error::RateLimited {
                retry_after: seconds,
                message,
            }),
        }
    }

    /// Counts one more failure.
    pub(crate) async fn failed(self, tx: &mut Tx, now: DateTime<Utc>) -> sqlx::Result<()> {
        store::throttle::save(tx, &self.key, &self.policy.after_failure(self.state, now)).await
    }

    /// Forgets the failures (a successful sign-in).
    pub(crate) async fn forget(self, tx: &mut Tx) -> sqlx::Result<()> {
        store::throttle::clear(tx, &self.key).await
    }
}

/// Forgets keys whose failures are old and whose lock has run out.
pub(crate) async fn purge(db: &Db) -> sqlx::Result<u64> {
    // Platform transaction: failed sign-ins of every account and address.
    let mut tx = db.platform().await?;
    let purged = store::throttle::purge(&mut tx).await?;
    tx.commit().await?;
    Ok(purged)
}

/// The key for an account (by the email as typed, normalised).
pub fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

/// The key for a client address.
pub fn address_key(address: &str) -> Option<String> {
    let address = address.trim();
    (!address.is_empty()).then(|| format!("address:{address}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + seconds, 0).unwrap()
    }

    fn fail(policy: &Policy, times: i32, every: i64) -> Option<State> {
        let mut state = None;
        for i in 0..times {
            state = Some(policy.after_failure(state, at(i64::from(i) * every)));
        }
        state
    }

    #[test]
    fn the_first_failures_are_free() {
        let state = fail(&ACCOUNT, 2, 1);
        assert_eq!(ACCOUNT.check(state.as_ref(), at(2)), Verdict::Allow);
    }

    #[test]
    fn after_a_few_failures_each_attempt_waits_longer() {
        let state = fail(&ACCOUNT, 3, 1).unwrap();
        let Verdict::Wait { seconds, message } = ACCOUNT.check(Some(&state), state.last_failure_at) else {
            panic!("a third failure means waiting");
        };
        assert_eq!(seconds, 1);
        assert!(message.contains("wait 1 seconds"), "{message}");
        let state = ACCOUNT.after_failure(Some(state), state.last_failure_at + chrono::Duration::seconds(2));
        assert!(matches!(
            ACCOUNT.check(Some(&state), state.last_failure_at),
            Verdict::Wait { seconds: 2, .. }
        ));
        assert_eq!(
            ACCOUNT.check(Some(&state), state.last_failure_at + chrono::Duration::seconds(2)),
            Verdict::Allow
        );
    }

    #[test]
    fn enough_failures_lock_the_account_for_fifteen_minutes() {
        let state = fail(&ACCOUNT, 5, 100).unwrap();
        assert!(state.locked_until.is_some());
        let Verdict::Wait { seconds, message } = ACCOUNT.check(Some(&state), state.last_failure_at) else {
            panic!("locked");
        };
        assert_eq!(seconds, 15 * 60);
        assert!(
            message.contains("try again in 15 minutes, or reset your password"),
            "{message}"
        );
        let after = state.last_failure_at + chrono::Duration::minutes(15) + chrono::Duration::seconds(1);
        assert_eq!(ACCOUNT.check(Some(&state), after), Verdict::Allow);
        assert_eq!(
            ACCOUNT.after_failure(Some(state), after).failures,
            1,
            "a new count after the lock"
        );
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let state = fail(&ACCOUNT, 4, 1).unwrap();
        let later = state.last_failure_at + chrono::Duration::minutes(16);
        assert_eq!(ACCOUNT.check(Some(&state), later), Verdict::Allow);
        assert_eq!(ACCOUNT.after_failure(Some(state), later).failures, 1);
    }

    #[test]
    fn addresses_tolerate_more_failures_than_accounts() {
        let state = fail(&ADDRESS, 9, 100);
        assert_eq!(ADDRESS.check(state.as_ref(), at(900)), Verdict::Allow);
        assert!(fail(&ADDRESS, 30, 10).unwrap().locked_until.is_some());
        assert!(fail(&ADDRESS, 29, 10).unwrap().locked_until.is_none());
    }

    #[test]
    fn keys_normalise_the_email_and_skip_unknown_addresses() {
        assert_eq!(account_key("  Jane@Example.COM "), "account:jane@example.com");
        assert_eq!(address_key(""), None);
        assert_eq!(address_key("203.0.113.9").as_deref(), Some("address:203.0.113.9"));
    }
}
