//! `attend events replay`: a delivery the mapping of its day left unmapped
//! is healed from the raw event log, once, however often it is replayed.

use std::time::Duration;

use attend_integration_tests::{TestFleet, WIX_PRIVATE_KEY, wix_created_claims, wix_jwt};
use attend_kit::bus::timestamp;
use attend_kit::grpc::{Caller, Role, request};
use attend_kit::ids::{TypedId, UserId};
use attend_kit::service::ServiceName;
use attend_proto::ingest::v1::ReplayEventsRequest;
use attend_proto::ingest::v1::ingest_service_client::IngestServiceClient;

#[tokio::test]
async fn a_logged_but_unmapped_delivery_is_healed_by_a_replay_once() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("clinic-rp", "wix-rp").await;
    let since = chrono::Utc::now() - chrono::Duration::minutes(5);

    // One booking the normal way.
    let claims = wix_created_claims("wix-rp", "evt-rp-1", "booking-rp-1", "0412 777 101", 300);
    let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 200, "{answer}");

    // One the mapping of its day kept in the log but published nothing for
    // (as a delivery of a then-unknown kind is kept).
    let unmapped = wix_jwt(
        WIX_PRIVATE_KEY,
        &wix_created_claims("wix-rp", "evt-rp-2", "booking-rp-2", "0412 777 102", 300),
    );
    sqlx::query(
        "insert into ingest.event_log
           (id, org_id, provider, delivery_id, event_type, endpoint, headers, raw_body, subject_ids, published)
         values ($1, $2, 'wix', 'evt-rp-2', 'wix.bookings.v2.booking_created', '/webhooks/wix/bookings',
                 '{}'::jsonb, $3, '{}'::jsonb, false)",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(org.uuid())
    .bind(unmapped.as_bytes())
    .execute(&mut fleet.admin().await)
    .await
    .unwrap();
    fleet
        .eventually(Duration::from_secs(20), "the first booking exists", || async {
            fleet.count("select count(*) from booking.bookings").await == 1
        })
        .await;
    fleet.settle().await;
    assert_eq!(fleet.count("select count(*) from booking.bookings").await, 1);

    let mut ingest = IngestServiceClient::new(fleet.fleet.peers().channel(ServiceName::Ingest));
    let replay = ReplayEventsRequest {
        from: Some(timestamp(since)),
        to: None,
        provider: "wix".to_owned(),
    };
    // Operators only, and a range is required.
    let staff = Caller::user(org, UserId::new(), Role::Admin);
    let refused = ingest.replay_events(request(replay.clone(), &staff)).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let no_range = ingest
        .replay_events(request(ReplayEventsRequest::default(), &Caller::platform()))
        .await
        .unwrap_err();
    assert_eq!(no_range.code(), tonic::Code::InvalidArgument);
    assert!(no_range.message().contains("from"), "{}", no_range.message());

    for round in 1..=2 {
        let done = ingest
            .replay_events(request(replay.clone(), &Caller::platform()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (done.read, done.published, done.refused_count),
            (2, 2, 0),
            "round {round}: {done:?}"
        );
        fleet
            .eventually(Duration::from_secs(30), "the healed booking exists", || async {
                fleet.count("select count(*) from booking.bookings").await == 2
            })
            .await;
        fleet.settle().await;
        // The booking that was applied before is a duplicate; nothing doubles.
        assert_eq!(
            fleet.count("select count(*) from booking.bookings").await,
            2,
            "round {round}"
        );
        assert_eq!(
            fleet.count("select count(*) from contact.contacts").await,
            2,
            "round {round}"
        );
        assert_eq!(
            fleet
                .count("select count(*) from contact.touchpoints where type = 'booking_created'")
                .await,
            2,
            "round {round}"
        );
    }
    fleet
        .eventually(Duration::from_secs(20), "each replay is in the audit trail", || async {
            fleet
                .count("select count(*) from identity.audit_log where action = 'events.replay'")
                .await
                == 2
        })
        .await;
    fleet.teardown().await;
}
