//! Booking's side of the automation contract through the gateway:
//! confirming a booking, recalls set, read, listed when due and closed, a
//! recall answered by booking again, recall months per service, and
//! recalls and warmness adjustments following contact merges.
//!
//! These fleets run without automation (see [`super::pipelines`]).

use std::time::Duration;

use attend_integration_tests::{TestFleet, WIX_PRIVATE_KEY, seed_booking, wix_action_claims, wix_jwt};
use attend_kit::grpc::{Caller, request};
use attend_kit::ids::{BookingId, TypedId};
use attend_kit::service::ServiceName;
use attend_proto::booking::v1 as booking;
use attend_proto::booking::v1::booking_service_client::BookingServiceClient;
use chrono::{Duration as Span, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use super::booking_lifecycle::{booking_when, create, kinds};
use super::pipelines::{clinic, fields, published, send};

/// Waits until a contact has this phone; its id.
async fn contact_id_by_phone(fleet: &TestFleet, token: &str, phone: &str) -> String {
    let path = format!("/api/contacts?phone={}", phone.replace('+', "%2B"));
    fleet
        .until_some(Duration::from_secs(20), "the contact exists", || async {
            let (_, body) = fleet.api_get(token, &path).await;
            body["contacts"][0]["id"].as_str().map(str::to_owned)
        })
        .await
}

/// The contact's open recall through the API: its status code and body.
async fn recall_of(fleet: &TestFleet, token: &str, contact: &str) -> (u16, Value) {
    fleet.api_get(token, &format!("/api/contacts/{contact}/recall")).await
}

/// Staff confirm a scheduled booking: it is confirmed once, in its
/// history and as `booking.confirmed`, however often they press; a
/// cancelled booking can't be; read-only users confirm nothing. A
/// service's recall months are kept with its mapping, within 0..120.
#[tokio::test]
async fn confirming_a_booking_confirms_it_once_and_a_cancelled_one_is_refused() {
    let (fleet, org, token) = clinic("recall-a").await;
    let (status, answer) = fleet
        .post_signed_json(
            "msg_confirm_1",
            &seed_booking(Some("wix-recall-a"), "bk-1", "0412 000 401"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["bookingId"].as_str().unwrap().to_owned();
    booking_when(&fleet, &token, &id, "the booking is scheduled", |b| {
        b["status"] == "scheduled"
    })
    .await;

    let confirm = format!("/api/bookings/{id}/confirm");
    let readonly = fleet.user_token(org, "viewer@recall-a.example", "readonly").await;
    let (status, _) = send(&fleet, Method::POST, &readonly, &confirm, json!({}), None).await;
    assert_eq!(status, 403);
    for key in [Some("confirm-1"), Some("confirm-1"), None] {
        let (status, answer) = send(&fleet, Method::POST, &token, &confirm, json!({}), key).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["booking"]["status"], "confirmed");
    }
    let booking = booking_when(&fleet, &token, &id, "the booking", |_| true).await;
    assert_eq!(kinds(&booking), ["created", "confirmed"]);
    assert!(booking["history"][1]["actor"].as_str().unwrap().starts_with("user_"));
    let confirmed = fleet
        .until_some(Duration::from_secs(10), "booking.confirmed is published", || async {
            let events: Vec<booking::BookingConfirmed> = published(&fleet, "booking.confirmed").await;
            (!events.is_empty()).then_some(events)
        })
        .await;
    assert_eq!(confirmed.len(), 1, "confirmed once");
    assert_eq!(
        confirmed[0].booking.as_ref().unwrap().id,
        BookingId::parse_public(&id).unwrap().uuid().to_string()
    );

    let cancelled = create(&fleet, "wix-recall-a", "evt-c", "wb-x", "0412 000 402").await;
    let claims = wix_action_claims(
        "wix-recall-a",
        "canceled",
        "evt-x",
        "wb-x",
        "CANCELED",
        Utc::now() + Span::days(3),
        Utc::now() + Span::seconds(5),
    );
    let (status, answer) = fleet.post_wix_jwt(&wix_jwt(WIX_PRIVATE_KEY, &claims)).await;
    assert_eq!(status, 200, "{answer}");
    booking_when(&fleet, &token, &cancelled, "the booking is cancelled", |b| {
        b["status"] == "cancelled"
    })
    .await;
    let (status, problem) = send(
        &fleet,
        Method::POST,
        &token,
        &format!("/api/bookings/{cancelled}/confirm"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(status, 409, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("cancelled"), "{problem}");

    let admin = fleet.user_token(org, "admin@recall-a.example", "admin").await;
    let mapping = |months: i32| json!({"external_service_id": "svc-biopsy", "service_type": "procedure", "recall_months": months});
    let (status, problem) = send(
        &fleet,
        Method::PUT,
        &admin,
        "/api/admin/service-types",
        mapping(121),
        None,
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["recall_months"]);
    let (status, saved) = send(
        &fleet,
        Method::PUT,
        &admin,
        "/api/admin/service-types",
        mapping(3),
        None,
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["recall_months"], 3);
    let (_, list) = fleet.api_get(&admin, "/api/admin/service-types").await;
    assert_eq!(list["service_types"][0]["recall_months"], 3);
    fleet.teardown().await;
}

/// A recall is set for a contact and read back; setting another replaces
/// it (the old one closed); open recalls due by a date are listed oldest
/// first, a page at a time; closing one (once, however often the request
/// is retried) leaves the contact without an open recall. Bad fields are
/// named.
#[tokio::test]
async fn a_recall_is_set_read_listed_when_due_and_closed() {
    let (fleet, org, token) = clinic("recall-b").await;
    let ann = fleet.new_contact(&token, "Ann Lee", "0412 000 411", "").await;
    let bob = fleet.new_contact(&token, "Bob Ray", "0412 000 412", "").await;
    let cat = fleet.new_contact(&token, "Cat Moe", "0412 000 413", "").await;
    let put = |contact: &str, body: Value| {
        let path = format!("/api/contacts/{contact}/recall");
        let fleet = &fleet;
        let token = &token;
        async move { send(fleet, Method::PUT, token, &path, body, None).await }
    };

    let (status, missing) = recall_of(&fleet, &token, &ann).await;
    assert_eq!(status, 404, "{missing}");
    let (status, first) = put(
        &ann,
        json!({"due_on": "2026-03-01", "reason": "high_risk", "months": 6}),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["recall"]["status"], "open");
    assert_eq!(first["recall"]["months"], 6);
    assert_eq!(first["recall"]["contact_id"], ann.as_str());
    assert!(first["recall"]["id"].as_str().unwrap().starts_with("recall_"));
    let (status, second) = put(&ann, json!({"due_on": "2026-01-05"})).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["recall"]["months"], 12, "no visit and no months: a year");
    assert_eq!(second["recall"]["reason"], Value::Null);
    let (status, read) = recall_of(&fleet, &token, &ann).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        read["recall"]["id"], second["recall"]["id"],
        "the newer replaces the older"
    );
    assert_eq!(read["recall"]["due_on"], "2026-01-05");
    let closed: Vec<booking::RecallClosed> = fleet
        .until_some(
            Duration::from_secs(10),
            "the replaced recall is announced closed",
            || async {
                let events: Vec<booking::RecallClosed> = published(&fleet, "booking.recall_closed").await;
                (!events.is_empty()).then_some(events)
            },
        )
        .await;
    assert_eq!(closed[0].recall.as_ref().unwrap().due_on, "2026-03-01");
    assert_eq!(closed[0].recall.as_ref().unwrap().status, "closed");

    put(&bob, json!({"due_on": "2026-01-20", "reason": "routine"})).await;
    put(&cat, json!({"due_on": "2099-01-01"})).await;
    let (status, problem) = put(&bob, json!({"due_on": "20/01/2026", "months": 121})).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["due_on", "months"]);

    let mut bookings = BookingServiceClient::new(fleet.fleet.peers().channel(ServiceName::Booking));
    let mut due = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = bookings
            .list_due_recalls(request(
                booking::ListDueRecallsRequest {
                    on_or_before: "2026-06-30".to_owned(),
                    limit: 1,
                    cursor: cursor.clone(),
                },
                &Caller::system(org),
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(page.recalls.len() <= 1);
        due.extend(page.recalls.into_iter().map(|r| r.due_on));
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    assert_eq!(
        due,
        ["2026-01-05", "2026-01-20"],
        "open and due, oldest first, once each"
    );
    let refused = bookings
        .list_due_recalls(request(
            booking::ListDueRecallsRequest {
                on_or_before: "June".to_owned(),
                limit: 501,
                cursor: String::new(),
            },
            &Caller::system(org),
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        refused.message(),
        "on_or_before: must be a date, YYYY-MM-DD; limit: must be between 1 and 500"
    );

    let close = format!("/api/contacts/{ann}/recall/close");
    let (status, problem) = send(&fleet, Method::POST, &token, &close, json!({"status": "open"}), None).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["status"]);
    for _ in 0..2 {
        let (status, closed) = send(
            &fleet,
            Method::POST,
            &token,
            &close,
            json!({"status": "closed", "note": "moved interstate"}),
            Some("close-1"),
        )
        .await;
        assert_eq!(status, 200, "a retry replays the answer: {closed}");
        assert_eq!(closed["recall"]["status"], "closed");
        assert_eq!(closed["recall"]["id"], second["recall"]["id"]);
        assert!(closed["recall"]["closed_at"].is_i64());
    }
    assert_eq!(recall_of(&fleet, &token, &ann).await.0, 404, "no open recall now");
    let (status, _) = send(&fleet, Method::POST, &token, &close, json!({"status": "closed"}), None).await;
    assert_eq!(status, 404, "nothing open to close");
    fleet.teardown().await;
}

/// A contact with an open recall who books again has it closed as
/// booked, in the transaction that creates the booking, and announced.
#[tokio::test]
async fn a_contact_who_books_again_has_their_recall_closed_as_booked() {
    let (fleet, _, token) = clinic("recall-c").await;
    let first = create(&fleet, "wix-recall-c", "evt-1", "wb-1", "0412 000 421").await;
    // Set after the first booking is in, so that only the second answers it.
    booking_when(&fleet, &token, &first, "the first booking", |_| true).await;
    let contact = contact_id_by_phone(&fleet, &token, "+61412000421").await;
    let (status, set) = send(
        &fleet,
        Method::PUT,
        &token,
        &format!("/api/contacts/{contact}/recall"),
        json!({"due_on": "2027-06-01", "reason": "routine"}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{set}");

    let again = create(&fleet, "wix-recall-c", "evt-2", "wb-2", "0412 000 421").await;
    fleet
        .eventually(Duration::from_secs(20), "the recall is answered", || async {
            recall_of(&fleet, &token, &contact).await.0 == 404
        })
        .await;
    let closed: Vec<booking::RecallClosed> = fleet
        .until_some(
            Duration::from_secs(10),
            "booking.recall_closed is published",
            || async {
                let events: Vec<booking::RecallClosed> = published(&fleet, "booking.recall_closed").await;
                (!events.is_empty()).then_some(events)
            },
        )
        .await;
    assert_eq!(closed.len(), 1);
    let recall = closed[0].recall.as_ref().unwrap();
    assert_eq!(recall.status, "booked");
    assert_eq!(recall.due_on, "2027-06-01");
    booking_when(&fleet, &token, &again, "the new booking", |_| true).await;
    fleet.teardown().await;
}

/// A merge moves the merged contact's warmness adjustments (the survivor's
/// score and breakdown have them at once) and its recall (where both had
/// one, the newer stands); the undo moves both back and opens the
/// survivor's own recall again.
#[tokio::test]
async fn a_merge_moves_recalls_and_adjustments_and_its_undo_moves_them_back() {
    let (fleet, _, token) = clinic("recall-d").await;
    let survivor = fleet.new_contact(&token, "Eve Sun", "0412 000 431", "").await;
    let merged = fleet.new_contact(&token, "Eve Sun", "0412 000 432", "").await;
    for (contact, due_on) in [(&survivor, "2027-01-01"), (&merged, "2027-02-01")] {
        let (status, set) = send(
            &fleet,
            Method::PUT,
            &token,
            &format!("/api/contacts/{contact}/recall"),
            json!({"due_on": due_on}),
            None,
        )
        .await;
        assert_eq!(status, 200, "{set}");
    }
    let (status, adjusted) = send(
        &fleet,
        Method::POST,
        &token,
        &format!("/api/contacts/{merged}/warmness"),
        json!({"delta": 20, "reason": "Referred by a GP"}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{adjusted}");
    assert_eq!(adjusted["contact"]["warmness_score"], 20);

    let (status, done) = send(
        &fleet,
        Method::POST,
        &token,
        &format!("/api/contacts/{survivor}/merge"),
        json!({"merged_id": merged}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let s = &done["merge"]["survivor"];
    assert_eq!(s["warmness_score"], 20, "the adjustment came with the merge");
    assert_eq!(s["warmness_breakdown"]["adjustments"][0]["reason"], "Referred by a GP");
    let merge_id = done["merge"]["id"].as_str().unwrap().to_owned();
    fleet
        .eventually(
            Duration::from_secs(20),
            "the newer recall stands for the survivor",
            || async {
                let (status, body) = recall_of(&fleet, &token, &survivor).await;
                status == 200 && body["recall"]["due_on"] == "2027-02-01"
            },
        )
        .await;
    assert_eq!(recall_of(&fleet, &token, &merged).await.0, 404);

    let (status, undone) = send(
        &fleet,
        Method::POST,
        &token,
        &format!("/api/contacts/merges/{merge_id}/undo"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["merge"]["survivor"]["warmness_score"], 0);
    assert_eq!(
        undone["merge"]["survivor"]["warmness_breakdown"]["adjustments"],
        json!([])
    );
    assert_eq!(
        undone["merge"]["merged"]["warmness_score"], 20,
        "the adjustment went back"
    );
    fleet
        .eventually(Duration::from_secs(20), "each has its own recall again", || async {
            let (s_status, s) = recall_of(&fleet, &token, &survivor).await;
            let (m_status, m) = recall_of(&fleet, &token, &merged).await;
            (s_status, m_status) == (200, 200)
                && s["recall"]["due_on"] == "2027-01-01"
                && m["recall"]["due_on"] == "2027-02-01"
        })
        .await;
    fleet.teardown().await;
}
