//! A booking's life after creation: Wix confirm, reschedule and cancel
//! events, late and early deliveries, staff-recorded outcomes and the
//! practice's service-type mapping.

use std::time::Duration;

use attend_integration_tests::http::event_touchpoints;
use attend_integration_tests::{TestFleet, WIX_PRIVATE_KEY, wix_action_claims, wix_created_claims, wix_jwt};
use chrono::{DateTime, Duration as Span, Utc};
use reqwest::Method;
use serde_json::{Value, json};

/// Waits until the booking answers `check`; returns it.
pub async fn booking_when(
    fleet: &TestFleet,
    token: &str,
    id: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let path = format!("/api/bookings/{id}");
    fleet
        .until_some(Duration::from_secs(30), what, || async {
            let (status, body) = fleet.api_get(token, &path).await;
            (status == 200 && check(&body)).then_some(body)
        })
        .await
}

async fn post(fleet: &TestFleet, claims: &Value) {
    let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, claims)).await;
    assert_eq!(status, 200, "{answer}");
}

/// Posts a Wix "booking created" webhook; the booking id ingest answers.
pub async fn create(fleet: &TestFleet, instance: &str, event_id: &str, booking: &str, phone: &str) -> String {
    let claims = wix_created_claims(instance, event_id, booking, phone, 300);
    let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 200, "{answer}");
    answer["bookingId"].as_str().unwrap().to_owned()
}

/// The kinds of a booking's history, oldest first.
pub fn kinds(booking: &Value) -> Vec<String> {
    booking["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// A booking Wix created and then moved, by a newer event, to two hours
/// ago (a correction): its appointment is over, so outcomes can be
/// recorded.
struct MovedBooking {
    fleet: TestFleet,
    token: String,
    id: String,
    /// Just before the booking was created; provider event times count from it.
    t0: DateTime<Utc>,
    /// The appointment time it was moved to.
    moved_to: DateTime<Utc>,
    /// The booking once the move applied.
    booking: Value,
}

async fn a_booking_moved_to_the_past() -> MovedBooking {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("life-a", "wix-life-a").await;
    let token = fleet.user_token(org, "staff@life-a.example", "staff").await;
    let t0 = Utc::now();

    let id = create(&fleet, "wix-life-a", "evt-c", "wb-1", "0412 111 222").await;
    booking_when(&fleet, &token, &id, "the booking exists", |b| {
        b["status"] == "confirmed"
    })
    .await;

    let moved_to = t0 - Span::hours(2);
    post(
        &fleet,
        &wix_action_claims(
            "wix-life-a",
            "rescheduled",
            "evt-r1",
            "wb-1",
            "CONFIRMED",
            moved_to,
            t0 + Span::seconds(1),
        ),
    )
    .await;
    let booking = booking_when(&fleet, &token, &id, "the reschedule applies", |b| {
        b["status"] == "rescheduled"
    })
    .await;
    MovedBooking {
        fleet,
        token,
        id,
        t0,
        moved_to,
        booking,
    }
}

/// A move newer than what was applied reschedules the booking and is on
/// its history; a stale move, timed before it, changes nothing.
#[tokio::test]
async fn a_newer_move_reschedules_a_booking_and_a_stale_one_changes_nothing() {
    let moved = a_booking_moved_to_the_past().await;
    let (fleet, token, id, t0) = (&moved.fleet, &moved.token, &moved.id, moved.t0);
    assert_eq!(moved.booking["appointment_datetime"], moved.moved_to.timestamp());
    assert_eq!(moved.booking["reschedule_count"], 1);
    assert_eq!(kinds(&moved.booking), ["created", "rescheduled"]);

    post(
        fleet,
        &wix_action_claims(
            "wix-life-a",
            "rescheduled",
            "evt-r0",
            "wb-1",
            "CONFIRMED",
            t0 + Span::days(10),
            t0 - Span::seconds(30),
        ),
    )
    .await;
    fleet
        .eventually(Duration::from_secs(20), "the stale event is consumed", || async {
            fleet
                .count("select count(*) from booking.inbox where consumer like '%intake%'")
                .await
                == 3
        })
        .await;
    let booking = booking_when(fleet, token, id, "the booking", |_| true).await;
    assert_eq!(booking["appointment_datetime"], moved.moved_to.timestamp());
    assert_eq!(booking["reschedule_count"], 1);
    moved.fleet.teardown().await;
}

/// A bad outcome names the field; a no-show is recorded once however
/// often the same request is retried, and staff can correct it to
/// attended, which makes the contact an existing patient. Each step is on
/// the booking's history and the contact's timeline.
#[tokio::test]
async fn an_outcome_is_recorded_once_and_a_correction_to_attended_makes_a_patient() {
    let MovedBooking { fleet, token, id, .. } = a_booking_moved_to_the_past().await;
    let outcome = format!("/api/bookings/{id}/outcome");
    let (status, problem) = fleet
        .api_send(Method::POST, &token, &outcome, Some(&json!({"outcome": "maybe"})), &[])
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "outcome");
    for _ in 0..3 {
        let (status, answer) = fleet
            .api_send(
                Method::POST,
                &token,
                &outcome,
                Some(&json!({"outcome": "no_show", "notes": "no answer at the door"})),
                &[("idempotency-key", "outcome-1")],
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["booking"]["outcome"], "no_show");
    }
    let booking = booking_when(&fleet, &token, &id, "the outcome", |b| b["outcome"] == "no_show").await;
    assert_eq!(kinds(&booking), ["created", "rescheduled", "outcome"]);
    assert_eq!(booking["history"][2]["note"], "no answer at the door");
    assert!(booking["outcome_recorded_at"].is_i64());

    // Staff correct it: the patient came after all.
    let (status, answer) = fleet
        .api_send(
            Method::POST,
            &token,
            &outcome,
            Some(&json!({"outcome": "attended"})),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["booking"]["outcome"], "attended");

    let detail = fleet.contact_by_phone(&token, "+61412111222").await;
    let contact_path = format!("/api/contacts/{}", detail["contact"]["id"].as_str().unwrap());
    let detail = fleet
        .until_some(Duration::from_secs(20), "the timeline has the outcomes", || async {
            let (_, body) = fleet.api_get(&token, &contact_path).await;
            (event_touchpoints(&body).len() == 4).then_some(body)
        })
        .await;
    let touchpoints = event_touchpoints(&detail);
    let mut types: Vec<&str> = touchpoints.iter().map(|t| t["type"].as_str().unwrap()).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "appointment_attended",
            "appointment_no_show",
            "booking_created",
            "booking_rescheduled"
        ]
    );
    assert_eq!(detail["contact"]["is_existing_patient"], true);
    fleet.teardown().await;
}

/// Once the provider cancels a booking, no outcome can be recorded for it.
#[tokio::test]
async fn a_cancelled_booking_takes_no_outcome() {
    let moved = a_booking_moved_to_the_past().await;
    let (fleet, token, id) = (&moved.fleet, &moved.token, &moved.id);
    post(
        fleet,
        &wix_action_claims(
            "wix-life-a",
            "canceled",
            "evt-x",
            "wb-1",
            "CANCELED",
            moved.moved_to,
            moved.t0 + Span::seconds(5),
        ),
    )
    .await;
    booking_when(fleet, token, id, "the cancellation applies", |b| {
        b["status"] == "cancelled"
    })
    .await;
    let (status, problem) = fleet
        .api_send(
            Method::POST,
            token,
            &format!("/api/bookings/{id}/outcome"),
            Some(&json!({"outcome": "no_show"})),
            &[],
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    moved.fleet.teardown().await;
}

/// A cancellation Wix delivers before the creation (it names no customer)
/// waits; once the creation lands the booking ends up cancelled, with both
/// steps in its history. A no-show on an appointment still to come is
/// refused.
#[tokio::test]
async fn a_cancellation_that_overtakes_the_creation_still_cancels() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("life-b", "wix-life-b").await;
    let token = fleet.user_token(org, "staff@life-b.example", "staff").await;
    let start = Utc::now() + Span::days(3);
    post(
        &fleet,
        &wix_action_claims(
            "wix-life-b",
            "canceled",
            "evt-x",
            "wb-2",
            "CANCELED",
            start,
            Utc::now() + Span::seconds(2),
        ),
    )
    .await;
    let id = create(&fleet, "wix-life-b", "evt-c", "wb-2", "0412 333 444").await;
    let booking = booking_when(&fleet, &token, &id, "the booking is cancelled", |b| {
        b["status"] == "cancelled"
    })
    .await;
    assert_eq!(kinds(&booking), ["created", "cancelled"]);

    // A second booking, still to come, cannot be a no-show yet.
    let future = create(&fleet, "wix-life-b", "evt-c2", "wb-3", "0412 333 444").await;
    booking_when(&fleet, &token, &future, "the second booking", |_| true).await;
    let (status, problem) = fleet
        .api_send(
            Method::POST,
            &token,
            &format!("/api/bookings/{future}/outcome"),
            Some(&json!({"outcome": "no_show"})),
            &[],
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    fleet.teardown().await;
}

/// The practice classifies a Wix service: its upcoming bookings take the
/// type and urgency, and so do new ones. Only admins may; a bad type is
/// named.
#[tokio::test]
async fn a_service_type_mapping_classifies_bookings() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("life-c", "wix-life-c").await;
    let staff = fleet.user_token(org, "staff@life-c.example", "staff").await;
    let admin = fleet.user_token(org, "admin@life-c.example", "admin").await;
    let first = create(&fleet, "wix-life-c", "evt-1", "wb-4", "0412 555 000").await;
    let booking = booking_when(&fleet, &staff, &first, "the booking exists", |_| true).await;
    assert_eq!(booking["service_type"], "unclassified");
    assert_eq!(booking["urgency_level"], "medium");

    let mapping = json!({"external_service_id": "svc-skin-check", "service_type": "procedure"});
    let (status, _) = fleet
        .api_send(Method::PUT, &staff, "/api/admin/service-types", Some(&mapping), &[])
        .await;
    assert_eq!(status, 403, "staff may not classify services");
    let (status, problem) = fleet
        .api_send(
            Method::PUT,
            &admin,
            "/api/admin/service-types",
            Some(&json!({"external_service_id": "svc-skin-check", "service_type": "surgery"})),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "service_type");
    let (status, saved) = fleet
        .api_send(Method::PUT, &admin, "/api/admin/service-types", Some(&mapping), &[])
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved["urgency_level"], "high",
        "a procedure is high urgency unless said otherwise"
    );

    let booking = booking_when(&fleet, &staff, &first, "the booking is reclassified", |b| {
        b["service_type"] == "procedure"
    })
    .await;
    assert_eq!(booking["urgency_level"], "high");

    let second = create(&fleet, "wix-life-c", "evt-2", "wb-5", "0412 555 001").await;
    let booking = booking_when(&fleet, &staff, &second, "the new booking", |_| true).await;
    assert_eq!(booking["service_type"], "procedure");
    assert_eq!(booking["urgency_level"], "high");

    let (status, list) = fleet.api_get(&staff, "/api/admin/service-types").await;
    assert_eq!(status, 200);
    assert_eq!(list["service_types"][0]["service_type"], "procedure");
    fleet.teardown().await;
}
