//! Spec 000's rules through the public edges, on a clock the tests move: a
//! Wix booking gets its confirmation, a welcome call and three reminders,
//! and a "Y" confirms it; a cancellation drops the reminders and starts the
//! rescue; an attended visit thanks the patient, queues the review and
//! referral calls and sets the recall, which the daily check acts on; a
//! new lead is welcomed and, silent for four hours, followed up; the task
//! queue and the rules answer as the spec says.

use std::time::Duration;

use attend_integration_tests::http::touchpoint_types;
use attend_integration_tests::{
    Options, TestFleet, WIX_PRIVATE_KEY, wix_action_claims, wix_created_claims_at, wix_jwt,
};
use attend_kit::clock::ManualClock;
use attend_kit::ids::OrgId;
use attend_kit::service::ServiceName;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded";

/// Tuesday 10 March 2026, noon in Sydney (AEDT, UTC+11).
fn tuesday_noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 1, 0, 0).unwrap()
}

/// Friday 13 March 2026, 10:00 in Sydney.
fn friday_ten() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 12, 23, 0, 0).unwrap()
}

async fn fleet_at(at: DateTime<Utc>) -> (TestFleet, ManualClock) {
    let clock = ManualClock::at(at);
    let fleet = TestFleet::start_with(Options {
        clock: Some(clock.clone()),
        // The tests poll the API while they wait.
        settings: vec![("ATTEND_API_RATE_LIMIT", "1000000".to_owned())],
        ..Options::default()
    })
    .await;
    (fleet, clock)
}

/// An organisation with its template values set, a staff member (whose
/// token is answered) and an admin (second).
async fn clinic(fleet: &TestFleet, slug: &str) -> (OrgId, String, String) {
    clinic_quiet(fleet, slug, None).await
}

/// A one-hour quiet window six hours after `now` in Sydney, so texts sent
/// over the next five hours are not held back.
fn quiet_hours_away_from(now: DateTime<Utc>) -> Option<(String, String)> {
    use chrono::Timelike;
    let hour = now.with_timezone(&chrono_tz::Australia::Sydney).hour();
    Some((
        format!("{:02}:00", (hour + 6) % 24),
        format!("{:02}:00", (hour + 7) % 24),
    ))
}

/// As [`clinic`], with the organisation's own quiet hours.
async fn clinic_quiet(fleet: &TestFleet, slug: &str, quiet: Option<(String, String)>) -> (OrgId, String, String) {
    let org = fleet.create_org(slug, &format!("wix-{slug}")).await;
    let staff = fleet.user_token(org, &format!("staff@{slug}.example"), "staff").await;
    let admin = fleet.user_token(org, &format!("admin@{slug}.example"), "admin").await;
    let (status, saved) = fleet
        .api_send(
            Method::PUT,
            &admin,
            "/api/admin/settings/messaging",
            Some(&json!({"values": {
                "clinic": "Harbour Skin", "address": "1 George St, Sydney",
                "booking_link": "https://harbour.example/book", "review_link": "https://g.page/r/harbour",
                "referral_link": "https://harbour.example/refer", "incentive": "a free skin check",
                "doctor_name": "Dr Lee"
            }, "quiet_hours": quiet.map(|(start, end)| json!({"start": start, "end": end}))})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    (org, staff, admin)
}

/// Posts a Wix "booking created" for an appointment at `start`; the
/// booking's id.
async fn book(fleet: &TestFleet, slug: &str, wix_booking: &str, phone: &str, start: DateTime<Utc>) -> String {
    let claims = wix_created_claims_at(
        &format!("wix-{slug}"),
        &format!("evt-{wix_booking}"),
        wix_booking,
        phone,
        start,
        300,
    );
    let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 200, "{answer}");
    answer["bookingId"].as_str().unwrap().to_owned()
}

/// The texts a contact has been sent or is due to be sent, oldest first:
/// (template, status).
async fn texts(fleet: &TestFleet, token: &str, contact: &str) -> Vec<(String, String)> {
    let (_, thread) = fleet.api_get(token, &format!("/api/sms/conversations/{contact}")).await;
    let mut out: Vec<(String, String)> = thread["messages"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|m| m["direction"] == "outbound")
                .map(|m| {
                    (
                        m["template_id"].as_str().unwrap_or("").to_owned(),
                        m["status"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.reverse();
    out
}

/// Waits until the contact has been sent `template`; if it never is, says
/// what was sent and what the rules did.
async fn until_texted(fleet: &TestFleet, token: &str, contact: &str, template: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let sent = texts(fleet, token, contact).await;
        if sent.iter().any(|(t, status)| t == template && status == "sent") {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            let (_, runs) = fleet
                .api_get(token, &format!("/api/contacts/{contact}/automation"))
                .await;
            panic!("{template} was never sent; sent: {sent:?}; runs: {runs:#}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn contact(fleet: &TestFleet, token: &str, id: &str) -> Value {
    let (status, body) = fleet.api_get(token, &format!("/api/contacts/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits until the contact is in `stage`.
async fn until_stage(fleet: &TestFleet, token: &str, id: &str, stage: &str) -> Value {
    fleet
        .until_some(
            Duration::from_secs(30),
            &format!("the contact is in {stage}"),
            || async {
                let body = contact(fleet, token, id).await;
                (body["contact"]["current_stage"] == stage).then_some(body)
            },
        )
        .await
}

/// The contact's tasks in the queue, any assignee, any time.
async fn tasks_of(fleet: &TestFleet, token: &str, contact: &str, status: &str) -> Vec<Value> {
    let (code, body) = fleet
        .api_get(
            token,
            &format!("/api/tasks?assigned_to=all&timeframe=all&status={status}&limit=200"),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["contact"]["id"] == contact)
        .cloned()
        .collect()
}

async fn until_task(fleet: &TestFleet, token: &str, contact: &str, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let open = tasks_of(fleet, token, contact, "open").await;
        if let Some(task) = open.iter().find(|t| t["type"] == kind) {
            return task.clone();
        }
        if tokio::time::Instant::now() > deadline {
            let (_, runs) = fleet
                .api_get(token, &format!("/api/contacts/{contact}/automation"))
                .await;
            panic!("no {kind} task; open: {open:?}; runs: {runs:#}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A text from the patient, through ClickSend's inbound webhook.
async fn reply(fleet: &TestFleet, slug: &str, from: &str, body: &str, id: &str) {
    let inbound = format!("/webhooks/clicksend/{}/inbound", fleet.intake_token("clicksend", slug));
    let form = format!(
        "from={}&to=%2B61480000000&body={}&message_id={id}",
        from.replace('+', "%2B"),
        body.replace(' ', "+")
    );
    let (status, _, _) = fleet.post_ingest(&inbound, FORM, form.into_bytes(), &[]).await;
    assert_eq!(status, 200);
}

/// Pipeline B end to end: a Wix booking three days ahead is confirmed by
/// text at once and a new patient gets a welcome call, each once although
/// automation is killed as the booking arrives; the 48- and 24-hour
/// reminders go at their times; no "Y" four hours after the 24-hour one
/// makes a confirmation call, and a "Y" then confirms the booking, cancels
/// that call and adds 10 to warmness; the 2-hour reminder still goes.
#[tokio::test]
async fn a_wix_booking_is_confirmed_reminded_and_confirmed_by_a_reply() {
    let (mut fleet, clock) = fleet_at(tuesday_noon()).await;
    let (_, staff, _) = clinic(&fleet, "auto-a").await;
    let booking = book(&fleet, "auto-a", "wix-auto-a-1", "0412 345 678", friday_ten()).await;
    // Killed while the booking's rules run (or about to), then restarted.
    fleet.fleet.kill(ServiceName::Automation).await.unwrap();
    fleet.fleet.restart(ServiceName::Automation).await.unwrap();
    let detail = fleet.contact_by_phone(&staff, "+61412345678").await;
    let jane = detail["contact"]["id"].as_str().unwrap().to_owned();

    until_texted(&fleet, &staff, &jane, "booking_confirmation").await;
    let welcome = until_task(&fleet, &staff, &jane, "welcome_call").await;
    assert_eq!(welcome["contact"]["name"], "Jane Doe", "{welcome}");
    assert_eq!(welcome["contact"]["phone"], "+61412345678", "{welcome}");
    assert_eq!(welcome["booking"]["id"], booking.as_str(), "{welcome}");
    assert_eq!(
        welcome["booking"]["appointment_datetime"],
        friday_ten().timestamp(),
        "{welcome}"
    );
    assert!(
        welcome["assigned_to"].as_str().unwrap().starts_with("user_"),
        "{welcome}"
    );
    assert_eq!(welcome["rule_id"], "rule_on_booking_created", "{welcome}");
    assert!(welcome["run_id"].is_string(), "{welcome}");
    let detail = until_stage(&fleet, &staff, &jane, "booking_confirmed").await;
    assert_eq!(detail["contact"]["current_pipeline"], "pre_appointment");
    assert!(
        detail["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["type"] == "welcome_call"),
        "the contact shows its tasks: {detail}"
    );

    // 48 hours before: Wednesday 10:00.
    clock.advance(chrono::Duration::hours(22) + chrono::Duration::minutes(1));
    until_texted(&fleet, &staff, &jane, "reminder_48hr").await;
    until_stage(&fleet, &staff, &jane, "reminded").await;
    // 24 hours before, and four hours on without a reply: a confirmation call.
    clock.advance(chrono::Duration::hours(24));
    until_texted(&fleet, &staff, &jane, "reminder_24hr").await;
    clock.advance(chrono::Duration::hours(4));
    let call = until_task(&fleet, &staff, &jane, "confirmation_call").await;
    let warmness = contact(&fleet, &staff, &jane).await["contact"]["warmness_score"]
        .as_i64()
        .unwrap();

    reply(&fleet, "auto-a", "+61412345678", "Y", "IN-auto-a-1").await;
    until_stage(&fleet, &staff, &jane, "confirmed").await;
    fleet
        .until_some(Duration::from_secs(30), "the booking is confirmed", || async {
            let (_, b) = fleet.api_get(&staff, &format!("/api/bookings/{booking}")).await;
            (b["status"] == "confirmed").then_some(())
        })
        .await;
    let after = fleet
        .until_some(Duration::from_secs(30), "the reply is on the timeline", || async {
            let detail = contact(&fleet, &staff, &jane).await;
            touchpoint_types(&detail)
                .contains(&"booking_confirmed_reply".to_owned())
                .then_some(detail)
        })
        .await;
    let cancelled = tasks_of(&fleet, &staff, &jane, "cancelled").await;
    assert!(
        cancelled.iter().any(|t| t["id"] == call["id"]),
        "the call is cancelled: {cancelled:?}"
    );
    let breakdown = after["contact"]["warmness_breakdown"].to_string();
    assert!(breakdown.contains("Confirmed appointment"), "{breakdown}");
    assert!(
        after["contact"]["warmness_score"].as_i64().unwrap() >= (warmness + 10).min(100),
        "{warmness} → {after}"
    );

    // 2 hours before: Friday 08:00.
    clock.advance(chrono::Duration::hours(18));
    until_texted(&fleet, &staff, &jane, "reminder_2hr").await;

    let sent = texts(&fleet, &staff, &jane).await;
    for template in ["booking_confirmation", "reminder_48hr", "reminder_24hr", "reminder_2hr"] {
        assert_eq!(
            sent.iter().filter(|(t, _)| t == template).count(),
            1,
            "{template} once: {sent:?}"
        );
    }
    let all: Vec<Value> = [tasks_of(&fleet, &staff, &jane, "open").await, cancelled].concat();
    assert_eq!(all.iter().filter(|t| t["type"] == "welcome_call").count(), 1, "{all:?}");

    // Why: the booking rule's run, each action with what it did.
    let (status, runs) = fleet.api_get(&staff, &format!("/api/contacts/{jane}/automation")).await;
    assert_eq!(status, 200, "{runs}");
    let run = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "rule_on_booking_created")
        .unwrap_or_else(|| panic!("{runs}"));
    assert_eq!(run["matched"], true);
    assert_eq!(run["rule_version"], 1);
    assert!(
        run["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "done" || a["status"] == "skipped"),
        "{run}"
    );
    fleet.teardown().await;
}

/// A rescheduled booking: its reminders follow the new time, and the
/// patient is sent the confirmation again, with the new time. A booking
/// moved away and back keeps its reminders for the time it is back at.
#[tokio::test]
async fn a_rescheduled_booking_moves_its_reminders() {
    let (fleet, clock) = fleet_at(tuesday_noon()).await;
    let (_, staff, _) = clinic(&fleet, "auto-f").await;
    book(&fleet, "auto-f", "wix-auto-f-1", "0412 777 888", friday_ten()).await;
    book(&fleet, "auto-f", "wix-auto-f-2", "0412 777 999", friday_ten()).await;
    let ben = fleet.contact_by_phone(&staff, "+61412777888").await["contact"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let eve = fleet.contact_by_phone(&staff, "+61412777999").await["contact"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    until_texted(&fleet, &staff, &ben, "booking_confirmation").await;
    until_texted(&fleet, &staff, &eve, "booking_confirmation").await;

    // Ben's moves a day later, to Saturday 10:00; Eve's moves and comes back.
    let saturday = friday_ten() + chrono::Duration::days(1);
    let moves = [
        ("wix-auto-f-1", "evt-move-f1", saturday, 0, 2),
        ("wix-auto-f-2", "evt-move-f2", saturday, 0, 2),
        ("wix-auto-f-2", "evt-move-f3", friday_ten(), 1, 3),
    ];
    for (booking, event, to, later, expected) in moves {
        let at = Utc::now() + chrono::Duration::seconds(later);
        let claims = wix_action_claims("wix-auto-f", "rescheduled", event, booking, "CONFIRMED", to, at);
        let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
        assert_eq!(status, 200, "{answer}");
        let contact = if booking.ends_with('1') { &ben } else { &eve };
        fleet
            .until_some(Duration::from_secs(30), "the new time is confirmed by text", || async {
                let sent = texts(&fleet, &staff, contact).await;
                let confirmations = sent.iter().filter(|(t, s)| t == "booking_confirmation" && s == "sent");
                (confirmations.count() == expected).then_some(())
            })
            .await;
    }

    // Wednesday 10:00 is 48 hours before Friday: Eve's reminder, not Ben's.
    clock.advance(chrono::Duration::hours(22) + chrono::Duration::minutes(1));
    until_texted(&fleet, &staff, &eve, "reminder_48hr").await;
    let sent = texts(&fleet, &staff, &ben).await;
    assert!(!sent.iter().any(|(t, _)| t.starts_with("reminder_")), "{sent:?}");
    // Thursday 10:00 is 48 hours before Saturday, and 24 before Friday.
    clock.advance(chrono::Duration::hours(24));
    until_texted(&fleet, &staff, &ben, "reminder_48hr").await;
    until_texted(&fleet, &staff, &eve, "reminder_24hr").await;
    for who in [&ben, &eve] {
        let sent = texts(&fleet, &staff, who).await;
        assert_eq!(sent.iter().filter(|(t, _)| t == "reminder_48hr").count(), 1, "{sent:?}");
    }
    fleet.teardown().await;
}

/// A cancelled high-urgency booking: its tasks and reminders go, the
/// patient gets the rescue text, and staff an urgent rescue call.
#[tokio::test]
async fn a_cancellation_drops_the_reminders_and_starts_the_rescue() {
    let (fleet, clock) = fleet_at(tuesday_noon()).await;
    let (_, staff, admin) = clinic(&fleet, "auto-b").await;
    let (status, mapped) = fleet
        .api_send(
            Method::PUT,
            &admin,
            "/api/admin/service-types",
            Some(
                &json!({"external_service_id": "svc-skin-check", "service_type": "high_risk", "urgency_level": "high"}),
            ),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{mapped}");
    let booking = book(&fleet, "auto-b", "wix-auto-b-1", "0412 111 222", friday_ten()).await;
    let detail = fleet.contact_by_phone(&staff, "+61412111222").await;
    let sam = detail["contact"]["id"].as_str().unwrap().to_owned();
    until_texted(&fleet, &staff, &sam, "booking_confirmation").await;
    until_task(&fleet, &staff, &sam, "welcome_call").await;

    let wix_id = "wix-auto-b-1";
    let claims = wix_action_claims(
        "wix-auto-b",
        "canceled",
        "evt-cancel-b",
        wix_id,
        "CANCELED",
        friday_ten(),
        Utc::now(),
    );
    let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 200, "{answer}");

    until_texted(&fleet, &staff, &sam, "cancellation_rescue").await;
    let rescue = until_task(&fleet, &staff, &sam, "rescue_call").await;
    assert_eq!(rescue["booking"]["id"], booking.as_str());
    assert_eq!(rescue["booking"]["urgency_level"], "high");
    assert_eq!(rescue["priority_hint"], "urgent");
    // Spec 000: base 100 × 1.5 for high urgency, plus (warmness − 50) / 2.
    let warmness = rescue["contact"]["warmness_score"].as_f64().unwrap();
    let expected = (150.0 + (warmness - 50.0) / 2.0 + 0.5).floor();
    assert_eq!(rescue["priority_score"].as_f64().unwrap(), expected, "{rescue}");
    let category = if expected >= 150.0 { "URGENT" } else { "HIGH" };
    assert_eq!(rescue["priority_category"], category, "{rescue}");
    until_stage(&fleet, &staff, &sam, "cancelled_rescue").await;
    let cancelled = tasks_of(&fleet, &staff, &sam, "cancelled").await;
    assert!(cancelled.iter().any(|t| t["type"] == "welcome_call"), "{cancelled:?}");

    // The reminders' times come and go: nothing is sent.
    clock.advance(chrono::Duration::hours(23));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent = texts(&fleet, &staff, &sam).await;
    assert!(!sent.iter().any(|(t, _)| t.starts_with("reminder_")), "{sent:?}");
    fleet.teardown().await;
}

/// Pipeline C: attended → a thank-you text at once, review and referral
/// calls a day and three days on, and the recall a year on; on the recall
/// date the daily check sends the recall text.
#[tokio::test]
async fn an_attended_visit_thanks_the_patient_and_sets_the_recall() {
    let (fleet, clock) = fleet_at(tuesday_noon()).await;
    let (_, staff, _) = clinic(&fleet, "auto-c").await;
    let booking = book(&fleet, "auto-c", "wix-auto-c-1", "0412 333 444", friday_ten()).await;
    let detail = fleet.contact_by_phone(&staff, "+61412333444").await;
    let kim = detail["contact"]["id"].as_str().unwrap().to_owned();
    until_texted(&fleet, &staff, &kim, "booking_confirmation").await;

    // Friday, after the appointment.
    clock.advance(chrono::Duration::hours(71));
    let (status, answer) = fleet
        .api_send(
            Method::POST,
            &staff,
            &format!("/api/bookings/{booking}/outcome"),
            Some(&json!({"outcome": "attended"})),
            &[("idempotency-key", "attended-c")],
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    until_texted(&fleet, &staff, &kim, "thank_you_attended").await;
    until_stage(&fleet, &staff, &kim, "attended").await;
    let now = tuesday_noon() + chrono::Duration::hours(71);
    let review = until_task(&fleet, &staff, &kim, "review_request").await;
    assert_eq!(
        review["due_datetime"],
        (now + chrono::Duration::days(1)).timestamp(),
        "{review}"
    );
    let referral = until_task(&fleet, &staff, &kim, "referral_invite").await;
    assert_eq!(
        referral["due_datetime"],
        (now + chrono::Duration::days(3)).timestamp(),
        "{referral}"
    );

    let recall = fleet
        .until_some(Duration::from_secs(30), "the recall is set", || async {
            let (status, body) = fleet.api_get(&staff, &format!("/api/contacts/{kim}/recall")).await;
            (status == 200).then_some(body)
        })
        .await;
    let due_on = recall["recall"]["due_on"]
        .as_str()
        .unwrap_or_else(|| panic!("{recall}"))
        .to_owned();
    assert!(due_on.starts_with("2027-03-1"), "a year after the visit: {recall}");

    // The day after the recall date, mid-morning in Sydney.
    let due = chrono::NaiveDate::parse_from_str(&due_on, "%Y-%m-%d").unwrap();
    let next_morning = Utc.from_utc_datetime(&due.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap());
    clock.advance(next_morning - now);
    until_texted(&fleet, &staff, &kim, "recall_reminder").await;
    until_stage(&fleet, &staff, &kim, "recall_due").await;
    // Checked again an hour later, and the next day: still once.
    clock.advance(chrono::Duration::days(1));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent = texts(&fleet, &staff, &kim).await;
    assert_eq!(
        sent.iter().filter(|(t, _)| t == "recall_reminder").count(),
        1,
        "{sent:?}"
    );
    fleet.teardown().await;
}

/// Pipeline A: a form lead is welcomed and (texted) contacted; silent for
/// four hours, the hourly check sends the follow-up and queues a call.
///
/// Ingest and contact stamp touchpoints with the system's time, and the
/// check reads the age of the last one: this test's clock starts at the
/// real time, with quiet hours set well away from it.
#[tokio::test]
async fn a_silent_lead_is_followed_up_after_four_hours() {
    let (fleet, clock) = fleet_at(Utc::now()).await;
    let (_, staff, _) = clinic_quiet(&fleet, "auto-d", quiet_hours_away_from(Utc::now())).await;
    let form = "name=Lee+Park&phone=0412+555+777&intent=mole+check&utm_source=facebook&utm_medium=paid";
    let (status, answer, _) = fleet
        .post_ingest("/webhooks/forms/auto-d", FORM, form.as_bytes().to_vec(), &[])
        .await;
    assert_eq!(status, 200, "{answer}");
    let lead = fleet
        .until_some(Duration::from_secs(30), "the lead is visible", || async {
            let (_, body) = fleet.api_get(&staff, "/api/contacts?phone=%2B61412555777").await;
            body["contacts"][0]["id"].as_str().map(str::to_owned)
        })
        .await;
    until_texted(&fleet, &staff, &lead, "welcome_lead").await;
    until_stage(&fleet, &staff, &lead, "contacted").await;
    // Not a hot lead (warmness under 70): an SMS follow-up task, not a call.
    let detail = contact(&fleet, &staff, &lead).await;
    assert!(detail["contact"]["warmness_score"].as_i64().unwrap() < 70, "{detail}");
    until_task(&fleet, &staff, &lead, "sms_followup").await;

    clock.advance(chrono::Duration::hours(4) + chrono::Duration::minutes(1));
    until_texted(&fleet, &staff, &lead, "follow_up_no_response").await;
    until_task(&fleet, &staff, &lead, "call").await;
    clock.advance(chrono::Duration::hours(1));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent = texts(&fleet, &staff, &lead).await;
    assert_eq!(
        sent.iter().filter(|(t, _)| t == "follow_up_no_response").count(),
        1,
        "{sent:?}"
    );
    fleet.teardown().await;
}

/// The queue as spec 000 shows it, working a task, and the rules: a typo
/// refused by its path, a new version, a dry run that changes nothing.
#[tokio::test]
async fn staff_work_the_queue_and_admins_edit_the_rules() {
    let (fleet, _clock) = fleet_at(tuesday_noon()).await;
    let (org, staff, admin) = clinic(&fleet, "auto-e").await;
    book(&fleet, "auto-e", "wix-auto-e-1", "0412 999 888", friday_ten()).await;
    let detail = fleet.contact_by_phone(&staff, "+61412999888").await;
    let ann = detail["contact"]["id"].as_str().unwrap().to_owned();
    let task = until_task(&fleet, &staff, &ann, "welcome_call").await;
    let id = task["id"].as_str().unwrap();

    let (status, queue) = fleet.api_get(&staff, "/api/tasks?timeframe=all").await;
    assert_eq!(status, 200, "{queue}");
    assert!(queue["counts"]["today"].as_u64().is_some(), "{queue}");
    assert!(
        queue["tasks"].as_array().unwrap().iter().any(|t| t["id"] == id),
        "mine: {queue}"
    );
    // A colleague's queue, by their id, is the same list.
    let (_, me) = fleet.api_get(&staff, "/api/auth/me").await;
    // The page shows the practice's times in its zone.
    assert_eq!(me["organisation"]["time_zone"], "Australia/Sydney", "{me}");
    assert_eq!(me["role"], "staff", "{me}");
    let theirs = format!("/api/tasks?timeframe=all&assigned_to={}", me["id"].as_str().unwrap());
    let (status, same) = fleet.api_get(&admin, &theirs).await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same["tasks"], queue["tasks"]);
    // A task can't be due before 2000 (seconds, not milliseconds).
    let (status, problem, _) = fleet
        .api_post(
            Some(&staff),
            "/api/tasks",
            &json!({"contact_id": ann, "type": "call", "due_datetime": -300_000_000_000_i64}),
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "due_datetime", "{problem}");

    let readonly = fleet.user_token(org, "readonly@auto-e.example", "readonly").await;
    let (status, _, _) = fleet
        .api_post(
            Some(&readonly),
            &format!("/api/tasks/{id}/complete"),
            &json!({"outcome": "success"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, problem, _) = fleet
        .api_post(
            Some(&staff),
            &format!("/api/tasks/{id}/complete"),
            &json!({"outcome": "sorted"}),
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "outcome", "{problem}");
    let (status, done) = fleet
        .api_send(
            Method::POST,
            &staff,
            &format!("/api/tasks/{id}/complete"),
            Some(&json!({"notes": "Called, all good", "outcome": "success"})),
            &[("idempotency-key", "complete-e")],
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["success"], true);
    assert_eq!(done["task"]["status"], "completed");
    assert_eq!(done["task"]["completed_at"], tuesday_noon().timestamp(), "{done}");
    assert_eq!(done["task"]["outcome"], "success");

    // Rules: a typo is refused by its JSON path; a change is a new version.
    let (status, problem, _) = fleet
        .api_post(
            Some(&admin),
            "/api/automation/rules",
            &json!({"id": "vip_welcome", "name": "VIP welcome", "trigger": "booking_created",
                    "actions": [{"type": "send_sms", "template": "welcom_lead"}]}),
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "actions[0].template", "{problem}");
    let (status, created, _) = fleet
        .api_post(
            Some(&admin),
            "/api/automation/rules",
            &json!({"id": "vip_welcome", "name": "VIP welcome", "trigger": "booking_created",
                    "conditions": {"warmness": {"gte": 90}},
                    "actions": [{"type": "create_task", "task_type": "call", "priority": "high"}]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["rule"]["id"], "rule_vip_welcome");
    assert_eq!(created["rule"]["version"], 1);
    let (status, staff_try, _) = fleet
        .api_post(Some(&staff), "/api/automation/rules", &json!({"id": "x", "name": "x"}))
        .await;
    assert_eq!(status, 403, "{staff_try}");
    let (status, updated) = fleet
        .api_send(
            Method::PUT,
            &admin,
            "/api/automation/rules/rule_vip_welcome",
            Some(&json!({"name": "VIP welcome", "trigger": "booking_created",
                         "conditions": {"warmness": {"gte": 0}},
                         "actions": [{"type": "create_task", "task_type": "call", "priority": "high"}]})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["rule"]["version"], 2);

    // A dry run of the new version against Ann's past: it would fire on
    // her booking, and nothing is made.
    let before = tasks_of(&fleet, &staff, &ann, "open").await.len();
    let (status, tried, _) = fleet
        .api_post(
            Some(&admin),
            "/api/automation/rules/rule_vip_welcome/dry-run",
            &json!({"contact_id": ann}),
        )
        .await;
    assert_eq!(status, 200, "{tried}");
    let runs = tried["runs"].as_array().unwrap();
    assert!(
        runs.iter().any(|r| r["matched"] == true && r["rule_version"] == 2),
        "{tried}"
    );
    assert_eq!(tasks_of(&fleet, &staff, &ann, "open").await.len(), before);
    // A draft: its conditions fail on her, and say what they saw.
    let (status, tried, _) = fleet
        .api_post(
            Some(&admin),
            "/api/automation/rules/rule_vip_welcome/dry-run",
            &json!({"contact_id": ann, "definition": {"name": "Draft", "trigger": "booking_created",
                    "conditions": {"warmness": {"gte": 101}},
                    "actions": [{"type": "create_task", "task_type": "call"}]}}),
        )
        .await;
    assert_eq!(status, 200, "{tried}");
    let run = &tried["runs"][0];
    assert_eq!(run["matched"], false, "{tried}");
    assert_eq!(run["conditions"][0]["field"], "warmness", "{tried}");
    assert_eq!(run["conditions"][0]["passed"], false, "{tried}");
    assert!(run["conditions"][0]["seen"].is_number(), "{tried}");

    let (status, listed) = fleet
        .api_get(&staff, "/api/automation/rules?trigger=booking_created")
        .await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<&str> = listed["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"rule_on_booking_created") && ids.contains(&"rule_vip_welcome"),
        "{ids:?}"
    );
    fleet.teardown().await;
}

/// The settings page's parts of the API: an admin sets the opening hours
/// (refused by the field as the body spells it), reads what a rule did
/// lately, and staff find whom to hand a task to.
#[tokio::test]
async fn admins_set_opening_hours_and_read_what_a_rule_did() {
    let (fleet, _clock) = fleet_at(tuesday_noon()).await;
    let (org, staff, admin) = clinic(&fleet, "auto-s").await;
    let readonly = fleet.user_token(org, "readonly@auto-s.example", "readonly").await;
    let hours = "/api/admin/settings/business-hours";

    let week = json!([
        [["09:00", "17:00"]],
        [["08:00", "12:00"], ["13:00", "18:30"]],
        [],
        [],
        [],
        [],
        []
    ]);
    let (status, problem) = fleet
        .api_send(
            Method::PUT,
            &admin,
            hours,
            Some(&json!({"business_hours": [[["09:00", "17:00"]], [["18:00", "08:00"]], [], [], [], [], []]})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "business_hours[1][0]", "{problem}");
    assert!(
        problem["errors"][0]["reason"].as_str().unwrap().contains("open before"),
        "{problem}"
    );
    let (status, problem) = fleet
        .api_send(Method::PUT, &admin, hours, Some(&json!({"business_hours": [[]]})), &[])
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "business_hours", "{problem}");
    let (status, _) = fleet
        .api_send(Method::PUT, &staff, hours, Some(&json!({"business_hours": week})), &[])
        .await;
    assert_eq!(status, 403);
    let (_, before) = fleet.api_get(&admin, "/api/admin/settings").await;
    assert_eq!(
        before["business_hours"][1],
        json!([["09:00", "17:00"]]),
        "unchanged by refusals: {before}"
    );
    let (status, saved) = fleet
        .api_send(Method::PUT, &admin, hours, Some(&json!({"business_hours": week})), &[])
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["business_hours"], week, "{saved}");
    let (_, shown) = fleet.api_get(&admin, "/api/admin/settings").await;
    assert_eq!(shown["business_hours"], week, "{shown}");
    let (_, audit) = fleet.api_get(&admin, "/api/admin/audit").await;
    assert!(audit.to_string().contains("settings.business_hours"), "{audit}");

    // A booking runs the booking rule; its runs list the contact's.
    book(&fleet, "auto-s", "wix-auto-s-1", "0412 999 777", friday_ten()).await;
    let ann = fleet.contact_by_phone(&staff, "+61412999777").await["contact"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = until_task(&fleet, &staff, &ann, "welcome_call").await;
    let (status, runs) = fleet
        .api_get(&admin, "/api/automation/rules/rule_on_booking_created/runs?limit=5")
        .await;
    assert_eq!(status, 200, "{runs}");
    let run = &runs["runs"][0];
    assert_eq!(run["rule_id"], "rule_on_booking_created", "{runs}");
    assert_eq!(run["contact_id"], ann.as_str(), "{runs}");
    let named = fleet.api_get(&staff, &format!("/api/contacts/{ann}")).await.1["contact"]["name"].clone();
    assert!(named.is_string(), "{named}");
    assert_eq!(run["contact_name"], named, "runs name their contacts: {runs}");
    assert_eq!(run["matched"], true, "{runs}");
    assert!(!run["actions"].as_array().unwrap().is_empty(), "{runs}");
    let (_, unmatched) = fleet
        .api_get(
            &admin,
            "/api/automation/rules/rule_on_booking_created/runs?matched=false",
        )
        .await;
    assert_eq!(unmatched["runs"], json!([]), "{unmatched}");
    let (status, _) = fleet
        .api_get(&admin, "/api/automation/rules/rule_nothing_here/runs")
        .await;
    assert_eq!(status, 404);
    let (status, problem) = fleet
        .api_get(&admin, "/api/automation/rules/rule_on_booking_created/runs?limit=500")
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "limit", "{problem}");

    // Staff see whom a task can go to: active admins and staff, by name.
    let (status, people) = fleet.api_get(&staff, "/api/tasks/assignees").await;
    assert_eq!(status, 200, "{people}");
    let roles: Vec<&str> = people["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["role"].as_str())
        .collect();
    assert!(roles.contains(&"staff") && roles.contains(&"admin"), "{people}");
    assert!(!roles.contains(&"readonly"), "{people}");
    assert!(people.to_string().find("@").is_none(), "names, not addresses: {people}");
    let (status, _) = fleet.api_get(&readonly, "/api/tasks/assignees").await;
    assert_eq!(status, 403);
    // Any of them can be handed a task, the admin too (new work goes to
    // staff in turn, but a person may give it to anyone listed); the
    // read-only user can't.
    let admin_id = fleet.api_get(&admin, "/api/auth/me").await.1["id"].clone();
    let readonly_id = fleet.api_get(&readonly, "/api/auth/me").await.1["id"].clone();
    let reassign = format!("/api/tasks/{}/reassign", task["id"].as_str().unwrap());
    let (status, moved, _) = fleet
        .api_post(Some(&staff), &reassign, &json!({"assigned_to": admin_id}))
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["task"]["assigned_to"], admin_id, "{moved}");
    let (status, problem, _) = fleet
        .api_post(Some(&staff), &reassign, &json!({"assigned_to": readonly_id}))
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "assigned_to", "{problem}");
    fleet.teardown().await;
}

/// The queue sorts in SQL by the same formula the API shows: the two agree
/// on every task type, urgency, lateness and warmness, rounding included.
#[tokio::test]
async fn the_database_scores_tasks_as_the_api_does() {
    use attend_automation::priority::{Inputs, SQL, score};
    let fleet = TestFleet::start_with(Options {
        services: vec![ServiceName::Automation],
        ..Options::default()
    })
    .await;
    let mut db = fleet.admin().await;
    let query = format!(
        "select {SQL} from (select $2::text as scored_type, $3::uuid as booking_id, $4::timestamptz as due_at) t,
                 (select $5::text as urgency_level) b, (select $6::int as warmness) c"
    );
    let now = tuesday_noon();
    let types = [
        "rescue_call",
        "call_hot_lead",
        "no_show_followup",
        "confirmation_call",
        "welcome_call",
        "recall_call",
        "review_request",
        "referral_invite",
        "call",
    ];
    let urgencies = [None, Some("high"), Some("medium"), Some("low")];
    let late_minutes = [-120, 0, 1, 59, 60, 61, 179, 300, 301, 6_000];
    let warmth = [0, 1, 49, 50, 51, 84, 85, 100];
    let mut checked = 0;
    for kind in types {
        for urgency in urgencies {
            for late in late_minutes {
                for warmness in warmth {
                    let due_at = now - chrono::Duration::minutes(late);
                    let booking = urgency.map(|_| uuid::Uuid::nil());
                    let in_sql: i32 = sqlx::query_scalar(sqlx::AssertSqlSafe(query.as_str()))
                        .bind(now)
                        .bind(kind)
                        .bind(booking)
                        .bind(due_at)
                        .bind(urgency)
                        .bind(warmness)
                        .fetch_one(&mut db)
                        .await
                        .unwrap();
                    let in_rust = score(
                        Inputs {
                            scored_type: kind,
                            urgency,
                            due_at,
                            warmness,
                        },
                        now,
                    );
                    assert_eq!(
                        in_sql, in_rust,
                        "{kind} {urgency:?} {late} min late, warmness {warmness}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 9 * 4 * 10 * 8);
    fleet.teardown().await;
}

/// The staff's live channel: a task made, a text sent and the task
/// completed arrive as pushes of ids and states, never the text itself.
#[tokio::test]
async fn staff_see_tasks_and_texts_change_live() {
    let (fleet, _clock) = fleet_at(tuesday_noon()).await;
    let (_org, staff, _admin) = clinic(&fleet, "auto-live").await;
    let mut socket = super::care::live(&fleet, &staff).await;
    let contact = fleet
        .new_contact(&staff, "Lee Live", "0412 555 101", "lee.live@example.com")
        .await;
    /// The next push of `kind` about `contact` (rules act on a new contact
    /// too, so other pushes may come first).
    async fn push_about(socket: &mut super::care::Socket, kind: &str, contact: &str) -> Value {
        loop {
            let push = super::care::next_push(socket).await;
            if push["type"] == kind && push["contact_id"] == contact {
                return push;
            }
        }
    }

    let (status, made, _) = fleet
        .api_post(
            Some(&staff),
            "/api/tasks",
            &json!({"contact_id": contact, "type": "call", "notes": "Ring about the referral"}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let task = made["task"]["id"].as_str().unwrap().to_owned();
    loop {
        let push = push_about(&mut socket, "task", &contact).await;
        if push["task_id"] == task.as_str() {
            assert_eq!(push["change"], "created", "{push}");
            assert!(push.get("notes").is_none(), "no text in a push: {push}");
            break;
        }
    }

    let (status, sent, _) = fleet
        .api_post(
            Some(&staff),
            "/api/sms/send",
            &json!({"contact_id": contact, "message": "Hi Lee, it's the clinic"}),
        )
        .await;
    assert!(status == 200 || status == 202, "{status}: {sent}");
    let push = push_about(&mut socket, "sms", &contact).await;
    assert_eq!(push["direction"], "outbound", "{push}");
    assert!(push["message_id"].as_str().unwrap().starts_with("sms_"), "{push}");
    assert!(!push.to_string().contains("Hi Lee"), "no text in a push: {push}");

    // A claim and a snooze reach a colleague's queue too.
    let (status, claimed, _) = fleet
        .api_post(Some(&staff), &format!("/api/tasks/{task}/claim"), &json!({}))
        .await;
    assert_eq!(status, 200, "{claimed}");
    loop {
        let push = push_about(&mut socket, "task", &contact).await;
        if push["task_id"] == task.as_str() {
            assert_eq!(push["change"], "claimed", "{push}");
            break;
        }
    }
    let until = tuesday_noon().timestamp() + 3600;
    let (status, snoozed, _) = fleet
        .api_post(
            Some(&staff),
            &format!("/api/tasks/{task}/snooze"),
            &json!({"until": until}),
        )
        .await;
    assert_eq!(status, 200, "{snoozed}");
    loop {
        let push = push_about(&mut socket, "task", &contact).await;
        if push["task_id"] == task.as_str() {
            assert_eq!(push["change"], "snoozed", "{push}");
            break;
        }
    }

    let (status, done, _) = fleet
        .api_post(
            Some(&staff),
            &format!("/api/tasks/{task}/complete"),
            &json!({"outcome": "success"}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    loop {
        let push = push_about(&mut socket, "task", &contact).await;
        if push["task_id"] == task.as_str() && push["change"] == "completed" {
            break;
        }
    }
    fleet.teardown().await;
}
