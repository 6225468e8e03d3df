//! What operators and probes rely on, and the API's front door.

use std::time::Duration;

use attend_integration_tests::{TestFleet, WIX_PRIVATE_KEY, wix_created_claims, wix_jwt};
use attend_kit::service::ServiceName;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// Every service answers /healthz, /readyz (Postgres and NATS reachable)
/// and /metrics on its gRPC port, and the standard gRPC health service says
/// it is serving.
#[tokio::test]
async fn every_service_answers_health_readiness_metrics_and_grpc_health() {
    let fleet = TestFleet::start().await;
    for service in ServiceName::ALL {
        let addr = fleet.fleet.grpc_addr(service).unwrap();
        let base = format!("http://{addr}");
        let healthz = fleet.http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(healthz.status(), 200, "{service} /healthz");

        let ready: serde_json::Value = fleet
            .until_some(Duration::from_secs(5), &format!("{service} is ready"), || async {
                let response = fleet.http.get(format!("{base}/readyz")).send().await.unwrap();
                match response.status().as_u16() {
                    200 => Some(response.json().await.unwrap()),
                    _ => None,
                }
            })
            .await;
        assert_eq!(ready["nats"], "ok", "{service} readiness reports NATS");
        if service != ServiceName::Gateway {
            assert_eq!(ready["postgres"], "ok", "{service} readiness reports Postgres");
        }

        let metrics = fleet.http.get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(metrics.status(), 200, "{service} /metrics");

        let mut health = HealthClient::new(fleet.fleet.peers().channel(service));
        let status = health
            .check(HealthCheckRequest { service: String::new() })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service} gRPC health");
    }
    // The gateway's own public listener answers the probes too.
    let readyz = fleet
        .http
        .get(format!("{}/readyz", fleet.gateway()))
        .send()
        .await
        .unwrap();
    assert_eq!(readyz.status(), 200);
    fleet.teardown().await;
}

/// The contact API needs a valid token, a practice role, and only shows the
/// caller's own organisation: another organisation's contact is a 404.
#[tokio::test]
async fn the_api_requires_a_token_a_practice_role_and_the_right_organisation() {
    let fleet = TestFleet::start().await;
    let mine = fleet.create_org("clinic-m", "wix-m").await;
    let theirs = fleet.create_org("clinic-n", "wix-n").await;
    let staff = fleet.user_token(mine, "staff@clinic-m.example", "staff").await;
    let family = fleet.user_token(mine, "family@clinic-m.example", "family").await;
    let other = fleet.user_token(theirs, "staff@clinic-n.example", "staff").await;

    let claims = wix_created_claims("wix-m", "evt-1", "booking-1", "0412 345 678", 300);
    let (status, _) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 200);
    let contact: String = fleet
        .until_some(Duration::from_secs(20), "the contact exists", || async {
            let (_, body) = fleet.api_get(&staff, "/api/contacts?phone=%2B61412345678").await;
            body["contacts"][0]["id"].as_str().map(str::to_owned)
        })
        .await;
    let path = format!("/api/contacts/{contact}");

    let (status, _) = fleet.api_get(&staff, &path).await;
    assert_eq!(status, 200);

    let response = fleet
        .http
        .get(format!("{}{path}", fleet.gateway()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "no token");
    assert_eq!(response.headers()["content-type"], "application/problem+json");

    let mut tampered = staff.clone();
    tampered.insert(
        tampered.len() - 5,
        if tampered.as_bytes()[tampered.len() - 5] == b'A' {
            'B'
        } else {
            'A'
        },
    );
    let (status, problem) = fleet.api_get(&tampered, &path).await;
    assert_eq!(status, 401, "a tampered token: {problem}");

    let (status, problem) = fleet.api_get(&family, &path).await;
    assert_eq!(
        status, 403,
        "portal roles don't read the practice's contacts: {problem}"
    );

    let (status, problem) = fleet.api_get(&other, &path).await;
    assert_eq!(
        status, 404,
        "another organisation's contact does not exist for them: {problem}"
    );

    let (status, problem) = fleet
        .api_get(&staff, "/api/contacts/booking_01jd3k6w9x4r2t8v5m7n0p1q2s")
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "id");

    let (status, problem) = fleet.api_get(&staff, "/api/contacts?phone=banana").await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "phone");
    fleet.teardown().await;
}

/// Wrong passwords and unknown emails get the same 401 problem.
#[tokio::test]
async fn a_failed_login_never_says_whether_the_email_exists() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("clinic-l", "wix-l").await;
    fleet.user_token(org, "staff@clinic-l.example", "staff").await;
    let mut answers = Vec::new();
    for email in ["staff@clinic-l.example", "nobody@clinic-l.example"] {
        let response = fleet
            .http
            .post(format!("{}/api/auth/login", fleet.gateway()))
            .json(&serde_json::json!({"email": email, "password": "wrong password!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let body: serde_json::Value = response.json().await.unwrap();
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);
    fleet.teardown().await;
}
