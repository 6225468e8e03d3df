//! The care portal through the gateway (issue 14): who sees which client
//! and which care update, what a view-only family member may not do, an
//! urgent update reaching the family's phone and inbox in quiet hours,
//! health logs by week with gaps, clinical text sealed in the database and
//! re-sealed by a key rotation, and every read in the audit trail.

use std::time::Duration;

use attend_care::seal::Keyring;
use attend_integration_tests::{Options, TestFleet};
use attend_kit::clock::ManualClock;
use attend_kit::grpc::{Caller, request};
use attend_kit::ids::{ClientId, NoteId, TypedId, UserId};
use attend_kit::service::ServiceName;
use attend_proto::care::v1 as care;
use attend_proto::care::v1::care_service_client::CareServiceClient;
use base64::Engine as _;
use chrono::{Offset, TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};

fn key(byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

/// 23:30 in Sydney on a Tuesday: inside the default quiet hours.
fn late_evening() -> ManualClock {
    ManualClock::at(Utc.with_ymd_and_hms(2026, 3, 10, 12, 30, 0).unwrap())
}

async fn user_id(fleet: &TestFleet, token: &str) -> String {
    let (status, me) = fleet.api_get(token, "/api/auth/me").await;
    assert_eq!(status, 200, "{me}");
    me["id"].as_str().unwrap().to_owned()
}

async fn post(fleet: &TestFleet, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let (status, answer, _) = fleet.api_post(Some(token), path, body).await;
    (status, answer)
}

fn titles(feed: &Value) -> Vec<&str> {
    feed["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect()
}

fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map_or_else(Vec::new, |e| e.iter().map(|e| e["field"].as_str().unwrap()).collect())
}

/// Assigns `carer` to the client and links `grandson` (view only).
async fn team_and_grandson(fleet: &TestFleet, admin: &str, client: &str, carer: &str, grandson: &str) {
    let (status, team) = fleet
        .api_send(
            Method::PUT,
            admin,
            &format!("/api/clients/{client}/care-team"),
            Some(&json!({"care_team": [{"user_id": user_id(fleet, carer).await, "role": "carer"}]})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{team}");
    let (status, linked) = post(
        fleet,
        admin,
        &format!("/api/clients/{client}/family"),
        &json!({"user_id": user_id(fleet, grandson).await, "relationship": "grandson"}),
    )
    .await;
    assert_eq!(status, 200, "{linked}");
}

/// A client of the organisation, made by its admin; the client's id.
async fn new_client(fleet: &TestFleet, admin: &str, name: &str, phone: &str) -> String {
    let contact = fleet.new_contact(admin, name, phone, "").await;
    let (status, created) = post(
        fleet,
        admin,
        "/api/admin/clients",
        &json!({
            "contact_id": contact,
            "date_of_birth": "1941-03-14",
            "care_level": "intermediate",
            "medical": {"conditions": ["Hypertension"], "allergies": ["Penicillin"],
                        "insurance_provider": "Example Health", "insurance_policy_number": "EH-42"},
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["client"]["name"], name,
        "the contact's name by default: {created}"
    );
    assert_eq!(
        created["client"]["medical"]["allergies"],
        json!(["Penicillin"]),
        "{created}"
    );
    assert_eq!(
        created["client"]["time_zone"], "Australia/Sydney",
        "the organisation's zone: {created}"
    );
    created["client"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_family_sees_only_what_its_link_allows_and_hears_of_urgent_updates_at_once() {
    let fleet = TestFleet::start_with(Options {
        settings: vec![("ATTEND_DATA_KEYS", format!("k2:{},k1:{}", key(2), key(1)))],
        clock: Some(late_evening()),
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("care-a", "wix-care-a").await;
    let admin = fleet.user_token(org, "admin@care-a.example", "admin").await;
    let carer = fleet.user_token(org, "carer@care-a.example", "care_team").await;
    let viewer = fleet.user_token(org, "ben@care-a.example", "family").await;
    let full = fleet.user_token(org, "claire@care-a.example", "family").await;
    let stranger = fleet.user_token(org, "someone@care-a.example", "family").await;
    let staff = fleet.user_token(org, "staff@care-a.example", "staff").await;

    let margaret = new_client(&fleet, &admin, "Margaret Lee", "0411 000 001").await;
    let other = new_client(&fleet, &admin, "Joan Other", "0411 000 002").await;

    // Bad input is named, field by field, and nothing is written.
    let contact = fleet.new_contact(&admin, "Half Written", "0411 000 003", "").await;
    let (status, refused) = post(
        &fleet,
        &admin,
        "/api/admin/clients",
        &json!({"contact_id": contact, "date_of_birth": "2999-01-01", "care_level": "extreme", "time_zone": "Mars/Base"}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        fields(&refused),
        ["date_of_birth", "care_level", "time_zone"],
        "{refused}"
    );
    assert_eq!(fleet.count("select count(*) from care.clients").await, 2);

    // The care team and the family.
    let carer_id = user_id(&fleet, &carer).await;
    let (status, team) = fleet
        .api_send(
            Method::PUT,
            &admin,
            &format!("/api/clients/{margaret}/care-team"),
            Some(&json!({"care_team": [{"user_id": carer_id, "role": "coordinator"}]})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{team}");
    let claire_contact = fleet
        .new_contact(&admin, "Claire Lee", "0411 000 004", "claire.lee@example.com")
        .await;
    let (status, linked) = post(
        &fleet,
        &carer,
        &format!("/api/clients/{margaret}/family"),
        &json!({"user_id": user_id(&fleet, &full).await, "contact_id": claire_contact, "relationship": "daughter",
                "access_level": "full_access", "is_primary_contact": true,
                "notification_preferences": {"sms": true, "email": true}}),
    )
    .await;
    assert_eq!(status, 200, "a coordinator links family: {linked}");
    let (status, linked) = post(
        &fleet,
        &admin,
        &format!("/api/clients/{margaret}/family"),
        &json!({"user_id": user_id(&fleet, &viewer).await, "relationship": "grandson", "access_level": "view_only"}),
    )
    .await;
    assert_eq!(status, 200, "{linked}");
    let (status, refused) = post(
        &fleet,
        &viewer,
        &format!("/api/clients/{margaret}/family"),
        &json!({"user_id": user_id(&fleet, &stranger).await, "relationship": "friend"}),
    )
    .await;
    assert_eq!(status, 403, "family don't link family: {refused}");

    // The care team writes; each visibility.
    for (title, visibility) in [
        ("Lunch in the garden", "family_and_team"),
        ("Fall risk review", "internal_only"),
        ("Roses are out", "family_only"),
    ] {
        let (status, written) = post(
            &fleet,
            &carer,
            &format!("/api/clients/{margaret}/progress-notes"),
            &json!({"title": title, "content": format!("{title}: the whole story"), "note_type": "daily_update", "visibility": visibility}),
        )
        .await;
        assert_eq!(status, 201, "{written}");
    }

    // A view-only grandson: the client without medical details, the feed
    // without the internal note, no writing, nobody else's client.
    let (status, seen) = fleet.api_get(&viewer, &format!("/api/clients/{margaret}")).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["client"]["access"], "view_only");
    assert_eq!(seen["client"]["medical"], Value::Null, "{seen}");
    let (status, feed) = fleet
        .api_get(&viewer, &format!("/api/clients/{margaret}/updates"))
        .await;
    assert_eq!(status, 200, "{feed}");
    assert_eq!(
        titles(&feed),
        ["Roses are out", "Lunch in the garden"],
        "newest first, no internal note"
    );
    // Each says who wrote it, by name.
    assert!(
        feed["updates"][0]["author_name"]
            .as_str()
            .is_some_and(|n| n.starts_with("Test ")),
        "{feed}"
    );
    let shown = chrono::DateTime::parse_from_rfc3339(feed["updates"][0]["created_local"].as_str().unwrap()).unwrap();
    let sydney = shown.with_timezone(&chrono_tz::Australia::Sydney);
    assert_eq!(
        shown.offset().local_minus_utc(),
        sydney.offset().fix().local_minus_utc(),
        "the client's zone: {feed}"
    );
    let (status, refused) = post(
        &fleet,
        &viewer,
        &format!("/api/clients/{margaret}/progress-notes"),
        &json!({"title": "x", "content": "y", "note_type": "daily_update"}),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    for path in [format!("/api/clients/{other}"), format!("/api/clients/{other}/updates")] {
        let (status, hidden) = fleet.api_get(&viewer, &path).await;
        assert_eq!(status, 404, "{path}: {hidden}");
    }
    let (status, hidden) = fleet
        .api_get(&stranger, &format!("/api/clients/{margaret}/updates"))
        .await;
    assert_eq!(status, 404, "an unlinked family member learns nothing: {hidden}");
    let (status, listed) = fleet.api_get(&viewer, "/api/clients").await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["clients"].as_array().unwrap().len(), 1, "{listed}");
    let (status, refused) = fleet.api_get(&staff, &format!("/api/clients/{margaret}")).await;
    assert_eq!(status, 403, "practice staff have no care access: {refused}");
    let (_, filtered) = fleet
        .api_get(
            &viewer,
            &format!("/api/clients/{margaret}/updates?type=incident_report"),
        )
        .await;
    assert_eq!(titles(&filtered), Vec::<&str>::new());
    let (status, refused) = fleet
        .api_get(
            &viewer,
            &format!("/api/clients/{margaret}/updates?type=gossip&from=yesterday"),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(fields(&refused), ["note_type", "from"], "{refused}");

    // Full access sees the medical details; the carer sees the internal note.
    let (_, seen) = fleet.api_get(&full, &format!("/api/clients/{margaret}")).await;
    assert_eq!(
        seen["client"]["medical"]["conditions"],
        json!(["Hypertension"]),
        "{seen}"
    );
    let (_, team_feed) = fleet
        .api_get(&carer, &format!("/api/clients/{margaret}/progress-notes"))
        .await;
    assert_eq!(team_feed["updates"].as_array().unwrap().len(), 3, "{team_feed}");

    // An edit keeps the previous version.
    let lunch = feed["updates"][1]["id"].as_str().unwrap().to_owned();
    let (status, edited) = fleet
        .api_send(
            Method::PUT,
            &carer,
            &format!("/api/progress-notes/{lunch}"),
            Some(&json!({"title": "Lunch in the garden", "content": "Soup and a scone, in the sun."})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["update"]["version"], 2);
    assert_eq!(fleet.count("select count(*) from care.progress_note_versions").await, 1);

    // Urgent: at 23:30 the daughter's phone and inbox get it at once.
    let (status, urgent) = post(
        &fleet,
        &carer,
        &format!("/api/clients/{margaret}/flag-urgent"),
        &json!({"title": "Taken to hospital", "content": "Chest pain at 23:10; ambulance called, Claire phoned."}),
    )
    .await;
    assert_eq!(status, 200, "{urgent}");
    assert_eq!(urgent["update"]["urgent"], true);
    let sms = fleet
        .until_some(Duration::from_secs(20), "the urgent text is sent", || async {
            let (_, conversation) = fleet
                .api_get(&admin, &format!("/api/sms/conversations/{claire_contact}"))
                .await;
            conversation["messages"]
                .as_array()?
                .iter()
                .find(|m| m["status"] == "sent")
                .cloned()
        })
        .await;
    let body = sms["message_text"].as_str().unwrap();
    assert!(body.contains("urgent care update about Margaret Lee"), "{body}");
    assert!(!body.contains("Chest pain"), "no clinical detail by text: {body}");
    let email = fleet
        .until_some(Duration::from_secs(20), "the urgent email is sent", || async {
            fleet.sandbox_emails("claire.lee@example.com").await.into_iter().next()
        })
        .await;
    assert!(
        email.subject.contains("Urgent care update about Margaret Lee"),
        "{email:?}"
    );
    assert!(!email.body_text.contains("Chest pain"), "{email:?}");
    let (_, feed) = fleet
        .api_get(&viewer, &format!("/api/clients/{margaret}/updates?limit=1"))
        .await;
    assert_eq!(feed["updates"][0]["urgent"], true, "{feed}");
    let (_, second_page) = fleet
        .api_get(
            &viewer,
            &format!(
                "/api/clients/{margaret}/updates?limit=1&cursor={}",
                feed["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(titles(&second_page), ["Roses are out"], "{second_page}");

    // No plaintext in the sealed columns, nor in the stored idempotent answers.
    let plain: i64 = fleet
        .count(
            "select (select count(*) from care.progress_notes where position(convert_to('whole story', 'UTF8') in body_sealed) > 0)
                  + (select count(*) from care.progress_notes where position(convert_to('Chest pain', 'UTF8') in body_sealed) > 0)
                  + (select count(*) from care.clients where position(convert_to('Penicillin', 'UTF8') in medical_sealed) > 0)
                  + (select count(*) from care.idempotency_keys where position(convert_to('Chest', 'UTF8') in response) > 0)",
        )
        .await;
    assert_eq!(plain, 0);
    assert_eq!(
        fleet
            .count("select count(*) from care.progress_notes where body_key <> 'k2'")
            .await,
        0
    );

    // Rows an older key sealed (written here as an older process would
    // have) are re-sealed by a rotation and read the same.
    let old = Keyring::parse(&format!("k1:{}", key(1))).unwrap();
    let client_uuid = ClientId::parse_public(&margaret).unwrap().uuid();
    let note_uuid = NoteId::parse_public(&lunch).unwrap().uuid();
    let medical = old.seal_json(
        &format!("care.clients.medical:{client_uuid}"),
        &json!({"conditions": ["Hypertension"], "allergies": ["Penicillin"], "insurance_provider": "Example Health", "insurance_policy_number": "EH-42"}),
    )
    .unwrap();
    let body = old
        .seal_json(
            &format!("care.progress_notes.body:{note_uuid}"),
            &json!({"title": "Lunch in the garden", "content": "Soup and a scone, in the sun."}),
        )
        .unwrap();
    let mut db = fleet.admin().await;
    sqlx::query("update care.clients set medical_sealed = $1, medical_key = 'k1' where id = $2")
        .bind(&medical.bytes)
        .bind(client_uuid)
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("update care.progress_notes set body_sealed = $1, body_key = 'k1' where id = $2")
        .bind(&body.bytes)
        .bind(note_uuid)
        .execute(&mut db)
        .await
        .unwrap();
    let (_, before) = fleet.api_get(&full, &format!("/api/clients/{margaret}")).await;
    assert_eq!(
        before["client"]["medical"]["allergies"],
        json!(["Penicillin"]),
        "an older key still opens: {before}"
    );
    let mut care_api = CareServiceClient::new(fleet.fleet.peers().channel(ServiceName::Care));
    let rotated = care_api
        .rotate_data_keys(request(
            care::RotateDataKeysRequest { batch_size: 1 },
            &Caller::platform(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rotated.current_key, "k2");
    assert_eq!(rotated.rewritten.get("clients"), Some(&1), "{rotated:?}");
    assert_eq!(rotated.rewritten.get("progress_notes"), Some(&1), "{rotated:?}");
    assert_eq!(
        fleet
            .count("select (select count(*) from care.clients where medical_key <> 'k2') + (select count(*) from care.progress_notes where body_key <> 'k2')")
            .await,
        0
    );
    let (_, after) = fleet.api_get(&full, &format!("/api/clients/{margaret}")).await;
    assert_eq!(after["client"]["medical"], before["client"]["medical"]);
    let (_, feed) = fleet
        .api_get(&carer, &format!("/api/clients/{margaret}/progress-notes"))
        .await;
    assert!(
        feed["updates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["content"] == "Soup and a scone, in the sun."),
        "{feed}"
    );
    let refused = care_api
        .rotate_data_keys(request(
            care::RotateDataKeysRequest::default(),
            &Caller::user(org, UserId::new(), attend_kit::grpc::Role::Admin),
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);

    // Every read is in the audit trail, by whom.
    let viewer_uuid = UserId::parse_public(&user_id(&fleet, &viewer).await).unwrap().uuid();
    fleet
        .eventually(Duration::from_secs(20), "the family's reads are audited", || async {
            let actions: Vec<String> = sqlx::query_scalar(
                "select distinct action from identity.audit_log where actor_user_id = $1 order by action",
            )
            .bind(viewer_uuid)
            .fetch_all(&mut fleet.admin().await)
            .await
            .unwrap();
            actions == ["auth.login", "client.list", "client.read", "note.feed"]
        })
        .await;
    fleet.teardown().await;
}

#[tokio::test]
async fn health_logs_are_a_week_by_day_with_gaps_and_implausible_readings_are_named() {
    let fleet = TestFleet::start_with(Options {
        services: vec![
            ServiceName::Identity,
            ServiceName::Contact,
            ServiceName::Care,
            ServiceName::Gateway,
        ],
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("care-h", "wix-care-h").await;
    let admin = fleet.user_token(org, "admin@care-h.example", "admin").await;
    let carer = fleet.user_token(org, "carer@care-h.example", "care_team").await;
    let viewer = fleet.user_token(org, "ben@care-h.example", "family").await;
    let margaret = new_client(&fleet, &admin, "Margaret Lee", "0411 000 011").await;
    team_and_grandson(&fleet, &admin, &margaret, &carer, &viewer).await;
    let path = format!("/api/clients/{margaret}/health-logs");

    // Monday 2026-11-23 to Sunday 2026-11-29: three days recorded.
    for (day, systolic, temperature) in [
        ("2026-11-23", 132, 36.7),
        ("2026-11-24", 128, 98.6),
        ("2026-11-26", 125, 36.9),
    ] {
        let unit = if temperature > 50.0 { "F" } else { "C" };
        let (status, logged) = post(
            &fleet,
            &carer,
            &path,
            &json!({
                "log_date": day,
                "vital_signs": {"blood_pressure": {"systolic": systolic, "diastolic": 80, "unit": "mmHg"},
                                "heart_rate": {"value": 72, "unit": "bpm"},
                                "temperature": {"value": temperature, "unit": unit}},
                "medications_taken": ["Amlodipine 5 mg"], "medications_missed": ["Vitamin D"],
                "meals": [{"meal_type": "breakfast", "content": "Porridge", "time": "08:00"}],
                "mood": "cheerful", "activities": ["Garden walk"], "sleep_hours": 7.5,
                "notes": "Slept well; a little breathless on the stairs.",
            }),
        )
        .await;
        assert_eq!(status, 200, "{logged}");
    }
    // The same day again replaces it.
    let (status, _) = post(
        &fleet,
        &carer,
        &path,
        &json!({"log_date": "2026-11-26", "mood": "tired"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fleet.count("select count(*) from care.health_logs").await, 3);
    assert_eq!(
        fleet.count("select count(*) from care.health_logs where position(convert_to('breathless', 'UTF8') in notes_sealed) > 0").await,
        0,
        "the notes are sealed"
    );

    let (status, week) = fleet.api_get(&viewer, &format!("{path}?week=2026-11-27")).await;
    assert_eq!(status, 200, "{week}");
    assert_eq!(week["week_start"], "2026-11-23");
    assert_eq!(week["week_end"], "2026-11-29");
    let days = week["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(
        days[0]["log"]["notes"],
        "Slept well; a little breathless on the stairs."
    );
    assert_eq!(days[0]["log"]["medications_missed"], json!(["Vitamin D"]));
    assert_eq!(
        days[1]["log"]["vital_signs"]["temperature"],
        json!({"value": 98.6, "unit": "F"}),
        "{week}"
    );
    assert_eq!(days[2]["log"], Value::Null);
    assert_eq!(days[3]["log"]["mood"], "tired");
    let systolic: Vec<Value> = week["series"]["systolic"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].clone())
        .collect();
    assert_eq!(
        systolic,
        [
            json!(132.0),
            json!(128.0),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
    let celsius: Vec<Value> = week["series"]["temperature"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].clone())
        .collect();
    assert_eq!(celsius[..2], [json!(36.7), json!(37.0)], "charted in °C");
    assert_eq!(week["series"]["temperature"]["unit"], "°C");

    // Implausible readings and bad units are named as the body spells
    // them; nothing is written.
    let (status, refused) = post(
        &fleet,
        &carer,
        &path,
        &json!({"log_date": "2026-11-25",
                "vital_signs": {"blood_pressure": {"systolic": 400, "diastolic": 80},
                                "temperature": {"value": 36.5, "unit": "K"},
                                "weight": {"value": 900, "unit": "kg"}},
                "sleep_hours": 30}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        fields(&refused),
        [
            "vital_signs.blood_pressure.systolic",
            "vital_signs.temperature.unit",
            "vital_signs.weight.value",
            "sleep_hours"
        ],
        "{refused}"
    );
    assert_eq!(fleet.count("select count(*) from care.health_logs").await, 3);
    let (status, refused) = post(&fleet, &viewer, &path, &json!({"log_date": "2026-11-25"})).await;
    assert_eq!(status, 403, "family read health logs, never write them: {refused}");
    let (status, refused) = fleet.api_get(&viewer, &format!("{path}?week=last")).await;
    assert_eq!(status, 400);
    assert_eq!(fields(&refused), ["week"]);

    // An admin replaces the client's details; bad ones are named; others may not.
    let client_path = format!("/api/clients/{margaret}");
    let details = json!({"name": "Margaret A. Lee", "date_of_birth": "1941-03-14", "care_level": "intensive",
                          "status": "active", "medical": {"allergies": ["Penicillin", "Latex"]}});
    let (status, refused) = fleet
        .api_send(Method::PUT, &carer, &client_path, Some(&details), &[])
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, refused) = fleet
        .api_send(
            Method::PUT,
            &admin,
            &client_path,
            Some(&json!({"name": "", "care_level": "max", "status": "gone"})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        fields(&refused),
        ["name", "date_of_birth", "care_level", "status"],
        "{refused}"
    );
    let (status, updated) = fleet
        .api_send(Method::PUT, &admin, &client_path, Some(&details), &[])
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["client"]["care_level"], "intensive");
    assert_eq!(
        updated["client"]["medical"]["allergies"],
        json!(["Penicillin", "Latex"])
    );
    assert_eq!(
        fleet
            .count(
                "select count(*) from care.clients where position(convert_to('Latex', 'UTF8') in medical_sealed) > 0"
            )
            .await,
        0
    );
    fleet.teardown().await;
}

/// The properties of a parsed component, by name: (value, TZID parameter).
fn props<'a>(component: &'a icalendar::parser::Component<'a>, name: &str) -> Vec<(String, Option<String>)> {
    component
        .properties
        .iter()
        .filter(|p| p.name.as_str() == name)
        .map(|p| {
            let tzid = p
                .params
                .iter()
                .find(|param| param.key.as_str() == "TZID")
                .and_then(|param| param.val.as_ref().map(|v| v.as_str().to_owned()));
            (p.val.as_str().to_owned(), tzid)
        })
        .collect()
}

/// The VEVENTs of an .ics body, read by a real iCalendar parser.
fn events(ics: &str) -> Vec<icalendar::parser::Component<'static>> {
    let unfolded: &'static str = Box::leak(icalendar::parser::unfold(ics).into_boxed_str());
    let calendar = icalendar::parser::read_calendar(unfolded).expect("the .ics parses");
    assert!(
        calendar.components.iter().any(|c| c.name.as_str() == "VTIMEZONE"),
        "the zone is defined in the file"
    );
    calendar
        .components
        .into_iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .collect()
}

async fn ics(fleet: &TestFleet, token: &str, path: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", fleet.gateway()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "text/calendar; charset=utf-8");
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_care_plan_and_appointments_reach_a_calendar_at_local_times_across_daylight_saving() {
    // Saturday 28 March 2026, 09:00 in Sydney (AEDT); daylight saving ends
    // on Sunday 5 April at 03:00.
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 3, 27, 22, 0, 0).unwrap());
    let fleet = TestFleet::start_with(Options {
        settings: vec![("ATTEND_CARE_REMINDER_EVERY", "1s".to_owned())],
        clock: Some(clock.clone()),
        ..Options::default()
    })
    .await;
    let org = fleet.create_org("care-p", "wix-care-p").await;
    let admin = fleet.user_token(org, "admin@care-p.example", "admin").await;
    let carer = fleet.user_token(org, "carer@care-p.example", "care_team").await;
    let family = fleet.user_token(org, "claire@care-p.example", "family").await;
    let margaret = new_client(&fleet, &admin, "Margaret Lee", "0411 000 021").await;
    let carer_id = user_id(&fleet, &carer).await;
    let (status, _) = fleet
        .api_send(
            Method::PUT,
            &admin,
            &format!("/api/clients/{margaret}/care-team"),
            Some(&json!({"care_team": [{"user_id": carer_id, "role": "coordinator"}]})),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let claire = fleet
        .new_contact(&admin, "Claire Lee", "0411 000 022", "claire@example.com")
        .await;
    let (status, _) = post(
        &fleet,
        &admin,
        &format!("/api/clients/{margaret}/family"),
        &json!({"user_id": user_id(&fleet, &family).await, "contact_id": claire, "relationship": "daughter",
                "access_level": "full_access", "notification_preferences": {"sms": true, "email": true}}),
    )
    .await;
    assert_eq!(status, 200);

    // The plan: bad input named, then a Monday 09:00 activity from 30 March.
    let plan_path = format!("/api/clients/{margaret}/care-plan");
    let (status, refused) = fleet
        .api_send(
            Method::PUT,
            &carer,
            &plan_path,
            Some(&json!({"title": "Spring plan", "start_date": "2026-03-30",
                          "schedule": [{"day_of_week": "funday", "time": "25:00", "activity": "x"}]})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        fields(&refused),
        ["schedule[0].day_of_week", "schedule[0].time"],
        "{refused}"
    );
    let plan = json!({
        "title": "Spring plan", "description": "Strength and balance after the winter.",
        "start_date": "2026-03-30", "end_date": "2026-04-26",
        "goals": [{"goal": "Walk to the letterbox unaided", "target_date": "2026-04-30", "status": "in_progress"}],
        "schedule": [{"day_of_week": "monday", "time": "09:00", "duration_minutes": 45,
                      "activity": "Physio exercises", "assigned_to": carer_id, "assigned_name": "Priya"}],
    });
    let (status, written) = fleet.api_send(Method::PUT, &carer, &plan_path, Some(&plan), &[]).await;
    assert_eq!(status, 200, "{written}");
    let (status, refused) = fleet.api_send(Method::PUT, &family, &plan_path, Some(&plan), &[]).await;
    assert_eq!(status, 403, "{refused}");
    let (status, seen) = fleet.api_get(&family, &plan_path).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["care_plan"]["schedule"][0]["assigned_name"], "Priya");

    let body = ics(&fleet, &family, &format!("/api/clients/{margaret}/care-plan.ics")).await;
    let found = events(&body);
    assert_eq!(found.len(), 1);
    let (start, tzid) = props(&found[0], "DTSTART").remove(0);
    assert_eq!(
        (start.as_str(), tzid.as_deref()),
        ("20260330T090000", Some("Australia/Sydney"))
    );
    let (rule, _) = props(&found[0], "RRULE").remove(0);
    assert!(rule.starts_with("FREQ=WEEKLY;BYDAY=MO;UNTIL="), "{rule}");
    let set: rrule::RRuleSet = format!("DTSTART;TZID=Australia/Sydney:{start}\nRRULE:{rule}")
        .parse()
        .unwrap();
    let occurrences: Vec<chrono::DateTime<Utc>> = set.all(10).dates.iter().map(|d| d.with_timezone(&Utc)).collect();
    // 09:00 AEDT (UTC+11) before the change, 09:00 AEST (UTC+10) after it.
    assert_eq!(occurrences[0], Utc.with_ymd_and_hms(2026, 3, 29, 22, 0, 0).unwrap());
    assert_eq!(occurrences[1], Utc.with_ymd_and_hms(2026, 4, 5, 23, 0, 0).unwrap());
    assert_eq!(occurrences.len(), 4, "until the plan ends on 26 April: {occurrences:?}");

    // An appointment on the Monday after the change, and a week's reminder.
    let (status, booked) = post(
        &fleet,
        &carer,
        &format!("/api/clients/{margaret}/appointments"),
        &json!({"scheduled_with": "Dr Patel", "starts_local": "2026-04-06T10:30", "duration_minutes": 30,
                "appointment_type": "GP review", "location": "12 Main St, Sydney"}),
    )
    .await;
    assert_eq!(status, 201, "{booked}");
    assert_eq!(booked["appointment"]["starts_local"], "2026-04-06T10:30:00+10:00");
    let appointment = booked["appointment"]["id"].as_str().unwrap().to_owned();
    let (status, refused) = post(
        &fleet,
        &family,
        &format!("/api/clients/{margaret}/appointments"),
        &json!({"scheduled_with": "x", "starts_local": "2026-04-07T10:30"}),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    let reminders = format!("/api/clients/{margaret}/appointment-reminders");
    let (status, refused) = fleet
        .api_send(
            Method::PUT,
            &family,
            &reminders,
            Some(&json!({"days_before": [2]})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(fields(&refused), ["days_before"]);
    let (status, chosen) = fleet
        .api_send(
            Method::PUT,
            &family,
            &reminders,
            Some(&json!({"days_before": [7, 1]})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{chosen}");
    assert_eq!(chosen["family_member"]["appointment_reminders"], json!([1, 7]));

    let (_, listed) = fleet
        .api_get(
            &family,
            &format!("/api/clients/{margaret}/appointments?from=2026-04-01&to=2026-04-30"),
        )
        .await;
    assert_eq!(listed["appointments"].as_array().unwrap().len(), 1, "{listed}");
    let body = ics(
        &fleet,
        &family,
        &format!("/api/clients/{margaret}/appointments/{appointment}/appointment.ics"),
    )
    .await;
    let found = events(&body);
    let (start, tzid) = props(&found[0], "DTSTART").remove(0);
    assert_eq!(
        (start.as_str(), tzid.as_deref()),
        ("20260406T103000", Some("Australia/Sydney"))
    );

    // Monday 30 March, 12:00 AEDT: a week before, the reminder goes, once.
    clock.set(Utc.with_ymd_and_hms(2026, 3, 30, 1, 0, 0).unwrap());
    let sms = fleet
        .until_some(Duration::from_secs(20), "the week's reminder is sent", || async {
            let (_, conversation) = fleet.api_get(&admin, &format!("/api/sms/conversations/{claire}")).await;
            conversation["messages"]
                .as_array()?
                .iter()
                .find(|m| m["status"] == "sent")
                .cloned()
        })
        .await;
    let text = sms["message_text"].as_str().unwrap();
    assert!(
        text.contains("Margaret Lee has an appointment on Mon 6 Apr at 10:30 am"),
        "{text}"
    );
    let email = fleet
        .until_some(Duration::from_secs(20), "the reminder email is sent", || async {
            fleet.sandbox_emails("claire@example.com").await.into_iter().next()
        })
        .await;
    assert!(email.body_text.contains("10:30 am"), "{email:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fleet.count("select count(*) from care.appointment_reminders").await, 1);
    let (_, conversation) = fleet.api_get(&admin, &format!("/api/sms/conversations/{claire}")).await;
    assert_eq!(conversation["messages"].as_array().unwrap().len(), 1, "{conversation}");

    // Status: the team moves it; the family can't; a bad one is named.
    let status_path = format!("/api/clients/{margaret}/appointments/{appointment}/status");
    let (status, refused) = post(&fleet, &carer, &status_path, &json!({"status": "done"})).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(fields(&refused), ["status"]);
    let (status, _) = post(&fleet, &family, &status_path, &json!({"status": "cancelled"})).await;
    assert_eq!(status, 403);
    let (status, changed) = post(&fleet, &carer, &status_path, &json!({"status": "cancelled"})).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["appointment"]["status"], "cancelled");
    let body = ics(&fleet, &family, &format!("/api/clients/{margaret}/appointments.ics")).await;
    assert_eq!(props(&events(&body)[0], "STATUS")[0].0, "CANCELLED");
    fleet.teardown().await;
}

pub(crate) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the live channel as a browser would (the token in the query).
pub(crate) async fn live(fleet: &TestFleet, token: &str) -> Socket {
    let url = format!(
        "{}/api/ws?access_token={token}",
        fleet.gateway().replace("http://", "ws://")
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the live channel opens");
    let ready = next_push(&mut socket).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    socket
}

/// The next push on a socket (within 20 s).
pub(crate) async fn next_push(socket: &mut Socket) -> Value {
    use futures::StreamExt as _;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("a push within 20 s")
            .expect("the socket is open")
            .expect("a frame");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn care_updates_and_messages_reach_the_family_live_and_a_view_only_member_cannot_write() {
    use futures::SinkExt as _;
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("care-m", "wix-care-m").await;
    let admin = fleet.user_token(org, "admin@care-m.example", "admin").await;
    let carer = fleet.user_token(org, "carer@care-m.example", "care_team").await;
    let viewer = fleet.user_token(org, "ben@care-m.example", "family").await;
    let messenger = fleet.user_token(org, "david@care-m.example", "family").await;
    let margaret = new_client(&fleet, &admin, "Margaret Lee", "0411 000 031").await;
    let carer_id = user_id(&fleet, &carer).await;
    let (status, _) = fleet
        .api_send(
            Method::PUT,
            &admin,
            &format!("/api/clients/{margaret}/care-team"),
            Some(&json!({"care_team": [{"user_id": carer_id, "role": "carer"}]})),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    for (token, level) in [(&viewer, "view_only"), (&messenger, "messaging")] {
        let (status, linked) = post(
            &fleet,
            &admin,
            &format!("/api/clients/{margaret}/family"),
            &json!({"user_id": user_id(&fleet, token).await, "relationship": "son", "access_level": level}),
        )
        .await;
        assert_eq!(status, 200, "{linked}");
    }

    // Without a token, no channel.
    let url = format!("{}/api/ws", fleet.gateway().replace("http://", "ws://"));
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("an unauthenticated socket opened: {other:?}"),
    }
    let mut family_socket = live(&fleet, &viewer).await;
    let mut carer_socket = live(&fleet, &carer).await;

    // A care update reaches the family at once; an internal one never does.
    let notes = format!("/api/clients/{margaret}/progress-notes");
    let (_, internal) = post(
        &fleet,
        &carer,
        &notes,
        &json!({"content": "Staffing note", "note_type": "daily_update", "visibility": "internal_only"}),
    )
    .await;
    let (status, shared) = post(
        &fleet,
        &carer,
        &notes,
        &json!({"title": "Morning", "content": "Bright and chatty at breakfast.", "note_type": "daily_update"}),
    )
    .await;
    assert_eq!(status, 201, "{shared}");
    let push = next_push(&mut family_socket).await;
    assert_eq!(push["type"], "care_update", "{push}");
    assert_eq!(
        push["note_id"], shared["update"]["id"],
        "the internal note {} never arrives: {push}",
        internal["update"]["id"]
    );
    assert_eq!(push["client_id"], margaret.as_str());

    // Messages: view-only reads but can't write; messaging writes.
    let (status, refused) = post(
        &fleet,
        &viewer,
        "/api/messages",
        &json!({"conversation_id": margaret, "content": "Hello"}),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    let (status, sent) = post(
        &fleet,
        &messenger,
        "/api/messages",
        &json!({"conversation_id": margaret, "content": "Is Mum eating well this week?"}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let message_id = sent["message"]["id"].as_str().unwrap().to_owned();
    let push = next_push(&mut family_socket).await;
    assert_eq!(
        (push["type"].as_str(), push["message_id"].as_str()),
        (Some("message"), Some(message_id.as_str())),
        "{push}"
    );
    // The carer saw both care updates (the internal one too) first.
    let mut kinds = Vec::new();
    let push = loop {
        let push = next_push(&mut carer_socket).await;
        if push["type"] != "care_update" {
            break push;
        }
        kinds.push(push["visibility"].as_str().unwrap().to_owned());
    };
    assert_eq!(kinds, ["internal_only", "family_and_team"]);
    assert_eq!(
        (push["type"].as_str(), push["message_id"].as_str()),
        (Some("message"), Some(message_id.as_str())),
        "{push}"
    );
    let (_, inbox) = fleet.api_get(&carer, "/api/messages").await;
    assert_eq!(inbox["unread"], 1, "{inbox}");
    assert_eq!(
        inbox["conversations"][0]["last_message"]["content"],
        "Is Mum eating well this week?"
    );
    assert!(
        inbox["conversations"][0]["last_message"]["sender_name"]
            .as_str()
            .is_some_and(|n| n.starts_with("Test ")),
        "the sender by name: {inbox}"
    );
    let (_, viewer_inbox) = fleet.api_get(&viewer, "/api/messages").await;
    assert_eq!(viewer_inbox["conversations"][0]["can_write"], false, "{viewer_inbox}");

    // The carer types, then reads: the family sees both, live.
    carer_socket
        .send(tokio_tungstenite::tungstenite::Message::Text(
            json!({"type": "typing", "client_id": margaret}).to_string().into(),
        ))
        .await
        .unwrap();
    let push = next_push(&mut family_socket).await;
    assert_eq!(
        (push["type"].as_str(), push["user_id"].as_str()),
        (Some("typing"), Some(carer_id.as_str())),
        "{push}"
    );
    let (status, read) = post(&fleet, &carer, &format!("/api/messages/{margaret}/read"), &json!({})).await;
    assert_eq!(status, 200, "{read}");
    let push = next_push(&mut family_socket).await;
    assert_eq!(
        (push["type"].as_str(), push["user_id"].as_str()),
        (Some("read"), Some(carer_id.as_str())),
        "{push}"
    );
    let (_, inbox) = fleet.api_get(&carer, "/api/messages").await;
    assert_eq!(inbox["unread"], 0, "{inbox}");

    // History search, and the text sealed in the database.
    let (_, found) = fleet
        .api_get(&viewer, &format!("/api/messages/{margaret}?q=EATING%20week"))
        .await;
    assert_eq!(found["messages"].as_array().unwrap().len(), 1, "{found}");
    assert!(found["messages"][0]["sender_name"].is_string(), "{found}");
    let (_, none) = fleet
        .api_get(&viewer, &format!("/api/messages/{margaret}?q=zebra"))
        .await;
    assert_eq!(none["messages"].as_array().unwrap().len(), 0, "{none}");
    assert_eq!(
        found["reads"].as_array().unwrap().len(),
        2,
        "the sender and the carer: {found}"
    );
    assert_eq!(
        fleet
            .count("select count(*) from care.messages where position(convert_to('eating', 'UTF8') in body_sealed) > 0")
            .await,
        0
    );
    fleet.teardown().await;
}

/// A fake clamd: INSTREAM chunks in, "FOUND" for the EICAR test string.
async fn fake_clamd() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut command = [0u8; 10];
                if stream.read_exact(&mut command).await.is_err() || &command != b"zINSTREAM\0" {
                    return;
                }
                let mut file = Vec::new();
                loop {
                    let mut len = [0u8; 4];
                    if stream.read_exact(&mut len).await.is_err() {
                        return;
                    }
                    let len = u32::from_be_bytes(len) as usize;
                    if len == 0 {
                        break;
                    }
                    let mut chunk = vec![0u8; len];
                    if stream.read_exact(&mut chunk).await.is_err() {
                        return;
                    }
                    file.extend(chunk);
                }
                let infected = file.windows(5).any(|w| w == b"EICAR");
                let answer: &[u8] = if infected {
                    b"stream: Eicar-Test-Signature FOUND\0"
                } else {
                    b"stream: OK\0"
                };
                let _ = stream.write_all(answer).await;
            });
        }
    });
    address
}

fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Uploads a file as a browser's form would.
async fn upload(
    fleet: &TestFleet,
    token: &str,
    fields: &[(&str, &str)],
    file_name: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let boundary = "attend-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = reqwest::Client::new()
        .post(format!("{}/api/documents", fleet.gateway()))
        .bearer_auth(token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn documents_are_checked_by_content_scanned_in_quarantine_and_downloaded_by_links_that_expire() {
    let clock = ManualClock::at(Utc::now());
    let storage = std::env::temp_dir().join(format!("attend-docs-{}", uuid::Uuid::new_v4().simple()));
    let fleet = TestFleet::start_with(Options {
        services: vec![
            ServiceName::Identity,
            ServiceName::Contact,
            ServiceName::Care,
            ServiceName::Gateway,
        ],
        settings: vec![
            ("ATTEND_CARE_STORAGE", storage.display().to_string()),
            ("ATTEND_CLAMD_ADDR", fake_clamd().await),
            ("ATTEND_CARE_DOCUMENT_MAX_BYTES", "4096".to_owned()),
        ],
        clock: Some(clock.clone()),
    })
    .await;
    let org = fleet.create_org("care-d", "wix-care-d").await;
    let admin = fleet.user_token(org, "admin@care-d.example", "admin").await;
    let carer = fleet.user_token(org, "carer@care-d.example", "care_team").await;
    let viewer = fleet.user_token(org, "ben@care-d.example", "family").await;
    let margaret = new_client(&fleet, &admin, "Margaret Lee", "0411 000 041").await;
    team_and_grandson(&fleet, &admin, &margaret, &carer, &viewer).await;
    let form_fields = |category: &'static str, visibility: &'static str| {
        vec![
            ("client_id", margaret.clone()),
            ("category", category.to_owned()),
            ("visibility", visibility.to_owned()),
        ]
    };

    // A PDF name on an executable's bytes is refused, naming the reason.
    let everyone = form_fields("test_result", "everyone");
    let (status, refused) = upload(
        &fleet,
        &carer,
        &as_refs(&everyone),
        "results.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00",
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "file", "{refused}");
    assert_eq!(
        refused["errors"][0]["reason"],
        "is named .pdf but its content is a Windows executable"
    );
    let (status, refused) = upload(
        &fleet,
        &carer,
        &as_refs(&everyone),
        "big.pdf",
        &[b"%PDF-1.7 ".as_slice(), &[b'x'; 5000]].concat(),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("the limit is 4096 bytes"),
        "{refused}"
    );
    let (status, refused) = upload(&fleet, &viewer, &as_refs(&everyone), "note.pdf", b"%PDF-1.7 hello").await;
    assert_eq!(status, 403, "a view-only family member doesn't upload: {refused}");
    assert_eq!(fleet.count("select count(*) from care.documents").await, 0);

    // A clean PDF waits in quarantine, then is released by the scan.
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec();
    let (status, uploaded) = upload(&fleet, &carer, &as_refs(&everyone), "blood-test.pdf", &pdf).await;
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(uploaded["document"]["status"], "quarantined");
    assert_eq!(uploaded["document"]["file_type"], "pdf");
    let clean = uploaded["document"]["id"].as_str().unwrap().to_owned();
    let shown = fleet
        .until_some(Duration::from_secs(20), "the scan releases the document", || async {
            let (_, shown) = fleet.api_get(&viewer, &format!("/api/documents/{clean}")).await;
            (shown["document"]["status"] == "clean").then_some(shown)
        })
        .await;
    let link = shown["download_url"].as_str().unwrap().to_owned();
    let got = reqwest::get(format!("{}{link}", fleet.gateway())).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert_eq!(got.bytes().await.unwrap().as_ref(), pdf.as_slice());
    let forged = link.replace("signature=", "signature=00");
    assert_eq!(
        reqwest::get(format!("{}{forged}", fleet.gateway()))
            .await
            .unwrap()
            .status(),
        403
    );

    // The test virus: quarantined, then marked infected and never downloadable.
    let (status, infected) = upload(
        &fleet,
        &carer,
        &as_refs(&everyone),
        "scan.pdf",
        b"%PDF-1.4 X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
    )
    .await;
    assert_eq!(status, 201, "{infected}");
    let infected = infected["document"]["id"].as_str().unwrap().to_owned();
    let shown = fleet
        .until_some(Duration::from_secs(20), "the scan finds the test virus", || async {
            let (_, shown) = fleet.api_get(&carer, &format!("/api/documents/{infected}")).await;
            (shown["document"]["status"] == "infected").then_some(shown)
        })
        .await;
    assert_eq!(shown["download_url"], Value::Null, "{shown}");

    // Visibility, search and category.
    let team_only = form_fields("medical_record", "care_team_only");
    let (status, private) = upload(
        &fleet,
        &carer,
        &as_refs(&team_only),
        "care-notes.docx",
        b"PK\x03\x04 word/document.xml",
    )
    .await;
    assert_eq!(status, 201, "{private}");
    let private = private["document"]["id"].as_str().unwrap().to_owned();
    let (status, _) = fleet.api_get(&viewer, &format!("/api/documents/{private}")).await;
    assert_eq!(status, 404, "a care-team-only document is not the family's");
    let (_, listed) = fleet
        .api_get(&viewer, &format!("/api/clients/{margaret}/documents"))
        .await;
    let names: Vec<&str> = listed["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["blood-test.pdf"],
        "no infected file, no team-only file: {listed}"
    );
    let (_, found) = fleet
        .api_get(&carer, &format!("/api/clients/{margaret}/documents?q=BLOOD"))
        .await;
    assert_eq!(found["documents"].as_array().unwrap().len(), 1, "{found}");
    let (_, by_category) = fleet
        .api_get(
            &carer,
            &format!("/api/clients/{margaret}/documents?category=medical_record"),
        )
        .await;
    assert_eq!(
        by_category["documents"][0]["file_name"], "care-notes.docx",
        "{by_category}"
    );

    // Attachments on care updates and messages are the client's documents.
    let (status, note) = post(
        &fleet,
        &carer,
        &format!("/api/clients/{margaret}/progress-notes"),
        &json!({"content": "Blood test results are in.", "note_type": "health_assessment", "attachment_ids": [clean]}),
    )
    .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["update"]["attachment_ids"], json!([clean]));
    let (status, refused) = post(
        &fleet,
        &carer,
        &format!("/api/clients/{margaret}/progress-notes"),
        &json!({"content": "x", "note_type": "daily_update", "attachment_ids": [infected]}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(fields(&refused), ["attachment_ids"], "{refused}");
    let (status, sent) = post(
        &fleet,
        &carer,
        "/api/messages",
        &json!({"conversation_id": margaret, "content": "The results, attached.", "attachment_ids": [clean]}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["message"]["attachment_ids"], json!([clean]));

    // The link expires: five minutes later it is refused.
    clock.advance(chrono::Duration::minutes(6));
    let expired = reqwest::get(format!("{}{link}", fleet.gateway())).await.unwrap();
    assert_eq!(expired.status(), 403);
    let problem: Value = expired.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap_or_default().contains("expired"),
        "{problem}"
    );
    fleet.teardown().await;
    let _ = std::fs::remove_dir_all(storage);
}
