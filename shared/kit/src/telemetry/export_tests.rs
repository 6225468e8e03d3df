//! Spans leave over OTLP as the environment says, to a receiver in the test:
//! gRPC and HTTP/protobuf, with their parent links intact.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message as _;

use super::span_exporter;

type Received = Arc<Mutex<Vec<ExportTraceServiceRequest>>>;

struct GrpcReceiver(Received);

#[tonic::async_trait]
impl TraceService for GrpcReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// A receiver for `protocol` on a free port; its base URL.
async fn receiver(protocol: &str, received: Received) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    if protocol == "grpc" {
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(GrpcReceiver(received)))
                .serve_with_incoming(incoming),
        );
    } else {
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |body: Bytes| async move {
                received
                    .lock()
                    .unwrap()
                    .push(ExportTraceServiceRequest::decode(body).unwrap());
                (
                    [(http::header::CONTENT_TYPE, "application/x-protobuf")],
                    ExportTraceServiceResponse::default().encode_to_vec(),
                )
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_receiver_over_grpc_and_http_with_their_parents() {
    for (protocol, per_signal) in [("grpc", false), ("http/protobuf", false), ("http/protobuf", true)] {
        let received = Received::default();
        let base = receiver(protocol, received.clone()).await;
        let mut env = BTreeMap::from([("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.to_owned())]);
        if per_signal {
            env.insert("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", format!("{base}/v1/traces"));
            env.insert("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9".to_owned());
        } else {
            env.insert("OTEL_EXPORTER_OTLP_ENDPOINT", base);
        }
        let exporter = span_exporter(&|var| env.get(var).cloned()).unwrap().unwrap();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .build();
        let tracer = provider.tracer("test");
        tracer.in_span("parent", |_| tracer.in_span("child", |_| {}));
        let flushed = tokio::task::spawn_blocking(move || {
            let result = provider.force_flush();
            let _ = provider.shutdown();
            result
        })
        .await
        .unwrap();
        assert!(flushed.is_ok(), "{protocol}: {flushed:?}");

        let spans: Vec<_> = received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|r| r.resource_spans.iter())
            .flat_map(|r| r.scope_spans.iter())
            .flat_map(|s| s.spans.iter())
            .cloned()
            .collect();
        let parent = spans
            .iter()
            .find(|s| s.name == "parent")
            .unwrap_or_else(|| panic!("{protocol}: {spans:?}"));
        let child = spans
            .iter()
            .find(|s| s.name == "child")
            .unwrap_or_else(|| panic!("{protocol}: {spans:?}"));
        assert_eq!(
            child.parent_span_id, parent.span_id,
            "{protocol}: the child names its parent"
        );
        assert_eq!(child.trace_id, parent.trace_id);
    }
}

#[test]
fn an_unknown_protocol_is_refused_naming_the_variable_and_no_endpoint_exports_nothing() {
    let env = BTreeMap::from([
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318".to_owned()),
    ]);
    let err = span_exporter(&|var| env.get(var).cloned()).unwrap_err().to_string();
    assert!(err.contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), "{err}");
    assert!(span_exporter(&|_| None).unwrap().is_none());
}
