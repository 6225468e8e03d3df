//! Waiting for a condition to hold, with a deadline, rather than for a
//! fixed time: what a test waits for is named, and a timeout says which
//! condition never came.

use std::time::Duration;

use crate::TestFleet;

impl TestFleet {
    /// Polls until `check` returns a value, for at most `timeout`.
    pub async fn until_some<T, F, Fut>(&self, timeout: Duration, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out after {timeout:?} waiting until {what}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `check` holds, for at most `timeout`.
    pub async fn eventually<F, Fut>(&self, timeout: Duration, what: &str, check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        assert!(
            attend_kit::service::wait_until(timeout, check).await,
            "timed out after {timeout:?} waiting until {what}"
        );
    }
}
