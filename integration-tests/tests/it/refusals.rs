//! Deliveries ingest must refuse: each answers a problem naming what is
//! wrong, stores nothing but a rejected-delivery record, and publishes
//! nothing.

use attend_integration_tests::{
    OTHER_PRIVATE_KEY, Options, TestFleet, WIX_PRIVATE_KEY, seed_booking, wix_created_claims, wix_jwt,
};
use attend_kit::grpc::{Caller, request};
use attend_kit::service::ServiceName;
use attend_proto::ingest::v1::ListRejectedDeliveriesRequest;
use attend_proto::ingest::v1::ingest_service_client::IngestServiceClient;

fn encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The reason codes recorded so far, newest first.
async fn rejection_codes(fleet: &TestFleet) -> Vec<String> {
    IngestServiceClient::new(fleet.fleet.peers().channel(ServiceName::Ingest))
        .list_rejected_deliveries(request(
            ListRejectedDeliveriesRequest {
                limit: 100,
                provider: String::new(),
            },
            &Caller::platform(),
        ))
        .await
        .expect("list rejected deliveries")
        .into_inner()
        .deliveries
        .into_iter()
        .map(|d| d.reason_code)
        .collect()
}

async fn nothing_stored(fleet: &TestFleet) {
    assert_eq!(
        fleet.count("select count(*) from ingest.event_log").await,
        0,
        "no event is logged"
    );
    assert_eq!(
        fleet.count("select count(*) from ingest.outbox").await,
        0,
        "nothing waits to be published"
    );
    assert_eq!(
        fleet.count("select count(*) from ingest.external_refs").await,
        0,
        "no id is assigned"
    );
}

/// Bad signatures in either form are 401s; the refusal is recorded with
/// its reason and nothing else is stored.
#[tokio::test]
async fn bad_signatures_are_refused_and_only_recorded() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Ingest],
        ..Options::default()
    })
    .await;
    fleet.create_org("clinic-r", "wix-r").await;

    // A JWT signed by somebody else's key.
    let forged = wix_jwt(
        OTHER_PRIVATE_KEY,
        &wix_created_claims("wix-r", "e1", "b1", "0412 345 678", 300),
    );
    let (status, problem) = fleet.post_wix_jwt(&forged).await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["code"], "bad_signature");

    // A JSON body whose signature does not match it.
    let body = seed_booking(None, "b2", "+61400000000").to_string();
    let now = chrono::Utc::now().timestamp();
    let signature = fleet.secret.sign("msg_bad", now, b"a different body");
    let (status, problem) = fleet
        .post_webhook(
            body.into_bytes(),
            vec![
                ("webhook-id", "msg_bad".to_owned()),
                ("webhook-timestamp", now.to_string()),
                ("webhook-signature", signature),
            ],
            false,
        )
        .await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["code"], "bad_signature");

    // A JSON body with no signature at all.
    let (status, problem) = fleet
        .post_webhook(
            seed_booking(None, "b3", "+61400000000").to_string().into_bytes(),
            vec![],
            false,
        )
        .await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["code"], "missing_signature");

    nothing_stored(&fleet).await;
    assert_eq!(
        rejection_codes(&fleet).await,
        ["missing_signature", "bad_signature", "bad_signature"]
    );
    fleet.teardown().await;
}

/// Only RS256 tokens that have not expired are accepted from Wix: an
/// expired token, an HS256 token made with the public key as secret, and
/// `alg: none` are all refused.
#[tokio::test]
async fn expired_and_non_rs256_wix_tokens_are_refused() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Ingest],
        ..Options::default()
    })
    .await;
    fleet.create_org("clinic-s", "wix-s").await;

    let expired = wix_jwt(
        WIX_PRIVATE_KEY,
        &wix_created_claims("wix-s", "e1", "b1", "0412 345 678", -600),
    );
    let (status, problem) = fleet.post_wix_jwt(&expired).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("token_expired")),
        "{problem}"
    );

    let claims = wix_created_claims("wix-s", "e2", "b2", "0412 345 678", 300);
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(attend_integration_tests::WIX_PUBLIC_KEY.as_bytes()),
    )
    .unwrap();
    let (status, problem) = fleet.post_wix_jwt(&hs256).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("bad_algorithm")),
        "{problem}"
    );

    let none = format!(
        "{}.{}.",
        encode(br#"{"alg":"none","typ":"JWT"}"#),
        encode(claims.to_string().as_bytes())
    );
    let (status, problem) = fleet.post_wix_jwt(&none).await;
    assert_eq!(status, 401, "{problem}");

    let mut no_exp = claims.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let (status, _) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &no_exp)).await;
    assert_eq!(status, 401, "a token without exp is refused");

    nothing_stored(&fleet).await;
    assert_eq!(rejection_codes(&fleet).await.len(), 4);
    fleet.teardown().await;
}

/// A Standard Webhooks delivery more than five minutes old is a 400 (a
/// stale or replayed request), even when correctly signed.
#[tokio::test]
async fn a_stale_standard_webhook_is_refused() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Ingest],
        ..Options::default()
    })
    .await;
    fleet.create_org("clinic-t", "wix-t").await;
    let old = chrono::Utc::now().timestamp() - 301;
    let (status, problem) = fleet
        .post_webhook(
            seed_booking(None, "b1", "+61400000000").to_string().into_bytes(),
            vec![
                ("webhook-id", "msg_old".to_owned()),
                ("webhook-timestamp", old.to_string()),
            ],
            true,
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["code"], "stale_timestamp");
    nothing_stored(&fleet).await;
    assert_eq!(rejection_codes(&fleet).await, ["stale_timestamp"]);
    fleet.teardown().await;
}

/// Correctly signed but malformed bodies are 400 problem+json naming each
/// field at fault, in both forms; nothing is stored.
#[tokio::test]
async fn malformed_bodies_are_problems_naming_the_field() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Ingest],
        ..Options::default()
    })
    .await;
    fleet.create_org("clinic-u", "wix-u").await;

    let mut body = seed_booking(None, "b1", "+61400000000");
    body.as_object_mut().unwrap().remove("startTime");
    let (status, problem) = fleet.post_signed_json("msg_1", &body).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["code"], "malformed_body");
    assert_eq!(problem["errors"][0]["field"], "startTime");
    assert_eq!(problem["errors"][0]["reason"], "is required");

    let (status, problem) = fleet
        .post_signed_json("msg_2", &seed_booking(None, "b2", "not a phone"))
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "customerInfo.phone");

    let claims = wix_created_claims("wix-u", "e3", "b3", "12", 300);
    let (status, problem) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(
        problem["errors"][0]["field"],
        "createdEvent.entity.contactDetails.phone"
    );

    let (status, problem) = fleet.post_webhook(b"hello".to_vec(), vec![], false).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "body");

    nothing_stored(&fleet).await;
    assert_eq!(rejection_codes(&fleet).await.len(), 4);
    fleet.teardown().await;
}

/// A delivery for a Wix instance no organisation is linked to is refused
/// naming `instanceId`; so is one without an instance id once several
/// organisations exist.
#[tokio::test]
async fn deliveries_that_name_no_known_organisation_are_refused() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Ingest],
        ..Options::default()
    })
    .await;
    fleet.create_org("clinic-v", "wix-v").await;
    fleet.create_org("clinic-w", "wix-w").await;

    let claims = wix_created_claims("wix-unknown", "e1", "b1", "0412 345 678", 300);
    let (status, problem) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["code"], "unknown_organisation");
    assert_eq!(problem["errors"][0]["field"], "instanceId");

    let (status, problem) = fleet
        .post_signed_json("msg_x", &seed_booking(None, "b2", "+61400000000"))
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "instanceId");

    let (status, problem) = fleet
        .post_signed_json("msg_y", &seed_booking(Some("wix-w"), "b3", "+61400000000"))
        .await;
    assert_eq!(status, 200, "naming the instance routes it: {problem}");
    fleet.teardown().await;
}

/// Without the Wix public key configured, JWT deliveries get 503 so Wix
/// keeps retrying until an operator sets it; the refusal says which
/// variable is missing.
#[tokio::test]
async fn an_unconfigured_verifier_answers_503_naming_the_setting() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Ingest],
        settings: vec![("ATTEND_WIX_PUBLIC_KEY", String::new())],
        ..Options::default()
    })
    .await;
    fleet.create_org("clinic-x", "wix-x").await;
    let claims = wix_created_claims("wix-x", "e1", "b1", "0412 345 678", 300);
    let (status, problem) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 503, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("ATTEND_WIX_PUBLIC_KEY"));
    fleet.teardown().await;
}
