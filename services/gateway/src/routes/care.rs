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
use serde::Deserialize;
use serde_json::{Value, json};

use super::bookings::keyed;
use super::{public_or_null, unix};
use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/clients", get(list_clients))
        .route("/api/admin/clients", get(list_clients).post(create_client))
        .route("/api/clients/{id}", get(show_client).put(update_client))
        .route("/api/clients/{id}/care-team", put(set_care_team))
        .route("/api/clients/{id}/family", get(list_family).post(link_family))
        .route("/api/clients/{id}/family/{member}", delete(unlink_family))
        .route("/api/clients/{id}/updates", get(list_notes))
        .route("/api/clients/{id}/progress-notes", get(list_notes).post(create_note))
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

fn client_json(c: &pb::Client) -> Result<Value, Error> {
    let team = c
        .care_team
        .iter()
        .map(|m| Ok(json!({ "user_id": public_or_null::<UserId>(&m.user_id)?, "role": m.role })))
        .collect::<Result<Vec<_>, Error>>()?;
    let medical = c.medical.as_ref().map(|m| {
        json!({
            "conditions": m.conditions,
            "allergies": m.allergies,
            "insurance_provider": m.insurance_provider,
            "insurance_policy_number": m.insurance_policy_number,
        })
    });
    Ok(json!({
        "id": ClientId::parse_uuid(&c.id)?.to_string(),
        "contact_id": public_or_null::<ContactId>(&c.contact_id)?,
        "user_id": public_or_null::<UserId>(&c.user_id)?,
        "name": c.name,
        "date_of_birth": c.date_of_birth,
        "gender": c.gender,
        "status": c.status,
        "care_level": c.care_level,
        "time_zone": c.time_zone,
        "emergency_contact_name": c.emergency_contact_name,
        "emergency_contact_phone": c.emergency_contact_phone,
        "care_team": team,
        "medical": medical,
        "access": c.access,
        "created_at": unix(&c.created_at),
        "updated_at": unix(&c.updated_at),
    }))
}

fn family_json(f: &pb::FamilyMember) -> Result<Value, Error> {
    Ok(json!({
        "id": FamilyMemberId::parse_uuid(&f.id)?.to_string(),
        "client_id": ClientId::parse_uuid(&f.client_id)?.to_string(),
        "user_id": public_or_null::<UserId>(&f.user_id)?,
        "contact_id": public_or_null::<ContactId>(&f.contact_id)?,
        "relationship": f.relationship,
        "is_primary_contact": f.is_primary_contact,
        "access_level": f.access_level,
        "notification_preferences": { "sms": f.notify_sms, "email": f.notify_email },
        "appointment_reminders": f.appointment_reminders,
        "created_at": unix(&f.created_at),
        "unlinked_at": unix(&f.unlinked_at),
    }))
}

fn note_json(n: &pb::Note) -> Result<Value, Error> {
    Ok(json!({
        "id": NoteId::parse_uuid(&n.id)?.to_string(),
        "client_id": ClientId::parse_uuid(&n.client_id)?.to_string(),
        "author_id": public_or_null::<UserId>(&n.author_id)?,
        "title": n.title,
        "content": n.content,
        "note_type": n.note_type,
        "visibility": n.visibility,
        "urgent": n.urgent,
        "version": n.version,
        "created_at": unix(&n.created_at),
        "created_local": n.created_local,
        "updated_at": unix(&n.updated_at),
        "attachment_ids": documents_public(&n.attachment_ids)?,
    }))
}

fn health_json(h: &pb::HealthLog) -> Result<Value, Error> {
    let v = h.vitals.clone().unwrap_or_default();
    let reading = |value: Option<f64>, unit: &str| match value {
        Some(value) => json!({ "value": value, "unit": unit }),
        None => Value::Null,
    };
    Ok(json!({
        "id": HealthLogId::parse_uuid(&h.id)?.to_string(),
        "client_id": ClientId::parse_uuid(&h.client_id)?.to_string(),
        "log_date": h.log_date,
        "vital_signs": {
            "blood_pressure": match (v.systolic, v.diastolic) {
                (Some(s), Some(d)) => json!({ "systolic": s, "diastolic": d, "unit": "mmHg" }),
                _ => Value::Null,
            },
            "heart_rate": reading(v.heart_rate.map(f64::from), "bpm"),
            "temperature": reading(v.temperature, &v.temperature_unit),
            "weight": reading(v.weight, &v.weight_unit),
        },
        "medications_taken": h.medications_taken,
        "medications_missed": h.medications_missed,
        "meals": h.meals.iter().map(|m| json!({ "meal_type": m.meal_type, "content": m.content, "time": m.time })).collect::<Vec<_>>(),
        "mood": h.mood,
        "activities": h.activities,
        "sleep_hours": h.sleep_hours,
        "notes": h.notes,
        "created_by_id": public_or_null::<UserId>(&h.created_by_id)?,
        "created_at": unix(&h.created_at),
        "updated_at": unix(&h.updated_at),
    }))
}

/// `GET /api/clients` (and `/api/admin/clients`): the clients the caller may see.
async fn list_clients(State(state): State<AppState>, SignedIn(caller): SignedIn) -> Result<Json<Value>, Problem> {
    let listed = state
        .care
        .clone()
        .list_clients(request(pb::ListClientsRequest {}, &caller))
        .await
        .into_answer("care")?;
    let clients = listed.clients.iter().map(client_json).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "clients": clients })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct MedicalBody {
    conditions: Vec<String>,
    allergies: Vec<String>,
    insurance_provider: String,
    insurance_policy_number: String,
}

#[derive(Deserialize)]
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
async fn create_client(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewClient>,
) -> Result<(axum::http::StatusCode, Json<Value>), Problem> {
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
        Json(json!({ "client": client_json(&client)? })),
    ))
}

#[derive(Deserialize)]
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
async fn update_client(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<ClientUpdate>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "client": client_json(&client)? })))
}

/// `GET /api/clients/{id}`: a client, as the caller may see them.
async fn show_client(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "client": client_json(&client)? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamMemberBody {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamBody {
    care_team: Vec<TeamMemberBody>,
}

/// `PUT /api/clients/{id}/care-team`: replaces the assigned care team (admins).
async fn set_care_team(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<TeamBody>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "client": client_json(&client)? })))
}

/// `GET /api/clients/{id}/family`.
async fn list_family(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
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
    let family = listed
        .family_members
        .iter()
        .map(family_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "family_members": family })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Preferences {
    sms: bool,
    email: bool,
}

#[derive(Deserialize)]
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
async fn link_family(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<FamilyBody>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "family_member": family_json(&member)? })))
}

/// `DELETE /api/clients/{id}/family/{member}`: unlinks; they see nothing more.
async fn unlink_family(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, member)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "family_member": family_json(&unlinked)? })))
}

#[derive(Deserialize, Default)]
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
async fn list_notes(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(q): QueryParams<FeedQuery>,
) -> Result<Json<Value>, Problem> {
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
    let notes = listed.notes.iter().map(note_json).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({
        "updates": notes,
        "next_cursor": if listed.next_cursor.is_empty() { Value::Null } else { json!(listed.next_cursor) },
        "time_zone": listed.time_zone,
    })))
}

#[derive(Deserialize)]
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
async fn create_note(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<(axum::http::StatusCode, Json<Value>), Problem> {
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
        Json(json!({ "update": note_json(&note)? })),
    ))
}

/// `PUT /api/progress-notes/{id}`: edits a care update, keeping the previous version.
async fn edit_note(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "update": note_json(&note)? })))
}

#[derive(Deserialize)]
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
async fn flag_urgent(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    headers: HeaderMap,
    JsonBody(body): JsonBody<UrgentBody>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "update": note_json(&note)? })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct WeekQuery {
    week: String,
}

/// `GET /api/clients/{id}/health-logs?week=YYYY-MM-DD`: the week's days
/// (Monday first) and the vitals chart's series, with gaps as nulls.
async fn health_week(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(q): QueryParams<WeekQuery>,
) -> Result<Json<Value>, Problem> {
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
            Ok(json!({
                "date": d.date,
                "log": match &d.log { Some(log) => health_json(log)?, None => Value::Null },
            }))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let series: serde_json::Map<String, Value> = week
        .series
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                json!({
                    "unit": s.unit,
                    "points": s.points.iter().map(|p| json!({ "date": p.date, "value": p.value })).collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    Ok(Json(json!({
        "week_start": week.week_start,
        "week_end": week.week_end,
        "time_zone": week.time_zone,
        "days": days,
        "series": series,
    })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Reading {
    value: Option<f64>,
    unit: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Pressure {
    systolic: Option<i32>,
    diastolic: Option<i32>,
    unit: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct VitalsBody {
    blood_pressure: Option<Pressure>,
    heart_rate: Option<Reading>,
    temperature: Option<Reading>,
    weight: Option<Reading>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct MealBody {
    meal_type: String,
    content: String,
    time: String,
}

#[derive(Deserialize, Default)]
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

/// `POST /api/clients/{id}/health-logs`: the care team records a day
/// (recording the same day again replaces it).
async fn record_health_log(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<HealthBody>,
) -> Result<Json<Value>, Problem> {
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
        .into_answer("care")?;
    Ok(Json(json!({ "health_log": health_json(&log)? })))
}

fn plan_json(p: &pb::CarePlan) -> Result<Value, Error> {
    let schedule = p
        .schedule
        .iter()
        .map(|a| {
            Ok(json!({
                "day_of_week": a.day_of_week,
                "time": a.time,
                "duration_minutes": a.duration_minutes,
                "activity": a.activity,
                "assigned_to": public_or_null::<UserId>(&a.assigned_to)?,
                "assigned_name": a.assigned_name,
            }))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let goals: Vec<Value> = p
        .goals
        .iter()
        .map(|g| {
            json!({
                "goal": g.goal,
                "target_date": if g.target_date.is_empty() { Value::Null } else { json!(g.target_date) },
                "status": g.status,
            })
        })
        .collect();
    Ok(json!({
        "client_id": ClientId::parse_uuid(&p.client_id)?.to_string(),
        "coordinator_id": public_or_null::<UserId>(&p.coordinator_id)?,
        "title": p.title,
        "description": p.description,
        "start_date": p.start_date,
        "end_date": if p.end_date.is_empty() { Value::Null } else { json!(p.end_date) },
        "goals": goals,
        "schedule": schedule,
        "status": p.status,
        "time_zone": p.time_zone,
        "created_at": unix(&p.created_at),
        "updated_at": unix(&p.updated_at),
    }))
}

/// `GET /api/clients/{id}/care-plan`: the active care plan.
async fn show_plan(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "care_plan": plan_json(&plan)? })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct GoalBody {
    goal: String,
    target_date: Option<String>,
    status: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct ActivityBody {
    day_of_week: String,
    time: String,
    duration_minutes: i32,
    activity: String,
    assigned_to: Option<String>,
    assigned_name: String,
}

#[derive(Deserialize, Default)]
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
async fn put_plan(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<PlanBody>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "care_plan": plan_json(&plan)? })))
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

fn appointment_json(a: &pb::Appointment) -> Result<Value, Error> {
    Ok(json!({
        "id": AppointmentId::parse_uuid(&a.id)?.to_string(),
        "client_id": ClientId::parse_uuid(&a.client_id)?.to_string(),
        "scheduled_with": a.scheduled_with,
        "starts_at": unix(&a.starts_at),
        "starts_local": a.starts_local,
        "duration_minutes": a.duration_minutes,
        "appointment_type": a.appointment_type,
        "location": a.location,
        "notes": a.notes,
        "status": a.status,
        "created_by_id": public_or_null::<UserId>(&a.created_by_id)?,
        "created_at": unix(&a.created_at),
        "updated_at": unix(&a.updated_at),
    }))
}

/// An appointment id from the path; a malformed one is as unknown as a missing one.
fn appointment_path(id: &str) -> Result<String, Error> {
    AppointmentId::parse_public(id)
        .map(|a| a.uuid().to_string())
        .map_err(|_| Error::NotFound("appointment".to_owned()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RangeQuery {
    from: String,
    to: String,
}

/// `GET /api/clients/{id}/appointments?from=&to=`: local dates, for a
/// month, week or day view (from today, 31 days, by default).
async fn list_appointments(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    QueryParams(q): QueryParams<RangeQuery>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(
        json!({ "appointments": appointments, "time_zone": listed.time_zone }),
    ))
}

#[derive(Deserialize, Default)]
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
async fn create_appointment(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<AppointmentBody>,
) -> Result<(axum::http::StatusCode, Json<Value>), Problem> {
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
        Json(json!({ "appointment": appointment_json(&created)? })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    #[serde(default)]
    status: String,
}

/// `POST /api/clients/{id}/appointments/{appointment}/status`.
async fn set_appointment_status(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path((id, appointment)): Path<(String, String)>,
    JsonBody(body): JsonBody<StatusBody>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "appointment": appointment_json(&changed)? })))
}

/// `GET /api/clients/{id}/appointments.ics`: every appointment from today.
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemindersBody {
    days_before: Vec<i32>,
}

/// `PUT /api/clients/{id}/appointment-reminders` `{"days_before": [1, 3, 7]}`:
/// a family member chooses their own reminders.
async fn set_reminders(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    PathParam(id): PathParam,
    JsonBody(body): JsonBody<RemindersBody>,
) -> Result<Json<Value>, Problem> {
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
    Ok(Json(json!({ "family_member": family_json(&member)? })))
}
