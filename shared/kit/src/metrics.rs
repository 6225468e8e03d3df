//! The process-wide Prometheus recorder. In `run all` every service in the
//! process shares it; metrics carry a `service` label.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets (seconds) for every `*_duration_seconds` histogram.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Buckets (seconds) for every `*_lag_seconds` histogram: how far a read
/// model is behind the facts, from moments to an hour.
const LAG_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// Installs the recorder once; later calls are no-ops.
pub fn install() {
    HANDLE.get_or_init(|| {
        #[allow(clippy::expect_used, reason = "the bucket lists are non-empty constants")]
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".to_owned()), BUCKETS)
            .expect("bucket list is non-empty")
            .set_buckets_for_metric(Matcher::Suffix("_lag_seconds".to_owned()), LAG_BUCKETS)
            .expect("bucket list is non-empty");
        match builder.install_recorder() {
            Ok(handle) => Some(handle),
            Err(e) => {
                // Another recorder is installed (an embedding test harness):
                // keep running, /metrics then reports nothing.
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        }
    });
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    install();
    HANDLE
        .get()
        .and_then(|h| h.as_ref())
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}
