//! One webhook is one trace across every service it touches.

use std::time::Duration;

use attend_integration_tests::{TestFleet, WIX_PRIVATE_KEY, wix_created_claims, wix_jwt};
use opentelemetry::trace::{SpanKind, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// A webhook that arrives with a W3C `traceparent` continues that trace
/// through ingest's HTTP span, the outbox and NATS headers, the booking
/// consumer, its gRPC call to contact, and contact's timeline consumer.
#[tokio::test]
async fn one_webhook_is_one_trace_through_every_service() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("info"))
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
        .init();

    let fleet = TestFleet::start().await;
    fleet.create_org("clinic-trace", "wix-trace").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let claims = wix_created_claims("wix-trace", "evt-trace", "booking-trace", "0412 999 000", 300);
    let (status, _) = fleet
        .post_webhook(
            wix_jwt(WIX_PRIVATE_KEY, &claims).into_bytes(),
            vec![("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))],
            false,
        )
        .await;
    assert_eq!(status, 200);
    fleet
        .eventually(Duration::from_secs(20), "the touchpoint exists", || async {
            fleet
                .count("select count(*) from contact.touchpoints where type = 'booking_created'")
                .await
                == 1
        })
        .await;
    // contact.created reaches the merge followers too, and automation
    // hears both events.
    fleet
        .eventually(Duration::from_secs(20), "every consumer has seen its event", || async {
            fleet
                .count("select count(*) from booking.inbox where consumer like '%merges'")
                .await
                >= 1
                && fleet
                    .count("select count(*) from automation.inbox where consumer like '%merges'")
                    .await
                    >= 1
                && fleet
                    .count("select count(*) from automation.inbox where consumer like '%bookings'")
                    .await
                    >= 1
                && fleet
                    .count("select count(*) from automation.inbox where consumer like '%contacts'")
                    .await
                    >= 1
        })
        .await;
    fleet.teardown().await;
    let _ = provider.force_flush();

    let spans = exporter.get_finished_spans().unwrap();
    let in_trace: Vec<_> = spans
        .iter()
        .filter(|s| s.span_context.trace_id().to_string() == trace_id)
        .collect();
    let names: Vec<String> = in_trace.iter().map(|s| s.name.to_string()).collect();
    for expected in [
        "POST /webhooks/wix/bookings",
        "/attend.identity.v1.IdentityService/ResolveOrganisation",
        "/attend.contact.v1.ContactService/MatchOrCreateContact",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected:?} is in the trace: {names:?}"
        );
    }
    // Every gRPC call is a client span whose child is the callee's server
    // span, so the service graph can pair them.
    let call = "/attend.contact.v1.ContactService/MatchOrCreateContact";
    let client = in_trace
        .iter()
        .find(|s| s.name == call && s.span_kind == SpanKind::Client)
        .expect("booking's call to contact has a client span");
    let server = in_trace
        .iter()
        .find(|s| s.name == call && s.span_kind == SpanKind::Server)
        .expect("contact's server span");
    assert_eq!(
        server.parent_span_id,
        client.span_context.span_id(),
        "server under client"
    );
    // The callee knows which service called: its token says so.
    let caller = server
        .attributes
        .iter()
        .find(|kv| kv.key.as_str() == "rpc.caller")
        .map(|kv| kv.value.to_string());
    assert_eq!(
        caller.as_deref(),
        Some("booking"),
        "booking's consumer calls as booking"
    );
    // Every consumer span is the child of the producer span of the message
    // it handles.
    let producers: Vec<_> = in_trace.iter().filter(|s| s.span_kind == SpanKind::Producer).collect();
    assert!(
        producers.iter().any(|p| p.name == "ingest.booking_received publish"),
        "ingest's event has a producer span: {names:?}"
    );
    for consume in in_trace.iter().filter(|s| s.name == "consume") {
        assert_eq!(consume.span_kind, SpanKind::Consumer);
        assert!(
            producers
                .iter()
                .any(|p| p.span_context.span_id() == consume.parent_span_id),
            "a consumer span's parent is a producer span"
        );
    }
    let mut consumers: Vec<String> = in_trace
        .iter()
        .filter(|s| s.name == "consume")
        .filter_map(|s| {
            s.attributes
                .iter()
                .find(|kv| kv.key.as_str() == "consumer")
                .map(|kv| kv.value.to_string())
        })
        .collect();
    consumers.sort();
    consumers.dedup();
    // What automation's rules then do (a move, a text) may reach more
    // consumers, depending on the rules' timing and the quiet hours.
    let expected = [
        "automation-bookings",
        "automation-contacts",
        "automation-merges",
        "booking-intake",
        "booking-merges",
        "contact-timeline",
        "identity-audit",
        "messaging-merges",
    ];
    for consumer in expected {
        assert!(
            consumers.iter().any(|c| c == consumer),
            "every consumer the webhook's events reach continues the trace: {consumer} is not in {consumers:?}"
        );
    }
}
