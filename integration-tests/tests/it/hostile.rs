//! Hostile input, as an attacker or a buggy provider sends it: NUL and
//! control characters, over-long values, huge bodies and headers, bad path
//! encodings, unknown paths and wrong methods, a correctly signed token
//! with unreadable claims, another organisation's ids. The promises: a
//! delivery answered 2xx has its effect (or an operator is told), no
//! public route answers 5xx, every refusal is problem+json naming what is
//! wrong, ingest records every refusal, and the fleet stays ready.

use std::time::{Duration, Instant};

use attend_ingest::signature::{TwilioToken, form_pairs};
use attend_integration_tests::{Options, TWILIO_AUTH_TOKEN, TestFleet, WIX_PRIVATE_KEY, seed_booking};
use attend_kit::bus::{Draft, timestamp};
use attend_kit::service::ServiceName;
use attend_proto::ingest::v1::LeadReceived;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use prost::Message as _;
use reqwest::Method;
use serde_json::{Value, json};

const JSON: &str = "application/json";

/// The status, the problem body and whether it is problem+json.
async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    assert_eq!(content_type, "application/problem+json", "{status}: {text:?}");
    (status, serde_json::from_str(&text).unwrap())
}

/// Dead letters in every schema of the test's database.
async fn dead_letters(fleet: &TestFleet) -> i64 {
    let mut total = 0;
    for service in ["ingest", "contact", "booking", "automation", "messaging", "identity"] {
        let sql = format!("select count(*) from {service}.dead_letters");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut fleet.admin().await)
            .await
            .unwrap();
        total += n;
    }
    total
}

/// Waits for the contact with this phone; its detail.
async fn contact(fleet: &TestFleet, token: &str, phone: &str) -> Value {
    let path = format!("/api/contacts?phone={}", phone.replace('+', "%2B"));
    let id: String = fleet
        .until_some(Duration::from_secs(20), "the contact exists", || async {
            let (_, found) = fleet.api_get(token, &path).await;
            found["contacts"][0]["id"].as_str().map(str::to_owned)
        })
        .await;
    fleet.api_get(token, &format!("/api/contacts/{id}")).await.1
}

/// A NUL in a Wix booking's name, a form lead's name and a Twilio text
/// is removed by the documented rule: each delivery is answered 200 and
/// has its effect, and nothing is dead-lettered. (Each was answered 200
/// and then failed in every consumer until it was dead-lettered.)
#[tokio::test]
async fn a_nul_from_a_provider_is_removed_and_the_delivery_has_its_effect() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("hostile-a", "wix-hostile-a").await;
    let staff = fleet.user_token(org, "staff@hostile-a.example", "staff").await;

    let mut booking = seed_booking(Some("wix-hostile-a"), "b-nul", "0412 000 101");
    booking["customerInfo"]["name"] = json!("Nul\u{0}Booker");
    let (status, answer) = fleet.post_signed_json("msg_nul_1", &booking).await;
    assert_eq!(status, 200, "{answer}");
    let booked = fleet
        .until_some(Duration::from_secs(20), "the booking exists", || async {
            let detail = contact(&fleet, &staff, "+61412000101").await;
            (detail["bookings"].as_array()?.len() == 1).then_some(detail)
        })
        .await;
    assert_eq!(booked["contact"]["name"], "NulBooker");

    let lead = json!({"name": "a\u{0}b", "phone": "0412 000 102"});
    let (status, answer, _) = fleet
        .post_ingest("/webhooks/forms/hostile-a", JSON, lead.to_string().into_bytes(), &[])
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(contact(&fleet, &staff, "+61412000102").await["contact"]["name"], "ab");

    let signer = TwilioToken::parse(TWILIO_AUTH_TOKEN).unwrap();
    let path = "/webhooks/twilio/hostile-a/inbound";
    let body = "MessageSid=SM0000000000000000000000000000nul&From=%2B61412000103&To=%2B61480000000&Body=a%00b";
    let url = format!("{}{path}", fleet.ingest());
    let signature = signer.sign(&url, &form_pairs(body.as_bytes()));
    let (status, answer, _) = fleet
        .post_ingest(
            path,
            "application/x-www-form-urlencoded",
            body.as_bytes().to_vec(),
            &[("x-twilio-signature", signature)],
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let texted = fleet
        .until_some(Duration::from_secs(20), "the text is on the timeline", || async {
            let detail = contact(&fleet, &staff, "+61412000103").await;
            let touch = detail["touchpoints"]
                .as_array()?
                .iter()
                .find(|t| t["type"] == "sms_received")?
                .clone();
            Some(touch)
        })
        .await;
    assert_eq!(texted["details"]["body"], "ab");

    fleet.settle().await;
    assert_eq!(dead_letters(&fleet).await, 0, "every delivery had its effect");
    fleet.teardown().await;
}

/// A NUL or a control character in the REST API is a 400 naming the field
/// (each was a 500 from the database).
#[tokio::test]
async fn a_nul_in_the_api_is_a_400_naming_the_field() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Contact, ServiceName::Gateway],
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("hostile-b", "wix-hostile-b").await;
    let staff = fleet.user_token(org, "staff@hostile-b.example", "staff").await;
    for (path, field) in [
        ("/api/contacts?q=a%00b", "q"),
        ("/api/contacts?email=a%00b%40x.com", "email"),
        ("/api/contacts?source=a%00b", "source"),
    ] {
        let (status, body) = fleet.api_get(&staff, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
    }
    for (body, field) in [
        (json!({"name": "a\u{0}b", "phone": "0412 000 201"}), "name"),
        (json!({"name": "Ann", "email": "a\u{0}b@x.com"}), "email"),
        (json!({"name": "Ann\nLee", "phone": "0412 000 202"}), "name"),
    ] {
        let (status, problem, _) = fleet.api_post(Some(&staff), "/api/contacts", &body).await;
        assert_eq!(status, 400, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, created, _) = fleet
        .api_post(
            Some(&staff),
            "/api/contacts",
            &json!({"name": "Ann", "phone": "0412 000 203"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["contact"]["id"].as_str().unwrap();
    let (status, problem) = fleet
        .api_send(
            Method::PATCH,
            &staff,
            &format!("/api/contacts/{id}"),
            Some(&json!({"name": "a\u{0}b"})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "name");
    fleet.teardown().await;
}

/// A 5,000-character phone is a 400 naming the field, in a search and in
/// a new contact (its echo in the error once overflowed gRPC's headers:
/// a 500).
#[tokio::test]
async fn an_over_long_phone_is_a_400_not_a_500() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Contact, ServiceName::Gateway],
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("hostile-c", "wix-hostile-c").await;
    let staff = fleet.user_token(org, "staff@hostile-c.example", "staff").await;
    let long = "4".repeat(5_000);
    let (status, body) = fleet.api_get(&staff, &format!("/api/contacts?phone={long}")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "phone");
    let (status, body, _) = fleet
        .api_post(Some(&staff), "/api/contacts", &json!({"name": "Ann", "phone": long}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "phone");
    assert!(body["detail"].as_str().unwrap().len() < 200, "{body}");
    fleet.teardown().await;
}

/// Every refusal ingest's framework makes before a handler runs is
/// problem+json with a stable code, and recorded; a slug no organisation
/// could have is a 404 like any unknown one (it was a 503).
#[tokio::test]
async fn every_refusal_on_ingest_is_a_problem_and_recorded() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Ingest],
        ..Options::default()
    })
    .await;
    fleet.create_org("hostile-d", "wix-hostile-d").await;
    let base = fleet.ingest();
    let http = &fleet.http;

    let too_big = vec![b'x'; 300 * 1024];
    let lead = json!({"name": "Ann", "phone": "0412 000 501"});
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            http.post(format!("{base}/webhooks/manychat"))
                .header("content-type", JSON)
                .body(too_big),
            413,
            "body_too_large",
        ),
        (
            http.post(format!("{base}/webhooks/forms/%00")).json(&lead),
            404,
            "unknown_organisation",
        ),
        (
            http.post(format!("{base}/webhooks/forms/%FF")).json(&lead),
            400,
            "malformed_path",
        ),
        (http.post(format!("{base}/webhooks/nowhere")), 404, "not_found"),
        (http.get(format!("{base}/webhooks/manychat")), 405, "method_not_allowed"),
        (
            many_headers(http.post(format!("{base}/webhooks/manychat"))),
            431,
            "headers_too_large",
        ),
        (
            http.post(format!("{base}/webhooks/manychat"))
                .header("x-big", "y".repeat(70 * 1024)),
            431,
            "headers_too_large",
        ),
    ];
    let mut codes = Vec::new();
    for (request, status, code) in cases {
        let (got, body) = problem(request.send().await.unwrap()).await;
        assert_eq!((got, body["code"].as_str().unwrap()), (status, code), "{body}");
        codes.push(code.to_owned());
    }
    let recorded: Vec<String> = fleet.rejections().await.into_iter().map(|(_, code, _)| code).collect();
    codes.sort();
    let mut sorted = recorded.clone();
    sorted.sort();
    assert_eq!(sorted, codes, "every refusal is recorded: {recorded:?}");
    ready(&fleet, ServiceName::Ingest).await;
    fleet.teardown().await;
}

/// The gateway's own refusals are problem+json too, and a body over its
/// limit is a 413 (it was a 400).
#[tokio::test]
async fn every_refusal_on_the_gateway_is_a_problem() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Contact, ServiceName::Gateway],
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("hostile-e", "wix-hostile-e").await;
    let staff = fleet.user_token(org, "staff@hostile-e.example", "staff").await;
    let base = fleet.gateway();
    let http = &fleet.http;
    let big = json!({"name": "x".repeat(3 * 1024 * 1024)});
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (http.get(format!("{base}/nowhere")), 404, "not_found"),
        (
            http.get(format!("{base}/api/nowhere")).bearer_auth(&staff),
            404,
            "not_found",
        ),
        (
            http.delete(format!("{base}/api/contacts")).bearer_auth(&staff),
            405,
            "method_not_allowed",
        ),
        (
            http.get(format!("{base}/api/contacts/%FF")).bearer_auth(&staff),
            400,
            "malformed_path",
        ),
        (
            http.post(format!("{base}/api/contacts")).bearer_auth(&staff).json(&big),
            413,
            "body_too_large",
        ),
        (
            many_headers(http.get(format!("{base}/api/contacts"))),
            431,
            "headers_too_large",
        ),
    ];
    for (request, status, code) in cases {
        let (got, body) = problem(request.send().await.unwrap()).await;
        assert_eq!((got, body["code"].as_str().unwrap()), (status, code), "{body}");
    }
    ready(&fleet, ServiceName::Gateway).await;
    fleet.teardown().await;
}

fn many_headers(mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    for i in 0..150 {
        request = request.header(format!("x-h{i}"), "1");
    }
    request
}

async fn ready(fleet: &TestFleet, service: ServiceName) {
    let addr = fleet.fleet.grpc_addr(service).unwrap();
    let ready = fleet.http.get(format!("http://{addr}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "{service} is still ready");
}

/// Another organisation's contact id is a 404, and the asking
/// organisation's audit trail shows no read of it (booking audited a
/// `booking.list` of the foreign id).
#[tokio::test]
async fn another_organisations_contact_is_a_404_that_audits_no_read_of_it() {
    let fleet = TestFleet::start().await;
    let org_a = fleet.create_org("hostile-f", "wix-hostile-f").await;
    let staff_a = fleet.user_token(org_a, "staff@hostile-f.example", "staff").await;
    let org_b = fleet.create_org("hostile-g", "wix-hostile-g").await;
    let admin_b = fleet.user_token(org_b, "admin@hostile-g.example", "admin").await;
    let (status, created, _) = fleet
        .api_post(
            Some(&staff_a),
            "/api/contacts",
            &json!({"name": "Ann", "phone": "0412 000 301"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["contact"]["id"].as_str().unwrap().to_owned();

    let (status, body) = fleet.api_get(&admin_b, &format!("/api/contacts/{id}")).await;
    assert_eq!(status, 404, "{body}");
    fleet.settle().await;
    let (_, trail) = fleet
        .api_get(&admin_b, &format!("/api/admin/audit?target_id={id}"))
        .await;
    assert_eq!(trail["entries"], json!([]), "{trail}");
    fleet.teardown().await;
}

/// A Wix token with a good signature whose claims nest 10,000 deep is the
/// sender's malformed body (400), not a forgery (401).
#[tokio::test]
async fn a_signed_wix_token_with_unreadable_claims_is_malformed() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Ingest],
        ..Options::default()
    })
    .await;
    fleet.create_org("hostile-h", "wix-hostile-h").await;
    let exp = chrono::Utc::now().timestamp() + 300;
    let claims = format!(
        "{{\"exp\":{exp},\"data\":{}1{}}}",
        "{\"a\":".repeat(10_000),
        "}".repeat(10_000)
    );
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims));
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(WIX_PRIVATE_KEY.as_bytes()).unwrap();
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::RS256).unwrap();
    let (status, body) = fleet.post_wix_jwt(&format!("{message}.{signature}")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "malformed_body");
    fleet.teardown().await;
}

/// A transient failure is retried on the documented schedule: 1, 2 and 5
/// seconds after the first three deliveries (with JetStream's BackOff on
/// the consumer they came +32 s and +95 s late).
#[tokio::test]
async fn retries_follow_the_documented_schedule() {
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Ingest, ServiceName::Booking],
        ..Options::default()
    })
    .await;
    fleet.create_org("hostile-i", "wix-hostile-i").await;
    // A confirmation of a booking booking has never seen, naming no
    // customer: it can't be created yet, so intake retries.
    let now = chrono::Utc::now();
    let claims = attend_integration_tests::wix_action_claims(
        "wix-hostile-i",
        "confirmed",
        "evt-retry",
        "b-retry",
        "CONFIRMED",
        now + chrono::Duration::days(2),
        now,
    );
    let (status, body) = fleet
        .post_wix_jwt(&attend_integration_tests::wix_jwt(WIX_PRIVATE_KEY, &claims))
        .await;
    assert_eq!(status, 200, "{body}");

    let mut seen: Vec<(u64, Instant)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < 4 && Instant::now() < deadline {
        let delivered = fleet.consumer("booking-intake").await.delivered.consumer_sequence;
        if delivered > seen.last().map_or(0, |(n, _)| *n) {
            seen.push((delivered, Instant::now()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen.len(), 4, "four deliveries in 30 s: {seen:?}");
    for (i, expected) in [1.0, 2.0, 5.0].into_iter().enumerate() {
        let gap = seen[i + 1].1.duration_since(seen[i].1).as_secs_f64();
        assert!(
            gap > expected - 0.3 && gap < expected + 1.5,
            "redelivery {} came {gap:.2} s after the one before; the schedule says {expected} s",
            i + 1
        );
    }
    fleet.teardown().await;
}

/// A failure the database will repeat (a NUL in a name, sent around
/// ingest straight onto the stream) is dead-lettered on its first
/// delivery with the reason, and counted for alerts.
#[tokio::test]
async fn a_failure_the_database_will_repeat_is_dead_lettered_at_once() {
    attend_kit::metrics::install();
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Identity, ServiceName::Contact],
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("hostile-j", "wix-hostile-j").await;
    let lead = LeadReceived {
        provider: "form".to_owned(),
        event: "form_submit".to_owned(),
        name: "a\u{0}b".to_owned(),
        phone: "+61412000401".to_owned(),
        occurred_at: Some(timestamp(chrono::Utc::now())),
        ..LeadReceived::default()
    };
    let envelope = Draft::new(org, &lead).into_envelope();
    let bus = fleet.fleet.bus();
    bus.jetstream()
        .publish(bus.subject("ingest.lead_received"), envelope.encode_to_vec().into())
        .await
        .unwrap()
        .await
        .unwrap();
    let (deliveries, error): (i64, String) = fleet
        .until_some(Duration::from_secs(20), "the lead is dead-lettered", || async {
            sqlx::query_as("select deliveries, error from contact.dead_letters")
                .fetch_optional(&mut fleet.admin().await)
                .await
                .unwrap()
        })
        .await;
    assert_eq!(deliveries, 1, "no retries: {error}");
    assert!(error.contains("retrying won't change that"), "{error}");
    let addr = fleet.fleet.grpc_addr(ServiceName::Contact).unwrap();
    let metrics = fleet.http.get(format!("http://{addr}/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("attend_bus_dead_letters_total") && l.contains("contact-leads")),
        "{metrics}"
    );
    fleet.teardown().await;
}
