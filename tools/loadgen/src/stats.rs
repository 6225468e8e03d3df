//! Latency figures, and running N operations at concurrency C.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Figures {
    pub requests: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl Figures {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `q` (0..=1), nearest rank.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[rank - 1]
    }

    /// `requests/s  p50  p99  p99.9` as a table row.
    pub fn row(&self, label: &str) -> String {
        format!(
            "{label:<22} {:>10.0} {:>9} {:>9} {:>9}",
            self.throughput(),
            ms(self.quantile(0.50)),
            ms(self.quantile(0.99)),
            ms(self.quantile(0.999)),
        )
    }
}

pub fn header() -> String {
    format!(
        "{:<22} {:>10} {:>9} {:>9} {:>9}",
        "", "requests/s", "p50", "p99", "p99.9"
    )
}

pub fn ms(d: Duration) -> String {
    format!("{:.2}ms", d.as_secs_f64() * 1000.0)
}

/// Runs `op(i)` for i in 0..n, `concurrency` at a time; every op must
/// succeed. Latency is each op's own time.
pub async fn run<F, Fut>(n: usize, concurrency: usize, op: F) -> anyhow::Result<Figures>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    run_paced(n, concurrency, None, op).await
}

/// [`run`], with op `i` started no earlier than `i / per_second` seconds
/// in when a pace is given (an offered load, as callers arrive, instead of
/// as fast as the system answers). Latency excludes the wait for its turn.
pub async fn run_paced<F, Fut>(n: usize, concurrency: usize, per_second: Option<f64>, op: F) -> anyhow::Result<Figures>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (op, next) = (op.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                if let Some(rate) = per_second.filter(|r| *r > 0.0) {
                    tokio::time::sleep_until((started + Duration::from_secs_f64(i as f64 / rate)).into()).await;
                }
                let t = Instant::now();
                op(i).await?;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut latencies = Vec::with_capacity(n);
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(Figures {
        requests: n,
        elapsed,
        latencies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let f = Figures {
            requests: 1000,
            elapsed: Duration::from_secs(1),
            latencies: (1..=1000).map(Duration::from_millis).collect(),
        };
        assert_eq!(f.quantile(0.5), Duration::from_millis(500));
        assert_eq!(f.quantile(0.99), Duration::from_millis(990));
        assert_eq!(f.quantile(0.999), Duration::from_millis(999));
        assert_eq!(f.throughput(), 1000.0);
    }
}
