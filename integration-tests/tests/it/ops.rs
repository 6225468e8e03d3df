//! What operators and probes rely on, and the API's front door.

use std::time::Duration;

use attend_integration_tests::{Options, TestFleet, WIX_PRIVATE_KEY, wix_created_claims, wix_jwt};
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

        // gRPC health follows readiness within a few seconds.
        fleet
            .eventually(Duration::from_secs(10), &format!("{service} gRPC health"), || async {
                grpc_health(&fleet, service, "").await == ServingStatus::Serving as i32
            })
            .await;
    }
    // The public listeners serve the public API only: the ops routes are a
    // problem+json 404 there.
    for public in [fleet.gateway(), fleet.ingest()] {
        for path in ["/metrics", "/readyz", "/healthz"] {
            let response = fleet.http.get(format!("{public}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 404, "{public}{path}");
            let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(
                content_type.starts_with("application/problem+json"),
                "{public}{path}: {content_type}"
            );
        }
    }
    fleet.teardown().await;
}

async fn grpc_health(fleet: &TestFleet, service: ServiceName, name: &str) -> i32 {
    HealthClient::new(fleet.fleet.peers().channel(service))
        .check(HealthCheckRequest {
            service: name.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
}

async fn readyz(fleet: &TestFleet, service: ServiceName) -> u16 {
    let addr = fleet.fleet.grpc_addr(service).unwrap();
    fleet
        .http
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// gRPC health and `/readyz` agree: while contact cannot reach its database
/// both say so, and both recover when it can again.
#[tokio::test]
async fn grpc_health_follows_readiness_when_postgres_goes_away_and_back() {
    let fleet = TestFleet::start().await;
    let contact = "attend.contact.v1.ContactService";
    assert_eq!(
        grpc_health(&fleet, ServiceName::Contact, contact).await,
        ServingStatus::Serving as i32
    );

    // Contact's role loses the right to connect to this test's database, and
    // its open connections are closed.
    let mut admin = fleet.admin().await;
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'attend\\_%' AND rolname NOT LIKE 'attend\\_contact%'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    for role in others {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "GRANT CONNECT ON DATABASE {} TO {role}",
            fleet.db_name
        )))
        .execute(&mut admin)
        .await
        .unwrap();
    }
    for sql in [
        format!(
            "REVOKE CONNECT ON DATABASE {} FROM PUBLIC, attend_contact",
            fleet.db_name
        ),
        format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND usename = 'attend_contact'",
            fleet.db_name
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.unwrap();
    }
    fleet
        .eventually(Duration::from_secs(15), "contact reports NOT_SERVING", || async {
            grpc_health(&fleet, ServiceName::Contact, contact).await == ServingStatus::NotServing as i32
                && grpc_health(&fleet, ServiceName::Contact, "").await == ServingStatus::NotServing as i32
        })
        .await;
    assert_eq!(readyz(&fleet, ServiceName::Contact).await, 503, "/readyz agrees");
    // Only contact lost its database.
    assert_eq!(readyz(&fleet, ServiceName::Booking).await, 200);

    sqlx::query(sqlx::AssertSqlSafe(format!(
        "GRANT CONNECT ON DATABASE {} TO PUBLIC",
        fleet.db_name
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    fleet
        .eventually(Duration::from_secs(15), "contact reports SERVING again", || async {
            grpc_health(&fleet, ServiceName::Contact, contact).await == ServingStatus::Serving as i32
        })
        .await;
    assert_eq!(readyz(&fleet, ServiceName::Contact).await, 200);
    fleet.teardown().await;
}

/// Reflection lists the services a port serves, no more, in both the v1 and
/// the older v1alpha protocol.
#[tokio::test]
async fn reflection_lists_only_what_a_port_serves_in_v1_and_v1alpha() {
    use tonic_reflection::pb::{v1, v1alpha};
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Contact],
        ..Options::default()
    })
    .await;
    let channel = fleet.fleet.peers().channel(ServiceName::Contact);
    let expected = [
        "attend.contact.v1.ContactService",
        "attend.ops.v1.OpsService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ];

    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut replies = v1::server_reflection_client::ServerReflectionClient::new(channel.clone())
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) = reply.message_response
    else {
        panic!("v1: not a list: {reply:?}");
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(names, expected, "v1");

    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1alpha::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut replies = v1alpha::server_reflection_client::ServerReflectionClient::new(channel.clone())
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) = reply.message_response
    else {
        panic!("v1alpha: not a list: {reply:?}");
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(names, expected, "v1alpha");

    // And it can describe what it lists.
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "attend.contact.v1.ContactService".to_owned(),
            ),
        ),
    };
    let mut replies = v1alpha::server_reflection_client::ServerReflectionClient::new(channel)
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    assert!(
        matches!(
            reply.message_response,
            Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
        ),
        "{reply:?}"
    );
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

/// Retention set after the stream exists is applied to it, not ignored.
#[tokio::test]
async fn a_changed_retention_is_applied_to_the_existing_stream() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity],
        ..Options::default()
    })
    .await;
    let config = fleet.fleet.config();
    let mut info = fleet.fleet.bus().ensure_stream().await.unwrap();
    assert_eq!(info.info().await.unwrap().config.max_age, config.bus.max_age);

    let mut settings = config.bus.clone();
    settings.max_age = Duration::from_secs(30 * 24 * 3600);
    let restarted = attend_kit::bus::Bus::connect(fleet.nats_url(), config.nats_prefix.clone(), settings)
        .await
        .unwrap();
    let mut stream = restarted.ensure_stream().await.unwrap();
    let applied = stream.info().await.unwrap().config.clone();
    assert_eq!(applied.max_age, Duration::from_secs(30 * 24 * 3600));
    assert_eq!(applied.subjects, [restarted.subject(">")], "nothing else changed");
    fleet.teardown().await;
}
