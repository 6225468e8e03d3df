//! Two-way SMS through the public edges: a send reaches the provider once
//! and its receipt settles it; STOP blocks and START restores; quiet hours
//! defer to the morning on a clock the test moves; a crash mid-send sends
//! once; templates check their placeholders and preview with their
//! segments; a reply is threaded, classified and counted unread.

use std::time::Duration;

use attend_integration_tests::http::touchpoint_types;
use attend_integration_tests::{Options, TestFleet};
use attend_kit::clock::ManualClock;
use attend_kit::service::ServiceName;
use chrono::{TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// A fake ClickSend that takes every message, after `delay`.
async fn clicksend(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/sms/send"))
        .respond_with(ResponseTemplate::new(200).set_delay(delay).set_body_json(json!({
            "http_code": 200, "response_code": "SUCCESS", "response_msg": "Messages queued for delivery.",
            "data": {"total_price": 0.07, "total_count": 1, "queued_count": 1, "messages": [{
                "direction": "out", "date": 1_436_871_253, "to": "+61411111111", "body": "x",
                "from": "+61480000000", "schedule": "", "message_id": "BF7AD270-0DE2-418B-B606-71D527D9C1AE",
                "message_parts": 1, "message_price": 0.07, "custom_string": "", "status": "SUCCESS"
            }]}
        })))
        .mount(&server)
        .await;
    server
}

/// Noon on a Tuesday in Sydney: outside quiet hours whenever the tests run.
fn noon() -> ManualClock {
    ManualClock::at(Utc.with_ymd_and_hms(2026, 3, 10, 1, 0, 0).unwrap())
}

/// A fleet whose SMS go to the fake ClickSend, on `clock`.
async fn with_clicksend(server: &MockServer, clock: ManualClock, extra: Vec<(&'static str, String)>) -> TestFleet {
    let mut settings = vec![
        ("ATTEND_SMS_PROVIDER", "clicksend".to_owned()),
        ("ATTEND_CLICKSEND_BASE_URL", server.uri()),
        ("ATTEND_CLICKSEND_USERNAME", "clinic".to_owned()),
        ("ATTEND_CLICKSEND_API_KEY", "not-a-real-key".to_owned()),
        ("ATTEND_SMS_FROM", "+61480000000".to_owned()),
        ("ATTEND_SMS_PER_SECOND", "50".to_owned()),
    ];
    settings.extend(extra);
    TestFleet::start_with(Options {
        settings,
        clock: Some(clock),
        ..Options::default()
    })
    .await
}

/// The contact's conversation once `check` holds for it.
async fn conversation_when(
    fleet: &TestFleet,
    token: &str,
    contact: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let path = format!("/api/sms/conversations/{contact}");
    fleet
        .until_some(Duration::from_secs(20), what, || async {
            let (status, body) = fleet.api_get(token, &path).await;
            (status == 200 && check(&body)).then_some(body)
        })
        .await
}

/// Spec 000's send: the provider is called once with our id; its receipt
/// marks the message delivered; sms_sent and sms_delivered reach the
/// contact's timeline.
#[tokio::test]
async fn a_send_reaches_the_provider_once_and_its_receipt_settles_it() {
    let server = clicksend(Duration::ZERO).await;
    let fleet = with_clicksend(&server, noon(), vec![]).await;
    let org = fleet.create_org("sms-a", "wix-sms-a").await;
    let token = fleet.user_token(org, "staff@sms-a.example", "staff").await;
    let sarah = fleet.new_contact(&token, "Sarah Johnson", "0411 111 111", "").await;

    let (status, sent, _) = fleet
        .api_post(
            Some(&token),
            "/api/sms/send",
            &json!({"contact_id": sarah, "message": "Hi Sarah! Just confirming your appointment tomorrow at 10am."}),
        )
        .await;
    assert_eq!(status, 202, "{sent}");
    assert_eq!(sent["status"], "queued");
    let id = sent["message_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sms_"), "{id}");

    let requests = fleet
        .until_some(Duration::from_secs(20), "ClickSend is called", || async {
            let got = server.received_requests().await.unwrap_or_default();
            (!got.is_empty()).then_some(got)
        })
        .await;
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let message = &body["messages"][0];
    assert_eq!(message["to"], "+61411111111");
    assert_eq!(message["from"], "+61480000000");
    assert_eq!(
        message["body"],
        "Hi Sarah! Just confirming your appointment tomorrow at 10am."
    );
    let ours = message["custom_string"].as_str().unwrap().to_owned();

    conversation_when(&fleet, &token, &sarah, "the message is sent", |c| {
        c["messages"][0]["status"] == "sent"
    })
    .await;
    let receipt = json!({
        "timestamp": 1_775_012_999, "message_id": "BF7AD270-0DE2-418B-B606-71D527D9C1AE",
        "status_code": 201, "status_text": "Success: Message received on handset.",
        "error_code": null, "error_text": null, "custom_string": ours, "message_type": "sms"
    });
    let url = format!(
        "/webhooks/clicksend/{}/receipts",
        fleet.intake_token("clicksend", "sms-a")
    );
    let (status, answer, _) = fleet
        .post_ingest(&url, JSON, receipt.to_string().into_bytes(), &[])
        .await;
    assert_eq!(status, 200, "{answer}");
    let settled = conversation_when(&fleet, &token, &sarah, "the receipt settles it", |c| {
        c["messages"][0]["status"] == "delivered"
    })
    .await;
    assert_eq!(settled["messages"][0]["id"], id.as_str());
    assert_eq!(settled["messages"][0]["provider"], "clicksend");
    fleet
        .until_some(Duration::from_secs(20), "the timeline shows it", || async {
            let (_, detail) = fleet.api_get(&token, &format!("/api/contacts/{sarah}")).await;
            let types = touchpoint_types(&detail);
            (types.contains(&"sms_sent".to_owned()) && types.contains(&"sms_delivered".to_owned())).then_some(())
        })
        .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "sent once");
    fleet.teardown().await;
}

/// STOP opts the number out (with one confirmation), the next send is
/// blocked and says why; START opts back in and sends go again.
#[tokio::test]
async fn stop_blocks_the_next_send_until_start() {
    let fleet = TestFleet::start_with(Options {
        clock: Some(noon()),
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("sms-b", "wix-sms-b").await;
    let token = fleet.user_token(org, "staff@sms-b.example", "staff").await;
    let alex = fleet.new_contact(&token, "Alex Wong", "0411 222 333", "").await;
    let inbound = format!(
        "/webhooks/clicksend/{}/inbound",
        fleet.intake_token("clicksend", "sms-b")
    );
    let text = |id: &str, body: &str| {
        format!("from=%2B61411222333&to=%2B61480000000&body={body}&message_id={id}&timestamp=1775012927")
    };

    let (status, _, _) = fleet
        .post_ingest(&inbound, FORM, text("IN-1", "Stop").into_bytes(), &[])
        .await;
    assert_eq!(status, 200);
    let send = || async {
        fleet
            .api_post(
                Some(&token),
                "/api/sms/send",
                &json!({"contact_id": alex, "message": "See you soon"}),
            )
            .await
    };
    let blocked = fleet
        .until_some(Duration::from_secs(20), "the opt-out blocks sends", || async {
            let (_, body, _) = send().await;
            (body["status"] == "blocked").then_some(body)
        })
        .await;
    let reason = blocked["message"]["status_reason"].as_str().unwrap();
    assert!(reason.contains("opted out") && reason.contains("STOP"), "{reason}");
    // The confirmation went, and the STOP itself is on the thread (two
    // consumers, in either order).
    conversation_when(&fleet, &token, &alex, "the confirmation went", |c| {
        let messages = c["messages"].as_array().unwrap();
        let confirmed = messages
            .iter()
            .any(|m| m["message_text"].as_str().unwrap_or_default().contains("unsubscribed") && m["status"] == "sent");
        confirmed && messages.iter().any(|m| m["classification"] == "stop")
    })
    .await;

    let (status, _, _) = fleet
        .post_ingest(&inbound, FORM, text("IN-2", "START").into_bytes(), &[])
        .await;
    assert_eq!(status, 200);
    fleet
        .until_some(Duration::from_secs(20), "sends go again", || async {
            let (_, body, _) = send().await;
            (body["status"] == "queued").then_some(())
        })
        .await;
    fleet.teardown().await;
}

/// A send at 21:30 in Sydney waits for 08:00 the next morning (local, on
/// the day daylight saving ends), and goes when the test's clock gets
/// there; the 2-hour reminder's template ignores quiet hours.
#[tokio::test]
async fn a_send_inside_quiet_hours_waits_for_the_morning() {
    // Sat 4 Apr 2026 21:30 AEDT (UTC+11); DST ends at 03:00 on Sun 5 Apr.
    let evening = Utc.with_ymd_and_hms(2026, 4, 4, 10, 30, 0).unwrap();
    let clock = ManualClock::at(evening);
    let fleet = TestFleet::start_with(Options {
        clock: Some(clock.clone()),
        settings: vec![("ATTEND_SMS_PER_SECOND", "50".to_owned())],
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("sms-c", "wix-sms-c").await;
    let token = fleet.user_token(org, "staff@sms-c.example", "staff").await;
    let mia = fleet.new_contact(&token, "Mia Chen", "0411 444 555", "").await;

    let (status, sent, _) = fleet
        .api_post(
            Some(&token),
            "/api/sms/send",
            &json!({"contact_id": mia, "message": "Your results are ready"}),
        )
        .await;
    assert_eq!(status, 202, "{sent}");
    // 08:00 AEST (UTC+10) on Sun 5 Apr.
    let morning = Utc.with_ymd_and_hms(2026, 4, 4, 22, 0, 0).unwrap();
    assert_eq!(sent["message"]["send_at"], morning.timestamp(), "{sent}");

    let (status, reminder, _) = fleet
        .api_post(
            Some(&token),
            "/api/sms/send",
            &json!({"contact_id": mia, "template_id": "reminder_2hr",
                    "values": {"time": "10:00 am", "address": "1 Main St"}}),
        )
        .await;
    assert_eq!(status, 202, "{reminder}");
    assert_eq!(
        reminder["message"]["send_at"],
        evening.timestamp(),
        "the 2-hour reminder doesn't wait"
    );

    let first = sent["message_id"].as_str().unwrap().to_owned();
    let status_of = |body: &Value, id: &str| {
        body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .map(|m| m["status"].as_str().unwrap().to_owned())
    };
    conversation_when(&fleet, &token, &mia, "the reminder goes", |c| {
        status_of(c, reminder["message_id"].as_str().unwrap()).as_deref() == Some("sent")
    })
    .await;
    let (_, waiting) = fleet.api_get(&token, &format!("/api/sms/conversations/{mia}")).await;
    assert_eq!(status_of(&waiting, &first).as_deref(), Some("queued"), "still night");

    clock.set(morning + chrono::Duration::minutes(1));
    conversation_when(&fleet, &token, &mia, "it goes in the morning", |c| {
        status_of(c, &first).as_deref() == Some("sent")
    })
    .await;
    fleet.teardown().await;
}

/// Killed while the provider holds the request, then restarted: the
/// provider got one request, the message is unconfirmed (never sent
/// again), and the receipt settles it.
#[tokio::test]
async fn a_crash_while_the_provider_answers_sends_once() {
    let server = clicksend(Duration::from_secs(3)).await;
    let clock = noon();
    let mut fleet = with_clicksend(&server, clock.clone(), vec![]).await;
    let org = fleet.create_org("sms-d", "wix-sms-d").await;
    let token = fleet.user_token(org, "staff@sms-d.example", "staff").await;
    let sam = fleet.new_contact(&token, "Sam Lee", "0411 666 777", "").await;
    let (status, sent, _) = fleet
        .api_post(
            Some(&token),
            "/api/sms/send",
            &json!({"contact_id": sam, "message": "Reminder: tomorrow 9am"}),
        )
        .await;
    assert_eq!(status, 202, "{sent}");
    fleet
        .until_some(Duration::from_secs(20), "ClickSend holds the request", || async {
            let got = server.received_requests().await.unwrap_or_default();
            (!got.is_empty()).then_some(())
        })
        .await;
    fleet.fleet.kill(ServiceName::Messaging).await.unwrap();
    fleet.fleet.restart(ServiceName::Messaging).await.unwrap();
    // Past ATTEND_SMS_UNCONFIRMED_AFTER (60 s): the answer is taken to be lost.
    clock.advance(chrono::Duration::seconds(61));

    let thread = conversation_when(&fleet, &token, &sam, "the message is unconfirmed", |c| {
        c["messages"][0]["status"] == "unconfirmed"
    })
    .await;
    assert!(
        thread["messages"][0]["status_reason"]
            .as_str()
            .unwrap()
            .contains("not sent again"),
        "{thread}"
    );
    // Unconfirmed is final for the sender: it only ever takes queued ones.
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "sent once");

    let ours = sent["message"]["id"].as_str().unwrap();
    let uuid = attend_kit::ids::TypedId::uuid(&ours.parse::<attend_kit::ids::SmsId>().unwrap());
    let receipt = json!({
        "timestamp": 1_775_012_999, "message_id": "BF7AD270-0DE2-418B-B606-71D527D9C1AE",
        "status_code": 201, "status_text": "Delivered", "custom_string": uuid.to_string()
    });
    let url = format!(
        "/webhooks/clicksend/{}/receipts",
        fleet.intake_token("clicksend", "sms-d")
    );
    let (status, _, _) = fleet
        .post_ingest(&url, JSON, receipt.to_string().into_bytes(), &[])
        .await;
    assert_eq!(status, 200);
    conversation_when(&fleet, &token, &sam, "the receipt settles it", |c| {
        c["messages"][0]["status"] == "delivered"
    })
    .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "and still once");
    fleet.teardown().await;
}

/// Spec 000's templates are there with their measures; an unknown
/// placeholder is refused by name; a preview fills a contact's values, or
/// samples; a send with a value missing is a 400 naming it.
#[tokio::test]
async fn templates_check_their_placeholders_and_preview_with_their_segments() {
    let fleet = TestFleet::start_with(Options {
        services: vec![
            ServiceName::Identity,
            ServiceName::Contact,
            ServiceName::Messaging,
            ServiceName::Gateway,
        ],
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("sms-e", "wix-sms-e").await;
    let admin = fleet.user_token(org, "admin@sms-e.example", "admin").await;
    let (status, listed) = fleet.api_get(&admin, "/api/sms/templates").await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<&str> = listed["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    for id in [
        "welcome_lead",
        "follow_up_no_response",
        "booking_confirmation",
        "reminder_48hr",
        "reminder_24hr",
        "reminder_2hr",
        "cancellation_rescue",
        "no_show_followup",
        "review_request",
        "referral_invite",
        "recall_reminder",
        "thank_you_attended",
        "care_urgent_update",
        "care_appointment_reminder",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let reminder = listed["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "reminder_48hr")
        .unwrap();
    assert_eq!(reminder["measure"]["encoding"], "gsm7");
    assert_eq!(reminder["measure"]["segments"], 1);

    let (status, problem) = fleet
        .api_send(
            Method::PUT,
            &admin,
            "/api/sms/templates/reminder_48hr",
            Some(&json!({"name": "48h", "category": "reminder", "content": "Hi {nmae}, see you {date}"})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "content");
    assert!(
        problem["errors"][0]["reason"].as_str().unwrap().contains("nmae"),
        "{problem}"
    );

    let jo = fleet.new_contact(&admin, "Jo Park", "0411 888 999", "").await;
    let (status, shown, _) = fleet
        .api_post(
            Some(&admin),
            "/api/sms/templates/no_show_followup/preview",
            &json!({"contact_id": jo, "values": {"booking_link": "https://book.example/x"}}),
        )
        .await;
    assert_eq!(status, 200, "{shown}");
    assert!(
        shown["body"].as_str().unwrap().starts_with("Hi Jo, we missed you"),
        "{shown}"
    );
    assert_eq!(shown["missing"], json!([]));
    let (_, sampled, _) = fleet
        .api_post(Some(&admin), "/api/sms/templates/recall_reminder/preview", &json!({}))
        .await;
    assert!(!sampled["body"].as_str().unwrap().contains('{'), "{sampled}");

    let (status, problem, _) = fleet
        .api_post(
            Some(&admin),
            "/api/sms/send",
            &json!({"contact_id": jo, "template_id": "reminder_24hr", "values": {"time": "10:00 am"}}),
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "values.date", "{problem}");
    fleet.teardown().await;
}

/// A reply is threaded on its contact's conversation, classified, counted
/// unread until read, and published for automation.
#[tokio::test]
async fn a_reply_is_threaded_classified_and_counted_unread() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("sms-f", "wix-sms-f").await;
    let token = fleet.user_token(org, "staff@sms-f.example", "staff").await;
    let kim = fleet.new_contact(&token, "Kim Ng", "0411 999 000", "").await;
    let inbound = format!(
        "/webhooks/clicksend/{}/inbound",
        fleet.intake_token("clicksend", "sms-f")
    );
    let (status, _, _) = fleet
        .post_ingest(
            &inbound,
            FORM,
            b"from=%2B61411999000&to=%2B61480000000&body=Yes+thanks%21&message_id=IN-Y".to_vec(),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let listed = fleet
        .until_some(Duration::from_secs(20), "the inbox shows it", || async {
            let (_, body) = fleet.api_get(&token, "/api/sms/conversations?unread=true").await;
            (body["conversations"].as_array()?.len() == 1).then_some(body)
        })
        .await;
    let c = &listed["conversations"][0];
    assert_eq!(c["contact_id"], kim.as_str());
    assert_eq!(c["contact_name"], "Kim Ng", "the inbox names its contacts: {c}");
    assert_eq!(c["unread"], 1);
    assert_eq!(c["last_message"]["classification"], "confirm");
    let facts = fleet
        .until_some(Duration::from_secs(10), "automation hears it", || async {
            let events = fleet.published("messaging.sms_received").await;
            (!events.is_empty()).then_some(events)
        })
        .await;
    assert_eq!(facts.len(), 1);

    // A read-only user sees the inbox but does not change what staff see.
    let readonly = fleet.user_token(org, "readonly@sms-f.example", "readonly").await;
    let (status, _) = fleet.api_get(&readonly, "/api/sms/conversations").await;
    assert_eq!(status, 200);
    let (status, refused, _) = fleet
        .api_post(
            Some(&readonly),
            &format!("/api/sms/conversations/{kim}/read"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");

    let (status, read, _) = fleet
        .api_post(Some(&token), &format!("/api/sms/conversations/{kim}/read"), &json!({}))
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["unread"], 0);
    let (_, unread) = fleet.api_get(&token, "/api/sms/conversations?unread=true").await;
    assert_eq!(unread["conversations"], json!([]));
    fleet.teardown().await;
}

/// An organisation's templates are seeded the first time its messaging is
/// used, and stay seeded: a first send refused after the seeding doesn't
/// take them away, and first sends at once all find them.
#[tokio::test]
async fn templates_are_seeded_once_whatever_the_first_use() {
    let fleet = TestFleet::start_with(Options {
        clock: Some(noon()),
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("sms-g", "wix-sms-g").await;
    let token = fleet.user_token(org, "staff@sms-g.example", "staff").await;
    let kim = fleet.new_contact(&token, "Kim Ng", "0411 999 111", "").await;

    let (status, refused, _) = fleet
        .api_post(
            Some(&token),
            "/api/sms/send",
            &json!({"contact_id": kim, "template_id": "no_such_template"}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "template_id", "{refused}");
    let (status, listed) = fleet.api_get(&token, "/api/sms/templates").await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["templates"].as_array().map(Vec::len), Some(14), "{listed}");

    let org = fleet.create_org("sms-h", "wix-sms-h").await;
    let token = fleet.user_token(org, "staff@sms-h.example", "staff").await;
    let ana = fleet.new_contact(&token, "Ana Silva", "0411 999 222", "").await;
    let body = json!({"contact_id": ana, "template_id": "thank_you_attended"});
    let answers = futures::future::join_all((0..8).map(|_| fleet.api_post(Some(&token), "/api/sms/send", &body))).await;
    for (status, answer, _) in answers {
        assert_eq!(status, 202, "{answer}");
    }
    fleet.teardown().await;
}

/// A receipt that settles a message while the provider is still answering
/// wins: the provider's late 503 doesn't put a delivered message back in
/// the queue, so nothing is sent twice.
#[tokio::test]
async fn a_receipt_during_a_slow_failure_keeps_the_message_delivered() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/sms/send"))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let clock = noon();
    let fleet = with_clicksend(&server, clock.clone(), vec![]).await;
    let org = fleet.create_org("sms-r", "wix-sms-r").await;
    let token = fleet.user_token(org, "staff@sms-r.example", "staff").await;
    let sam = fleet.new_contact(&token, "Sam Ray", "0411 222 999", "").await;
    let (status, sent, _) = fleet
        .api_post(
            Some(&token),
            "/api/sms/send",
            &json!({"contact_id": sam, "message": "See you at 9am"}),
        )
        .await;
    assert_eq!(status, 202, "{sent}");
    let requests = fleet
        .until_some(Duration::from_secs(20), "ClickSend holds the request", || async {
            let got = server.received_requests().await.unwrap_or_default();
            (!got.is_empty()).then_some(got)
        })
        .await;
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let receipt = json!({
        "timestamp": 1_775_012_999, "message_id": "BF7AD270-0DE2-418B-B606-71D527D9C1AF",
        "status_code": 201, "status_text": "Delivered", "custom_string": body["messages"][0]["custom_string"]
    });
    let url = format!(
        "/webhooks/clicksend/{}/receipts",
        fleet.intake_token("clicksend", "sms-r")
    );
    let (status, _, _) = fleet
        .post_ingest(&url, JSON, receipt.to_string().into_bytes(), &[])
        .await;
    assert_eq!(status, 200);
    conversation_when(&fleet, &token, &sam, "the receipt settles it", |c| {
        c["messages"][0]["status"] == "delivered"
    })
    .await;
    // The 503 arrives after the receipt; any retry would be due within minutes.
    tokio::time::sleep(Duration::from_secs(4)).await;
    clock.advance(chrono::Duration::minutes(30));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, thread) = fleet.api_get(&token, &format!("/api/sms/conversations/{sam}")).await;
    assert_eq!(thread["messages"][0]["status"], "delivered", "{thread}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "sent once");
    fleet.teardown().await;
}

/// The same send retried with its idempotency key answers the same
/// message, however its template values are ordered in memory; a marketing
/// template stays marketing whatever the request says; a value with a NUL
/// is refused by name.
#[tokio::test]
async fn a_retried_send_with_values_is_the_same_message() {
    let server = clicksend(Duration::ZERO).await;
    let fleet = with_clicksend(&server, noon(), vec![]).await;
    let org = fleet.create_org("sms-k", "wix-sms-k").await;
    let token = fleet.user_token(org, "staff@sms-k.example", "staff").await;
    let kim = fleet.new_contact(&token, "Kim Vo", "0411 333 999", "").await;
    let body = json!({
        "contact_id": kim, "template_id": "review_request", "purpose": "transactional",
        "values": {"name": "Kim", "review_link": "https://g.page/r/clinic", "clinic": "Clinic",
                   "a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}
    });
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, answer) = fleet
            .api_send(
                Method::POST,
                &token,
                "/api/sms/send",
                Some(&body),
                &[("idempotency-key", "review-kim-1")],
            )
            .await;
        assert_eq!(status, 202, "{answer}");
        ids.push(answer["message_id"].as_str().unwrap().to_owned());
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");

    let (_, thread) = fleet.api_get(&token, &format!("/api/sms/conversations/{kim}")).await;
    assert_eq!(thread["messages"].as_array().unwrap().len(), 1, "{thread}");
    assert_eq!(thread["messages"][0]["purpose"], "marketing", "{thread}");

    let nul = json!({"contact_id": kim, "template_id": "review_request",
                     "values": {"name": "Ki\u{0}m", "review_link": "https://g.page/r/clinic"}});
    let (status, problem, _) = fleet.api_post(Some(&token), "/api/sms/send", &nul).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "values.name", "{problem}");
    fleet.teardown().await;
}
