//! Services stopped, or killed, and restarted mid-flow: nothing is lost and
//! nothing happens twice.

use std::time::Duration;

use attend_integration_tests::{TestFleet, WIX_PRIVATE_KEY, wix_created_claims, wix_jwt};
use attend_kit::service::ServiceName;

async fn send_bookings(fleet: &TestFleet, from: usize, n: usize) {
    for i in from..from + n {
        let phone = format!("0412 {:03} {:03}", 100 + i, 200 + i);
        let claims = wix_created_claims("wix-z", &format!("evt-{i}"), &format!("booking-{i}"), &phone, 300);
        let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
        assert_eq!(status, 200, "ingest accepts while others are down: {answer}");
    }
}

/// One booking, one contact and one `booking_created` touchpoint per
/// webhook (the rules' moves add touchpoints of their own).
async fn exactly(fleet: &TestFleet, n: i64) {
    const BOOKING_TOUCHPOINTS: &str = "select count(*) from contact.touchpoints where type = 'booking_created'";
    fleet
        .eventually(
            Duration::from_secs(30),
            &format!("{n} bookings and touchpoints exist"),
            || async {
                fleet.count("select count(*) from booking.bookings").await == n
                    && fleet.count(BOOKING_TOUCHPOINTS).await == n
            },
        )
        .await;
    // A double would come from an event delivered again (its ack lost to a
    // kill) or published again (its outbox row outliving a kill): once
    // every event is acknowledged and every outbox empty, neither can come.
    fleet.settle().await;
    assert_eq!(fleet.count("select count(*) from booking.bookings").await, n);
    assert_eq!(fleet.count("select count(*) from contact.contacts").await, n);
    assert_eq!(fleet.count(BOOKING_TOUCHPOINTS).await, n);
    assert_eq!(fleet.count("select count(*) from booking.dead_letters").await, 0);
    assert_eq!(fleet.count("select count(*) from contact.dead_letters").await, 0);
}

/// Webhooks accepted while the booking service is stopped are processed,
/// once each, when it comes back.
#[tokio::test]
async fn bookings_accepted_while_booking_is_down_are_processed_once_after_restart() {
    let mut fleet = TestFleet::start().await;
    fleet.create_org("clinic-z", "wix-z").await;
    send_bookings(&fleet, 0, 2).await;
    exactly(&fleet, 2).await;

    fleet.fleet.stop(ServiceName::Booking).await.unwrap();
    send_bookings(&fleet, 2, 5).await;
    // Proof that nothing took them, where a pause would only suggest it:
    // once ingest has published all five, booking's consumer still holds
    // them, never delivered.
    fleet
        .eventually(Duration::from_secs(20), "ingest has published all seven", || async {
            fleet.published("ingest.booking_received").await.len() == 7
        })
        .await;
    let intake = fleet.consumer("booking-intake").await;
    assert_eq!(
        (intake.num_pending, intake.num_ack_pending),
        (5, 0),
        "the five wait for booking"
    );
    assert_eq!(
        fleet.count("select count(*) from booking.bookings").await,
        2,
        "nothing is processed while booking is down"
    );
    fleet.fleet.restart(ServiceName::Booking).await.unwrap();
    exactly(&fleet, 7).await;
    fleet.teardown().await;
}

/// While the contact service is down, the booking service's calls to it
/// fail; the events are retried with backoff and complete, once, when
/// contact returns.
#[tokio::test]
async fn bookings_wait_for_a_stopped_contact_service_and_complete_once() {
    let mut fleet = TestFleet::start().await;
    fleet.create_org("clinic-z", "wix-z").await;
    fleet.fleet.stop(ServiceName::Contact).await.unwrap();
    send_bookings(&fleet, 0, 3).await;
    // JetStream delivers a message again only after the first delivery was
    // handed back (NAKed for a retry) or timed out: once all three have
    // been, booking has tried each one and none took effect.
    fleet
        .eventually(
            Duration::from_secs(20),
            "booking has tried every booking and handed it back",
            || async { fleet.consumer("booking-intake").await.num_redelivered == 3 },
        )
        .await;
    assert_eq!(fleet.count("select count(*) from booking.bookings").await, 0);
    fleet.fleet.restart(ServiceName::Contact).await.unwrap();
    exactly(&fleet, 3).await;
    fleet.teardown().await;
}

/// Killing services abruptly (tasks dropped at whatever await they were
/// in: transactions roll back, nothing is acked) while webhooks flow, then
/// restarting them, still gives every booking exactly once.
#[tokio::test]
async fn services_killed_mid_flow_lose_nothing_and_double_nothing() {
    let mut fleet = TestFleet::start().await;
    fleet.create_org("clinic-z", "wix-z").await;
    send_bookings(&fleet, 0, 10).await;
    // Kill while the first events are being processed.
    fleet.fleet.kill(ServiceName::Booking).await.unwrap();
    fleet.fleet.kill(ServiceName::Contact).await.unwrap();
    send_bookings(&fleet, 10, 5).await;
    fleet.fleet.restart(ServiceName::Contact).await.unwrap();
    fleet.fleet.restart(ServiceName::Booking).await.unwrap();
    exactly(&fleet, 15).await;
    fleet.teardown().await;
}

/// Killing ingest after it answered loses nothing: its outbox keeps the
/// events until the relay publishes them after restart.
#[tokio::test]
async fn events_committed_by_a_killed_ingest_are_published_after_restart() {
    let mut fleet = TestFleet::start().await;
    fleet.create_org("clinic-z", "wix-z").await;
    fleet.fleet.stop(ServiceName::Booking).await.unwrap();
    send_bookings(&fleet, 0, 5).await;
    fleet.fleet.kill(ServiceName::Ingest).await.unwrap();
    fleet.fleet.restart(ServiceName::Ingest).await.unwrap();
    fleet.fleet.restart(ServiceName::Booking).await.unwrap();
    exactly(&fleet, 5).await;
    assert_eq!(
        fleet.count("select count(*) from ingest.outbox").await,
        0,
        "the outbox drained"
    );
    fleet.teardown().await;
}
