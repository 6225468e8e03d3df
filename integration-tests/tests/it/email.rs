//! Email through the public edges: an invitation goes to a fake SendGrid
//! rendered from its template, with our id to find it by; SendGrid's signed
//! event batch comes back through ingest and becomes the email's status,
//! touchpoints and an opt-out; a refused email fails at once while a
//! throttled one waits; staff record consent and the MailChimp sync sends
//! exactly the opted-in contacts to a fake MailChimp.

use std::time::Duration;

use attend_integration_tests::http::touchpoint_types;
use attend_integration_tests::{Options, TestFleet};
use attend_kit::grpc::{Caller, request};
use attend_kit::service::ServiceName;
use attend_proto::messaging::v1 as pb;
use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WAIT: Duration = Duration::from_secs(20);

/// A fake SendGrid Mail Send that takes every email.
async fn sendgrid() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/mail/send"))
        .and(header("authorization", "Bearer SG.test"))
        .respond_with(ResponseTemplate::new(202).insert_header("x-message-id", "sg-msg-1"))
        .mount(&server)
        .await;
    server
}

/// SendGrid's signing key pair for a fleet, and its public half as the
/// SendGrid settings page shows it.
fn signing_key() -> (EcdsaKeyPair, String) {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
    let shown = STANDARD.encode(pair.public_key().as_der().unwrap().as_ref());
    (pair, shown)
}

/// A fleet sending email through `sendgrid`, verifying SendGrid events with
/// `public_key`, with `extra` settings.
async fn fleet_with(sendgrid: &MockServer, public_key: &str, extra: Vec<(&'static str, String)>) -> TestFleet {
    let mut settings = vec![
        ("ATTEND_EMAIL_PROVIDER", "sendgrid".to_owned()),
        ("ATTEND_SENDGRID_BASE_URL", sendgrid.uri()),
        ("ATTEND_SENDGRID_API_KEY", "SG.test".to_owned()),
        ("ATTEND_SENDGRID_WEBHOOK_PUBLIC_KEY", public_key.to_owned()),
        (
            "ATTEND_EMAIL_FROM",
            "Harbour Physio <no-reply@harbour.example>".to_owned(),
        ),
    ];
    settings.extend(extra);
    TestFleet::start_with(Options {
        settings,
        ..Options::default()
    })
    .await
}

/// Posts `events` to ingest's SendGrid endpoint, signed with `pair` at
/// `timestamp` (now when `None`).
async fn post_events(fleet: &TestFleet, pair: &EcdsaKeyPair, events: &Value, timestamp: Option<i64>) -> (u16, Value) {
    let body = events.to_string().into_bytes();
    let timestamp = timestamp.unwrap_or_else(|| chrono::Utc::now().timestamp()).to_string();
    let mut signed = timestamp.as_bytes().to_vec();
    signed.extend_from_slice(&body);
    let signature = pair.sign(&aws_lc_rs::rand::SystemRandom::new(), &signed).unwrap();
    let headers = [
        (
            "X-Twilio-Email-Event-Webhook-Signature",
            STANDARD.encode(signature.as_ref()),
        ),
        ("X-Twilio-Email-Event-Webhook-Timestamp", timestamp),
    ];
    let (status, answer, _) = fleet
        .post_ingest("/webhooks/sendgrid/events", "application/json", body, &headers)
        .await;
    (status, answer)
}

fn messaging(fleet: &TestFleet) -> MessagingServiceClient<attend_kit::grpc::Traced> {
    MessagingServiceClient::new(fleet.fleet.peers().channel(ServiceName::Messaging))
}

/// The emails to `to`, as an operator sees them (bodies and all), newest
/// first.
async fn emails(fleet: &TestFleet, to: &str) -> Vec<pb::OutboundEmail> {
    messaging(fleet)
        .list_emails(request(
            pb::ListEmailsRequest {
                to: to.to_owned(),
                limit: 10,
            },
            &Caller::platform(),
        ))
        .await
        .unwrap()
        .into_inner()
        .emails
}

/// The first email to `to` once `check` holds for it.
async fn email_when(
    fleet: &TestFleet,
    to: &str,
    what: &str,
    check: impl Fn(&pb::OutboundEmail) -> bool,
) -> pb::OutboundEmail {
    fleet
        .until_some(WAIT, what, || async {
            emails(fleet, to).await.into_iter().next().filter(|e| check(e))
        })
        .await
}

/// An invitation is rendered from its template and posted to SendGrid
/// with our id; once SendGrid has it, its link is redacted from the queue.
#[tokio::test]
async fn an_invitation_reaches_sendgrid_rendered_from_its_template_with_our_id() {
    let server = sendgrid().await;
    let (_, public_key) = signing_key();
    let fleet = fleet_with(&server, &public_key, vec![]).await;
    let org = fleet.create_org("mail-a", "wix-mail-a").await;
    let admin = fleet.user_token(org, "admin@mail-a.example", "admin").await;

    let (status, invitation, _) = fleet
        .api_post(
            Some(&admin),
            "/api/admin/invitations",
            &json!({"email": "Newbie@mail-a.example", "role": "staff", "name": "Sam <Lee>"}),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    let sent = email_when(&fleet, "newbie@mail-a.example", "SendGrid takes it", |e| {
        e.status == "sent"
    })
    .await;
    assert_eq!(
        (sent.provider.as_str(), sent.provider_message_id.as_str()),
        ("sendgrid", "sg-msg-1")
    );
    assert_eq!(sent.template, "invitation");
    assert!(
        !sent.body_text.contains("token="),
        "redacted once sent: {}",
        sent.body_text
    );

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["personalizations"][0]["to"][0]["email"], "newbie@mail-a.example");
    assert_eq!(
        body["from"],
        json!({"email": "no-reply@harbour.example", "name": "Harbour Physio"})
    );
    assert_eq!(body["subject"], "You're invited to Clinic mail-a");
    assert_eq!(body["custom_args"], json!({"attend_id": sent.id, "org": "mail-a"}));
    let text = body["content"][0]["value"].as_str().unwrap();
    let html = body["content"][1]["value"].as_str().unwrap();
    assert_eq!(body["content"][0]["type"], "text/plain");
    assert_eq!(body["content"][1]["type"], "text/html");
    assert!(text.starts_with("Hello Sam <Lee>,"), "{text}");
    assert!(text.contains("as staff") && text.contains("within 7 days"), "{text}");
    assert!(text.contains("/accept-invitation?token=inv_"), "{text}");
    assert!(html.contains("Hello Sam &lt;Lee&gt;,"), "HTML is escaped: {html}");
    fleet.teardown().await;
}

/// A signed SendGrid batch becomes the email's status, the contact's
/// email_opened / email_clicked / email_bounced touchpoints, and an email
/// opt-out; a redelivered batch changes nothing; an event for an unknown
/// organisation is left out and recorded without costing the others.
#[tokio::test]
async fn sendgrid_events_become_the_emails_status_touchpoints_and_an_opt_out() {
    let server = sendgrid().await;
    let (pair, public_key) = signing_key();
    let fleet = fleet_with(&server, &public_key, vec![]).await;
    let org = fleet.create_org("mail-b", "wix-mail-b").await;
    let staff = fleet.user_token(org, "staff@mail-b.example", "staff").await;
    let sam = fleet
        .new_contact(&staff, "Sam Lee", "0411 000 111", "Sam@Mail-B.example")
        .await;

    // A practice email to Sam, queued as any service would.
    let queued = messaging(&fleet)
        .send_email(request(
            pb::SendEmailRequest {
                to: "sam@mail-b.example".to_owned(),
                subject: "Your appointment".to_owned(),
                body_text: "See you soon.".to_owned(),
                category: "note".to_owned(),
                ..Default::default()
            },
            &Caller::system(org),
        ))
        .await
        .unwrap()
        .into_inner();
    email_when(&fleet, "sam@mail-b.example", "the email is sent", |e| {
        e.status == "sent"
    })
    .await;

    let at = chrono::Utc::now().timestamp();
    let event = |kind: &str, id: &str, extra: Value| {
        let mut e = json!({
            "email": "sam@mail-b.example", "timestamp": at, "event": kind, "sg_event_id": id,
            "sg_message_id": "sg-msg-1.filter0001.16648.5515E0B88.0",
            "attend_id": queued.id, "org": "mail-b"
        });
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    };
    let batch = json!([
        event("processed", "ev-processed", json!({})),
        event("delivered", "ev-delivered", json!({"response": "250 OK"})),
        event("open", "ev-open", json!({"useragent": "Mozilla/5.0", "ip": "255.255.255.255"})),
        event("click", "ev-click", json!({"url": "https://harbour.example/book"})),
        {"email": "x@elsewhere.example", "timestamp": at, "event": "open", "sg_event_id": "not-ours"},
        event("open", "ev-stranger", json!({"org": "no-such-clinic"})),
    ]);
    let (status, answer) = post_events(&fleet, &pair, &batch, None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"], 4, "{answer}");
    assert_eq!(answer["duplicates"], 0, "{answer}");
    let left_out = answer["left_out"].as_array().unwrap();
    assert_eq!(left_out.len(), 2, "{answer}");
    assert_eq!(left_out[0]["code"], "not_handled");
    assert_eq!(left_out[1]["code"], "unknown_organisation");
    assert_eq!(left_out[1]["sg_event_id"], "ev-stranger");

    let (status, again) = post_events(&fleet, &pair, &batch, None).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["duplicates"], 4, "a redelivered batch is recognised: {again}");

    let delivered = email_when(&fleet, "sam@mail-b.example", "the email is delivered", |e| {
        e.status == "delivered"
    })
    .await;
    assert!(delivered.delivered_at.is_some());
    let detail = fleet
        .until_some(WAIT, "the open and the click reach the timeline", || async {
            let (_, detail) = fleet.api_get(&staff, &format!("/api/contacts/{sam}")).await;
            let types = touchpoint_types(&detail);
            (types.contains(&"email_opened".to_owned()) && types.contains(&"email_clicked".to_owned()))
                .then_some(detail)
        })
        .await;
    let click = detail["touchpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "email_clicked")
        .unwrap();
    assert_eq!(click["source"], "Email");
    assert_eq!(click["channel"], "SendGrid");
    assert_eq!(click["details"]["url"], "https://harbour.example/book");
    assert_eq!(click["details"]["email_id"], queued.id.as_str());

    // A late bounce, and the recipient marks it as spam.
    let later = json!([
        event(
            "bounce",
            "ev-bounce",
            json!({"reason": "550 5.1.1 mailbox unavailable", "type": "bounce", "status": "5.1.1"})
        ),
        event("spamreport", "ev-spam", json!({})),
    ]);
    let (status, answer) = post_events(&fleet, &pair, &later, None).await;
    assert_eq!((status, answer["accepted"].clone()), (200, json!(2)), "{answer}");
    let bounced = email_when(&fleet, "sam@mail-b.example", "the email is bounced", |e| {
        e.status == "bounced"
    })
    .await;
    assert_eq!(bounced.error, "550 5.1.1 mailbox unavailable");
    let consents = fleet
        .until_some(WAIT, "the spam report opts Sam out of email", || async {
            let (status, body) = fleet.api_get(&staff, &format!("/api/contacts/{sam}/consents")).await;
            (status == 200 && body["email"]["opted_in"] == false).then_some(body)
        })
        .await;
    assert_eq!(consents["email"]["how"], "provider");
    assert_eq!(consents["email"]["detail"], "sendgrid spamreport");
    assert_eq!(consents["email"]["address"], "sam@mail-b.example");
    assert_eq!(consents["sms"], Value::Null, "nothing recorded for SMS");
    fleet
        .until_some(WAIT, "the bounce reaches the timeline", || async {
            let (_, detail) = fleet.api_get(&staff, &format!("/api/contacts/{sam}")).await;
            touchpoint_types(&detail)
                .contains(&"email_bounced".to_owned())
                .then_some(())
        })
        .await;

    let rejections = fleet.rejections().await;
    assert!(
        rejections.iter().any(|(provider, code, reason)| provider == "sendgrid"
            && code == "unknown_organisation"
            && reason.contains("no-such-clinic")),
        "{rejections:?}"
    );
    assert_eq!(
        fleet.published("messaging.email_opened").await.len(),
        1,
        "once, for all the redelivery"
    );
    fleet.teardown().await;
}

/// Unsigned, forged, stale or malformed batches are refused as problems
/// and recorded; without a key, SendGrid is told to come back later.
#[tokio::test]
async fn sendgrid_batches_that_cannot_be_trusted_are_refused_and_recorded() {
    let server = sendgrid().await;
    let (pair, public_key) = signing_key();
    let fleet = fleet_with(&server, &public_key, vec![]).await;
    let batch = json!([{"email": "a@b.example", "event": "open", "sg_event_id": "e1", "attend_id": "x", "org": "y"}]);

    let (status, answer, _) = fleet
        .post_ingest(
            "/webhooks/sendgrid/events",
            "application/json",
            batch.to_string().into_bytes(),
            &[],
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (401, Some("missing_signature")),
        "{answer}"
    );
    let (other, _) = signing_key();
    let (status, answer) = post_events(&fleet, &other, &batch, None).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (401, Some("bad_signature")),
        "{answer}"
    );
    let stale = chrono::Utc::now().timestamp() - 600;
    let (status, answer) = post_events(&fleet, &pair, &batch, Some(stale)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("stale_timestamp")),
        "{answer}"
    );
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("X-Twilio-Email-Event-Webhook-Timestamp"),
        "{answer}"
    );
    let (status, answer) = post_events(&fleet, &pair, &json!({"event": "open"}), None).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("malformed_body")),
        "{answer}"
    );
    let codes: Vec<String> = fleet
        .rejections()
        .await
        .into_iter()
        .filter(|(provider, _, _)| provider == "sendgrid")
        .map(|(_, code, _)| code)
        .collect();
    assert_eq!(
        codes,
        [
            "missing_signature",
            "bad_signature",
            "stale_timestamp",
            "malformed_body"
        ]
    );
    fleet.teardown().await;

    let unconfigured = TestFleet::start_with(Options {
        services: vec![ServiceName::Ingest, ServiceName::Identity],
        ..Options::default()
    })
    .await;
    let (status, answer) = post_events(&unconfigured, &pair, &batch, None).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (503, Some("not_configured")),
        "{answer}"
    );
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("ATTEND_SENDGRID_WEBHOOK_PUBLIC_KEY"),
        "{answer}"
    );
    unconfigured.teardown().await;
}

/// SendGrid refusing an email (400) fails it at once with SendGrid's
/// reason; throttling (429) leaves it queued with the reason, for later.
#[tokio::test]
async fn a_refused_email_fails_at_once_and_a_throttled_one_waits() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/mail/send"))
        .and(body_string_contains("refused@mail-c.example"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": [
            {"message": "Does not contain a valid address.", "field": "personalizations.0.to.0.email", "help": null}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3/mail/send"))
        .and(body_string_contains("busy@mail-c.example"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let (_, public_key) = signing_key();
    let fleet = fleet_with(&server, &public_key, vec![]).await;
    let org = fleet.create_org("mail-c", "wix-mail-c").await;
    for to in ["refused@mail-c.example", "busy@mail-c.example"] {
        messaging(&fleet)
            .send_email(request(
                pb::SendEmailRequest {
                    to: to.to_owned(),
                    subject: "Hello".to_owned(),
                    body_text: "Hello.".to_owned(),
                    category: "note".to_owned(),
                    ..Default::default()
                },
                &Caller::system(org),
            ))
            .await
            .unwrap();
    }
    let refused = email_when(&fleet, "refused@mail-c.example", "the refusal fails it", |e| {
        e.status == "failed"
    })
    .await;
    assert!(
        refused
            .error
            .contains("personalizations.0.to.0.email: Does not contain a valid address."),
        "{}",
        refused.error
    );
    let busy = email_when(
        &fleet,
        "busy@mail-c.example",
        "the throttled attempt is recorded",
        |e| !e.error.is_empty(),
    )
    .await;
    assert_eq!(busy.status, "queued", "it waits: {}", busy.error);
    assert!(busy.error.contains("429"), "{}", busy.error);
    let calls = |to: &'static str| {
        let server = &server;
        async move {
            server
                .received_requests()
                .await
                .unwrap()
                .iter()
                .filter(|r| String::from_utf8_lossy(&r.body).contains(to))
                .count()
        }
    };
    assert_eq!(
        calls("refused@mail-c.example").await,
        1,
        "a permanent refusal is not retried"
    );
    assert_eq!(calls("busy@mail-c.example").await, 1, "SendGrid's hour is waited for");
    fleet.teardown().await;
}

/// Staff record email consent; the MailChimp sync upserts exactly the
/// contacts whose newest email consent is an opt-in, at their subscriber
/// hash, with their names, and reports MailChimp's refusals by address.
#[tokio::test]
async fn the_mailchimp_sync_upserts_exactly_the_contacts_who_opted_in() {
    let mailchimp = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/3\.0/lists/list123/members/[0-9a-f]{32}$"))
        .and(body_string_contains("fake@mail-d.example"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Invalid Resource",
            "status": 400, "detail": "fake@mail-d.example looks fake or invalid, please enter a real email address.",
            "instance": "i-1"
        })))
        .mount(&mailchimp)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/3\.0/lists/list123/members/[0-9a-f]{32}$"))
        // base64("anystring:0123456789abcdef-us21")
        .and(header(
            "authorization",
            "Basic YW55c3RyaW5nOjAxMjM0NTY3ODlhYmNkZWYtdXMyMQ==",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "subscribed"})))
        .mount(&mailchimp)
        .await;
    let server = sendgrid().await;
    let (_, public_key) = signing_key();
    let fleet = fleet_with(
        &server,
        &public_key,
        vec![
            ("ATTEND_MAILCHIMP_API_KEY", "0123456789abcdef-us21".to_owned()),
            ("ATTEND_MAILCHIMP_LIST_ID", "list123".to_owned()),
            ("ATTEND_MAILCHIMP_BASE_URL", mailchimp.uri()),
        ],
    )
    .await;
    let org = fleet.create_org("mail-d", "wix-mail-d").await;
    let admin = fleet.user_token(org, "admin@mail-d.example", "admin").await;
    let staff = fleet.user_token(org, "staff@mail-d.example", "staff").await;
    let ana = fleet
        .new_contact(&staff, "Ana Maria Silva", "0411 000 201", "Ana@Mail-D.example")
        .await;
    let ben = fleet
        .new_contact(&staff, "Ben Ong", "0411 000 202", "ben@mail-d.example")
        .await;
    let cat = fleet
        .new_contact(&staff, "Cat Wu", "0411 000 203", "cat@mail-d.example")
        .await;
    let fake = fleet
        .new_contact(&staff, "Fay Kay", "0411 000 204", "fake@mail-d.example")
        .await;
    let _never_asked = fleet
        .new_contact(&staff, "Dan Roe", "0411 000 205", "dan@mail-d.example")
        .await;

    let set = |id: &str, opted_in: bool, detail: &str| {
        let body = json!({"contact_id": id, "channel": "email", "opted_in": opted_in, "detail": detail});
        let fleet = &fleet;
        let staff = &staff;
        async move { fleet.api_post(Some(staff), "/api/consents", &body).await }
    };
    let (status, recorded, _) = set(&ana, true, "ticked the newsletter box").await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["consent"]["address"], "ana@mail-d.example");
    assert_eq!(recorded["consent"]["how"], "staff");
    assert!(
        recorded["consent"]["actor"].as_str().unwrap().starts_with("user_"),
        "{recorded}"
    );
    for (id, opted_in) in [(&ben, true), (&cat, true), (&cat, false), (&fake, true)] {
        let (status, answer, _) = set(id, opted_in, "asked at the front desk").await;
        assert_eq!(status, 201, "{answer}");
    }
    let (status, answer, _) = fleet
        .api_post(
            Some(&staff),
            "/api/consents",
            &json!({"contact_id": ana, "channel": "fax", "opted_in": true}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    let fields: Vec<&str> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["channel", "detail"], "{answer}");

    let (status, _, _) = fleet
        .api_post(Some(&staff), "/api/campaigns/mailchimp-sync", &json!({}))
        .await;
    assert_eq!(status, 403, "staff can't send the contact list to a third party");
    let (status, synced, _) = fleet
        .api_post(Some(&admin), "/api/campaigns/mailchimp-sync", &json!({}))
        .await;
    assert_eq!(status, 200, "{synced}");
    assert_eq!(synced["upserted"], 2, "{synced}");
    assert_eq!(synced["failed"], 1, "{synced}");
    assert_eq!(synced["failures"][0]["email"], "fake@mail-d.example");
    assert!(
        synced["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("Invalid Resource"),
        "{synced}"
    );

    let mut put: Vec<(String, Value)> = mailchimp
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| (r.url.path().to_owned(), serde_json::from_slice(&r.body).unwrap()))
        .collect();
    put.sort_by(|a, b| a.1["email_address"].as_str().cmp(&b.1["email_address"].as_str()));
    let addresses: Vec<&str> = put.iter().map(|(_, b)| b["email_address"].as_str().unwrap()).collect();
    assert_eq!(
        addresses,
        ["ana@mail-d.example", "ben@mail-d.example", "fake@mail-d.example"]
    );
    // md5("ana@mail-d.example")
    assert_eq!(put[0].0, "/3.0/lists/list123/members/0b194d8b1142eb2ace8392b0e765751d");
    assert_eq!(
        put[0].1,
        json!({"email_address": "ana@mail-d.example", "status_if_new": "subscribed",
               "merge_fields": {"FNAME": "Ana", "LNAME": "Maria Silva"}})
    );
    fleet.teardown().await;
}
