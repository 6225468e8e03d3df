//! The care part of `attend seed-demo`: a client (Margaret Lee, linked to
//! a contact), the demo care-team user as her coordinator, the three demo
//! family users linked at each access level (view only, messaging, full
//! access), the past week of care updates and health logs, a care plan, an
//! appointment next week and a document, all through care's gRPC API. Running it again
//! changes nothing: the client is found, links, days and the plan are
//! replaced, each update carries a fixed idempotency key, and the
//! appointment is booked only when that day has none.

use anyhow::Context as _;
use attend_kit::Error;
use attend_kit::error::from_status;
use attend_kit::grpc::{Caller, Role, request, with_idempotency_key};
use attend_kit::ids::{OrgId, TypedId, UserId};
use attend_kit::localtime;
use attend_kit::service::{Fleet, ServiceName};
use attend_proto::care::v1 as care;
use attend_proto::care::v1::care_service_client::CareServiceClient;
use attend_proto::contact::v1 as contact;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::identity::v1 as identity;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use chrono::{Datelike, Duration, Utc};

use crate::demo::ORG_SLUG;

const ZONE: chrono_tz::Tz = chrono_tz::Australia::Sydney;

/// The family: (user's local part, relationship, access level, their
/// contact's name and ACMA fictional mobile).
const FAMILY: [(&str, &str, &str, &str, &str); 3] = [
    ("family", "grandson", "view_only", "Ben Lee", "0491 570 159"),
    ("family.messaging", "son", "messaging", "David Lee", "0491 570 110"),
    ("family.full", "daughter", "full_access", "Claire Lee", "0491 570 156"),
];

/// A week of care updates, as late entries dated (days ago, local hour):
/// (days ago, hour, type, visibility, title, content).
const NOTES: [(i64, u32, &str, &str, &str, &str); 7] = [
    (
        6,
        9,
        "daily_update",
        "family_and_team",
        "A settled morning",
        "Margaret had porridge and tea, then a short walk to the letterbox with her frame.",
    ),
    (
        5,
        14,
        "medication_log",
        "family_and_team",
        "Medication review",
        "All morning medications taken. The GP's new blood-pressure tablet started today.",
    ),
    (
        4,
        10,
        "health_assessment",
        "family_and_team",
        "Weekly check",
        "Blood pressure a little lower than last week. Skin on both heels is intact.",
    ),
    (
        3,
        16,
        "daily_update",
        "family_only",
        "Photos from the garden",
        "Margaret asked us to tell the family the roses are out. She spent an hour in the garden.",
    ),
    (
        2,
        11,
        "incident_report",
        "internal_only",
        "Near fall in the bathroom",
        "Lost balance stepping out of the shower; caught by the carer, no injury. Non-slip mat ordered.",
    ),
    (
        1,
        15,
        "daily_update",
        "family_and_team",
        "Visit from the physio",
        "Physio session went well; new exercises for leg strength twice a day.",
    ),
    (
        0,
        8,
        "daily_update",
        "family_and_team",
        "Good night's sleep",
        "Slept through the night for the first time this week and was bright at breakfast.",
    ),
];

/// A one-page PDF: the demo's medication list.
const MEDICATION_LIST: &[u8] = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R
/Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 120 >> stream
BT /F1 14 Tf 60 780 Td (Margaret Lee: medications) Tj 0 -24 Td (Amlodipine 5 mg, morning) Tj
0 -20 Td (Paracetamol 1 g, as needed) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
";

/// Seeds the care records; a line saying what is there.
pub async fn seed(fleet: &Fleet, org: OrgId) -> anyhow::Result<String> {
    let mut identity = IdentityServiceClient::new(fleet.peers().channel(ServiceName::Identity));
    let contacts = ContactServiceClient::new(fleet.peers().channel(ServiceName::Contact));
    let mut care = CareServiceClient::new(fleet.peers().channel(ServiceName::Care));
    let operator = Caller {
        org: Some(org),
        user: None,
        role: Role::Platform,
    };
    let users = identity
        .list_users(request(identity::ListUsersRequest {}, &operator))
        .await
        .context("list the demo users")?
        .into_inner()
        .users;
    let user = |local: &str| -> anyhow::Result<UserId> {
        let email = format!("{local}@{ORG_SLUG}.example");
        let found = users
            .iter()
            .find(|u| u.email == email)
            .with_context(|| format!("the demo user {email} is missing"))?;
        Ok(UserId::parse_uuid(&found.id)?)
    };
    let admin = Caller::user(org, user("admin")?, Role::Admin);
    let carer = Caller::user(org, user("care_team")?, Role::CareTeam);

    let margaret = contact_id(
        &contacts,
        &admin,
        "Margaret Lee",
        "0491 570 006",
        "margaret.lee@example.com",
    )
    .await?;
    let client = match care
        .create_client(request(
            care::CreateClientRequest {
                contact_id: margaret.clone(),
                user_id: user("client")?.uuid().to_string(),
                name: "Margaret Lee".to_owned(),
                date_of_birth: "1941-03-14".to_owned(),
                gender: "female".to_owned(),
                care_level: "intermediate".to_owned(),
                time_zone: ZONE.name().to_owned(),
                emergency_contact_name: "Claire Lee".to_owned(),
                emergency_contact_phone: "0491 570 156".to_owned(),
                medical: Some(care::Medical {
                    conditions: vec!["Hypertension".to_owned(), "Osteoarthritis (knees)".to_owned()],
                    allergies: vec!["Penicillin".to_owned()],
                    insurance_provider: "Example Health".to_owned(),
                    insurance_policy_number: "EH-0041-2231".to_owned(),
                }),
            },
            &admin,
        ))
        .await
        .map_err(|s| from_status(s, "care"))
    {
        Ok(c) => c.into_inner(),
        Err(Error::Conflict(_)) => care
            .list_clients(request(care::ListClientsRequest {}, &admin))
            .await
            .context("list the care clients")?
            .into_inner()
            .clients
            .into_iter()
            .find(|c| c.contact_id == margaret)
            .context("the demo client's contact is a client, but the client is not listed")?,
        Err(e) => return Err(e).context("add the demo care client"),
    };
    care.set_care_team(request(
        care::SetCareTeamRequest {
            client_id: client.id.clone(),
            care_team: vec![care::TeamMember {
                user_id: user("care_team")?.uuid().to_string(),
                role: "coordinator".to_owned(),
            }],
        },
        &admin,
    ))
    .await
    .context("assign the demo care team")?;
    for (local, relationship, level, name, phone) in FAMILY {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let person = contact_id(&contacts, &admin, name, phone, &email).await?;
        care.link_family_member(request(
            care::LinkFamilyMemberRequest {
                client_id: client.id.clone(),
                user_id: user(local)?.uuid().to_string(),
                contact_id: person,
                relationship: relationship.to_owned(),
                is_primary_contact: level == "full_access",
                access_level: level.to_owned(),
                notify_sms: level != "view_only",
                notify_email: true,
            },
            &admin,
        ))
        .await
        .context("link a demo family member")?;
    }

    let today = localtime::local_date(Utc::now(), ZONE);
    let now = Utc::now();
    let mut written = 0;
    for (i, (ago, hour, note_type, visibility, title, content)) in NOTES.iter().enumerate() {
        let day = today - Duration::days(*ago);
        let at = localtime::instant_of(day.and_hms_opt(*hour, 0, 0).unwrap_or_default(), ZONE);
        // Today's later hours haven't happened yet: not written (a run
        // later in the day writes it). The same day and hour is the same
        // request, so a second run replays it.
        if at > now {
            continue;
        }
        let call = with_idempotency_key(
            request(
                care::CreateNoteRequest {
                    client_id: client.id.clone(),
                    title: (*title).to_owned(),
                    content: (*content).to_owned(),
                    note_type: (*note_type).to_owned(),
                    visibility: (*visibility).to_owned(),
                    urgent: false,
                    written_at: Some(attend_kit::bus::timestamp(at)),
                    attachment_ids: Vec::new(),
                },
                &carer,
            ),
            &format!("demo-care-note-{day}-{i}"),
        )?;
        care.create_note(call).await.context("write a demo care update")?;
        written += 1;
    }
    for ago in 0..7i64 {
        let day = today - Duration::days(ago);
        // A day without a reading (three days ago) shows as a gap in the chart.
        let measured = ago != 3;
        care.record_health_log(request(
            care::RecordHealthLogRequest {
                client_id: client.id.clone(),
                log_date: day.to_string(),
                vitals: Some(care::Vitals {
                    systolic: measured.then_some(138 - i32::try_from(ago).unwrap_or(0) * 2),
                    diastolic: measured.then_some(84 - i32::try_from(ago).unwrap_or(0)),
                    heart_rate: measured.then_some(70 + i32::try_from(ago % 3).unwrap_or(0) * 3),
                    temperature: measured.then_some(36.6 + (ago % 2) as f64 * 0.2),
                    weight: (ago % 3 == 0 && measured).then_some(61.4),
                    ..Default::default()
                }),
                medications_taken: vec!["Amlodipine 5 mg".to_owned(), "Paracetamol 1 g".to_owned()],
                medications_missed: if ago == 5 {
                    vec!["Vitamin D".to_owned()]
                } else {
                    Vec::new()
                },
                meals: vec![
                    care::Meal {
                        meal_type: "breakfast".to_owned(),
                        content: "Porridge, tea".to_owned(),
                        time: "08:00".to_owned(),
                    },
                    care::Meal {
                        meal_type: "lunch".to_owned(),
                        content: "Chicken soup, bread roll".to_owned(),
                        time: "12:30".to_owned(),
                    },
                ],
                mood: if ago == 2 {
                    "a little shaken".to_owned()
                } else {
                    "cheerful".to_owned()
                },
                activities: vec!["Garden walk".to_owned(), "Crossword".to_owned()],
                sleep_hours: Some(7.5 - (ago % 2) as f64),
                notes: if ago == 2 {
                    "Near fall in the bathroom; see today's incident report.".to_owned()
                } else {
                    String::new()
                },
            },
            &carer,
        ))
        .await
        .context("record a demo health log")?;
    }
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let coordinator = user("care_team")?.uuid().to_string();
    let activity = |day: &str, time: &str, minutes: i32, what: &str| care::ScheduledActivity {
        day_of_week: day.to_owned(),
        time: time.to_owned(),
        duration_minutes: minutes,
        activity: what.to_owned(),
        assigned_to: coordinator.clone(),
        assigned_name: "Priya (coordinator)".to_owned(),
    };
    care.put_care_plan(request(
        care::PutCarePlanRequest {
            client_id: client.id.clone(),
            title: "Staying steady at home".to_owned(),
            description: "Strength and balance, steady blood pressure, and time in the garden.".to_owned(),
            start_date: monday.to_string(),
            end_date: (monday + Duration::weeks(12) - Duration::days(1)).to_string(),
            goals: vec![
                care::Goal {
                    goal: "Walk to the letterbox and back with the frame, unaided".to_owned(),
                    target_date: (monday + Duration::weeks(6)).to_string(),
                    status: "in_progress".to_owned(),
                },
                care::Goal {
                    goal: "Blood pressure under 135/85 most mornings".to_owned(),
                    target_date: (monday + Duration::weeks(12)).to_string(),
                    status: "not_started".to_owned(),
                },
            ],
            schedule: vec![
                activity("monday", "09:00", 45, "Physio exercises"),
                activity("wednesday", "10:30", 60, "Shopping trip"),
                activity("friday", "09:00", 45, "Physio exercises"),
                activity("sunday", "15:00", 60, "Garden time"),
            ],
        },
        &carer,
    ))
    .await
    .context("write the demo care plan")?;
    // Next Tuesday at 10:30: the same request each run this week (a new one
    // next week, as a real calendar fills).
    let appointment_day = monday + Duration::days(8);
    let listed = care
        .list_appointments(request(
            care::ListAppointmentsRequest {
                client_id: client.id.clone(),
                from: appointment_day.to_string(),
                to: appointment_day.to_string(),
            },
            &carer,
        ))
        .await
        .context("list the demo appointments")?
        .into_inner();
    if listed.appointments.is_empty() {
        care.create_appointment(request(
            care::CreateAppointmentRequest {
                client_id: client.id.clone(),
                scheduled_with: "Dr Patel".to_owned(),
                starts_local: format!("{appointment_day}T10:30"),
                duration_minutes: 30,
                appointment_type: "GP review".to_owned(),
                location: "Harbour Medical, 12 Main Street, Sydney".to_owned(),
                notes: "Bring the blood-pressure diary.".to_owned(),
            },
            &carer,
        ))
        .await
        .context("book the demo appointment")?;
    }
    // A medication list everyone linked may read, once.
    let documents = care
        .list_documents(request(
            care::ListDocumentsRequest {
                client_id: client.id.clone(),
                q: "medication list".to_owned(),
                category: "prescription".to_owned(),
            },
            &carer,
        ))
        .await
        .context("list the demo documents")?
        .into_inner()
        .documents;
    if documents.is_empty() {
        care.upload_document(request(
            care::UploadDocumentRequest {
                client_id: client.id.clone(),
                file_name: "medication list.pdf".to_owned(),
                category: "prescription".to_owned(),
                description: "Current medications, as reviewed by Dr Patel.".to_owned(),
                visibility: "everyone".to_owned(),
                content: MEDICATION_LIST.to_vec(),
            },
            &carer,
        ))
        .await
        .context("upload the demo document")?;
    }
    Ok(format!(
        "{} (client, care level intermediate) with a coordinator, family at each access level, {written} care updates, 7 days of health logs, a care plan, an appointment on {appointment_day} and a document",
        client.name
    ))
}

/// The contact with this phone, created if need be.
async fn contact_id(
    contacts: &ContactServiceClient<attend_kit::grpc::Traced>,
    caller: &Caller,
    name: &str,
    phone: &str,
    email: &str,
) -> anyhow::Result<String> {
    let created = contacts
        .clone()
        .create_contact(request(
            contact::CreateContactRequest {
                name: name.to_owned(),
                phone: phone.to_owned(),
                email: email.to_owned(),
                source: "Referral".to_owned(),
                intent: String::new(),
            },
            caller,
        ))
        .await
        .map_err(|s| from_status(s, "contact"));
    match created {
        Ok(c) => Ok(c.into_inner().id),
        Err(Error::Conflict(_)) => contacts
            .clone()
            .find_contacts(request(
                contact::FindContactsRequest {
                    phone: phone.to_owned(),
                    email: String::new(),
                },
                caller,
            ))
            .await
            .context("find a demo contact")?
            .into_inner()
            .contacts
            .into_iter()
            .next()
            .map(|c| c.id)
            .with_context(|| format!("the demo contact {name} exists but is not found by phone")),
        Err(e) => Err(e).with_context(|| format!("add the demo contact {name}")),
    }
}
