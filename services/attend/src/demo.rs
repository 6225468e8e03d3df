//! `attend seed-demo`: a demo organisation with its template values, one
//! user per role, a week of bookings, leads, and a care client with a
//! family member of each access level and a week of care updates and
//! health logs ([`crate::demo_care`]), all created through the platform's
//! own edges (the services' gRPC APIs and ingest's signed webhook
//! endpoint), so the demo exercises the same path real data takes.
//!
//! The fleet runs in this process on ephemeral ports for the duration, so
//! seeding works whether or not `attend run all` is running. Webhook ids are
//! fixed, so running it again changes nothing.

use std::time::Duration;

use anyhow::Context as _;
use attend_kit::Error;
use attend_kit::config::Config;
use attend_kit::error::from_status;
use attend_kit::grpc::{Caller, Role, request};
use attend_kit::ids::{BookingId, OrgId, TypedId, UserId};
use attend_kit::service::{Fleet, ServiceName, wait_until};
use attend_proto::booking::v1::GetBookingRequest;
use attend_proto::booking::v1::booking_service_client::BookingServiceClient;
use attend_proto::identity::v1 as identity;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use base64::Engine as _;
use chrono::{Duration as Days, Timelike, Utc};
use tokio_util::sync::CancellationToken;

pub const ORG_NAME: &str = "Avatar Imaging";
pub const ORG_SLUG: &str = "avatar-imaging";
pub const WIX_INSTANCE: &str = "demo-wix-instance";

/// Demo patients: names and ACMA's reserved fictional mobile numbers.
const PATIENTS: [(&str, &str, &str); 6] = [
    ("Sarah Johnson", "0491 570 006", "Skin check"),
    ("Liam Nguyen", "0491 570 156", "Mole mapping"),
    ("Olivia Smith", "0491 570 157", "Follow-up consultation"),
    ("Noah Williams", "0491 570 158", "Skin check"),
    ("Ava Brown", "0491 570 159", "Biopsy review"),
    ("Jack Wilson", "0491 570 110", "Mole mapping"),
];

/// The demo users: one per role, and a family member of each access level
/// (`family` is view-only; docs/care.md).
const DEMO_USERS: [(&str, &str); 8] = [
    ("admin", "admin"),
    ("staff", "staff"),
    ("readonly", "readonly"),
    ("care_team", "care_team"),
    ("family", "family"),
    ("family.messaging", "family"),
    ("family.full", "family"),
    ("client", "client"),
];

/// Seeds the demo data and prints how to log in.
pub async fn seed(config: Config) -> anyhow::Result<()> {
    let key = [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat();
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    let intake = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let mut config = ephemeral(config, &secret);
    config.source = config.source.clone().with("ATTEND_INTAKE_SECRET", intake.clone());
    let shutdown = CancellationToken::new();
    let mut fleet = Fleet::start(config, crate::definitions(), shutdown).await?;
    let result = seed_with(&fleet, &secret, &intake).await;
    fleet.shutdown().await?;
    result
}

/// Same database and NATS, but every listener on a free port and a webhook
/// secret of our own, so seeding never collides with a running fleet.
fn ephemeral(config: Config, secret: &str) -> Config {
    let mut config = crate::admin::ephemeral(config);
    config.source = config.source.clone().with("ATTEND_WEBHOOK_SECRET", secret);
    config
}

async fn seed_with(fleet: &Fleet, secret: &str, intake: &str) -> anyhow::Result<()> {
    let mut identity = IdentityServiceClient::new(fleet.peers().channel(ServiceName::Identity));
    let platform = Caller::platform();

    let org = match identity
        .create_organisation(request(
            identity::CreateOrganisationRequest {
                name: ORG_NAME.to_owned(),
                slug: ORG_SLUG.to_owned(),
                time_zone: "Australia/Sydney".to_owned(),
                phone_region: "AU".to_owned(),
                external_ids: vec![identity::ExternalId {
                    provider: "wix".to_owned(),
                    external_id: WIX_INSTANCE.to_owned(),
                }],
                business_hours: None,
            },
            &platform,
        ))
        .await
    {
        Ok(org) => org.into_inner(),
        Err(status) => match from_status(status, "identity") {
            Error::Conflict(_) => identity
                .list_organisations(request(identity::ListOrganisationsRequest {}, &platform))
                .await
                .context("list organisations")?
                .into_inner()
                .organisations
                .into_iter()
                .find(|o| o.slug == ORG_SLUG)
                .context("the demo slug is taken but the organisation is not listed")?,
            other => return Err(other).context("create the demo organisation"),
        },
    };
    let org_id = OrgId::parse_uuid(&org.id)?;

    let password = std::env::var("ATTEND_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| format!("demo-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]));
    let mut users = Vec::new();
    let mut admin = None;
    for (local, role) in DEMO_USERS {
        let email = format!("{local}@{ORG_SLUG}.example");
        let created = identity
            .create_user(request(
                identity::CreateUserRequest {
                    org_id: org.id.clone(),
                    email: email.clone(),
                    name: format!("Demo {local}"),
                    role: role.to_owned(),
                    password: password.clone(),
                },
                &platform,
            ))
            .await;
        match created.map_err(|s| from_status(s, "identity")) {
            Ok(user) if role == "admin" => {
                admin = Some(user.into_inner().id);
                users.push((email, role, true));
            }
            Ok(_) => users.push((email, role, true)),
            Err(Error::Conflict(_)) => users.push((email, role, false)),
            Err(e) => return Err(e).context("create a demo user"),
        }
    }

    // What the templates fill in, so automation's texts render; set by the
    // admin, once, when the admin is first created.
    if let Some(admin) = admin {
        let values = [
            ("clinic", ORG_NAME),
            ("address", "Level 2, 100 George Street, Sydney NSW 2000"),
            ("booking_link", "https://avatar-imaging.example/book"),
            ("review_link", "https://g.page/r/avatar-imaging/review"),
            ("referral_link", "https://avatar-imaging.example/refer"),
            ("incentive", "a $20 credit"),
            ("doctor_name", "Dr Patel"),
        ];
        identity
            .update_messaging_settings(request(
                identity::UpdateMessagingSettingsRequest {
                    org_id: org.id.clone(),
                    settings: Some(identity::MessagingSettings {
                        values: values.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
                        ..Default::default()
                    }),
                },
                &Caller::user(org_id, UserId::parse_uuid(&admin)?, Role::Admin),
            ))
            .await
            .context("set the demo's template values")?;
    }

    let ingest = fleet.http_addr(ServiceName::Ingest).context("ingest is not running")?;
    let secret = attend_ingest::signature::WebhookSecret::parse(secret).map_err(anyhow::Error::msg)?;
    let http = reqwest::Client::new();
    let mut bookings = Vec::new();
    let first_day = Utc::now()
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .context("round the clock to the hour")?;
    for (i, (name, phone, service)) in PATIENTS.iter().enumerate() {
        let start = first_day + Days::days(i as i64 + 1);
        let body = serde_json::json!({
            "event": "bookings/created",
            "instanceId": WIX_INSTANCE,
            "bookingId": format!("demo-wix-booking-{}", i + 1),
            "contactId": format!("demo-wix-contact-{}", i + 1),
            "serviceId": format!("demo-service-{}", service.to_lowercase().replace(' ', "-")),
            "serviceName": service,
            "startTime": start.to_rfc3339(),
            "endTime": (start + Days::minutes(30)).to_rfc3339(),
            "status": if i % 2 == 0 { "confirmed" } else { "scheduled" },
            "customerInfo": {
                "name": name,
                "phone": phone,
                "email": format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
            }
        })
        .to_string();
        let id = format!("demo-booking-{}", i + 1);
        let now = Utc::now().timestamp();
        let response = http
            .post(format!("http://{ingest}/webhooks/wix/bookings"))
            .headers(secret.headers(&id, now, body.as_bytes())?)
            .body(body)
            .send()
            .await
            .context("send a demo booking to ingest")?;
        let status = response.status();
        let answer: serde_json::Value = response.json().await.context("read ingest's answer")?;
        anyhow::ensure!(status.is_success(), "ingest refused a demo booking: {answer}");
        let booking: BookingId = answer["bookingId"]
            .as_str()
            .context("ingest's answer has no bookingId")?
            .parse()?;
        bookings.push(booking);
    }

    // Processing is asynchronous: wait until every booking exists.
    let bookings_client = BookingServiceClient::new(fleet.peers().channel(ServiceName::Booking));
    let system = Caller::system(org_id);
    let all_in = wait_until(Duration::from_secs(60), || {
        let client = bookings_client.clone();
        let bookings = bookings.clone();
        let system = system.clone();
        async move {
            for id in &bookings {
                let found = client
                    .clone()
                    .get_booking(request(
                        GetBookingRequest {
                            id: id.uuid().to_string(),
                        },
                        &system,
                    ))
                    .await;
                if found.is_err() {
                    return false;
                }
            }
            true
        }
    })
    .await;
    anyhow::ensure!(
        all_in,
        "the demo bookings were accepted but not processed within a minute; is NATS healthy?"
    );

    let leads = seed_leads(fleet, org_id, &http, intake).await?;
    let care = crate::demo_care::seed(fleet, org_id).await?;

    println!("Demo data is in.");
    println!();
    println!(
        "  organisation  {} ({org_id}), slug {ORG_SLUG}, Wix instance {WIX_INSTANCE}",
        org.name
    );
    println!(
        "  bookings      {} sent through the signed webhook edge and processed",
        bookings.len()
    );
    println!("  leads         {leads} (ManyChat, a Meta-ad form, a text, a walk-in) through the same edges");
    println!("  care          {care}");
    for (email, role, created) in &users {
        if *created {
            println!("  user          {email} ({role})  password: {password}");
        } else {
            println!(
                "  user          {email} ({role})  already existed: its password is the one printed when it was created"
            );
        }
    }
    println!();
    println!("Run the platform with `attend run all`, then log in:");
    println!(
        "  curl -s -X POST http://127.0.0.1:8080/api/auth/login -H 'content-type: application/json' \\\n    -d '{{\"email\":\"staff@{ORG_SLUG}.example\",\"password\":\"<password>\"}}'"
    );
    Ok(())
}

/// Leads as they arrive in real life: a ManyChat flow, a landing-page form
/// from a Meta ad, a text reply from a patient, and a walk-in staff add.
/// Delivery ids are fixed, so seeding again duplicates nothing.
async fn seed_leads(fleet: &Fleet, org: OrgId, http: &reqwest::Client, intake: &str) -> anyhow::Result<usize> {
    use attend_proto::contact::v1 as contact;
    use attend_proto::contact::v1::contact_service_client::ContactServiceClient;

    let ingest = fleet.http_addr(ServiceName::Ingest).context("ingest is not running")?;
    let tokens = attend_ingest::signature::IntakeSecret::parse(intake).map_err(anyhow::Error::msg)?;
    let deliveries = [
        (
            "/webhooks/manychat".to_owned(),
            Some(format!("Bearer {}", tokens.token("manychat", ORG_SLUG))),
            "application/json",
            serde_json::json!({
                "event_id": "demo-manychat-1",
                "event": "flow_completed",
                "subscriber": {"name": "Emma Taylor", "phone": "0491 570 313", "email": "emma.taylor@example.com"},
                "flow_name": "High Risk Inquiry",
                "buttons_clicked": ["Book Now"],
                "intent": "procedure"
            })
            .to_string(),
        ),
        (
            format!("/webhooks/forms/{ORG_SLUG}"),
            None,
            "application/json",
            serde_json::json!({
                "submission_id": "demo-form-1",
                "name": "Mia Chen", "phone": "0491 570 737", "email": "mia.chen@example.com",
                "intent": "routine_check", "form_name": "Skin check enquiry",
                "utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "Summer Skin Checks"
            })
            .to_string(),
        ),
        (
            format!("/webhooks/clicksend/{}/inbound", tokens.token("clicksend", ORG_SLUG)),
            None,
            "application/x-www-form-urlencoded",
            format!(
                "from=%2B61491570006&to=%2B61480000000&body=Yes+I+confirm&message_id=DEMO-SMS-1&timestamp={}",
                Utc::now().timestamp()
            ),
        ),
    ];
    for (path, auth, content_type, body) in deliveries {
        let mut post = http
            .post(format!("http://{ingest}{path}"))
            .header("content-type", content_type)
            .body(body);
        if let Some(auth) = auth {
            post = post.header("authorization", auth);
        }
        let response = post.send().await.context("send a demo lead to ingest")?;
        let status = response.status();
        let answer = response.text().await.unwrap_or_default();
        anyhow::ensure!(status.is_success(), "ingest refused a demo lead: {answer}");
    }

    let contacts = ContactServiceClient::new(fleet.peers().channel(ServiceName::Contact));
    let system = Caller::system(org);
    let walk_in = contact::CreateContactRequest {
        name: "Tom Lee".to_owned(),
        phone: "0491 571 266".to_owned(),
        email: String::new(),
        source: "GP referral".to_owned(),
        intent: "follow_up".to_owned(),
    };
    match contacts
        .clone()
        .create_contact(request(walk_in, &system))
        .await
        .map_err(|s| from_status(s, "contact"))
    {
        Ok(_) | Err(Error::Conflict(_)) => {}
        Err(e) => return Err(e).context("add the demo walk-in"),
    }

    let phones = ["0491 570 313", "0491 570 737", "0491 571 266"];
    let all_in = wait_until(Duration::from_secs(60), || {
        let client = contacts.clone();
        let system = system.clone();
        async move {
            for phone in phones {
                let found = client
                    .clone()
                    .find_contacts(request(
                        contact::FindContactsRequest {
                            phone: phone.to_owned(),
                            email: String::new(),
                        },
                        &system,
                    ))
                    .await;
                if found.map_or(true, |f| f.into_inner().contacts.is_empty()) {
                    return false;
                }
            }
            true
        }
    })
    .await;
    anyhow::ensure!(all_in, "the demo leads were accepted but not processed within a minute");
    Ok(phones.len() + 1)
}
