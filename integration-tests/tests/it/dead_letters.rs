//! Events that can never be processed are set aside, not retried forever.

use std::time::Duration;

use attend_integration_tests::{Options, TestFleet};
use attend_kit::bus::Draft;
use attend_kit::ids::OrgId;
use attend_kit::service::ServiceName;
use attend_proto::contact::v1::ContactCreated;
use prost::Message as _;

/// An undecodable message and an event whose payload is not what the
/// consumer expects are both dead-lettered with the reason, terminated, and
/// don't stop the consumer from processing what comes after.
#[tokio::test]
async fn events_that_can_never_succeed_are_dead_lettered_with_the_reason() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Contact, ServiceName::Booking],
        ..Options::default()
    })
    .await;
    let bus = fleet.fleet.bus();
    let subject = bus.subject("ingest.booking_received");

    // Not an envelope at all (wire type 7 does not exist).
    bus.jetstream()
        .publish(subject.clone(), vec![0xff, 0xff, 0xff].into())
        .await
        .unwrap()
        .await
        .unwrap();
    // A valid envelope carrying the wrong payload type.
    let wrong = Draft::new(OrgId::new(), &ContactCreated::default()).into_envelope();
    bus.jetstream()
        .publish(subject, wrong.encode_to_vec().into())
        .await
        .unwrap()
        .await
        .unwrap();

    fleet
        .eventually(Duration::from_secs(20), "both are dead-lettered", || async {
            fleet.count("select count(*) from booking.dead_letters").await == 2
        })
        .await;
    let errors: Vec<String> = sqlx::query_scalar("select error from booking.dead_letters order by created_at")
        .fetch_all(&mut fleet.admin().await)
        .await
        .unwrap();
    assert!(errors[0].contains("undecodable envelope"), "{errors:?}");
    assert!(errors[1].contains("attend.contact.v1.ContactCreated"), "{errors:?}");
    assert_eq!(
        fleet.count("select count(*) from booking.inbox").await,
        0,
        "no effect was recorded"
    );
    fleet.teardown().await;
}
