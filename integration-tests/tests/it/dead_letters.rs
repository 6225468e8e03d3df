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

/// A booking that ran out of retries while contact was down is dead-lettered;
/// once contact is back an operator redrives it and it takes effect, once:
/// redriving again finds nothing waiting, and the same event arriving yet
/// again changes nothing. The redrive is in the organisation's audit trail.
#[tokio::test]
async fn a_redriven_dead_letter_takes_effect_once_and_is_audited() {
    use attend_integration_tests::{WIX_PRIVATE_KEY, wix_created_claims, wix_jwt};
    use attend_kit::bus::dead_letters::{self, Which};
    use attend_kit::bus::outbox::Outbox;
    use attend_kit::db::Db;
    use attend_kit::grpc::{Caller, request};
    use attend_kit::ids::TypedId;
    use attend_proto::ops::v1::ops_service_client::OpsServiceClient;
    use attend_proto::ops::v1::redrive_dead_letters_request::Which as Which_;
    use attend_proto::ops::v1::{ListDeadLettersRequest, RedriveDeadLettersRequest};

    let mut fleet = TestFleet::start_with(Options {
        settings: vec![("ATTEND_BUS_MAX_DELIVER", "2".to_owned())],
        ..Options::default()
    })
    .await;
    fleet.create_org("clinic-dl", "wix-dl").await;
    fleet.fleet.stop(ServiceName::Contact).await.unwrap();
    let claims = wix_created_claims("wix-dl", "evt-dl-1", "booking-dl-1", "0412 555 101", 300);
    let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 200, "{answer}");
    fleet
        .eventually(Duration::from_secs(30), "the booking is dead-lettered", || async {
            fleet.count("select count(*) from booking.dead_letters").await == 1
        })
        .await;
    assert_eq!(fleet.count("select count(*) from booking.bookings").await, 0);
    fleet.fleet.restart(ServiceName::Contact).await.unwrap();

    // What `attend dead-letters redrive --all` does, as booking's own role.
    let config = fleet.fleet.config();
    let db = Db::connect(
        ServiceName::Booking,
        &config.runtime_database_url(ServiceName::Booking),
        2,
    )
    .await
    .unwrap();
    let outbox = Outbox::new(config.nats_prefix.clone(), ServiceName::Booking);
    let waiting = dead_letters::list(&db, false).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0].error.contains("out of retries"), "{:?}", waiting[0].error);

    // Operators' tools do the same over gRPC, as the platform only.
    let mut ops = OpsServiceClient::new(fleet.fleet.peers().channel(ServiceName::Booking));
    let org = OrgId::parse_uuid(&waiting[0].org_id.unwrap().to_string()).unwrap();
    let staff = ops
        .list_dead_letters(request(ListDeadLettersRequest::default(), &Caller::system(org)))
        .await
        .unwrap_err();
    assert_eq!(staff.code(), tonic::Code::PermissionDenied);
    let listed = ops
        .list_dead_letters(request(ListDeadLettersRequest::default(), &Caller::platform()))
        .await
        .unwrap()
        .into_inner()
        .dead_letters;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, waiting[0].id.to_string());
    let sent = ops
        .redrive_dead_letters(request(
            RedriveDeadLettersRequest {
                which: Some(Which_::Id(listed[0].id.clone())),
            },
            &Caller::platform(),
        ))
        .await
        .unwrap()
        .into_inner()
        .redriven;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].redriven_at.is_some());
    let sent_id = uuid::Uuid::parse_str(&sent[0].id).unwrap();

    fleet
        .eventually(Duration::from_secs(30), "the redriven booking is applied", || async {
            fleet.count("select count(*) from booking.bookings").await == 1
        })
        .await;
    // Nothing is waiting any more; naming it again is refused.
    assert!(dead_letters::list(&db, false).await.unwrap().is_empty());
    assert_eq!(dead_letters::list(&db, true).await.unwrap().len(), 1);
    assert!(
        dead_letters::redrive(&db, &outbox, fleet.fleet.bus(), Which::All)
            .await
            .unwrap()
            .is_empty()
    );
    let again = dead_letters::redrive(&db, &outbox, fleet.fleet.bus(), Which::One(sent_id))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already redriven"), "{again}");

    // The very same event published once more (a second operator's
    // redrive racing the first, say): the inbox makes it a duplicate.
    let (subject, payload): (String, Vec<u8>) = sqlx::query_as("select subject, payload from booking.dead_letters")
        .fetch_one(&mut fleet.admin().await)
        .await
        .unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "a-second-redrive");
    fleet
        .fleet
        .bus()
        .jetstream()
        .publish_with_headers(subject, headers, payload.into())
        .await
        .unwrap()
        .await
        .unwrap();
    fleet.settle().await;
    assert_eq!(fleet.count("select count(*) from booking.bookings").await, 1);
    assert_eq!(fleet.count("select count(*) from contact.contacts").await, 1);

    fleet
        .eventually(Duration::from_secs(20), "the redrive is in the audit trail", || async {
            fleet
                .count("select count(*) from identity.audit_log where action = 'dead_letter.redrive' and actor_role = 'platform'")
                .await
                == 1
        })
        .await;
    fleet.teardown().await;
}
