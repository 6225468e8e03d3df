//! A contact's place in the pipelines and its warmness, as the automation
//! contract has them: the pipelines listed, moves along allowed
//! transitions only (each on the timeline and announced), warmness
//! adjustments in the score and its breakdown, and touchpoints logged
//! through contact's API.
//!
//! These fleets run without automation, so that no rule moves or texts the
//! contacts while a test looks at them.

use std::time::Duration;

use attend_integration_tests::{Options, TestFleet};
use attend_kit::grpc::{Caller, request, with_idempotency_key};
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_kit::service::ServiceName;
use attend_proto::contact::v1 as contact;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use prost::Message;
use reqwest::Method;
use serde_json::{Value, json};

/// Every service but automation.
pub fn without_automation() -> Options {
    Options {
        services: ServiceName::ALL
            .into_iter()
            .filter(|s| *s != ServiceName::Automation)
            .collect(),
        ..Options::default()
    }
}

/// A clinic without automation: the fleet, the organisation and a staff token.
pub async fn clinic(slug: &str) -> (TestFleet, OrgId, String) {
    let fleet = TestFleet::start_with(without_automation()).await;
    let org = fleet.create_org(slug, &format!("wix-{slug}")).await;
    let token = fleet.user_token(org, &format!("staff@{slug}.example"), "staff").await;
    (fleet, org, token)
}

/// Sends a JSON body to the gateway, with an `Idempotency-Key` when given.
pub async fn send(
    fleet: &TestFleet,
    method: Method,
    token: &str,
    path: &str,
    body: Value,
    key: Option<&str>,
) -> (u16, Value) {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    fleet.api_send(method, token, path, Some(&body), &headers).await
}

async fn post(fleet: &TestFleet, token: &str, path: &str, body: Value, key: Option<&str>) -> (u16, Value) {
    send(fleet, Method::POST, token, path, body, key).await
}

/// The contact's timeline (newest first), through the API.
async fn timeline(fleet: &TestFleet, token: &str, id: &str) -> Vec<Value> {
    let (status, body) = fleet.api_get(token, &format!("/api/contacts/{id}/touchpoints")).await;
    assert_eq!(status, 200, "{body}");
    body["touchpoints"].as_array().unwrap().clone()
}

fn of_type<'a>(touchpoints: &'a [Value], kind: &str) -> Vec<&'a Value> {
    touchpoints.iter().filter(|t| t["type"] == kind).collect()
}

/// The fields a problem names.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| e.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// Every event of a type published so far, decoded.
pub async fn published<E: Message + Default>(fleet: &TestFleet, event_type: &str) -> Vec<E> {
    fleet
        .published(event_type)
        .await
        .iter()
        .map(|e| E::decode(e.payload.as_slice()).unwrap())
        .collect()
}

/// The pipelines are listed in board order with each stage's name, where
/// it may move and where each pipeline may be entered; read-only users may
/// read them.
#[tokio::test]
async fn the_pipelines_are_listed_with_their_stages_moves_and_entries() {
    let (fleet, org, _) = clinic("pipes-a").await;
    let readonly = fleet.user_token(org, "viewer@pipes-a.example", "readonly").await;
    let (status, body) = fleet.api_get(&readonly, "/api/pipelines").await;
    assert_eq!(status, 200, "{body}");
    let pipelines = body["pipelines"].as_array().unwrap();
    let ids: Vec<&str> = pipelines.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "lead_to_booking",
            "pre_appointment",
            "post_appointment",
            "partnership",
            "consultation"
        ]
    );
    let consultation: Vec<&str> = pipelines[4]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        consultation,
        ["inquiry", "contacted", "interested", "proposed", "client", "lost"]
    );
    let leads = &pipelines[0];
    assert_eq!(leads["name"], "Lead to Booking");
    assert_eq!(leads["entry_stages"], json!(["new_lead"]));
    assert_eq!(leads["stages"][0]["id"], "new_lead");
    assert_eq!(leads["stages"][0]["name"], "New lead");
    assert!(
        leads["stages"][0]["next"]
            .as_array()
            .unwrap()
            .contains(&json!("contacted"))
    );
    assert_eq!(pipelines[1]["entry_stages"], json!(["booking_confirmed"]));
    fleet.teardown().await;
}

/// A move along an allowed transition changes the stage once however
/// often the request is retried, leaves one `stage_changed` touchpoint
/// naming both stages, the cause and who moved it, and one
/// `contact.stage_changed`; moving to the stage the contact is in changes
/// nothing. Staff editing the stage leave the same trace, with cause
/// "edited".
#[tokio::test]
async fn a_contact_moves_along_an_allowed_transition_once_and_leaves_its_trace() {
    let (fleet, _, token) = clinic("pipes-b").await;
    let id = fleet.new_contact(&token, "Ava Harley", "0412 000 301", "").await;
    let stage = format!("/api/contacts/{id}/stage");
    for _ in 0..3 {
        let (status, moved) = post(
            &fleet,
            &token,
            &stage,
            json!({"stage": "contacted", "cause": "called her"}),
            Some("move-1"),
        )
        .await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["contact"]["current_pipeline"], "lead_to_booking");
        assert_eq!(moved["contact"]["current_stage"], "contacted");
    }
    let (status, stayed) = post(&fleet, &token, &stage, json!({"stage": "contacted"}), None).await;
    assert_eq!(status, 200, "{stayed}");

    let touchpoints = timeline(&fleet, &token, &id).await;
    let moves = of_type(&touchpoints, "stage_changed");
    assert_eq!(moves.len(), 1, "one move, one touchpoint: {touchpoints:?}");
    let details = &moves[0]["details"];
    assert_eq!(details["from_stage"], "new_lead");
    assert_eq!(details["to_pipeline"], "lead_to_booking");
    assert_eq!(details["to_stage"], "contacted");
    assert_eq!(details["cause"], "called her");
    assert!(details["actor"].as_str().unwrap().starts_with("user_"), "{details}");
    assert_eq!(moves[0]["source"], "Manual");

    // Staff put the contact straight into booked: an edit, not a move.
    let (status, edited) = fleet
        .api_send(
            Method::PATCH,
            &token,
            &format!("/api/contacts/{id}"),
            Some(&json!({"current_stage": "booked"})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let announced: Vec<contact::ContactStageChanged> = fleet
        .until_some(Duration::from_secs(10), "both changes are announced", || async {
            let events: Vec<contact::ContactStageChanged> = published(&fleet, "contact.stage_changed").await;
            (events.len() == 2).then_some(events)
        })
        .await;
    assert_eq!(
        (announced[0].from_stage.as_str(), announced[0].to_stage.as_str()),
        ("new_lead", "contacted")
    );
    assert_eq!(announced[0].cause, "called her");
    assert_eq!(
        (announced[1].from_stage.as_str(), announced[1].to_stage.as_str()),
        ("contacted", "booked")
    );
    assert_eq!(announced[1].cause, "edited");
    assert_eq!(announced[1].contact.as_ref().unwrap().current_stage, "booked");
    assert_eq!(of_type(&timeline(&fleet, &token, &id).await, "stage_changed").len(), 2);
    fleet.teardown().await;
}

/// A move off the table is a 409 naming both stages and leaves the
/// contact where it was; an unknown pipeline or stage is a 400 naming the
/// field and what it may be; a stage the contact's own pipeline lacks is
/// a 409; entering another pipeline at its entry stage is allowed;
/// read-only users move nobody.
#[tokio::test]
async fn a_move_the_pipelines_dont_allow_is_refused_by_name() {
    let (fleet, org, token) = clinic("pipes-c").await;
    let id = fleet.new_contact(&token, "Ben Ortiz", "0412 000 302", "").await;
    let stage = format!("/api/contacts/{id}/stage");

    let (status, problem) = post(&fleet, &token, &stage, json!({"stage": "booked"}), None).await;
    assert_eq!(status, 409, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("lead_to_booking/new_lead") && detail.contains("lead_to_booking/booked"),
        "{detail}"
    );

    let (status, problem) = post(
        &fleet,
        &token,
        &stage,
        json!({"pipeline": "sales", "stage": "won"}),
        None,
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["pipeline"]);
    assert!(
        problem["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("post_appointment")
    );
    let (status, problem) = post(
        &fleet,
        &token,
        &stage,
        json!({"pipeline": "lead_to_booking", "stage": "won"}),
        None,
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["stage"]);
    assert!(
        problem["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("new_lead, contacted")
    );
    let (status, problem) = post(&fleet, &token, &stage, json!({"stage": "recall_due"}), None).await;
    assert_eq!(status, 409, "recall_due is not a stage of lead_to_booking: {problem}");

    let (_, found) = fleet.api_get(&token, "/api/contacts?phone=%2B61412000302").await;
    assert_eq!(
        found["contacts"][0]["current_stage"], "new_lead",
        "refusals move nobody"
    );
    assert!(of_type(&timeline(&fleet, &token, &id).await, "stage_changed").is_empty());

    let readonly = fleet.user_token(org, "viewer@pipes-c.example", "readonly").await;
    let (status, _) = post(&fleet, &readonly, &stage, json!({"stage": "contacted"}), None).await;
    assert_eq!(status, 403);

    let (status, moved) = post(
        &fleet,
        &token,
        &stage,
        json!({"pipeline": "pre_appointment", "stage": "booking_confirmed", "cause": "booked by phone"}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["contact"]["current_pipeline"], "pre_appointment");
    let (status, problem) = post(
        &fleet,
        &token,
        &stage,
        json!({"pipeline": "post_appointment", "stage": "recall_due"}),
        None,
    )
    .await;
    assert_eq!(status, 409, "recall_due is no entry stage: {problem}");

    // Spec 001's consultation funnel: entered at inquiry, one step at a time.
    let (status, moved) = post(
        &fleet,
        &token,
        &stage,
        json!({"pipeline": "consultation", "stage": "inquiry"}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["contact"]["current_stage"], "inquiry");
    let (status, problem) = post(&fleet, &token, &stage, json!({"stage": "client"}), None).await;
    assert_eq!(status, 409, "no skipping to client: {problem}");
    let (status, moved) = post(&fleet, &token, &stage, json!({"stage": "contacted"}), None).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["contact"]["current_pipeline"], "consultation");
    fleet.teardown().await;
}

/// An adjustment adds its delta to the formula's score, within 0..100, and
/// the breakdown lists each one with its reason; each is announced with
/// the score before it. A bad delta or reason is named.
#[tokio::test]
async fn a_warmness_adjustment_moves_the_score_and_is_listed_in_the_breakdown() {
    let (fleet, _, token) = clinic("pipes-d").await;
    let (status, created) = post(
        &fleet,
        &token,
        "/api/contacts",
        json!({"name": "Cleo Park", "phone": "0412 000 303", "source": "Walk-in", "intent": "routine_check"}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["contact"]["warmness_score"], 10);
    let id = created["contact"]["id"].as_str().unwrap();
    let warmness = format!("/api/contacts/{id}/warmness");

    for _ in 0..2 {
        let (status, adjusted) = post(
            &fleet,
            &token,
            &warmness,
            json!({"delta": 10, "reason": "Confirmed appointment"}),
            Some("warm-1"),
        )
        .await;
        assert_eq!(status, 200, "{adjusted}");
        assert_eq!(
            adjusted["contact"]["warmness_score"], 20,
            "once, however often it is retried"
        );
    }
    let (status, adjusted) = post(
        &fleet,
        &token,
        &warmness,
        json!({"delta": -100, "reason": "Asked not to be contacted"}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{adjusted}");
    let contact = &adjusted["contact"];
    assert_eq!(contact["warmness_score"], 0, "clamped at 0");
    assert_eq!(contact["warmness_label"], "COOL");
    let breakdown = &contact["warmness_breakdown"];
    assert_eq!(breakdown["intent_points"], 10);
    assert_eq!(breakdown["adjustment_points"], -90);
    assert_eq!(breakdown["total"], -80);
    assert_eq!(breakdown["adjustments"][0]["delta"], 10);
    assert_eq!(breakdown["adjustments"][0]["reason"], "Confirmed appointment");
    assert!(
        breakdown["adjustments"][0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("user_")
    );
    assert_eq!(breakdown["adjustments"][1]["delta"], -100);

    let updates = fleet
        .until_some(Duration::from_secs(10), "the adjustments are announced", || async {
            let events: Vec<contact::ContactUpdated> = published(&fleet, "contact.updated").await;
            let mine: Vec<_> = events
                .into_iter()
                .filter(|e| e.changed.contains(&"warmness_breakdown".to_owned()))
                .collect();
            (mine.len() == 2).then_some(mine)
        })
        .await;
    assert_eq!(
        updates
            .iter()
            .map(|u| (u.previous_warmness_score, u.contact.as_ref().unwrap().warmness_score))
            .collect::<Vec<_>>(),
        [(10, 20), (20, 0)]
    );

    let (status, problem) = post(&fleet, &token, &warmness, json!({"delta": 0, "reason": " "}), None).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["delta", "reason"]);
    let (status, problem) = post(
        &fleet,
        &token,
        &warmness,
        json!({"delta": 101, "reason": "Very keen"}),
        None,
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["delta"]);
    fleet.teardown().await;
}

/// A touchpoint a rule logs through contact's API is on the timeline with
/// its details and its booking; one the score reads moves the score; an
/// unknown type, details that aren't an object or hold a NUL are refused
/// naming the field; a retried call logs once.
#[tokio::test]
async fn a_logged_touchpoint_is_on_the_timeline_and_a_scored_one_moves_the_score() {
    let (fleet, org, token) = clinic("pipes-e").await;
    let id = fleet.new_contact(&token, "Dan Fox", "0412 000 304", "").await;
    let uuid = ContactId::parse_public(&id).unwrap().uuid().to_string();
    let contacts = ContactServiceClient::new(fleet.fleet.peers().channel(ServiceName::Contact));
    let log = |kind: &str, details: &str, key: &str| {
        let call = request(
            contact::LogTouchpointRequest {
                contact_id: uuid.clone(),
                r#type: kind.to_owned(),
                source: "Automation".to_owned(),
                channel: "rule_on_confirmation_reply".to_owned(),
                details_json: details.to_owned(),
                ..Default::default()
            },
            &Caller::system(org),
        );
        let mut contacts = contacts.clone();
        let call = with_idempotency_key(call, key).unwrap();
        async move { contacts.log_touchpoint(call).await }
    };

    for _ in 0..2 {
        let logged = log(
            "booking_confirmed_reply",
            r#"{"rule": "rule_on_confirmation_reply"}"#,
            "log-1",
        )
        .await
        .unwrap()
        .into_inner();
        assert_eq!(logged.r#type, "booking_confirmed_reply");
        assert_eq!(logged.contact_id, uuid);
    }
    let touchpoints = timeline(&fleet, &token, &id).await;
    let replies = of_type(&touchpoints, "booking_confirmed_reply");
    assert_eq!(replies.len(), 1, "retried, logged once: {touchpoints:?}");
    assert_eq!(replies[0]["source"], "Automation");
    assert_eq!(replies[0]["channel"], "rule_on_confirmation_reply");
    assert_eq!(replies[0]["details"]["rule"], "rule_on_confirmation_reply");

    log("booking_link_click", "", "log-2").await.unwrap();
    let (_, found) = fleet.api_get(&token, "/api/contacts?phone=%2B61412000304").await;
    assert_eq!(
        found["contacts"][0]["warmness_score"], 15,
        "a booking link click is worth 15"
    );

    for (kind, details, field) in [
        ("fax_sent", "", "type"),
        ("stage_changed", "", "type"),
        ("call_attempted", "[1, 2]", "details_json"),
        ("call_attempted", r#"{"note": "a\u0000b"}"#, "details_json"),
    ] {
        let refused = log(kind, details, &format!("bad-{kind}-{}", details.len()))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{kind} {details}");
        assert!(refused.message().starts_with(field), "{}", refused.message());
    }
    fleet.teardown().await;
}
