//! Logs, traces and the W3C trace context that ties them together.
//!
//! `tracing` is the only instrumentation API in the code. [`init`] installs a
//! subscriber that writes logs (text or JSON) and turns spans into
//! OpenTelemetry spans. The tracer provider is always installed, so every
//! span has a trace id and `traceparent` propagates across gRPC metadata and
//! NATS headers even when nothing exports; when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, spans are also exported
//! over OTLP, gRPC or HTTP/protobuf (to a collector, Tempo). JSON log lines
//! carry `trace_id` and `span_id` ([`JsonWithTrace`]).
//!
//! One webhook is one trace: ingest's HTTP span is the root, the outbox row
//! keeps its context, the relay publishes it in NATS headers, the consumer's
//! span continues it, and gRPC calls carry it in metadata.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, Source};

mod json_log;

pub use json_log::JsonWithTrace;
use tracing_subscriber::fmt::format::JsonFields;

/// Keeps the exporter alive; [`Telemetry::shutdown`] flushes pending spans.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Flushes spans still buffered for export.
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("telemetry: flushing spans failed: {e}");
        }
    }
}

/// What [`init`] needs; read before the full configuration so that
/// configuration errors themselves are logged properly.
#[derive(Debug, Clone)]
pub struct TelemetrySettings {
    /// `service.name` of exported spans: `attend` for several services in one
    /// process, `attend-<service>` for one.
    pub service_name: String,
    pub log_format: LogFormat,
    /// Where the OTLP exporter's settings (`OTEL_EXPORTER_OTLP_*`) are read
    /// from: the environment or `ATTEND_CONFIG_FILE`, as every setting.
    pub source: Source,
    /// A command a person runs (seed-demo, orgs, users): logs go to stderr
    /// at `error` unless `RUST_LOG` asks for more, so what the command
    /// prints for the person is not lost among the lines of the services it
    /// runs in-process (their warnings are about serving, not the command).
    pub quiet: bool,
}

/// Installs the global subscriber and propagator. Call once, from `main`.
pub fn init(settings: &TelemetrySettings) -> anyhow::Result<Telemetry> {
    // The SDK reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES itself;
    // our name is only the default.
    let mut resource = opentelemetry_sdk::Resource::builder();
    if env_set("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(settings.service_name.clone());
    }
    // The sampler comes from OTEL_TRACES_SAMPLER(_ARG), read by the SDK.
    let mut builder = SdkTracerProvider::builder().with_resource(resource.build());
    if let Some(exporter) = span_exporter(&|var| settings.source.raw(var))? {
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    let tracer = provider.tracer("attend");
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());

    let default_filter = if settings.quiet {
        "error"
    } else {
        "info,sqlx=warn,async_nats=warn,h2=warn,tower=warn,hyper=warn"
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    let fmt_layer = match (settings.log_format, settings.quiet) {
        (LogFormat::Text, false) => tracing_subscriber::fmt::layer()
            .with_target(true)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .boxed(),
        (LogFormat::Text, true) => tracing_subscriber::fmt::layer()
            .with_target(true)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .boxed(),
        (LogFormat::Json, false) => tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(json_log::JsonWithTrace)
            .boxed(),
        (LogFormat::Json, true) => tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(json_log::JsonWithTrace)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        // Only JSON lines show the ids; text logs don't pay for them.
        .with((settings.log_format == LogFormat::Json).then(json_log::TraceIdsLayer::default))
        .try_init()
        .map_err(|e| anyhow::anyhow!("a global tracing subscriber is already installed: {e}"))?;
    Ok(Telemetry { provider })
}

/// A non-empty environment variable.
fn env_set(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// The OTLP span exporter the environment (`env`) asks for, as the
/// OpenTelemetry specification defines the variables: the protocol from
/// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL`
/// (`grpc`, the default here, or `http/protobuf`); the endpoint from
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, or else
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (with `/v1/traces` appended for HTTP).
/// Headers, timeout and compression the exporter reads itself. `None`
/// when no endpoint is set: nothing is exported.
pub fn span_exporter(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Option<opentelemetry_otlp::SpanExporter>> {
    let (var, protocol) = ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]
        .into_iter()
        .find_map(|var| env(var).map(|p| (var, p.trim().to_owned())))
        .unwrap_or(("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()));
    let http = match protocol.as_str() {
        "grpc" => false,
        "http/protobuf" => true,
        other => anyhow::bail!("{var}: expected grpc or http/protobuf (got {other:?})"),
    };
    let (var, endpoint) = match (
        env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        env("OTEL_EXPORTER_OTLP_ENDPOINT"),
    ) {
        (Some(traces), _) => ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces),
        (None, Some(base)) if http => (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("{}/v1/traces", base.trim_end_matches('/')),
        ),
        (None, Some(base)) => ("OTEL_EXPORTER_OTLP_ENDPOINT", base),
        (None, None) => return Ok(None),
    };
    let built = if http {
        opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .build()
    } else {
        opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
    };
    built
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{var}: cannot build the {protocol} exporter: {e}"))
}

/// The propagator; W3C trace context even before [`init`] (tests, tools).
fn propagator() -> &'static TraceContextPropagator {
    static P: OnceLock<TraceContextPropagator> = OnceLock::new();
    P.get_or_init(TraceContextPropagator::new)
}

/// Writes the current span's context (`traceparent`, `tracestate`) into a carrier.
pub fn inject_current(carrier: &mut dyn Injector) {
    let cx = tracing::Span::current().context();
    propagator().inject_context(&cx, carrier);
}

/// Makes `span` a child of the context found in `carrier`, if any.
pub fn set_parent_from(span: &tracing::Span, carrier: &dyn Extractor) {
    let cx = propagator().extract(carrier);
    // Fails only when the span is disabled by the filter: nothing to parent then.
    let _ = span.set_parent(cx);
}

/// The current context as plain headers, for storing beside an outbox row.
pub fn current_headers() -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    inject_current(&mut MapCarrier(&mut map));
    map
}

/// The trace id of the current span (hex), for logs and tests.
pub fn current_trace_id() -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    let cx = tracing::Span::current().context();
    let span_context = cx.span().span_context().clone();
    span_context.is_valid().then(|| span_context.trace_id().to_string())
}

/// A `BTreeMap` as a propagation carrier.
pub struct MapCarrier<'a>(pub &'a mut BTreeMap<String, String>);

impl Injector for MapCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

/// A read-only `BTreeMap` as a carrier.
pub struct MapExtractor<'a>(pub &'a BTreeMap<String, String>);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// HTTP headers (axum, tonic's underlying requests) as a carrier.
pub struct HeaderCarrier<'a>(pub &'a mut http::HeaderMap);

impl Injector for HeaderCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// Read-only HTTP headers as a carrier.
pub struct HeaderExtractor<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::header::HeaderName::as_str).collect()
    }
}

/// NATS message headers as a read-only carrier.
pub struct NatsHeaderExtractor<'a>(pub &'a async_nats::HeaderMap);

impl Extractor for NatsHeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(async_nats::HeaderValue::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_ref()).collect()
    }
}

#[cfg(test)]
mod export_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_round_trips_through_a_map() {
        let mut map = BTreeMap::new();
        map.insert(
            "traceparent".to_owned(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
        );
        let cx = propagator().extract(&MapExtractor(&map));
        let mut out = BTreeMap::new();
        propagator().inject_context(&cx, &mut MapCarrier(&mut out));
        assert_eq!(out.get("traceparent"), map.get("traceparent"));
    }
}
