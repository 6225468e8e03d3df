//! Contacts through the gateway: create, change, list and search, the
//! timeline a page at a time, likely duplicates, merge and undo.

use std::collections::HashSet;
use std::time::Duration;

use attend_integration_tests::http::event_touchpoints;
use attend_integration_tests::{TestFleet, WIX_PRIVATE_KEY, wix_created_claims, wix_jwt};
use attend_kit::ids::OrgId;
use reqwest::Method;
use serde_json::{Value, json};

async fn create(fleet: &TestFleet, token: &str, body: Value) -> (u16, Value) {
    fleet
        .api_send(Method::POST, token, "/api/contacts", Some(&body), &[])
        .await
}

async fn patch(fleet: &TestFleet, token: &str, id: &str, body: Value) -> (u16, Value) {
    fleet
        .api_send(Method::PATCH, token, &format!("/api/contacts/{id}"), Some(&body), &[])
        .await
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| e.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// The walk-in staff add, as the seed shows.
fn walk_in() -> Value {
    json!({
        "name": "Alex Wong",
        "phone": "+61411333444",
        "email": "Alex@Example.com",
        "source": "Walk-in",
        "intent": "routine_check"
    })
}

/// A fleet with one clinic: its organisation and a staff token.
async fn clinic() -> (TestFleet, OrgId, String) {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("contacts-a", "wix-contacts-a").await;
    let token = fleet.user_token(org, "staff@contacts-a.example", "staff").await;
    (fleet, org, token)
}

/// A [`clinic`] whose staff have added [`walk_in`]: the organisation, the
/// staff token and the created contact as the API answered it.
async fn clinic_with_a_walk_in() -> (TestFleet, OrgId, String, Value) {
    let (fleet, org, token) = clinic().await;
    let (status, created) = create(&fleet, &token, walk_in()).await;
    assert_eq!(status, 201, "{created}");
    (fleet, org, token, created["contact"].clone())
}

/// Staff add a walk-in as the seed shows; it is scored, logged as
/// `lead_created` and announced.
#[tokio::test]
async fn a_walk_in_staff_add_is_scored_logged_and_announced() {
    let (fleet, _, token, contact) = clinic_with_a_walk_in().await;
    let id = contact["id"].as_str().unwrap();
    assert_eq!(contact["email"], "alex@example.com");
    assert_eq!(contact["source"], "Walk-in");
    assert_eq!(contact["intent"], "routine_check");
    assert_eq!(contact["current_pipeline"], "lead_to_booking");
    assert_eq!(contact["current_stage"], "new_lead");
    assert_eq!(contact["warmness_score"], 10, "routine_check 10, Walk-in 0");
    assert_eq!(contact["warmness_label"], "COOL");
    assert_eq!(contact["warmness_breakdown"]["intent_points"], 10);
    assert_eq!(contact["warmness_breakdown"]["source_points"], 0);

    let (status, detail) = fleet.api_get(&token, &format!("/api/contacts/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["touchpoints"][0]["type"], "lead_created");
    assert_eq!(detail["touchpoints"][0]["source"], "Walk-in");
    let announced = fleet
        .until_some(Duration::from_secs(10), "contact.lead_created is published", || async {
            let events = fleet.published("contact.lead_created").await;
            (!events.is_empty()).then_some(events)
        })
        .await;
    assert_eq!(announced.len(), 1);
    assert_eq!(announced[0].r#type, "contact.lead_created");
    fleet.teardown().await;
}

/// A contact with bad fields is refused naming each, and nothing is
/// stored; one whose phone another contact has is a conflict naming that
/// contact.
#[tokio::test]
async fn a_contact_with_bad_fields_or_a_taken_phone_is_refused() {
    let (fleet, _, token) = clinic().await;
    let (status, problem) = create(
        &fleet,
        &token,
        json!({"name": "Alex Wong", "phone": "12", "source": "Walk-in", "intent": "sightseeing"}),
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["phone", "intent"]);
    assert_eq!(fleet.count("select count(*) from contact.contacts").await, 0);

    let (status, created) = create(&fleet, &token, walk_in()).await;
    assert_eq!(status, 201, "{created}");
    let id = created["contact"]["id"].as_str().unwrap();
    let (status, problem) = create(&fleet, &token, walk_in()).await;
    assert_eq!(status, 409, "the phone is taken: {problem}");
    assert!(problem["detail"].as_str().unwrap().contains(id), "{problem}");
    fleet.teardown().await;
}

/// Staff change a contact field by field: intent and source move the
/// score, and the stage moves within the pipeline.
#[tokio::test]
async fn staff_change_a_contact_and_its_score_follows() {
    let (fleet, _, token, contact) = clinic_with_a_walk_in().await;
    let id = contact["id"].as_str().unwrap();
    // Intent and source move the score; referral is worth 20, a procedure 30.
    let (status, changed) = patch(
        &fleet,
        &token,
        id,
        json!({"intent": "procedure", "source": "GP referral", "email": null}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    let contact = &changed["contact"];
    assert_eq!(contact["source"], "Referral");
    assert_eq!(contact["email"], Value::Null);
    assert_eq!(contact["warmness_score"], 50);
    assert_eq!(contact["warmness_label"], "WARM");

    let (status, moved) = patch(
        &fleet,
        &token,
        id,
        json!({"current_pipeline": "pre_appointment", "current_stage": "booking_confirmed"}),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["contact"]["current_stage"], "booking_confirmed");
    fleet.teardown().await;
}

/// A change is refused naming what is wrong: an unknown field, a stage of
/// another pipeline, or leaving a contact with neither phone nor email;
/// read-only users may change nothing.
#[tokio::test]
async fn bad_changes_and_changes_by_readonly_users_are_refused() {
    let (fleet, org, token, contact) = clinic_with_a_walk_in().await;
    let id = contact["id"].as_str().unwrap();
    // Without its email, the phone is all that reaches the contact.
    let (status, changed) = patch(&fleet, &token, id, json!({"email": null})).await;
    assert_eq!(status, 200, "{changed}");

    let (status, problem) = patch(
        &fleet,
        &token,
        id,
        json!({"current_pipeline": "pre_appointment", "current_stage": "new_lead", "colour": "red"}),
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["colour"]);
    let (status, problem) = patch(
        &fleet,
        &token,
        id,
        json!({"current_pipeline": "pre_appointment", "current_stage": "new_lead"}),
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["current_stage"]);
    let (status, problem) = patch(&fleet, &token, id, json!({"phone": null})).await;
    assert_eq!(status, 400, "no phone and no email: {problem}");

    let readonly = fleet.user_token(org, "viewer@contacts-a.example", "readonly").await;
    let (status, _) = patch(&fleet, &readonly, id, json!({"name": "X"})).await;
    assert_eq!(status, 403);
    fleet.teardown().await;
}

/// Five walk-ins and leads from five sources, in the order they are
/// created (so newest first is the reverse): name, phone, source, intent.
const PEOPLE: [(&str, &str, &str, &str); 5] = [
    ("Sarah Johnson", "0400111222", "facebook", "procedure"),
    ("Sam Jones", "0400111333", "Instagram", "routine_check"),
    ("Priya Patel", "0400222444", "Referral", "high_risk"),
    ("Tom Lee", "0400333555", "Walk-in", ""),
    ("Mia Wong", "0400444666", "google", "general_inquiry"),
];

/// A fleet whose clinic's staff have created [`PEOPLE`] (each with an
/// email made of their name); the staff token and the ids, in order.
async fn five_contacts() -> (TestFleet, String, Vec<String>) {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("contacts-b", "wix-contacts-b").await;
    let token = fleet.user_token(org, "staff@contacts-b.example", "staff").await;
    let mut ids = Vec::new();
    for (name, phone, source, intent) in PEOPLE {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let (status, created) = create(
            &fleet,
            &token,
            json!({"name": name, "phone": phone, "email": email, "source": source, "intent": intent}),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["contact"]["id"].as_str().unwrap().to_owned());
    }
    (fleet, token, ids)
}

/// The names on a page of contacts, in order.
fn names(body: &Value) -> Vec<String> {
    body["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The names on every page of a list, from `first` by `next_cursor`.
async fn every_page(fleet: &TestFleet, token: &str, first: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut path = first.to_owned();
    loop {
        let (status, body) = fleet.api_get(token, &path).await;
        assert_eq!(status, 200, "{body}");
        seen.extend(names(&body));
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return seen,
        }
    }
}

/// A source filter finds every spelling of the source: `fb` finds both of
/// Meta's, newest first.
#[tokio::test]
async fn a_source_filter_finds_every_spelling_of_the_source() {
    let (fleet, token, _) = five_contacts().await;
    let (status, body) = fleet.api_get(&token, "/api/contacts?source=fb").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        names(&body),
        ["Sam Jones", "Sarah Johnson"],
        "both Meta spellings, newest first"
    );
    fleet.teardown().await;
}

/// Each word searched for starts a word of the name or the email, in any
/// order and any case; too short a search, or punctuation alone, is
/// refused.
#[tokio::test]
async fn search_words_match_the_start_of_words_of_the_name_or_email() {
    let (fleet, token, _) = five_contacts().await;
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=jo").await;
    assert_eq!(fields(&body), ["q"], "two letters are too few");
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=JOHN").await;
    assert_eq!(names(&body), ["Sarah Johnson"]);
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=mia.wong%40").await;
    assert_eq!(names(&body), ["Mia Wong"]);
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=jo%20sa").await;
    assert_eq!(
        names(&body),
        ["Sam Jones", "Sarah Johnson"],
        "each word starts a word of the name, in any order"
    );
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=Sarah%20JO").await;
    assert_eq!(names(&body), ["Sarah Johnson"]);
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=ohnson").await;
    assert_eq!(names(&body), [] as [&str; 0], "a word is found by its start");
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=-*-").await;
    assert_eq!(fields(&body), ["q"], "punctuation alone asks for nothing");
    fleet.teardown().await;
}

/// A search finds a phone by its first digits, written locally or
/// internationally, or by its last digits; not by digits from the middle.
#[tokio::test]
async fn search_finds_a_phone_by_its_first_digits_either_way_or_its_last() {
    let (fleet, token, _) = five_contacts().await;
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=0400%20222").await;
    assert_eq!(
        names(&body),
        ["Priya Patel"],
        "a local phone prefix finds the E.164 number"
    );
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=%2B61%20400%20333").await;
    assert_eq!(names(&body), ["Tom Lee"], "an international prefix finds it too");
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=2444").await;
    assert_eq!(names(&body), ["Priya Patel"], "so do the last digits");
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=2224").await;
    assert_eq!(names(&body), [] as [&str; 0], "but not digits from the middle");
    fleet.teardown().await;
}

/// The words a search matches follow the contact: a new name and an
/// email's local part are found, every word must match, and the old words
/// are gone once changed back.
#[tokio::test]
async fn search_words_follow_the_contact_when_it_changes() {
    let (fleet, token, ids) = five_contacts().await;
    let tom = &ids[3];
    let (status, body) = patch(
        &fleet,
        &token,
        tom,
        json!({"name": "Tommy Leeson", "email": "t.rex@example.com"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=leeson").await;
    assert_eq!(names(&body), ["Tommy Leeson"]);
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=tom%20lee").await;
    assert_eq!(names(&body), ["Tommy Leeson"], "tom starts tommy");
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=rex").await;
    assert_eq!(names(&body), ["Tommy Leeson"], "found by the email's words");
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=lee%20sam").await;
    assert_eq!(names(&body), [] as [&str; 0], "every word must match");
    let (status, body) = patch(
        &fleet,
        &token,
        tom,
        json!({"name": "Tom Lee", "email": "tom.lee@example.com"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = fleet.api_get(&token, "/api/contacts?q=rex").await;
    assert_eq!(names(&body), [] as [&str; 0], "the old words are gone");
    fleet.teardown().await;
}

/// Lists filter by pipeline, stage and warmness and sort warmest first;
/// every bad filter is named.
#[tokio::test]
async fn lists_filter_by_pipeline_stage_and_warmness_and_name_bad_filters() {
    let (fleet, token, _) = five_contacts().await;
    let (_, body) = fleet
        .api_get(&token, "/api/contacts?min_warmness=25&sort=warmest")
        .await;
    // procedure 30 + 0; high_risk 25 + referral 20 = 45.
    assert_eq!(names(&body), ["Priya Patel", "Sarah Johnson"]);
    let (_, body) = fleet
        .api_get(
            &token,
            "/api/contacts?pipeline=lead_to_booking&stage=new_lead&max_warmness=10",
        )
        .await;
    // Walk-in 0; general inquiry 5 + Google 5; routine check 10 + Meta 0.
    assert_eq!(names(&body), ["Mia Wong", "Tom Lee", "Sam Jones"]);
    let (status, body) = fleet
        .api_get(&token, "/api/contacts?pipeline=sales&min_warmness=200&sort=oldest")
        .await;
    assert_eq!(status, 400);
    assert_eq!(fields(&body), ["pipeline", "min_warmness", "sort"]);
    fleet.teardown().await;
}

/// A page names the contacts another list holds (conversations, rule
/// runs) by their ids, in one call; an id that isn't one is named.
#[tokio::test]
async fn a_list_by_ids_names_just_those_contacts() {
    let (fleet, token, ids) = five_contacts().await;
    let (status, body) = fleet
        .api_get(&token, &format!("/api/contacts?ids={},{}", ids[0], ids[3]))
        .await;
    assert_eq!(status, 200, "{body}");
    let mut found = names(&body);
    found.sort();
    let mut expected = vec![PEOPLE[0].0.to_owned(), PEOPLE[3].0.to_owned()];
    expected.sort();
    assert_eq!(found, expected);
    let (status, body) = fleet
        .api_get(&token, &format!("/api/contacts?ids={},task_nope", ids[0]))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(fields(&body), ["ids"]);
    fleet.teardown().await;
}

/// Lists and searches page by cursor, in either order, without repeating
/// or skipping anyone; a cursor that isn't one is named.
#[tokio::test]
async fn lists_and_searches_page_by_cursor_without_repeating_or_skipping_anyone() {
    let (fleet, token, _) = five_contacts().await;
    // Two at a time, newest first: everyone once.
    let seen = every_page(&fleet, &token, "/api/contacts?limit=2").await;
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 5);
    assert_eq!(seen[0], "Mia Wong");
    for (sort, expected) in [
        ("newest", ["Sam Jones", "Sarah Johnson"]),
        ("warmest", ["Sarah Johnson", "Sam Jones"]),
    ] {
        let seen = every_page(&fleet, &token, &format!("/api/contacts?q=jo%20sa&sort={sort}&limit=1")).await;
        assert_eq!(seen, expected, "sorted {sort}");
    }
    let (status, body) = fleet.api_get(&token, "/api/contacts?sort=warmest&cursor=bm9wZQ").await;
    assert_eq!(status, 400);
    assert_eq!(fields(&body), ["cursor"]);
    fleet.teardown().await;
}

/// A contact's timeline pages by cursor, newest first and the first touch
/// (`lead_created`) last, each touchpoint once.
#[tokio::test]
async fn a_contacts_timeline_pages_by_cursor_with_the_first_touch_last() {
    let (fleet, token, ids) = five_contacts().await;
    // Five bookings on Sarah's number: with her lead, three pages of two.
    for i in 0..5 {
        let claims = wix_created_claims(
            "wix-contacts-b",
            &format!("evt-{i}"),
            &format!("wb-{i}"),
            "0400111222",
            300,
        );
        let (status, _) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
        assert_eq!(status, 200);
    }
    let sarah = &ids[0];
    fleet
        .eventually(Duration::from_secs(20), "six touchpoints", || async {
            let (_, body) = fleet
                .api_get(&token, &format!("/api/contacts/{sarah}/touchpoints?limit=100"))
                .await;
            attend_integration_tests::http::event_touchpoints(&body).len() == 6
        })
        .await;
    let (_, detail) = fleet.api_get(&token, &format!("/api/contacts/{sarah}?limit=2")).await;
    let mut timeline: Vec<Value> = detail["touchpoints"].as_array().unwrap().clone();
    let mut cursor = detail["touchpoints_next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let (status, page) = fleet
            .api_get(&token, &format!("/api/contacts/{sarah}/touchpoints?limit=2&cursor={c}"))
            .await;
        assert_eq!(status, 200, "{page}");
        timeline.extend(page["touchpoints"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    // Every page's entries once (automation's moves and texts may add
    // some while the test pages; the events' own six are all there).
    let unique: HashSet<&str> = timeline.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(unique.len(), timeline.len(), "no entry on two pages");
    let timeline = attend_integration_tests::http::event_touchpoints(&json!({ "touchpoints": timeline }));
    assert_eq!(timeline.len(), 6);
    assert_eq!(timeline.last().unwrap()["type"], "lead_created", "oldest last");
    fleet.teardown().await;
}

/// A number written under another country code, and a name in other
/// capitals, are likely the same person; someone else is not.
#[tokio::test]
async fn duplicates_share_a_phone_ending_or_a_name() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("contacts-d", "wix-contacts-d").await;
    let token = fleet.user_token(org, "staff@contacts-d.example", "staff").await;
    let mut ids = Vec::new();
    for (name, phone) in [
        ("Ann Lee", "0400 123 456"),
        ("A. Lee", "+44 7400 123456"),
        ("ANN LEE", "0400 999 888"),
        ("Bob Lee", "0400 123 457"),
    ] {
        let (status, created) = create(
            &fleet,
            &token,
            json!({"name": name, "phone": phone, "source": "Walk-in"}),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["contact"]["id"].as_str().unwrap().to_owned());
    }
    let (status, found) = fleet
        .api_get(&token, &format!("/api/contacts/{}/duplicates", ids[0]))
        .await;
    assert_eq!(status, 200, "{found}");
    let found: Vec<(String, Vec<String>)> = found["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let reasons = d["reasons"].as_array().unwrap();
            (
                d["contact"]["id"].as_str().unwrap().to_owned(),
                reasons.iter().map(|r| r.as_str().unwrap().to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (ids[1].clone(), vec!["similar_phone".to_owned()]),
            (ids[2].clone(), vec!["same_name".to_owned()]),
        ]
    );
    fleet.teardown().await;
}

/// Two records of one person (a Wix booking by email, and a walk-in by
/// phone) are flagged as likely duplicates; merging moves the timeline and
/// the booking, keeps the earliest first touch, and the phone of either
/// finds the survivor. Undo puts everything back.
#[tokio::test]
async fn duplicates_are_merged_and_the_merge_undone() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("contacts-c", "wix-contacts-c").await;
    let token = fleet.user_token(org, "staff@contacts-c.example", "staff").await;

    // First seen: a Wix booking.
    let claims = wix_created_claims("wix-contacts-c", "evt-1", "wb-1", "0400 555 666", 300);
    let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 200);
    let booking = answer["bookingId"].as_str().unwrap().to_owned();
    let first = fleet.contact_by_phone(&token, "+61400555666").await;
    let first_id = first["contact"]["id"].as_str().unwrap().to_owned();

    // Later: staff add the same person by hand under another number.
    let (status, created) = create(
        &fleet,
        &token,
        json!({"name": "Jane Doe", "phone": "0400 777 888", "email": "jane.doe@example.com", "source": "Walk-in", "intent": "procedure"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let survivor = created["contact"]["id"].as_str().unwrap().to_owned();

    let (status, found) = fleet
        .api_get(&token, &format!("/api/contacts/{survivor}/duplicates"))
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["duplicates"][0]["contact"]["id"], first_id.as_str());
    let reasons: Vec<&str> = found["duplicates"][0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["same_email", "same_name"]);

    let merge_path = format!("/api/contacts/{survivor}/merge");
    let (status, problem) = fleet
        .api_send(
            Method::POST,
            &token,
            &merge_path,
            Some(&json!({"merged_id": survivor})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    let (status, merged) = fleet
        .api_send(
            Method::POST,
            &token,
            &merge_path,
            Some(&json!({"merged_id": first_id})),
            &[("idempotency-key", "merge-1")],
        )
        .await;
    assert_eq!(status, 200, "{merged}");
    let merge = &merged["merge"];
    let merge_id = merge["id"].as_str().unwrap().to_owned();
    assert!(merge_id.starts_with("merge_"));
    // The booking's touchpoint, and whatever the rules had added by then.
    assert!(merge["moved_touchpoints"].as_u64().unwrap() >= 1, "{merge}");
    assert_eq!(merge["survivor"]["source"], "Wix", "the earliest record's first touch");
    assert_eq!(merge["merged"]["merged_into"], survivor.as_str());

    // The booking follows; the old number finds the survivor.
    let detail = fleet
        .until_some(Duration::from_secs(20), "the booking moves", || async {
            let (_, body) = fleet.api_get(&token, &format!("/api/contacts/{survivor}")).await;
            (body["bookings"].as_array().map_or(0, Vec::len) == 1).then_some(body)
        })
        .await;
    assert_eq!(detail["bookings"][0]["id"], booking.as_str());
    let touchpoints = event_touchpoints(&detail);
    let types: HashSet<&str> = touchpoints.iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(types, HashSet::from(["booking_created", "lead_created"]));
    let (_, by_old_phone) = fleet.api_get(&token, "/api/contacts?phone=0400555666").await;
    assert_eq!(by_old_phone["contacts"][0]["id"], survivor.as_str());
    let (_, listed) = fleet.api_get(&token, "/api/contacts").await;
    assert_eq!(
        listed["contacts"].as_array().unwrap().len(),
        1,
        "a merged contact is not listed"
    );
    let (status, _) = patch(&fleet, &token, &first_id, json!({"name": "X"})).await;
    assert_eq!(status, 409, "a merged contact can't be changed");

    // A new booking on the merged number lands on the survivor.
    let claims = wix_created_claims("wix-contacts-c", "evt-2", "wb-2", "0400 555 666", 300);
    fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    fleet
        .eventually(Duration::from_secs(20), "the second booking", || async {
            let (_, body) = fleet.api_get(&token, &format!("/api/contacts/{survivor}")).await;
            body["bookings"].as_array().map_or(0, Vec::len) == 2
        })
        .await;

    // Undo: the first record is back with its booking and touchpoint.
    let undo = format!("/api/contacts/merges/{merge_id}/undo");
    let (status, undone) = fleet.api_send(Method::POST, &token, &undo, None, &[]).await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["merge"]["merged"]["merged_into"], Value::Null);
    assert_eq!(undone["merge"]["survivor"]["source"], "Walk-in");
    let (status, _) = fleet.api_send(Method::POST, &token, &undo, None, &[]).await;
    assert_eq!(status, 409, "undone once only");
    let back = fleet
        .until_some(Duration::from_secs(20), "the booking moves back", || async {
            let (_, body) = fleet.api_get(&token, &format!("/api/contacts/{first_id}")).await;
            (body["bookings"].as_array().map_or(0, Vec::len) == 1).then_some(body)
        })
        .await;
    assert_eq!(back["bookings"][0]["id"], booking.as_str());
    assert_eq!(back["contact"]["phone"], "+61400555666");
    assert_eq!(event_touchpoints(&back)[0]["type"], "booking_created");
    fleet.teardown().await;
}
