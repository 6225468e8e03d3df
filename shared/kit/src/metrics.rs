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
            Ok(handle) => {
                describe();
                Some(handle)
            }
            Err(e) => {
                // Another recorder is installed (an embedding test harness):
                // keep running, /metrics then reports nothing.
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        }
    });
}

/// Every metric attend records, with its help text: one catalogue, so a
/// metric's meaning is written once and `/metrics` explains itself.
const CATALOGUE: &[(&str, &str)] = &[
    (
        "attend_http_requests_total",
        "HTTP requests answered, by service, route template, method and status.",
    ),
    (
        "attend_http_request_duration_seconds",
        "Time to answer an HTTP request, by service, route template and method.",
    ),
    (
        "attend_grpc_requests_total",
        "gRPC calls answered, by service, method and status code (canonical spelling).",
    ),
    (
        "attend_grpc_request_duration_seconds",
        "Time to answer a gRPC call, by service and method.",
    ),
    (
        "attend_grpc_unauthenticated_total",
        "gRPC calls refused for want of a valid internal token, by service and reason.",
    ),
    (
        "attend_outbox_published_total",
        "Events the outbox relay published to JetStream, by service.",
    ),
    (
        "attend_outbox_pending",
        "Events waiting in a service's outbox at the relay's last look.",
    ),
    (
        "attend_bus_messages_processed_total",
        "Events a consumer handled, by service, consumer and outcome (ok, duplicate, retry, dead_letter).",
    ),
    (
        "attend_bus_handle_duration_seconds",
        "Time to handle one event, by service and consumer.",
    ),
    (
        "attend_bus_dead_letters_total",
        "Events set aside as dead letters, by service and consumer; each needs an operator.",
    ),
    (
        "attend_webhooks_received_total",
        "Provider deliveries, by provider and outcome (accepted, duplicate, rejected).",
    ),
    (
        "attend_sendgrid_events_ignored_total",
        "SendGrid events ignored because they are not about an email we sent.",
    ),
    (
        "attend_sendgrid_events_left_out_total",
        "SendGrid events left out of a batch, by reason code.",
    ),
    (
        "attend_sms_unconfirmed_total",
        "Texts whose provider never confirmed acceptance (at most once: not resent).",
    ),
    (
        "attend_identity_emails_failed_total",
        "Identity emails (reset, invitation) that could not be handed to messaging, by category.",
    ),
    (
        "attend_automation_jobs_total",
        "Scheduled automation jobs finished, by status.",
    ),
    (
        "attend_automation_rules_fired_total",
        "Automation rules that fired, by rule.",
    ),
    (
        "attend_projection_lag_seconds",
        "How far a reporting read model was behind the event it applied, by consumer.",
    ),
    (
        "attend_build_info",
        "The running build: always 1, labelled with its version.",
    ),
    (
        "process_cpu_seconds_total",
        "CPU time the process used, user and system.",
    ),
    ("process_resident_memory_bytes", "Resident memory of the process."),
    ("process_virtual_memory_bytes", "Virtual memory of the process."),
    ("process_open_fds", "Open file descriptors."),
    ("process_max_fds", "The open file descriptor limit."),
    (
        "process_start_time_seconds",
        "When the process started, seconds since the epoch.",
    ),
];

fn describe() {
    for (name, help) in CATALOGUE {
        metrics::describe_counter!(*name, *help);
    }
    metrics::gauge!("attend_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// Reads the process metrics (Linux `/proc`), just before each scrape.
fn record_process() {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return;
    };
    // Fields after the command name, which may itself hold spaces.
    let Some((_, rest)) = stat.rsplit_once(')') else { return };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // USER_HZ is 100 on every Linux architecture we run on.
    const TICKS: f64 = 100.0;
    let field = |n: usize| fields.get(n).and_then(|v| v.parse::<f64>().ok());
    // `rest` starts at field 3 (state): utime is field 14, stime 15,
    // starttime 22, vsize 23.
    if let (Some(user), Some(system)) = (field(11), field(12)) {
        metrics::counter!("process_cpu_seconds_total").absolute(((user + system) / TICKS) as u64);
    }
    if let Some(vsize) = field(20) {
        metrics::gauge!("process_virtual_memory_bytes").set(vsize);
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(kb) = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
    {
        metrics::gauge!("process_resident_memory_bytes").set(kb * 1024.0);
    }
    if let (Some(start), Ok(boot)) = (field(19), std::fs::read_to_string("/proc/stat"))
        && let Some(btime) = boot
            .lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse::<f64>().ok())
    {
        metrics::gauge!("process_start_time_seconds").set(btime + start / TICKS);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(fds.count() as f64);
    }
    if let Ok(limits) = std::fs::read_to_string("/proc/self/limits")
        && let Some(max) = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3))
            .and_then(|v| v.parse::<f64>().ok())
    {
        metrics::gauge!("process_max_fds").set(max);
    }
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    install();
    record_process();
    HANDLE
        .get()
        .and_then(|h| h.as_ref())
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_explains_itself_and_carries_build_and_process_metrics() {
        install();
        metrics::counter!("attend_http_requests_total", "service" => "test").increment(1);
        let text = render();
        assert!(
            text.contains("# HELP attend_http_requests_total HTTP requests answered"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "attend_build_info{{version=\"{}\"}} 1",
                env!("CARGO_PKG_VERSION")
            )),
            "{text}"
        );
        for name in [
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_start_time_seconds",
            "process_cpu_seconds_total",
        ] {
            assert!(text.lines().any(|l| l.starts_with(name)), "{name} in {text}");
        }
        let rss: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            rss > 1_000_000.0,
            "a running test process holds more than a megabyte: {rss}"
        );
    }

    #[test]
    fn every_metric_in_the_code_is_in_the_catalogue() {
        // Each recorded name (outside tests) must have help text.
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let mut missing = Vec::new();
        for dir in ["shared", "services"] {
            walk(&std::path::Path::new(root).join(dir), &mut |text| {
                for pattern in ["counter!(", "gauge!(", "histogram!("] {
                    for part in text.split(pattern).skip(1) {
                        let Some(name) = part.trim_start().strip_prefix('"').and_then(|p| p.split('"').next()) else {
                            continue;
                        };
                        let metric_like = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                        if metric_like
                            && !CATALOGUE.iter().any(|(n, _)| *n == name)
                            && !missing.contains(&name.to_owned())
                        {
                            missing.push(name.to_owned());
                        }
                    }
                }
            });
        }
        assert!(missing.is_empty(), "metrics without help text: {missing:?}");
    }

    fn walk(dir: &std::path::Path, f: &mut dyn FnMut(&str)) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, f);
            } else if path.extension().is_some_and(|e| e == "rs")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                f(&text);
            }
        }
    }
}
