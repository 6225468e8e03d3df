//! The reports through the public edges: a known week of leads, bookings,
//! texts and outcomes sent as webhooks and API calls, and every field of
//! the weekly report checked against hand-computed values; the same week
//! as a month and as KPIs; the pipeline funnel; an empty week; a week
//! across a daylight-saving change; and a rebuild from the event stream
//! giving the same answer.
//!
//! The fleet runs on real time (the reports read the times the services
//! stamp), with automation: it moves cancelled contacts into rescue, and
//! its own texts must not count as anybody contacting a lead.

use std::time::Duration;

use attend_integration_tests::{Options, TestFleet};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Australia::Sydney;
use reqwest::Method;
use serde_json::{Value, json};

const JSON: &str = "application/json";

async fn fleet() -> TestFleet {
    TestFleet::start_with(Options {
        // The test polls the reports while the projections catch up.
        settings: vec![("ATTEND_API_RATE_LIMIT", "1000000".to_owned())],
        ..Options::default()
    })
    .await
}

/// An instant at a Sydney wall-clock time.
fn sydney(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    Sydney
        .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
        .earliest()
        .unwrap()
        .to_utc()
}

/// A booking in the seed's webhook format (Standard Webhooks signed).
async fn booking_event(
    fleet: &TestFleet,
    slug: &str,
    event: &str,
    id: &str,
    phone: &str,
    service: &str,
    at: DateTime<Utc>,
) -> String {
    let body = json!({
        "event": event,
        "instanceId": format!("wix-{slug}"),
        "bookingId": id,
        "contactId": format!("wix-contact-{phone}"),
        "serviceId": service,
        "startTime": at.to_rfc3339(),
        "status": match (event, id) {
            ("bookings/cancelled", _) => "cancelled",
            // The provider took this one as confirmed.
            (_, "bk-b") => "confirmed",
            _ => "scheduled",
        },
        "customerInfo": {"name": format!("Patient {phone}"), "phone": phone}
    });
    let (status, answer) = fleet.post_signed_json(&format!("{id}-{event}"), &body).await;
    assert_eq!(status, 200, "{answer}");
    answer["bookingId"].as_str().unwrap().to_owned()
}

/// Waits until the booking (public id) is as `check` wants it.
async fn booking_until(fleet: &TestFleet, token: &str, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    fleet
        .until_some(Duration::from_secs(30), what, || async {
            let (status, body) = fleet.api_get(token, &format!("/api/bookings/{id}")).await;
            (status == 200 && check(&body)).then_some(body)
        })
        .await
}

async fn send(fleet: &TestFleet, token: &str, method: Method, path: &str, body: Value) -> Value {
    let (status, answer) = fleet.api_send(method, token, path, Some(&body), &[]).await;
    assert!((200..300).contains(&status), "{path}: {status} {answer}");
    answer
}

/// A lead from the website form (Meta: it carries an fbclid); its contact id.
async fn form_lead(fleet: &TestFleet, token: &str, slug: &str, name: &str, phone: &str) -> String {
    let submission = json!({
        "first_name": name, "last_name": "Lead", "phone": phone,
        "intent": "Routine", "form_name": "Skin check enquiry", "utm_source": "facebook", "fbclid": "IwAR0abc"
    });
    let (status, answer, _) = fleet
        .post_ingest(
            &format!("/webhooks/forms/{slug}"),
            JSON,
            submission.to_string().into_bytes(),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let contact = fleet.contact_by_phone(token, phone).await;
    contact["contact"]["id"].as_str().unwrap().to_owned()
}

/// The report at `path` once `ready` holds (the projections are
/// eventually consistent), to be checked whole.
async fn report_when(fleet: &TestFleet, token: &str, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let (status, body) = fleet.api_get(token, path).await;
            assert_eq!(status, 200, "{path}: {body}");
            if ready(&body) {
                return body;
            }
            last = body;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("{path} never got ready; last answer: {last:#}"))
}

/// The report without what differs by the run's clock (the period,
/// median speed) and the insights, for comparing two reports.
fn figures_of(report: &Value) -> Value {
    let mut r = report.clone();
    let o = r.as_object_mut().unwrap();
    for k in ["period", "previous", "insights"] {
        o.remove(k);
    }
    o["kpi"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "attended_appointments" || k == "attendance_rate");
    r
}

#[tokio::test]
async fn a_known_week_answers_every_field_and_a_rebuild_the_same() {
    let fleet = fleet().await;
    let slug = "report-a";
    let org = fleet.create_org(slug, &format!("wix-{slug}")).await;
    let staff = fleet.user_token(org, &format!("staff@{slug}.example"), "staff").await;
    let admin = fleet.user_token(org, &format!("admin@{slug}.example"), "admin").await;
    // Quiet hours an hour long, six hours away: staff texts go now.
    let hour = chrono::Timelike::hour(&Utc::now().with_timezone(&Sydney));
    send(
        &fleet,
        &admin,
        Method::PUT,
        "/api/admin/settings/messaging",
        json!({
            "values": {
                "clinic": "Harbour Skin", "address": "1 George St, Sydney",
                "booking_link": "https://harbour.example/book", "review_link": "https://g.page/r/harbour",
                "referral_link": "https://harbour.example/refer", "incentive": "a free skin check",
                "doctor_name": "Lee"
            },
            "quiet_hours": {"start": format!("{:02}:00", (hour + 6) % 24), "end": format!("{:02}:00", (hour + 7) % 24)}
        }),
    )
    .await;
    // Bookings of this service are high urgency.
    send(
        &fleet,
        &admin,
        Method::PUT,
        "/api/admin/service-types",
        json!({
            "external_service_id": "svc-biopsy", "service_type": "procedure", "urgency_level": "high"
        }),
    )
    .await;

    // The appointments are minutes ago (a no-show is recorded only once
    // its time has passed) and the bookings made now: all in this week,
    // unless the week began minutes ago, so wait for it to be older.
    loop {
        let local = Utc::now().with_timezone(&Sydney);
        let into_week = local.weekday().num_days_from_monday() * 24 * 60
            + chrono::Timelike::hour(&local) * 60
            + chrono::Timelike::minute(&local);
        if into_week >= 15 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    let start = Utc::now();
    let today = start.with_timezone(&Sydney).date_naive();
    let monday = today - TimeDelta::days(i64::from(today.weekday().num_days_from_monday()));

    // Four leads: three from the form, a walk-in entered by staff.
    let l1 = form_lead(&fleet, &staff, slug, "Una", "0400 100 001").await;
    let l2 = form_lead(&fleet, &staff, slug, "Dos", "0400 100 002").await;
    let _l3 = form_lead(&fleet, &staff, slug, "Tres", "0400 100 003").await;
    let l4 = fleet
        .new_contact(&staff, "Walk In", "0400 100 004", "walk@example.com")
        .await;
    // Staff text two of them; the fourth is recalled (by staff, with the
    // recall template) and books; nobody reaches the third.
    for lead in [&l1, &l2] {
        send(
            &fleet,
            &staff,
            Method::POST,
            "/api/sms/send",
            json!({"contact_id": lead, "message": "Hi, it's the clinic: when suits you?"}),
        )
        .await;
    }
    send(
        &fleet,
        &staff,
        Method::PUT,
        &format!("/api/contacts/{l4}/recall"),
        json!({
            "due_on": (today + TimeDelta::days(30)).to_string(), "months": 12
        }),
    )
    .await;
    send(
        &fleet,
        &staff,
        Method::POST,
        "/api/sms/send",
        json!({
            "contact_id": l4, "template_id": "recall_reminder", "values": {"months": "12 months"}
        }),
    )
    .await;
    // Texts leave one a second: the recall text goes (and is counted)
    // before the walk-in books.
    let week = format!("/api/reports/weekly?week_start={monday}");
    report_when(&fleet, &staff, &week, |r| r["reactivation"]["recall_sent"] == 1).await;

    // Bookings, all made now, for appointments minutes ago (and one next week).
    let at = |minutes_ago: i64| start - TimeDelta::minutes(minutes_ago);
    let a = booking_event(
        &fleet,
        slug,
        "bookings/created",
        "bk-a",
        "+61400100001",
        "svc-check",
        at(10),
    )
    .await;
    let b = booking_event(
        &fleet,
        slug,
        "bookings/created",
        "bk-b",
        "+61400200001",
        "svc-check",
        at(11),
    )
    .await;
    let c = booking_event(
        &fleet,
        slug,
        "bookings/created",
        "bk-c",
        "+61400200002",
        "svc-check",
        at(12),
    )
    .await;
    let d = booking_event(
        &fleet,
        slug,
        "bookings/created",
        "bk-d",
        "+61400200003",
        "svc-biopsy",
        at(13),
    )
    .await;
    let f = booking_event(
        &fleet,
        slug,
        "bookings/created",
        "bk-f",
        "+61400200004",
        "svc-check",
        at(14),
    )
    .await;
    for id in [&a, &b, &c, &d, &f] {
        booking_until(&fleet, &staff, id, "the booking exists", |_| true).await;
    }
    booking_event(
        &fleet,
        slug,
        "bookings/cancelled",
        "bk-d",
        "+61400200003",
        "svc-biopsy",
        at(13),
    )
    .await;
    booking_event(
        &fleet,
        slug,
        "bookings/cancelled",
        "bk-f",
        "+61400200004",
        "svc-check",
        at(14),
    )
    .await;
    booking_until(&fleet, &staff, &d, "bk-d is cancelled", |b| b["status"] == "cancelled").await;
    booking_until(&fleet, &staff, &f, "bk-f is cancelled", |b| b["status"] == "cancelled").await;
    // The high-urgency patient rebooks; the walk-in books next week.
    let e = booking_event(
        &fleet,
        slug,
        "bookings/created",
        "bk-e",
        "+61400200003",
        "svc-check",
        at(15),
    )
    .await;
    let g = booking_event(
        &fleet,
        slug,
        "bookings/created",
        "bk-g",
        "+61400100004",
        "svc-check",
        sydney(today + TimeDelta::days(8), 10, 0),
    )
    .await;
    booking_until(&fleet, &staff, &e, "bk-e exists", |_| true).await;
    booking_until(&fleet, &staff, &g, "bk-g exists", |_| true).await;
    // Outcomes: two attended (bk-b confirmed), one no-show; bk-e not yet recorded.
    send(
        &fleet,
        &staff,
        Method::POST,
        &format!("/api/bookings/{b}/confirm"),
        json!({}),
    )
    .await;
    for (id, outcome) in [(&a, "attended"), (&b, "attended"), (&c, "no_show")] {
        send(
            &fleet,
            &staff,
            Method::POST,
            &format!("/api/bookings/{id}/outcome"),
            json!({"outcome": outcome}),
        )
        .await;
    }
    let (_, recall) = fleet.api_get(&staff, &format!("/api/contacts/{l4}/recall")).await;
    assert_eq!(
        recall["recall"],
        Value::Null,
        "the walk-in's booking closed the recall: {recall}"
    );

    let report = report_when(&fleet, &staff, &week, |r| {
        r["attention_areas"]["still_in_rescue"] == 1
            && r["appointments"]["no_shows"] == 1
            && r["reactivation"]["recall_booked"] == 1
            && r["funnel"]["contacted"] == 3
            && r["bookings"]["created"] == 7
            && r["bookings"]["confirmed_percentage"].as_f64().is_some_and(|p| p > 0.0)
    })
    .await;

    // Every field, by hand: see the module's story above.
    assert_eq!(
        report["period"],
        json!({"start": monday.to_string(), "end": (monday + TimeDelta::days(6)).to_string(), "time_zone": "Australia/Sydney"})
    );
    assert_eq!(
        report["kpi"],
        json!({"attended_appointments": 2, "change_vs_last_week": null, "change_vs_previous": null,
               "previous_attended_appointments": 0, "attendance_rate": 2.0 / 3.0})
    );
    let funnel = &report["funnel"];
    let median = funnel["median_speed_to_lead_seconds"].as_f64().expect("a median speed");
    assert!((0.0..300.0).contains(&median), "{funnel}");
    assert_eq!(
        funnel,
        &json!({"new_leads": 4, "speed_to_lead_under_5min_percentage": 0.75, "speed_to_lead_under_5min": 0.75,
                "contacted_same_day_percentage": 0.75, "contacted_same_day": 0.75,
                "booked_count": 2, "booked": 2, "booked_percentage": 0.5, "conversion_lead_to_booking": 0.5,
                "contacted": 3, "median_speed_to_lead_seconds": median})
    );
    assert_eq!(
        report["bookings"],
        json!({"created": 7, "new_patients": 6, "returning": 1, "confirmed_percentage": 1.0 / 7.0})
    );
    assert_eq!(
        report["appointments"],
        json!({"scheduled": 4, "attended": 2, "cancelled": 2, "no_shows": 1, "attendance_rate": 2.0 / 3.0, "unrecorded": 1})
    );
    assert_eq!(
        report["channels"],
        json!([
            {"name": "Meta Ads", "attended_count": 1, "attended_appointments": 1, "percentage": 0.5},
            {"name": "Wix", "attended_count": 1, "attended_appointments": 1, "percentage": 0.5}
        ])
    );
    assert_eq!(
        report["attention_areas"],
        json!({"cancellations": 2, "high_urgency_cancellations": 1, "rebooked": 1, "still_in_rescue": 1, "no_shows": 1})
    );
    assert_eq!(
        report["reactivation"],
        json!({"recall_sent": 1, "recall_booked": 1, "recall_conversion_rate": 1.0, "cancelled_rebooked": 1})
    );
    assert_eq!(
        report["insights"],
        json!([
            "3 of 4 new leads (75%) were reached by a person within 5 minutes; the target is 80%.",
            "1 of 4 new leads have not been contacted by a person yet.",
            "1 high-urgency cancellation was among 2 cancellations: call them first.",
            "Meta Ads brought 1 of 2 attended appointments (50%).",
            "1 of 4 appointments have no outcome recorded; attendance counts only recorded ones."
        ])
    );

    // CSV: the same figures, one per row, numbers unformatted.
    let response = fleet
        .http
        .get(format!("{}{week}", fleet.gateway()))
        .bearer_auth(&staff)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.unwrap();
    assert!(csv.starts_with("section,figure,value,share\r\n"), "{csv}");
    for line in [
        "kpi,attended_appointments,2,",
        "appointments,attendance_rate,0.6666666666666666,",
        "bookings,confirmed_percentage,0.14285714285714285,",
        "channels,Meta Ads,1,0.5",
        "reactivation,recall_conversion_rate,1,",
    ] {
        assert!(csv.contains(&format!("\r\n{line}\r\n")), "{line} in {csv}");
    }

    // The month holding today counts the same things.
    let month = report_when(
        &fleet,
        &staff,
        &format!("/api/reports/monthly?month={}", today.format("%Y-%m")),
        |_| true,
    )
    .await;
    // ... and the walk-in's appointment next week, when that is this month too.
    let mut expected = figures_of(&report);
    if (today + TimeDelta::days(8)).month() == today.month() {
        expected["appointments"]["scheduled"] = json!(5);
        expected["appointments"]["unrecorded"] = json!(2);
    }
    assert_eq!(figures_of(&month), expected);
    assert!(month["kpi"].get("change_vs_last_month").is_some(), "{month}");

    // KPIs over the week: spec 000's launch criteria.
    let kpis = report_when(
        &fleet,
        &staff,
        &format!("/api/reports/kpis?from={monday}&to={}", monday + TimeDelta::days(6)),
        |_| true,
    )
    .await;
    let metric = |name: &str| {
        kpis["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            metric("confirmed_attendance_rate")["value"].clone(),
            metric("confirmed_attendance_rate")["met"].clone()
        ),
        (json!(1.0), json!(true))
    );
    assert_eq!(
        (
            metric("attendance_rate")["value"].clone(),
            metric("attendance_rate")["met"].clone()
        ),
        (json!(2.0 / 3.0), json!(false))
    );
    assert_eq!(metric("cancellation_rescue_rate")["value"], 0.5);
    assert_eq!(metric("cancellation_rescue_rate")["met"], true);
    assert_eq!(metric("recall_conversion_rate")["value"], 1.0);
    assert_eq!(metric("speed_to_lead_under_5min")["value"], 0.75);
    assert_eq!(
        (
            metric("speed_to_lead_under_5min")["numerator"].clone(),
            metric("speed_to_lead_under_5min")["denominator"].clone()
        ),
        (json!(3), json!(4))
    );

    // The pipeline funnel: every pipeline, the rescued contact waiting in rescue.
    let pipelines = report_when(
        &fleet,
        &staff,
        &format!(
            "/api/reports/pipelines?from={monday}&to={}",
            monday + TimeDelta::days(6)
        ),
        |_| true,
    )
    .await;
    let post = pipelines["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pipeline"] == "post_appointment")
        .expect("post_appointment")
        .clone();
    let rescue = post["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "cancelled_rescue")
        .unwrap()
        .clone();
    assert!(
        rescue["contacts_now"].as_u64().unwrap() >= 1,
        "the unrebooked patient waits in rescue: {post}"
    );
    assert!(
        rescue["entered"].as_u64().unwrap() >= 2,
        "both cancelled patients entered rescue: {post}"
    );

    // Bad parameters are named.
    for (path, field) in [
        ("/api/reports/weekly?week_start=2026-11-25", "week_start"),
        ("/api/reports/monthly?month=2026-13", "month"),
        ("/api/reports/kpis?from=2026-01-01", "to"),
        ("/api/reports/weekly?format=xlsx", "format"),
    ] {
        let (status, body) = fleet.api_get(&staff, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
    }

    // A rebuild from the event stream (of this organisation, then of
    // everything) swaps in the same figures.
    let before = report_when(&fleet, &staff, &week, |_| true).await;
    let mut admin_db = fleet.admin().await;
    for scope in [Some(org), None] {
        let done = attend_reporting::rebuild::rebuild(&mut admin_db, fleet.fleet.bus(), scope)
            .await
            .expect("rebuild");
        assert!(done.applied > 20, "{done:?}");
        assert_eq!(done.refused, 0, "{done:?}");
        let after = report_when(&fleet, &staff, &week, |_| true).await;
        assert_eq!(after, before, "a rebuild ({scope:?}) changed the figures");
    }
    // The live projections go on after a swap, counting each event once.
    send(
        &fleet,
        &staff,
        Method::POST,
        &format!("/api/bookings/{e}/outcome"),
        json!({"outcome": "attended"}),
    )
    .await;
    let after = report_when(&fleet, &staff, &week, |r| r["appointments"]["unrecorded"] == 0).await;
    assert_eq!(after["appointments"]["attended"], 3, "{after}");
    assert_eq!(after["appointments"]["scheduled"], 4, "{after}");
    fleet.teardown().await;
}

#[tokio::test]
async fn an_empty_week_and_a_week_across_daylight_saving() {
    let fleet = fleet().await;
    let slug = "report-b";
    let org = fleet.create_org(slug, &format!("wix-{slug}")).await;
    let staff = fleet.user_token(org, &format!("staff@{slug}.example"), "staff").await;

    // Sydney leaves daylight saving at 03:00 on Sunday 5 April 2026: that
    // week is 169 hours long. Appointments late that Sunday and early the
    // Monday after fall in their own weeks.
    let sunday = NaiveDate::from_ymd_opt(2026, 4, 5).unwrap();
    let late = booking_event(
        &fleet,
        slug,
        "bookings/created",
        "bk-late",
        "+61400300001",
        "svc-check",
        sydney(sunday, 23, 30),
    )
    .await;
    let early = booking_event(
        &fleet,
        slug,
        "bookings/created",
        "bk-early",
        "+61400300002",
        "svc-check",
        sydney(sunday + TimeDelta::days(1), 0, 30),
    )
    .await;
    for id in [&late, &early] {
        booking_until(&fleet, &staff, id, "the booking exists", |_| true).await;
        send(
            &fleet,
            &staff,
            Method::POST,
            &format!("/api/bookings/{id}/outcome"),
            json!({"outcome": "attended"}),
        )
        .await;
    }
    let dst = report_when(&fleet, &staff, "/api/reports/weekly?week_start=2026-03-30", |r| {
        r["kpi"]["attended_appointments"] == 1
    })
    .await;
    assert_eq!(
        dst["period"],
        json!({"start": "2026-03-30", "end": "2026-04-05", "time_zone": "Australia/Sydney"})
    );
    assert_eq!(
        dst["appointments"],
        json!({"scheduled": 1, "attended": 1, "cancelled": 0, "no_shows": 0, "attendance_rate": 1.0, "unrecorded": 0})
    );
    assert_eq!(
        dst["channels"],
        json!([{"name": "Wix", "attended_count": 1, "attended_appointments": 1, "percentage": 1.0}])
    );
    // Made today, not that week.
    assert_eq!(
        dst["bookings"],
        json!({"created": 0, "new_patients": 0, "returning": 0, "confirmed_percentage": null})
    );
    let next = report_when(&fleet, &staff, "/api/reports/weekly?week_start=2026-04-06", |r| {
        r["kpi"]["attended_appointments"] == 1
    })
    .await;
    assert_eq!(next["kpi"]["change_vs_last_week"], 0.0, "1 attended after 1: {next}");
    assert_eq!(next["previous"]["appointments"]["attended"], 1);

    // A week with nothing in it: zeros, and null for every rate.
    let empty = report_when(&fleet, &staff, "/api/reports/weekly?week_start=2026-01-05", |_| true).await;
    assert_eq!(
        empty,
        json!({
            "period": {"start": "2026-01-05", "end": "2026-01-11", "time_zone": "Australia/Sydney"},
            "kpi": {"attended_appointments": 0, "change_vs_last_week": null, "change_vs_previous": null,
                    "previous_attended_appointments": 0, "attendance_rate": null},
            "funnel": {"new_leads": 0, "speed_to_lead_under_5min_percentage": null, "speed_to_lead_under_5min": null,
                       "contacted_same_day_percentage": null, "contacted_same_day": null, "booked_count": 0, "booked": 0,
                       "booked_percentage": null, "conversion_lead_to_booking": null, "contacted": 0,
                       "median_speed_to_lead_seconds": null},
            "bookings": {"created": 0, "new_patients": 0, "returning": 0, "confirmed_percentage": null},
            "appointments": {"scheduled": 0, "attended": 0, "cancelled": 0, "no_shows": 0, "attendance_rate": null, "unrecorded": 0},
            "channels": [],
            "attention_areas": {"cancellations": 0, "high_urgency_cancellations": 0, "rebooked": 0, "still_in_rescue": 0, "no_shows": 0},
            "reactivation": {"recall_sent": 0, "recall_booked": 0, "recall_conversion_rate": null, "cancelled_rebooked": 0},
            "insights": [],
            "previous": {
                "period": {"start": "2025-12-29", "end": "2026-01-04", "time_zone": "Australia/Sydney"},
                "appointments": {"scheduled": 0, "attended": 0, "cancelled": 0, "no_shows": 0, "attendance_rate": null, "unrecorded": 0}
            }
        })
    );
    // Reports are for those allowed to read them.
    let family = fleet.user_token(org, &format!("family@{slug}.example"), "family").await;
    let (status, _) = fleet.api_get(&family, "/api/reports/weekly").await;
    assert_eq!(status, 403);
    fleet.teardown().await;
}
