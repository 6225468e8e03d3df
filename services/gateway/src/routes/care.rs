//! The care portal (spec 001's "Client Portal" and "Care Team" routes;
//! docs/care.md maps them): clients, their care team and family, care
//! updates and health logs. The care service decides what each caller may
//! see; this module only translates between JSON and its gRPC API, and
//! between public ids (`client_…`) and the fleet's UUIDs.

use attend_kit::Error;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{JsonBody, PathParam, Problem, QueryParams};
use attend_kit::ids::{
    AppointmentId, ClientId, ContactId, DocumentId, FamilyMemberId, HealthLogId, NoteId, TypedId, UserId,
};
use attend_proto::care::v1 as pb;
use attend_proto::contact::v1 as contact;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::bookings::keyed;
use super::{public_id, text, unix_seconds};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/clients", get(list_clients))
        .route("/api/admin/clients", get(admin_list_clients).post(create_client))
        .route("/api/clients/{id}", get(show_client).put(update_client))
        .route("/api/clients/{id}/care-team", put(set_care_team))
        .route("/api/clients/{id}/family", get(list_family).post(link_family))
        .route("/api/clients/{id}/family/{member}", delete(unlink_family))
        .route("/api/clients/{id}/updates", get(list_notes))
        .route(
            "/api/clients/{id}/progress-notes",
            get(progress_notes).post(create_note),
        )
        .route("/api/progress-notes/{id}", put(edit_note))
        .route("/api/clients/{id}/flag-urgent", post(flag_urgent))
        .route(
            "/api/clients/{id}/health-logs",
            get(health_week).post(record_health_log),
        )
        .route("/api/clients/{id}/care-plan", get(show_plan).put(put_plan))
        .route("/api/clients/{id}/care-plan.ics", get(plan_calendar))
        .route(
            "/api/clients/{id}/appointments",
            get(list_appointments).post(create_appointment),
        )
        .route("/api/clients/{id}/appointments.ics", get(appointments_calendar))
        .route(
            "/api/clients/{id}/appointments/{appointment}/appointment.ics",
            get(appointment_calendar),
        )
        .route(
            "/api/clients/{id}/appointments/{appointment}/status",
            post(set_appointment_status),
        )
        .route("/api/clients/{id}/appointment-reminders", put(set_reminders))
}

/// A client id from the path; a malformed one is as unknown as a missing one.
fn client_path(id: &str) -> Result<String, Error> {
    ClientId::parse_public(id)
        .map(|c| c.uuid().to_string())
        .map_err(|_| Error::NotFound("client".to_owned()))
}

/// A public user id (`user_…`) from a body, as the fleet carries it.
fn user_field(field: &str, id: &str) -> Result<String, Error> {
    match id.trim() {
        "" => Ok(String::new()),
        id => Ok(UserId::parse_public_at(field, id)?.uuid().to_string()),
    }
}

/// Document ids as the fleet carries them, in their public form.
pub fn documents_public(ids: &[String]) -> Result<Vec<String>, Error> {
    ids.iter()
        .map(|id| Ok(DocumentId::parse_uuid(id)?.to_string()))
        .collect()
}

/// Public document ids (`doc_…`) from a body, as the fleet carries them.
pub fn documents_fleet(ids: &[String]) -> Result<Vec<String>, Error> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            Ok(DocumentId::parse_public_at(&format!("attachment_ids[{i}]"), id)?
                .uuid()
                .to_string())
        })
        .collect()
}

/// A member of a client's care team.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamMember {
    /// `user_…`.
    pub user_id: Option<String>,
    /// `coordinator` or `carer`.
    pub role: String,
}

/// A client's medical details: for the care team, the client and
/// full-access family only.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Medical {
    pub conditions: Vec<String>,
    pub allergies: Vec<String>,
    pub insurance_provider: String,
    pub insurance_policy_number: String,
}

/// A person in care, as the caller may see them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Client {
    /// `client_…`.
    pub id: String,
    pub contact_id: Option<String>,
    /// The client's own sign-in, if they have one.
    pub user_id: Option<String>,
    pub name: String,
    /// `YYYY-MM-DD`, or empty.
    pub date_of_birth: String,
    pub gender: String,
    /// `active`, `paused` or `discharged`.
    pub status: String,
    /// `basic`, `intermediate` or `intensive`.
    pub care_level: String,
    /// IANA zone: every local time of the client's is in it.
    pub time_zone: String,
    pub emergency_contact_name: String,
    pub emergency_contact_phone: String,
    pub care_team: Vec<TeamMember>,
    /// Absent unless the caller may see medical details.
    pub medical: Option<Medical>,
    /// The caller's access: `coordinator` or `carer` (the care team),
    /// `client`, `view_only`, `messaging`, `full_access` (family) or `admin`.
    pub access: String,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// One client.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneClient {
    pub client: Client,
}

/// The clients the caller may see.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Clients {
    pub clients: Vec<Client>,
}

fn client_json(c: &pb::Client) -> Result<Client, Error> {
    let care_team = c
        .care_team
        .iter()
        .map(|m| {
            Ok(TeamMember {
                user_id: public_id::<UserId>(&m.user_id)?,
                role: m.role.clone(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let medical = c.medical.as_ref().map(|m| Medical {
        conditions: m.conditions.clone(),
        allergies: m.allergies.clone(),
        insurance_provider: m.insurance_provider.clone(),
        insurance_policy_number: m.insurance_policy_number.clone(),
    });
    Ok(Client {
        id: ClientId::parse_uuid(&c.id)?.to_string(),
        contact_id: public_id::<ContactId>(&c.contact_id)?,
        user_id: public_id::<UserId>(&c.user_id)?,
        name: c.name.clone(),
        date_of_birth: c.date_of_birth.clone(),
        gender: c.gender.clone(),
        status: c.status.clone(),
        care_level: c.care_level.clone(),
        time_zone: c.time_zone.clone(),
        emergency_contact_name: c.emergency_contact_name.clone(),
        emergency_contact_phone: c.emergency_contact_phone.clone(),
        care_team,
        medical,
        access: c.access.clone(),
        created_at: unix_seconds(&c.created_at),
        updated_at: unix_seconds(&c.updated_at),
    })
}

/// How a family member wants to hear about the client.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationPreferences {
    pub sms: bool,
    pub email: bool,
}

/// A family member's link to a client.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FamilyMember {
    /// `family_…`.
    pub id: String,
    /// `client_…`.
    pub client_id: String,
    /// Their portal sign-in, `user_…`.
    pub user_id: Option<String>,
    /// The person in contacts (`contact_…`): their phone and email for
    /// notifications.
    pub contact_id: Option<String>,
    pub relationship: String,
    pub is_primary_contact: bool,
    /// `view_only`, `messaging` or `full_access`.
    pub access_level: String,
    pub notification_preferences: NotificationPreferences,
    /// Days before each appointment they are reminded, e.g. `[1, 3, 7]`.
    pub appointment_reminders: Vec<i32>,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// Unix seconds; null while linked.
    pub unlinked_at: Option<i64>,
}

fn family_json(f: &pb::FamilyMember) -> Result<FamilyMember, Error> {
    Ok(FamilyMember {
        id: FamilyMemberId::parse_uuid(&f.id)?.to_string(),
        client_id: ClientId::parse_uuid(&f.client_id)?.to_string(),
        user_id: public_id::<UserId>(&f.user_id)?,
        contact_id: public_id::<ContactId>(&f.contact_id)?,
        relationship: f.relationship.clone(),
        is_primary_contact: f.is_primary_contact,
        access_level: f.access_level.clone(),
        notification_preferences: NotificationPreferences {
            sms: f.notify_sms,
            email: f.notify_email,
        },
        appointment_reminders: f.appointment_reminders.clone(),
        created_at: unix_seconds(&f.created_at),
        unlinked_at: unix_seconds(&f.unlinked_at),
    })
}

/// A client's family members.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FamilyMembers {
    pub family_members: Vec<FamilyMember>,
}

/// One family member.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneFamilyMember {
    pub family_member: FamilyMember,
}

fn one_family_member(f: &pb::FamilyMember) -> Result<Json<OneFamilyMember>, Error> {
    Ok(Json(OneFamilyMember {
        family_member: family_json(f)?,
    }))
}

/// A care update (progress note).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Note {
    /// `note_…`.
    pub id: String,
    pub client_id: String,
    pub author_id: Option<String>,
    /// Who wrote it; null when it can't be read.
    pub author_name: Option<String>,
    pub title: String,
    pub content: String,
    /// `daily_update`, `medical`, `activity`, `incident`, `general`.
    pub note_type: String,
    /// `family_visible`, `internal_only`, `family_only`.
    pub visibility: String,
    pub urgent: bool,
    /// 1 when new; each edit keeps the previous version and adds one.
    pub version: i32,
    pub created_at: Option<i64>,
    /// When it was written, in the client's zone (RFC 3339 with offset).
    pub created_local: String,
    pub updated_at: Option<i64>,
    /// The client's documents attached (`doc_…`).
    pub attachment_ids: Vec<String>,
}

/// One care update.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneNote {
    pub update: Note,
}

/// A page of care updates, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Feed {
    pub updates: Vec<Note>,
    /// Pass as `cursor` for older updates; absent on the last page.
    pub next_cursor: Option<String>,
    /// The client's zone, in which `created_local` and the date filters are.
    pub time_zone: String,
}

fn note_json(n: &pb::Note) -> Result<Note, Error> {
    Ok(Note {
        id: NoteId::parse_uuid(&n.id)?.to_string(),
        client_id: ClientId::parse_uuid(&n.client_id)?.to_string(),
        author_id: public_id::<UserId>(&n.author_id)?,
        author_name: None,
        title: n.title.clone(),
        content: n.content.clone(),
        note_type: n.note_type.clone(),
        visibility: n.visibility.clone(),
        urgent: n.urgent,
        version: n.version,
        created_at: unix_seconds(&n.created_at),
        created_local: n.created_local.clone(),
        updated_at: unix_seconds(&n.updated_at),
        attachment_ids: documents_public(&n.attachment_ids)?,
    })
}

/// A blood pressure reading.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BloodPressure {
    pub systolic: i32,
    pub diastolic: i32,
    /// Always `mmHg`.
    pub unit: String,
}

/// One vital sign's reading.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VitalReading {
    pub value: f64,
    /// `bpm` (heart rate), `C` or `F` (temperature), `kg` or `lb` (weight).
    pub unit: String,
}

/// The day's vital signs; each null when not taken.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VitalSigns {
    pub blood_pressure: Option<BloodPressure>,
    pub heart_rate: Option<VitalReading>,
    pub temperature: Option<VitalReading>,
    pub weight: Option<VitalReading>,
}

/// A meal of the day.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Meal {
    /// `breakfast`, `lunch`, `dinner` or `snack`.
    pub meal_type: String,
    pub content: String,
    /// `HH:MM`, local.
    pub time: String,
}

/// A client's health log for one day.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthLog {
    /// `healthlog_…`.
    pub id: String,
    /// `client_…`.
    pub client_id: String,
    /// `YYYY-MM-DD`, the client's local date.
    pub log_date: String,
    pub vital_signs: VitalSigns,
    pub medications_taken: Vec<String>,
    pub medications_missed: Vec<String>,
    pub meals: Vec<Meal>,
    pub mood: String,
    pub activities: Vec<String>,
    pub sleep_hours: Option<f64>,
    pub notes: String,
    /// `user_…`.
    pub created_by_id: Option<String>,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// Unix seconds.
    pub updated_at: Option<i64>,
}

fn health_json(h: &pb::HealthLog) -> Result<HealthLog, Error> {
    let v = h.vitals.clone().unwrap_or_default();
    let reading = |value: Option<f64>, unit: &str| {
        value.map(|value| VitalReading {
            value,
            unit: unit.to_owned(),
        })
    };
    Ok(HealthLog {
        id: HealthLogId::parse_uuid(&h.id)?.to_string(),
        client_id: ClientId::parse_uuid(&h.client_id)?.to_string(),
        log_date: h.log_date.clone(),
        vital_signs: VitalSigns {
            blood_pressure: match (v.systolic, v.diastolic) {
                (Some(systolic), Some(diastolic)) => Some(BloodPressure {
                    systolic,
                    diastolic,
                    unit: "mmHg".to_owned(),
                }),
                _ => None,
            },
            heart_rate: reading(v.heart_rate.map(f64::from), "bpm"),
            temperature: reading(v.temperature, &v.temperature_unit),
            weight: reading(v.weight, &v.weight_unit),
        },
        medications_taken: h.medications_taken.clone(),
        medications_missed: h.medications_missed.clone(),
        meals: h
            .meals
            .iter()
            .map(|m| Meal {
                meal_type: m.meal_type.clone(),
                content: m.content.clone(),
                time: m.time.clone(),
            })
            .collect(),
        mood: h.mood.clone(),
        activities: h.activities.clone(),
        sleep_hours: h.sleep_hours,
        notes: h.notes.clone(),
        created_by_id: public_id::<UserId>(&h.created_by_id)?,
        created_at: unix_seconds(&h.created_at),
        updated_at: unix_seconds(&h.updated_at),
    })
}

/// One health log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneHealthLog {
    pub health_log: HealthLog,
}

/// A day of the week, and its log if one was recorded.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub log: Option<HealthLog>,
}

/// One day's value in a vitals chart series.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthPoint {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Null on a day with no reading.
    pub value: Option<f64>,
}

/// A vitals chart series over the week.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthSeries {
    pub unit: String,
    /// A point per day, Monday first.
    pub points: Vec<HealthPoint>,
}

/// A client's health over a week.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthWeek {
    /// `YYYY-MM-DD`, a Monday.
    pub week_start: String,
    /// `YYYY-MM-DD`, the Sunday.
    pub week_end: String,
    /// The client's zone, in which the dates are.
    pub time_zone: String,
    /// Seven days, Monday first.
    pub days: Vec<HealthDay>,
    /// The vitals chart's series by name: `systolic`, `diastolic`,
    /// `heart_rate`, `temperature`, `weight`.
    pub series: BTreeMap<String, HealthSeries>,
}

/// `GET /api/admin/clients`: the same answer as `GET /api/clients`, under
/// the admin paths.
#[utoipa::path(operation_id = "care_admin_list_clients", get, path = "/api/admin/clients", tag = "care", responses((status = 200, description = "OK", body = Clients), crate::openapi::Problems))]
async fn admin_list_clients(state: State<AppState>, caller: SignedIn) -> Result<Json<Clients>, Problem> {
    list_clients(state, caller).await
}

/// `GET /api/clients` (and `/api/admin/clients`): the clients the caller may see.
#[utoipa::path(operation_id = "care_list_clients", get, path = "/api/clients", tag = "care", responses((status = 200, description = "OK", body = Clients), crate::openapi::Problems))]
async fn list_clients(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Clients>, Problem> {
    let listed = state
        .care
        .clone()
        .list_clients(request(pb::ListClientsRequest {}, &caller))
        .await
        .into_answer("care")?;
    let clients = listed.clients.iter().map(client_json).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Clients { clients }))
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct MedicalBody {
    conditions: Vec<String>,
    allergies: Vec<String>,
    insurance_provider: String,
    insurance_policy_number: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewClient {
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    user_id: String,
    /// Absent: the contact's name.
    #[serde(default)]
    name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    care_level: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    emergency_contact_name: String,
    #[serde(default)]
    emergency_contact_phone: String,
    #[serde(default)]
    medical: MedicalBody,
}

/// `POST /api/admin/clients`: makes a contact a client (admins).
#[utoipa::path(operation_id = "care_create_client", post, path = "/api/admin/clients", tag = "care", request_body = NewClient, responses((status = 201, description = "OK", body = OneClient), crate::openapi::Problems))]
async fn create_client(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewClient>,
) -> Result<(axum::http::StatusCode, Json<OneClient>), Problem> {
    let contact_id = match body.contact_id.trim() {
        "" => return Err(Error::invalid("contact_id", "is required: the client's contact").into()),
        id => ContactId::parse_public_at("contact_id", id)?,
    };
    let user_id = user_field("user_id", &body.user_id)?;
    // The contact must exist (and the admin may read it): its name is the
    // client's unless one is given.
    let person = state
        .contacts
        .clone()
        .get_contact(request(
            contact::GetContactRequest {
                id: contact_id.uuid().to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("contact")
        .map_err(|e| match e {
            Error::NotFound(_) => Error::invalid("contact_id", "is no contact of this organisation"),
            other => other,
        })?;
    let name = if body.name.trim().is_empty() {
        person.name
    } else {
        body.name
    };
    let call = keyed(
        request(
            pb::CreateClientRequest {
                contact_id: contact_id.uuid().to_string(),
                user_id,
                name,
                date_of_birth: body.date_of_birth,
                gender: body.gender,
                care_level: body.care_level,
                time_zone: body.time_zone,
                emergency_contact_name: body.emergency_contact_name,
                emergency_contact_phone: body.emergency_contact_phone,
                medical: Some(pb::Medical {
                    conditions: body.medical.conditions,
                    allergies: body.medical.allergies,
                    insurance_provider: body.medical.insurance_provider,
                    insurance_policy_number: body.medical.insurance_policy_number,
                }),
            },
            &caller,
        ),
        &headers,
    )?;
    let client = state.care.clone().create_client(call).await.into_answer("care")?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(OneClient {
            client: client_json(&client)?,
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ClientUpdate {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    care_level: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    emergency_contact_name: String,
    #[serde(default)]
    emergency_contact_phone: String,
    #[serde(default)]
    medical: MedicalBody,
    #[serde(default)]
    status: String,
}

/// `PUT /api/clients/{id}`: replaces a client's details and status (admins).
#[utoipa::path(operation_id = "care_update_client", put, path = "/api/clients/{id}", tag = "care", params(("id" = String, Path, description = "id")), request_body = ClientUpdate, responses((status = 200, description = "OK", body = OneClient), crate::openapi::Problems))]
async fn update_client(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<ClientUpdate>,
) -> Result<Json<OneClient>, Problem> {
    let details = pb::CreateClientRequest {
        contact_id: String::new(),
        user_id: user_field("user_id", &body.user_id)?,
        name: body.name,
        date_of_birth: body.date_of_birth,
        gender: body.gender,
        care_level: body.care_level,
        time_zone: body.time_zone,
        emergency_contact_name: body.emergency_contact_name,
        emergency_contact_phone: body.emergency_contact_phone,
        medical: Some(pb::Medical {
            conditions: body.medical.conditions,
            allergies: body.medical.allergies,
            insurance_provider: body.medical.insurance_provider,
            insurance_policy_number: body.medical.insurance_policy_number,
        }),
    };
    let client = state
        .care
        .clone()
        .update_client(request(
            pb::UpdateClientRequest {
                client_id: client_path(&id)?,
                details: Some(details),
                status: body.status,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(Json(OneClient {
        client: client_json(&client)?,
    }))
}

/// `GET /api/clients/{id}`: a client, as the caller may see them.
#[utoipa::path(operation_id = "care_show_client", get, path = "/api/clients/{id}", tag = "care", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = OneClient), crate::openapi::Problems))]
async fn show_client(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<OneClient>, Problem> {
    let client = state
        .care
        .clone()
        .get_client(request(
            pb::GetClientRequest {
                client_id: client_path(&id)?,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(Json(OneClient {
        client: client_json(&client)?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TeamMemberBody {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TeamBody {
    care_team: Vec<TeamMemberBody>,
}

/// `PUT /api/clients/{id}/care-team`: replaces the assigned care team (admins).
#[utoipa::path(operation_id = "care_set_care_team", put, path = "/api/clients/{id}/care-team", tag = "care", params(("id" = String, Path, description = "id")), request_body = TeamBody, responses((status = 200, description = "OK", body = OneClient), crate::openapi::Problems))]
async fn set_care_team(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<TeamBody>,
) -> Result<Json<OneClient>, Problem> {
    let care_team = body
        .care_team
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            Ok(pb::TeamMember {
                user_id: UserId::parse_public_at(&format!("care_team[{i}].user_id"), &m.user_id)?
                    .uuid()
                    .to_string(),
                role: m.role,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let client = state
        .care
        .clone()
        .set_care_team(request(
            pb::SetCareTeamRequest {
                client_id: client_path(&id)?,
                care_team,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(Json(OneClient {
        client: client_json(&client)?,
    }))
}

/// `GET /api/clients/{id}/family`.
#[utoipa::path(operation_id = "care_list_family", get, path = "/api/clients/{id}/family", tag = "care", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = FamilyMembers), crate::openapi::Problems))]
async fn list_family(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<FamilyMembers>, Problem> {
    let listed = state
        .care
        .clone()
        .list_family_members(request(
            pb::ListFamilyMembersRequest {
                client_id: client_path(&id)?,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    let family_members = listed
        .family_members
        .iter()
        .map(family_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(FamilyMembers { family_members }))
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct Preferences {
    sms: bool,
    email: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct FamilyBody {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    relationship: String,
    #[serde(default)]
    is_primary_contact: bool,
    #[serde(default)]
    access_level: String,
    #[serde(default)]
    notification_preferences: Preferences,
}

/// `POST /api/clients/{id}/family`: links a family member's portal user
/// (or changes their link): admins and the client's coordinators.
#[utoipa::path(operation_id = "care_link_family", post, path = "/api/clients/{id}/family", tag = "care", params(("id" = String, Path, description = "id")), request_body = FamilyBody, responses((status = 200, description = "OK", body = OneFamilyMember), crate::openapi::Problems))]
async fn link_family(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<FamilyBody>,
) -> Result<Json<OneFamilyMember>, Problem> {
    let user_id = match body.user_id.trim() {
        "" => return Err(Error::invalid("user_id", "is required: the family member's portal user").into()),
        u => user_field("user_id", u)?,
    };
    let contact_id = match body.contact_id.trim() {
        "" => String::new(),
        c => ContactId::parse_public_at("contact_id", c)?.uuid().to_string(),
    };
    let member = state
        .care
        .clone()
        .link_family_member(request(
            pb::LinkFamilyMemberRequest {
                client_id: client_path(&id)?,
                user_id,
                contact_id,
                relationship: body.relationship,
                is_primary_contact: body.is_primary_contact,
                access_level: body.access_level,
                notify_sms: body.notification_preferences.sms,
                notify_email: body.notification_preferences.email,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(one_family_member(&member)?)
}

/// `DELETE /api/clients/{id}/family/{member}`: unlinks; they see nothing more.
#[utoipa::path(operation_id = "care_unlink_family", delete, path = "/api/clients/{id}/family/{member}", tag = "care", params(("id" = String, Path, description = "id"), ("member" = String, Path, description = "member")), responses((status = 200, description = "OK", body = OneFamilyMember), crate::openapi::Problems))]
async fn unlink_family(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, member)): Path<(String, String)>,
) -> Result<Json<OneFamilyMember>, Problem> {
    let member =
        FamilyMemberId::parse_public(&member).map_err(|_| Error::NotFound("linked family member".to_owned()))?;
    let unlinked = state
        .care
        .clone()
        .unlink_family_member(request(
            pb::UnlinkFamilyMemberRequest {
                client_id: client_path(&id)?,
                family_member_id: member.uuid().to_string(),
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(one_family_member(&unlinked)?)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, default)]
struct FeedQuery {
    #[serde(rename = "type")]
    note_type: String,
    from: String,
    to: String,
    cursor: String,
    limit: Option<i32>,
}

/// `GET /api/clients/{id}/updates` (the family's feed) and
/// `GET /api/clients/{id}/progress-notes` (the team's): newest first,
/// `?type=&from=&to=` (local dates) `&cursor=&limit=`.
/// `GET /api/clients/{id}/progress-notes`: the same feed, under the team's path.
#[utoipa::path(operation_id = "care_progress_notes", get, path = "/api/clients/{id}/progress-notes", tag = "care", params(("id" = String, Path, description = "the client's id"), FeedQuery), responses((status = 200, description = "OK", body = Feed), crate::openapi::Problems))]
async fn progress_notes(
    state: State<AppState>,
    caller: SignedIn,
    id: PathParam,
    q: QueryParams<FeedQuery>,
) -> Result<Json<Feed>, Problem> {
    list_notes(state, caller, id, q).await
}

#[utoipa::path(operation_id = "care_list_notes", get, path = "/api/clients/{id}/updates", tag = "care", params(("id" = String, Path, description = "the client's id"), FeedQuery), responses((status = 200, description = "OK", body = Feed), crate::openapi::Problems))]
async fn list_notes(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(q): QueryParams<FeedQuery>,
) -> Result<Json<Feed>, Problem> {
    let listed = state
        .care
        .clone()
        .list_notes(request(
            pb::ListNotesRequest {
                client_id: client_path(&id)?,
                note_type: q.note_type,
                from: q.from,
                to: q.to,
                cursor: q.cursor,
                limit: q.limit.unwrap_or(0),
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    let mut notes = listed.notes.iter().map(note_json).collect::<Result<Vec<_>, _>>()?;
    let names = super::auth::user_names(&state, &caller, notes.iter().map(|n| &n.author_id)).await;
    for n in &mut notes {
        n.author_name = n.author_id.as_ref().and_then(|id| names.get(id).cloned());
    }
    Ok(Json(Feed {
        updates: notes,
        next_cursor: text(&listed.next_cursor),
        time_zone: listed.time_zone,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    note_type: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    urgent: bool,
    /// A late entry's time, Unix seconds (up to 7 days back).
    #[serde(default)]
    written_at: Option<i64>,
    /// Documents of the client (`doc_…`), uploaded first.
    #[serde(default)]
    attachment_ids: Vec<String>,
}

/// `POST /api/clients/{id}/progress-notes`: the care team writes a care update.
#[utoipa::path(operation_id = "care_create_note", post, path = "/api/clients/{id}/progress-notes", tag = "care", params(("id" = String, Path, description = "id")), request_body = NoteBody, responses((status = 201, description = "OK", body = OneNote), crate::openapi::Problems))]
async fn create_note(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<(axum::http::StatusCode, Json<OneNote>), Problem> {
    let call = keyed(
        request(
            pb::CreateNoteRequest {
                client_id: client_path(&id)?,
                title: body.title,
                content: body.content,
                note_type: body.note_type,
                visibility: body.visibility,
                urgent: body.urgent,
                attachment_ids: documents_fleet(&body.attachment_ids)?,
                written_at: match body.written_at {
                    None => None,
                    Some(secs) => Some(attend_kit::bus::timestamp(
                        chrono::DateTime::from_timestamp(secs, 0)
                            .ok_or_else(|| Error::invalid("written_at", "is not a time in Unix seconds"))?,
                    )),
                },
            },
            &caller,
        ),
        &headers,
    )?;
    let note = state.care.clone().create_note(call).await.into_answer("care")?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(OneNote {
            update: note_json(&note)?,
        }),
    ))
}

/// `PUT /api/progress-notes/{id}`: edits a care update, keeping the previous version.
#[utoipa::path(operation_id = "care_edit_note", put, path = "/api/progress-notes/{id}", tag = "care", params(("id" = String, Path, description = "id")), request_body = NoteBody, responses((status = 200, description = "OK", body = OneNote), crate::openapi::Problems))]
async fn edit_note(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<Json<OneNote>, Problem> {
    if body.urgent {
        return Err(Error::invalid("urgent", "is set with POST /api/clients/{id}/flag-urgent").into());
    }
    if !body.attachment_ids.is_empty() {
        return Err(Error::invalid(
            "attachment_ids",
            "are set when a care update is written, not when edited",
        )
        .into());
    }
    if body.written_at.is_some() {
        return Err(Error::invalid("written_at", "is set when a care update is written, not when edited").into());
    }
    let note_id = NoteId::parse_public(&id).map_err(|_| Error::NotFound("care update".to_owned()))?;
    let note = state
        .care
        .clone()
        .edit_note(request(
            pb::EditNoteRequest {
                note_id: note_id.uuid().to_string(),
                title: body.title,
                content: body.content,
                note_type: body.note_type,
                visibility: body.visibility,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(Json(OneNote {
        update: note_json(&note)?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UrgentBody {
    /// A care update to flag; or none, and a new one from the rest.
    #[serde(default)]
    note_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    note_type: String,
}

/// `POST /api/clients/{id}/flag-urgent`: flags a care update urgent (or
/// writes an urgent one); the family who asked hear at once.
#[utoipa::path(operation_id = "care_flag_urgent", post, path = "/api/clients/{id}/flag-urgent", tag = "care", params(("id" = String, Path, description = "id")), request_body = UrgentBody, responses((status = 200, description = "OK", body = OneNote), crate::openapi::Problems))]
async fn flag_urgent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<UrgentBody>,
) -> Result<Json<OneNote>, Problem> {
    let note_id = match body.note_id.trim() {
        "" => String::new(),
        n => NoteId::parse_public_at("note_id", n)?.uuid().to_string(),
    };
    let call = keyed(
        request(
            pb::FlagUrgentRequest {
                client_id: client_path(&id)?,
                note_id,
                title: body.title,
                content: body.content,
                note_type: body.note_type,
            },
            &caller,
        ),
        &headers,
    )?;
    let note = state.care.clone().flag_urgent(call).await.into_answer("care")?;
    Ok(Json(OneNote {
        update: note_json(&note)?,
    }))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, default)]
struct WeekQuery {
    week: String,
}

/// `GET /api/clients/{id}/health-logs?week=YYYY-MM-DD`: the week's days
/// (Monday first) and the vitals chart's series, with gaps as nulls.
#[utoipa::path(operation_id = "care_health_week", get, path = "/api/clients/{id}/health-logs", tag = "care", params(("id" = String, Path, description = "id"), WeekQuery), responses((status = 200, description = "OK", body = HealthWeek), crate::openapi::Problems))]
async fn health_week(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(q): QueryParams<WeekQuery>,
) -> Result<Json<HealthWeek>, Problem> {
    let week = state
        .care
        .clone()
        .health_week(request(
            pb::HealthWeekRequest {
                client_id: client_path(&id)?,
                week: q.week,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    let days = week
        .days
        .iter()
        .map(|d| {
            Ok(HealthDay {
                date: d.date.clone(),
                log: d.log.as_ref().map(health_json).transpose()?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let series = week
        .series
        .into_iter()
        .map(|s| {
            (
                s.name,
                HealthSeries {
                    unit: s.unit,
                    points: s
                        .points
                        .into_iter()
                        .map(|p| HealthPoint {
                            date: p.date,
                            value: p.value,
                        })
                        .collect(),
                },
            )
        })
        .collect();
    Ok(Json(HealthWeek {
        week_start: week.week_start,
        week_end: week.week_end,
        time_zone: week.time_zone,
        days,
        series,
    }))
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct Reading {
    value: Option<f64>,
    unit: String,
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct Pressure {
    systolic: Option<i32>,
    diastolic: Option<i32>,
    unit: String,
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct VitalsBody {
    blood_pressure: Option<Pressure>,
    heart_rate: Option<Reading>,
    temperature: Option<Reading>,
    weight: Option<Reading>,
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct MealBody {
    meal_type: String,
    content: String,
    time: String,
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct HealthBody {
    log_date: String,
    vital_signs: VitalsBody,
    medications_taken: Vec<String>,
    medications_missed: Vec<String>,
    meals: Vec<MealBody>,
    mood: String,
    activities: Vec<String>,
    sleep_hours: Option<f64>,
    notes: String,
}

/// care's name for a refused vital sign (`vitals.systolic`) as the body
/// spells it (`vital_signs.blood_pressure.systolic`); other fields as they are.
fn vital_field(field: &str) -> String {
    match field {
        "vitals.systolic" => "vital_signs.blood_pressure.systolic",
        "vitals.diastolic" => "vital_signs.blood_pressure.diastolic",
        "vitals.blood_pressure_unit" => "vital_signs.blood_pressure.unit",
        "vitals.heart_rate" => "vital_signs.heart_rate.value",
        "vitals.heart_rate_unit" => "vital_signs.heart_rate.unit",
        "vitals.temperature" => "vital_signs.temperature.value",
        "vitals.temperature_unit" => "vital_signs.temperature.unit",
        "vitals.weight" => "vital_signs.weight.value",
        "vitals.weight_unit" => "vital_signs.weight.unit",
        other => other,
    }
    .to_owned()
}

/// `POST /api/clients/{id}/health-logs`: the care team records a day
/// (recording the same day again replaces it).
#[utoipa::path(operation_id = "care_record_health_log", post, path = "/api/clients/{id}/health-logs", tag = "care", params(("id" = String, Path, description = "id")), request_body = HealthBody, responses((status = 200, description = "OK", body = OneHealthLog), crate::openapi::Problems))]
async fn record_health_log(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<HealthBody>,
) -> Result<Json<OneHealthLog>, Problem> {
    let v = body.vital_signs;
    let pressure = v.blood_pressure.unwrap_or_default();
    let heart = v.heart_rate.unwrap_or_default();
    let temperature = v.temperature.unwrap_or_default();
    let weight = v.weight.unwrap_or_default();
    let heart_rate = match heart.value {
        Some(h) if h.fract() == 0.0 && (0.0..=1000.0).contains(&h) => Some(h as i32),
        Some(_) => {
            return Err(Error::invalid(
                "vital_signs.heart_rate.value",
                "must be a whole number of beats per minute",
            )
            .into());
        }
        None => None,
    };
    let log = state
        .care
        .clone()
        .record_health_log(request(
            pb::RecordHealthLogRequest {
                client_id: client_path(&id)?,
                log_date: body.log_date,
                vitals: Some(pb::Vitals {
                    systolic: pressure.systolic,
                    diastolic: pressure.diastolic,
                    blood_pressure_unit: pressure.unit,
                    heart_rate,
                    heart_rate_unit: heart.unit,
                    temperature: temperature.value,
                    temperature_unit: temperature.unit,
                    weight: weight.value,
                    weight_unit: weight.unit,
                }),
                medications_taken: body.medications_taken,
                medications_missed: body.medications_missed,
                meals: body
                    .meals
                    .into_iter()
                    .map(|m| pb::Meal {
                        meal_type: m.meal_type,
                        content: m.content,
                        time: m.time,
                    })
                    .collect(),
                mood: body.mood,
                activities: body.activities,
                sleep_hours: body.sleep_hours,
                notes: body.notes,
            },
            &caller,
        ))
        .await
        .into_answer("care")
        .map_err(|e| e.with_fields_renamed(vital_field))?;
    Ok(Json(OneHealthLog {
        health_log: health_json(&log)?,
    }))
}

/// A goal of a care plan.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CareGoal {
    pub goal: String,
    /// `YYYY-MM-DD`.
    pub target_date: Option<String>,
    /// `not_started`, `in_progress`, `achieved` or `dropped`.
    pub status: String,
}

/// A weekly activity of a care plan.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScheduledActivity {
    /// `monday` .. `sunday`.
    pub day_of_week: String,
    /// `HH:MM` on the client's clock.
    pub time: String,
    pub duration_minutes: i32,
    pub activity: String,
    /// The team member doing it, `user_…`.
    pub assigned_to: Option<String>,
    /// The name the family sees.
    pub assigned_name: String,
}

/// A client's care plan.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CarePlan {
    /// `client_…`.
    pub client_id: String,
    /// `user_…`.
    pub coordinator_id: Option<String>,
    pub title: String,
    pub description: String,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    /// `YYYY-MM-DD`; null when open-ended.
    pub end_date: Option<String>,
    pub goals: Vec<CareGoal>,
    pub schedule: Vec<ScheduledActivity>,
    /// `active`, `inactive` or `archived`.
    pub status: String,
    /// The client's zone, in which the schedule's times are.
    pub time_zone: String,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// Unix seconds.
    pub updated_at: Option<i64>,
}

/// One care plan.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneCarePlan {
    pub care_plan: CarePlan,
}

fn plan_json(p: &pb::CarePlan) -> Result<Json<OneCarePlan>, Error> {
    let schedule = p
        .schedule
        .iter()
        .map(|a| {
            Ok(ScheduledActivity {
                day_of_week: a.day_of_week.clone(),
                time: a.time.clone(),
                duration_minutes: a.duration_minutes,
                activity: a.activity.clone(),
                assigned_to: public_id::<UserId>(&a.assigned_to)?,
                assigned_name: a.assigned_name.clone(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let goals = p
        .goals
        .iter()
        .map(|g| CareGoal {
            goal: g.goal.clone(),
            target_date: text(&g.target_date),
            status: g.status.clone(),
        })
        .collect();
    Ok(Json(OneCarePlan {
        care_plan: CarePlan {
            client_id: ClientId::parse_uuid(&p.client_id)?.to_string(),
            coordinator_id: public_id::<UserId>(&p.coordinator_id)?,
            title: p.title.clone(),
            description: p.description.clone(),
            start_date: p.start_date.clone(),
            end_date: text(&p.end_date),
            goals,
            schedule,
            status: p.status.clone(),
            time_zone: p.time_zone.clone(),
            created_at: unix_seconds(&p.created_at),
            updated_at: unix_seconds(&p.updated_at),
        },
    }))
}

/// `GET /api/clients/{id}/care-plan`: the active care plan.
#[utoipa::path(operation_id = "care_show_plan", get, path = "/api/clients/{id}/care-plan", tag = "care", params(("id" = String, Path, description = "id")), responses((status = 200, description = "OK", body = OneCarePlan), crate::openapi::Problems))]
async fn show_plan(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<OneCarePlan>, Problem> {
    let plan = state
        .care
        .clone()
        .get_care_plan(request(
            pb::GetCarePlanRequest {
                client_id: client_path(&id)?,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(plan_json(&plan)?)
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct GoalBody {
    goal: String,
    target_date: Option<String>,
    status: String,
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct ActivityBody {
    day_of_week: String,
    time: String,
    duration_minutes: i32,
    activity: String,
    assigned_to: Option<String>,
    assigned_name: String,
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct PlanBody {
    title: String,
    description: String,
    start_date: String,
    end_date: Option<String>,
    goals: Vec<GoalBody>,
    schedule: Vec<ActivityBody>,
}

/// `PUT /api/clients/{id}/care-plan`: writes the active plan (admins and
/// the client's coordinators).
#[utoipa::path(operation_id = "care_put_plan", put, path = "/api/clients/{id}/care-plan", tag = "care", params(("id" = String, Path, description = "id")), request_body = PlanBody, responses((status = 200, description = "OK", body = OneCarePlan), crate::openapi::Problems))]
async fn put_plan(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<PlanBody>,
) -> Result<Json<OneCarePlan>, Problem> {
    let schedule = body
        .schedule
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            Ok(pb::ScheduledActivity {
                day_of_week: a.day_of_week,
                time: a.time,
                duration_minutes: a.duration_minutes,
                activity: a.activity,
                assigned_to: user_field(
                    &format!("schedule[{i}].assigned_to"),
                    a.assigned_to.as_deref().unwrap_or(""),
                )?,
                assigned_name: a.assigned_name,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let plan = state
        .care
        .clone()
        .put_care_plan(request(
            pb::PutCarePlanRequest {
                client_id: client_path(&id)?,
                title: body.title,
                description: body.description,
                start_date: body.start_date,
                end_date: body.end_date.unwrap_or_default(),
                goals: body
                    .goals
                    .into_iter()
                    .map(|g| pb::Goal {
                        goal: g.goal,
                        target_date: g.target_date.unwrap_or_default(),
                        status: g.status,
                    })
                    .collect(),
                schedule,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(plan_json(&plan)?)
}

/// An iCalendar file, as a download.
fn calendar_file(calendar: pb::Calendar) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", calendar.file_name),
            ),
        ],
        calendar.ics,
    )
        .into_response()
}

/// `GET /api/clients/{id}/care-plan.ics`: the weekly schedule for a calendar app.
#[utoipa::path(operation_id = "care_plan_calendar", get, path = "/api/clients/{id}/care-plan.ics", tag = "care", params(("id" = String, Path, description = "id")), responses((status = 200, description = "The schedule as an iCalendar file (a download)", body = String, content_type = "text/calendar"), crate::openapi::Problems))]
async fn plan_calendar(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<axum::response::Response, Problem> {
    let calendar = state
        .care
        .clone()
        .care_plan_calendar(request(
            pb::GetCarePlanRequest {
                client_id: client_path(&id)?,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(calendar_file(calendar))
}

/// A client's appointment (care's, not a booking).
#[derive(Serialize, utoipa::ToSchema)]
pub struct CareAppointment {
    /// `appt_…`.
    pub id: String,
    /// `client_…`.
    pub client_id: String,
    /// Doctor, specialist, clinic.
    pub scheduled_with: String,
    /// Unix seconds.
    pub starts_at: Option<i64>,
    /// `starts_at` on the client's clock, RFC 3339 with its offset.
    pub starts_local: String,
    pub duration_minutes: i32,
    pub appointment_type: String,
    pub location: String,
    pub notes: String,
    /// `scheduled`, `completed`, `cancelled` or `no_show`.
    pub status: String,
    /// `user_…`.
    pub created_by_id: Option<String>,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// Unix seconds.
    pub updated_at: Option<i64>,
}

fn appointment_json(a: &pb::Appointment) -> Result<CareAppointment, Error> {
    Ok(CareAppointment {
        id: AppointmentId::parse_uuid(&a.id)?.to_string(),
        client_id: ClientId::parse_uuid(&a.client_id)?.to_string(),
        scheduled_with: a.scheduled_with.clone(),
        starts_at: unix_seconds(&a.starts_at),
        starts_local: a.starts_local.clone(),
        duration_minutes: a.duration_minutes,
        appointment_type: a.appointment_type.clone(),
        location: a.location.clone(),
        notes: a.notes.clone(),
        status: a.status.clone(),
        created_by_id: public_id::<UserId>(&a.created_by_id)?,
        created_at: unix_seconds(&a.created_at),
        updated_at: unix_seconds(&a.updated_at),
    })
}

/// A client's appointments in a range of local dates.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CareAppointments {
    pub appointments: Vec<CareAppointment>,
    /// The client's zone, in which `starts_local` and the range are.
    pub time_zone: String,
}

/// One appointment.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OneAppointment {
    pub appointment: CareAppointment,
}

/// An appointment id from the path; a malformed one is as unknown as a missing one.
fn appointment_path(id: &str) -> Result<String, Error> {
    AppointmentId::parse_public(id)
        .map(|a| a.uuid().to_string())
        .map_err(|_| Error::NotFound("appointment".to_owned()))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, default)]
struct RangeQuery {
    from: String,
    to: String,
}

/// `GET /api/clients/{id}/appointments?from=&to=`: local dates, for a
/// month, week or day view (from today, 31 days, by default).
#[utoipa::path(operation_id = "care_list_appointments", get, path = "/api/clients/{id}/appointments", tag = "care", params(("id" = String, Path, description = "id"), RangeQuery), responses((status = 200, description = "OK", body = CareAppointments), crate::openapi::Problems))]
async fn list_appointments(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(q): QueryParams<RangeQuery>,
) -> Result<Json<CareAppointments>, Problem> {
    let listed = state
        .care
        .clone()
        .list_appointments(request(
            pb::ListAppointmentsRequest {
                client_id: client_path(&id)?,
                from: q.from,
                to: q.to,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    let appointments = listed
        .appointments
        .iter()
        .map(appointment_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(CareAppointments {
        appointments,
        time_zone: listed.time_zone,
    }))
}

#[derive(Deserialize, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct AppointmentBody {
    scheduled_with: String,
    /// YYYY-MM-DDTHH:MM on the client's clock.
    starts_local: String,
    duration_minutes: i32,
    appointment_type: String,
    location: String,
    notes: String,
}

/// `POST /api/clients/{id}/appointments`: the care team books one.
#[utoipa::path(operation_id = "care_create_appointment", post, path = "/api/clients/{id}/appointments", tag = "care", params(("id" = String, Path, description = "id")), request_body = AppointmentBody, responses((status = 201, description = "Created", body = OneAppointment), crate::openapi::Problems))]
async fn create_appointment(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<AppointmentBody>,
) -> Result<(axum::http::StatusCode, Json<OneAppointment>), Problem> {
    let created = state
        .care
        .clone()
        .create_appointment(request(
            pb::CreateAppointmentRequest {
                client_id: client_path(&id)?,
                scheduled_with: body.scheduled_with,
                starts_local: body.starts_local,
                duration_minutes: body.duration_minutes,
                appointment_type: body.appointment_type,
                location: body.location,
                notes: body.notes,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(OneAppointment {
            appointment: appointment_json(&created)?,
        }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    #[serde(default)]
    status: String,
}

/// `POST /api/clients/{id}/appointments/{appointment}/status`.
#[utoipa::path(operation_id = "care_set_appointment_status", post, path = "/api/clients/{id}/appointments/{appointment}/status", tag = "care", params(("id" = String, Path, description = "id"), ("appointment" = String, Path, description = "appointment")), request_body = StatusBody, responses((status = 200, description = "OK", body = OneAppointment), crate::openapi::Problems))]
async fn set_appointment_status(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, appointment)): Path<(String, String)>,
    JsonBody(body): JsonBody<StatusBody>,
) -> Result<Json<OneAppointment>, Problem> {
    let client = client_path(&id)?;
    let changed = state
        .care
        .clone()
        .set_appointment_status(request(
            pb::SetAppointmentStatusRequest {
                client_id: client,
                appointment_id: appointment_path(&appointment)?,
                status: body.status,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(Json(OneAppointment {
        appointment: appointment_json(&changed)?,
    }))
}

/// `GET /api/clients/{id}/appointments.ics`: every appointment from today.
#[utoipa::path(operation_id = "care_appointments_calendar", get, path = "/api/clients/{id}/appointments.ics", tag = "care", params(("id" = String, Path, description = "id")), responses((status = 200, description = "The appointments as an iCalendar file (a download)", body = String, content_type = "text/calendar"), crate::openapi::Problems))]
async fn appointments_calendar(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<axum::response::Response, Problem> {
    let calendar = state
        .care
        .clone()
        .appointments_calendar(request(
            pb::AppointmentsCalendarRequest {
                client_id: client_path(&id)?,
                appointment_id: String::new(),
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(calendar_file(calendar))
}

/// `GET /api/clients/{id}/appointments/{appointment}/appointment.ics`.
#[utoipa::path(operation_id = "care_appointment_calendar", get, path = "/api/clients/{id}/appointments/{appointment}/appointment.ics", tag = "care", params(("id" = String, Path, description = "id"), ("appointment" = String, Path, description = "appointment")), responses((status = 200, description = "The appointment as an iCalendar file (a download)", body = String, content_type = "text/calendar"), crate::openapi::Problems))]
async fn appointment_calendar(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, appointment)): Path<(String, String)>,
) -> Result<axum::response::Response, Problem> {
    let calendar = state
        .care
        .clone()
        .appointments_calendar(request(
            pb::AppointmentsCalendarRequest {
                client_id: client_path(&id)?,
                appointment_id: appointment_path(&appointment)?,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(calendar_file(calendar))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RemindersBody {
    days_before: Vec<i32>,
}

/// `PUT /api/clients/{id}/appointment-reminders` `{"days_before": [1, 3, 7]}`:
/// a family member chooses their own reminders.
#[utoipa::path(operation_id = "care_set_reminders", put, path = "/api/clients/{id}/appointment-reminders", tag = "care", params(("id" = String, Path, description = "id")), request_body = RemindersBody, responses((status = 200, description = "OK", body = OneFamilyMember), crate::openapi::Problems))]
async fn set_reminders(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<RemindersBody>,
) -> Result<Json<OneFamilyMember>, Problem> {
    let member = state
        .care
        .clone()
        .set_appointment_reminders(request(
            pb::SetAppointmentRemindersRequest {
                client_id: client_path(&id)?,
                days_before: body.days_before,
            },
            &caller,
        ))
        .await
        .into_answer("care")?;
    Ok(one_family_member(&member)?)
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_clients,
    admin_list_clients,
    list_notes,
    progress_notes,
    create_client,
    show_client,
    update_client,
    set_care_team,
    list_family,
    link_family,
    unlink_family,
    create_note,
    edit_note,
    flag_urgent,
    health_week,
    record_health_log,
    show_plan,
    put_plan,
    plan_calendar,
    list_appointments,
    create_appointment,
    appointments_calendar,
    appointment_calendar,
    set_appointment_status,
    set_reminders
))]
pub struct Api;

#[cfg(test)]
mod tests {
    use super::*;

    /// Vitals not taken are null; those taken carry their unit.
    #[test]
    fn a_health_log_shows_each_vital_sign_with_its_unit_or_null() {
        let log = pb::HealthLog {
            id: "0190a6f2-7c1e-7d4a-9f3b-2a5c8e1d4b6f".to_owned(),
            client_id: "0190a6f2-7c1e-7d4a-9f3b-2a5c8e1d4b70".to_owned(),
            vitals: Some(pb::Vitals {
                systolic: Some(120),
                diastolic: Some(80),
                heart_rate: Some(72),
                ..Default::default()
            }),
            ..Default::default()
        };
        let json = serde_json::to_value(health_json(&log).unwrap()).unwrap();
        assert_eq!(
            json["vital_signs"],
            serde_json::json!({
                "blood_pressure": { "systolic": 120, "diastolic": 80, "unit": "mmHg" },
                "heart_rate": { "value": 72.0, "unit": "bpm" },
                "temperature": null,
                "weight": null,
            })
        );
        assert_eq!(json["sleep_hours"], serde_json::Value::Null);
        assert_eq!(json["created_by_id"], serde_json::Value::Null);
    }
}
