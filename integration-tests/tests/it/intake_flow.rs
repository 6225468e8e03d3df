//! Leads and texts from every provider, in their real wire formats, to the
//! contact and its timeline; and every way a delivery is refused.

use std::time::Duration;

use attend_ingest::signature::{TwilioToken, form_pairs};
use attend_integration_tests::http::event_touchpoints;
use attend_integration_tests::{Options, TWILIO_AUTH_TOKEN, TestFleet};
use serde_json::{Value, json};

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// Waits for the contact with this phone and its timeline to have `n`
/// touchpoints of the events' own (the rules' moves and texts aside);
/// returns the contact detail.
async fn contact_with(fleet: &TestFleet, token: &str, phone: &str, n: usize) -> Value {
    let path = format!("/api/contacts?phone={}", phone.replace('+', "%2B"));
    fleet
        .until_some(Duration::from_secs(20), "the contact and its touchpoints", || async {
            let (_, found) = fleet.api_get(token, &path).await;
            let id = found["contacts"][0]["id"].as_str()?.to_owned();
            let (_, detail) = fleet.api_get(token, &format!("/api/contacts/{id}")).await;
            (event_touchpoints(&detail).len() == n).then_some(detail)
        })
        .await
}

fn types(detail: &Value) -> Vec<String> {
    let mut types: Vec<String> = event_touchpoints(detail)
        .iter()
        .map(|t| t["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    types
}

fn touch<'a>(detail: &'a Value, kind: &str) -> &'a Value {
    detail["touchpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == kind)
        .unwrap_or_else(|| panic!("a {kind} touchpoint in {detail}"))
}

/// Seed 000's ManyChat body with the organisation's token becomes a
/// scored lead; a redelivery changes nothing; a wrong or missing token,
/// and a body that names nobody, are refused, recorded, and store nothing.
#[tokio::test]
async fn a_manychat_flow_becomes_a_scored_lead() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("chat-a", "wix-chat-a").await;
    let token = fleet.user_token(org, "staff@chat-a.example", "staff").await;
    let bearer = format!("Bearer {}", fleet.intake_token("manychat", "chat-a"));
    let body = json!({
        "event": "flow_completed",
        "subscriber": {"name": "John Smith", "phone": "+61411222333", "email": "john@example.com"},
        "flow_name": "High Risk Inquiry",
        "buttons_clicked": ["Book Now", "Learn More"],
        "intent": "procedure"
    });
    let bytes = body.to_string().into_bytes();
    let auth = [("authorization", bearer.clone())];
    let (status, first, _) = fleet
        .post_ingest("/webhooks/manychat", JSON, bytes.clone(), &auth)
        .await;
    assert_eq!(status, 200, "{first}");
    let (status, again, _) = fleet
        .post_ingest("/webhooks/manychat", JSON, bytes.clone(), &auth)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (again["duplicate"].clone(), again["eventId"].clone()),
        (json!(true), first["eventId"].clone())
    );

    let detail = contact_with(&fleet, &token, "+61411222333", 2).await;
    let contact = &detail["contact"];
    assert_eq!(contact["name"], "John Smith");
    assert_eq!(contact["source"], "ManyChat");
    assert_eq!(contact["intent"], "procedure");
    assert_eq!(
        contact["warmness_score"], 45,
        "procedure 30 + completed ManyChat flow 15"
    );
    assert_eq!(contact["warmness_label"], "WARM");
    assert_eq!(types(&detail), ["lead_created", "manychat_flow_complete"]);
    let flow = touch(&detail, "manychat_flow_complete");
    assert_eq!(flow["channel"], "High Risk Inquiry");
    assert_eq!(flow["details"]["buttons_clicked"], json!(["Book Now", "Learn More"]));

    let other_org = format!("Bearer {}", fleet.intake_token("manychat", "someone-else"));
    let wrong_provider = format!("Bearer {}", fleet.intake_token("clicksend", "chat-a"));
    for headers in [
        vec![("authorization", other_org)],
        vec![("authorization", wrong_provider)],
        vec![("authorization", "Bearer chat-a.guess".to_owned())],
        vec![],
    ] {
        let (status, problem, _) = fleet
            .post_ingest("/webhooks/manychat", JSON, bytes.clone(), &headers)
            .await;
        assert!(status == 401 || status == 404, "{status} {problem}");
    }
    let nobody = json!({"event": "flow_completed", "subscriber": {"name": "Ghost"}}).to_string();
    let (status, problem, _) = fleet
        .post_ingest("/webhooks/manychat", JSON, nobody.into_bytes(), &auth)
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "subscriber.phone");
    let bad_phone = json!({"event": "subscribed", "subscriber": {"phone": "12"}}).to_string();
    let (status, problem, _) = fleet
        .post_ingest("/webhooks/manychat", JSON, bad_phone.into_bytes(), &auth)
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "subscriber.phone");

    let rejections = fleet.rejections().await;
    let codes: Vec<&str> = rejections.iter().map(|(_, code, _)| code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "unknown_organisation",
            "bad_signature",
            "bad_signature",
            "missing_signature",
            "malformed_body",
            "malformed_body"
        ]
    );
    assert!(rejections[3].2.contains("Authorization"), "{:?}", rejections[3]);
    assert_eq!(fleet.count("select count(*) from ingest.event_log").await, 1);
    assert_eq!(fleet.count("select count(*) from contact.contacts").await, 1);
    fleet.teardown().await;
}

/// A landing page's form, tagged by a Meta ad, opens a lead with the
/// `ad_click` and `form_submit` touchpoints carrying campaign, source and
/// medium; the same person's form-encoded enquiry later adds to the same
/// contact. Bad input is named; an unknown organisation is 404; floods
/// from one address are limited.
#[tokio::test]
async fn forms_with_utm_tags_open_and_touch_leads() {
    let fleet = TestFleet::start_with(Options {
        settings: vec![("ATTEND_FORM_RATE_LIMIT", "5".to_owned())],
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("forms-a", "wix-forms-a").await;
    let token = fleet.user_token(org, "staff@forms-a.example", "staff").await;

    let submission = json!({
        "first_name": "Sarah", "last_name": "Johnson", "phone": "0400 111 222", "email": "Sarah@Example.com",
        "intent": "High risk", "form_name": "Skin check enquiry", "page_url": "https://clinic.example/skin",
        "utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "High Risk Awareness",
        "fbclid": "IwAR0abc"
    });
    let (status, answer, headers) = fleet
        .post_ingest(
            "/webhooks/forms/forms-a",
            JSON,
            submission.to_string().into_bytes(),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(headers["access-control-allow-origin"], "*");
    let detail = contact_with(&fleet, &token, "+61400111222", 3).await;
    let contact = &detail["contact"];
    assert_eq!(contact["name"], "Sarah Johnson");
    assert_eq!(contact["email"], "sarah@example.com");
    assert_eq!(contact["source"], "Meta Ads");
    assert_eq!(contact["intent"], "high_risk");
    assert_eq!(contact["warmness_score"], 35, "high risk 25 + Meta form 10");
    assert_eq!(types(&detail), ["ad_click", "form_submit", "lead_created"]);
    let click = touch(&detail, "ad_click");
    assert_eq!(click["source"], "Meta Ads");
    assert_eq!(click["channel"], "High Risk Awareness");
    assert_eq!(click["details"]["campaign"], "High Risk Awareness");
    assert_eq!(click["details"]["medium"], "paid_social");
    assert_eq!(click["details"]["click_id"], "IwAR0abc");

    // Later, a plain HTML form from Google: the same person, one more touch.
    let encoded = "name=Sarah+Johnson&phone=%2B61400111222&message=Can+I+come+Tuesday%3F&utm_source=google&utm_medium=cpc&utm_campaign=Skin+Checks";
    let (status, answer, _) = fleet
        .post_ingest("/webhooks/forms/forms-a", FORM, encoded.as_bytes().to_vec(), &[])
        .await;
    assert_eq!(status, 200, "{answer}");
    let detail = contact_with(&fleet, &token, "+61400111222", 5).await;
    assert_eq!(detail["contact"]["source"], "Meta Ads", "the first touch stays");
    let clicks: Vec<&Value> = detail["touchpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "ad_click")
        .collect();
    assert_eq!(clicks[0]["source"], "Google Ads", "newest first");
    assert_eq!(fleet.count("select count(*) from contact.contacts").await, 1);

    let (status, problem, _) = fleet
        .post_ingest("/webhooks/forms/forms-a", FORM, b"name=Anon&phone=12".to_vec(), &[])
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "phone");
    let (status, _, _) = fleet
        .post_ingest("/webhooks/forms/nobody", FORM, b"name=A&phone=0400111333".to_vec(), &[])
        .await;
    assert_eq!(status, 404);
    let (status, problem, _) = fleet
        .post_ingest("/webhooks/forms/forms-a", JSON, b"{not json".to_vec(), &[])
        .await;
    assert_eq!(status, 400);
    assert_eq!(problem["errors"][0]["field"], "body");

    // Five a minute per address: the sixth waits.
    let (status, problem, headers) = fleet
        .post_ingest(
            "/webhooks/forms/forms-a",
            FORM,
            b"name=A&phone=0400111444".to_vec(),
            &[],
        )
        .await;
    assert_eq!(status, 429, "{problem}");
    assert!(headers.contains_key("retry-after"));
    fleet.teardown().await;
}

/// ClickSend's inbound rule (form post, JSON or GET) and receipt callbacks,
/// authenticated by the token in the URL: a reply lands on its contact, a
/// stranger's text opens a lead, a receipt is logged once.
#[tokio::test]
async fn clicksend_texts_and_receipts() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("texts-a", "wix-texts-a").await;
    let token = fleet.user_token(org, "staff@texts-a.example", "staff").await;
    let (status, created, _) = fleet
        .api_post(
            Some(&token),
            "/api/contacts",
            &json!({"name": "Alex Wong", "phone": "0411 333 444", "source": "Walk-in"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let url = format!("/webhooks/clicksend/{}", fleet.intake_token("clicksend", "texts-a"));

    let reply = "from=%2B61411333444&to=%2B61477485926&body=Yes+I+confirm&message=Yes+I+confirm&timestamp=1775012927&message_id=1F12D781-99C1-6D94-96FE-F5A311C8997D&original_message_id=1F12D717-947A-6FBC-BBFE-D14C2927CEEF&custom_string=&user_id=304497&subaccount_id=745158";
    for _ in 0..2 {
        let (status, answer, _) = fleet
            .post_ingest(&format!("{url}/inbound"), FORM, reply.as_bytes().to_vec(), &[])
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    let detail = contact_with(&fleet, &token, "+61411333444", 2).await;
    let text = touch(&detail, "sms_received");
    assert_eq!(text["details"]["body"], "Yes I confirm");
    assert_eq!(text["channel"], "ClickSend");
    assert_eq!(text["timestamp"], 1_775_012_927);

    // A number nobody has, in ClickSend's JSON mode: a new lead.
    let stranger = json!({
        "originalsenderid": "+61477485926", "body": "How much is a skin check?", "message": "How much is a skin check?",
        "sms": "+61429912603", "from": "+61429912603", "to": "+61477485926", "timestamp": 1_775_012_999,
        "message_id": "1F12D781-0000-6D94-96FE-F5A311C8997D", "original_message_id": "", "original_body": "",
        "user_id": 304_497, "subaccount_id": 745_158, "custom_string": ""
    });
    let (status, _, _) = fleet
        .post_ingest(&format!("{url}/inbound"), JSON, stranger.to_string().into_bytes(), &[])
        .await;
    assert_eq!(status, 200);
    let lead = contact_with(&fleet, &token, "+61429912603", 2).await;
    assert_eq!(lead["contact"]["source"], "SMS");
    assert_eq!(lead["contact"]["name"], "+61429912603");
    assert_eq!(types(&lead), ["lead_created", "sms_received"]);

    // Receipts: accepted once, published for messaging.
    let receipt = json!({
        "timestamp_send": 1_442_381_791, "timestamp": 1_442_381_791,
        "message_id": "31BC271B-1E0C-45F6-9E7E-97186C46BB82", "status_code": 201,
        "status_text": "Success: Message received on handset.", "error_code": null, "error_text": null,
        "custom_string": null, "subaccount_id": null, "message_type": "sms", "digits": null
    });
    for expected in [false, true] {
        let (status, answer, _) = fleet
            .post_ingest(&format!("{url}/receipts"), JSON, receipt.to_string().into_bytes(), &[])
            .await;
        assert_eq!(
            (status, answer["duplicate"].as_bool()),
            (200, Some(expected)),
            "{answer}"
        );
    }
    let reports = fleet
        .until_some(Duration::from_secs(10), "the receipt is published", || async {
            let events = fleet.published("ingest.sms_status").await;
            (!events.is_empty()).then_some(events)
        })
        .await;
    assert_eq!(reports.len(), 1);

    // GET style, and a forged token.
    let query = "from=%2B61411333444&body=Running+late&message_id=GET-1";
    let response = fleet
        .http
        .get(format!("{}{url}/inbound?{query}", fleet.ingest()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    contact_with(&fleet, &token, "+61411333444", 3).await;
    let forged = format!("/webhooks/clicksend/texts-a.{}/inbound", "A".repeat(32));
    let (status, _, _) = fleet.post_ingest(&forged, FORM, reply.as_bytes().to_vec(), &[]).await;
    assert_eq!(status, 401);
    let (status, problem, _) = fleet
        .post_ingest(
            &format!("{url}/receipts"),
            JSON,
            br#"{"message_id": "X"}"#.to_vec(),
            &[],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(problem["errors"][0]["field"], "status_code");
    fleet.teardown().await;
}

/// Twilio's inbound message and status callback, signed as Twilio signs
/// them for the public URL a proxy forwards from: accepted with empty
/// TwiML; a status report is published for messaging; a bad signature is
/// 401 and recorded with the URL it was checked against.
#[tokio::test]
async fn twilio_messages_signed_for_the_public_url() {
    let fleet = TestFleet::start_with(Options {
        settings: vec![("ATTEND_PUBLIC_BASE_URL", "https://hooks.clinic.example".to_owned())],
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("twilio-a", "wix-twilio-a").await;
    let token = fleet.user_token(org, "staff@twilio-a.example", "staff").await;
    let signer = TwilioToken::parse(TWILIO_AUTH_TOKEN).unwrap();
    let post = |path: &'static str, body: &'static str, signature: Option<String>| {
        let signature = signature.unwrap_or_else(|| {
            signer.sign(
                &format!("https://hooks.clinic.example{path}"),
                &form_pairs(body.as_bytes()),
            )
        });
        let fleet = &fleet;
        async move {
            fleet
                .post_ingest(
                    path,
                    FORM,
                    body.as_bytes().to_vec(),
                    &[("x-twilio-signature", signature)],
                )
                .await
        }
    };

    let inbound = "ToCountry=AU&SmsMessageSid=SMe287d7109a5a925f182f0e07fe5b223b&NumMedia=0&ToCity=&SmsSid=SMe287d7109a5a925f182f0e07fe5b223b&SmsStatus=received&Body=Can+I+book+for+Friday%3F&To=%2B61480000000&NumSegments=1&MessageSid=SMe287d7109a5a925f182f0e07fe5b223b&AccountSid=AC00000000000000000000000000000000&From=%2B61412555777&ApiVersion=2010-04-01";
    let (status, answer, headers) = post("/webhooks/twilio/twilio-a/inbound", inbound, None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(headers["content-type"], "text/xml");
    assert!(answer.as_str().unwrap().contains("<Response>"));
    let detail = contact_with(&fleet, &token, "+61412555777", 2).await;
    assert_eq!(
        touch(&detail, "sms_received")["details"]["body"],
        "Can I book for Friday?"
    );

    let status_body = "AccountSid=AC00000000000000000000000000000000&From=%2B61480000000&MessageSid=SM1342fe1b2c904d1ab04f0fc7a58abca9&MessageStatus=delivered&SmsSid=SM1342fe1b2c904d1ab04f0fc7a58abca9&SmsStatus=delivered&To=%2B61412555777";
    let (status, answer, _) = post("/webhooks/twilio/twilio-a/status", status_body, None).await;
    assert_eq!(status, 200, "{answer}");
    // Published for messaging, which settles its own messages with it (this
    // one it never sent: tests/it/sms.rs has the messages it did).
    let reports = fleet
        .until_some(Duration::from_secs(10), "the status is published", || async {
            let events = fleet.published("ingest.sms_status").await;
            (!events.is_empty()).then_some(events)
        })
        .await;
    assert_eq!(reports.len(), 1);

    let (status, problem, _) = post(
        "/webhooks/twilio/twilio-a/inbound",
        inbound,
        Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=".to_owned()),
    )
    .await;
    assert_eq!(status, 401, "{problem}");
    let (_, code, reason) = fleet.rejections().await.pop().unwrap();
    assert_eq!(code, "bad_signature");
    assert!(
        reason.contains("https://hooks.clinic.example/webhooks/twilio/twilio-a/inbound"),
        "{reason}"
    );
    let (status, _, _) = fleet
        .post_ingest(
            "/webhooks/twilio/twilio-a/inbound",
            FORM,
            inbound.as_bytes().to_vec(),
            &[],
        )
        .await;
    assert_eq!(status, 401, "unsigned");
    fleet.teardown().await;
}
