//! A Wix booking from webhook to API, in both accepted forms, and duplicates.

use std::time::Duration;

use attend_integration_tests::http::event_touchpoints;
use attend_integration_tests::{TestFleet, WIX_PRIVATE_KEY, seed_booking, wix_created_claims, wix_jwt};

/// A Wix Bookings v2 "booking created" webhook, as Wix sends it (a JWT
/// signed RS256), becomes a contact, a booking and a `booking_created`
/// touchpoint that the gateway shows in the seed's shape.
#[tokio::test]
async fn a_wix_jwt_booking_becomes_a_contact_with_its_booking_and_touchpoint() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("clinic-a", "wix-a").await;
    let token = fleet.user_token(org, "staff@clinic-a.example", "staff").await;

    let claims = wix_created_claims("wix-a", "evt-wix-1", "wix-booking-1", "0412 345 678", 300);
    let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["success"], true);
    assert!(answer["eventId"].as_str().unwrap().starts_with("evt_"));
    let booking_id = answer["bookingId"].as_str().unwrap().to_owned();
    assert!(booking_id.starts_with("booking_"));

    let detail = fleet.contact_by_phone(&token, "+61412345678").await;
    let contact = &detail["contact"];
    assert!(contact["id"].as_str().unwrap().starts_with("contact_"));
    assert_eq!(contact["name"], "Jane Doe");
    assert_eq!(contact["phone"], "+61412345678", "the local number is stored E.164");
    assert_eq!(contact["email"], "jane.doe@example.com", "the email is normalised");
    assert_eq!(contact["source"], "Wix");
    assert_eq!(contact["warmness_score"], 0);
    assert_eq!(contact["is_existing_patient"], false);
    for field in ["current_pipeline", "current_stage"] {
        assert!(contact[field].is_string(), "{field} is present");
    }

    let bookings = detail["bookings"].as_array().unwrap();
    assert_eq!(bookings.len(), 1);
    assert_eq!(
        bookings[0]["id"],
        booking_id.as_str(),
        "the id ingest answered is the booking's id"
    );
    assert_eq!(bookings[0]["status"], "confirmed");
    assert_eq!(bookings[0]["service_name"], "Skin check");
    assert!(bookings[0]["appointment_datetime"].is_i64());
    assert_eq!(bookings[0]["first_touch_attribution"], "Wix");

    let touchpoints = event_touchpoints(&detail);
    assert_eq!(touchpoints.len(), 1);
    assert_eq!(touchpoints[0]["type"], "booking_created");
    assert_eq!(touchpoints[0]["source"], "Wix");
    assert_eq!(touchpoints[0]["details"]["booking_id"], booking_id.as_str());
    assert!(touchpoints[0]["timestamp"].is_i64());
    // The rules' own work (the welcome call) is automation's to test.
    assert!(detail["tasks"].is_array());
    fleet.teardown().await;
}

/// The seed's JSON body, forwarded by Zapier or Make and signed with
/// Standard Webhooks, takes the same path; with one organisation, a body
/// without a Wix instance id routes to it.
#[tokio::test]
async fn the_seed_json_form_signed_with_standard_webhooks_is_accepted() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("clinic-b", "wix-b").await;
    let token = fleet.user_token(org, "admin@clinic-b.example", "admin").await;

    let (status, answer) = fleet
        .post_signed_json("msg_seed_1", &seed_booking(None, "wix_12345", "+61400000000"))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["handled"], true);

    let detail = fleet.contact_by_phone(&token, "+61400000000").await;
    assert_eq!(detail["contact"]["name"], "Jane Doe");
    assert_eq!(detail["bookings"][0]["status"], "scheduled");
    assert_eq!(detail["bookings"][0]["id"], answer["bookingId"]);
    fleet.teardown().await;
}

/// The same webhook delivered five times at once and five times in a row
/// answers the same ids every time and yields one contact, one booking and
/// one touchpoint.
#[tokio::test]
async fn ten_deliveries_of_one_webhook_have_one_effect() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("clinic-c", "wix-c").await;
    let token = fleet.user_token(org, "staff@clinic-c.example", "staff").await;
    let claims = wix_created_claims("wix-c", "evt-dup-1", "wix-booking-dup", "0412 000 111", 300);
    let jwt = wix_jwt(WIX_PRIVATE_KEY, &claims);

    let concurrent = futures::future::join_all((0..5).map(|_| fleet.post_wix_jwt(&jwt))).await;
    let mut answers = concurrent;
    for _ in 0..5 {
        answers.push(fleet.post_wix_jwt(&jwt).await);
    }
    for (status, answer) in &answers {
        assert_eq!(*status, 200, "{answer}");
        assert_eq!(answer["eventId"], answers[0].1["eventId"]);
        assert_eq!(answer["bookingId"], answers[0].1["bookingId"]);
    }
    assert_eq!(
        answers.iter().filter(|(_, a)| a["duplicate"] == false).count(),
        1,
        "exactly one delivery is the original"
    );

    fleet.contact_by_phone(&token, "+61412000111").await;
    // A stray duplicate would be a second event on the stream: once every
    // event is handled and nothing is left to publish, it would show.
    fleet.settle().await;
    assert_eq!(fleet.count("select count(*) from ingest.event_log").await, 1);
    assert_eq!(fleet.count("select count(*) from contact.contacts").await, 1);
    assert_eq!(fleet.count("select count(*) from booking.bookings").await, 1);
    assert_eq!(
        fleet
            .count("select count(*) from contact.touchpoints where type = 'booking_created'")
            .await,
        1
    );
    fleet.teardown().await;
}

/// A second booking by the same person (same phone) matches the existing
/// contact instead of creating another.
#[tokio::test]
async fn a_second_booking_by_the_same_phone_matches_the_same_contact() {
    let fleet = TestFleet::start().await;
    let org = fleet.create_org("clinic-d", "wix-d").await;
    let token = fleet.user_token(org, "staff@clinic-d.example", "staff").await;
    for (i, phone) in ["0412 555 666", "+61 412 555 666"].iter().enumerate() {
        let claims = wix_created_claims("wix-d", &format!("evt-{i}"), &format!("booking-{i}"), phone, 300);
        let (status, _) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
        assert_eq!(status, 200);
    }
    fleet
        .eventually(Duration::from_secs(20), "both bookings are in", || async {
            fleet.count("select count(*) from booking.bookings").await == 2
        })
        .await;
    let detail = fleet.contact_by_phone(&token, "+61412555666").await;
    assert_eq!(fleet.count("select count(*) from contact.contacts").await, 1);
    fleet
        .eventually(Duration::from_secs(10), "both touchpoints are in", || async {
            fleet
                .count("select count(*) from contact.touchpoints where type = 'booking_created'")
                .await
                == 2
        })
        .await;
    assert!(!detail["bookings"].as_array().unwrap().is_empty());
    fleet.teardown().await;
}
