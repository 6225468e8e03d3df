//! The `care` schema's rows and queries. Sealed columns travel as bytes;
//! sealing and opening happen in the modules that own each record.

use attend_kit::db::Tx;
use attend_kit::ids::{ClientId, FamilyMemberId, NoteId, OrgId, TypedId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub user_id: Option<Uuid>,
    pub name: String,
    pub date_of_birth: NaiveDate,
    pub gender: Option<String>,
    pub status: String,
    pub care_level: String,
    pub time_zone: String,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub medical_sealed: Vec<u8>,
    pub medical_key: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ClientRow {
    pub fn client_id(&self) -> ClientId {
        ClientId::from(self.id)
    }

    /// The client's zone (checked when written).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }
}

const CLIENT_COLUMNS: &str = "id, contact_id, user_id, name, date_of_birth, gender, status, care_level, time_zone, \
     emergency_contact_name, emergency_contact_phone, medical_sealed, medical_key, created_at, updated_at";

pub async fn client(tx: &mut Tx, org: OrgId, id: ClientId) -> sqlx::Result<Option<ClientRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {CLIENT_COLUMNS} from care.clients where org_id = $1 and id = $2"
    )))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Whom a caller's list shows.
pub enum Scope {
    All,
    Team(UserId),
    Family(UserId),
    Client(UserId),
}

pub async fn clients(tx: &mut Tx, org: OrgId, scope: Scope) -> sqlx::Result<Vec<ClientRow>> {
    let (filter, user) = match scope {
        Scope::All => ("$2::uuid is null", None),
        Scope::Team(u) => (
            "exists (select 1 from care.care_team t where t.client_id = c.id and t.user_id = $2)",
            Some(u),
        ),
        Scope::Family(u) => (
            "exists (select 1 from care.family_members f where f.client_id = c.id and f.user_id = $2 \
             and f.unlinked_at is null)",
            Some(u),
        ),
        Scope::Client(u) => ("c.user_id = $2", Some(u)),
    };
    let columns = CLIENT_COLUMNS
        .split(", ")
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {columns} from care.clients c where c.org_id = $1 and {filter} \
         order by c.name, c.id limit 500"
    )))
    .bind(org.uuid())
    .bind(user.map(|u| u.uuid()))
    .fetch_all(&mut **tx)
    .await
}

pub struct NewClient<'a> {
    pub id: ClientId,
    pub contact_id: Uuid,
    pub user_id: Option<Uuid>,
    pub name: &'a str,
    pub date_of_birth: NaiveDate,
    pub gender: Option<&'a str>,
    pub care_level: &'a str,
    pub time_zone: &'a str,
    pub emergency_contact_name: Option<&'a str>,
    pub emergency_contact_phone: Option<&'a str>,
    pub medical_sealed: &'a [u8],
    pub medical_key: &'a str,
}

/// Inserts a client; `None` when the contact is already a client.
pub async fn insert_client(tx: &mut Tx, org: OrgId, c: &NewClient<'_>) -> sqlx::Result<Option<ClientRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into care.clients (id, org_id, contact_id, user_id, name, date_of_birth, gender, care_level, \
         time_zone, emergency_contact_name, emergency_contact_phone, medical_sealed, medical_key) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         on conflict (org_id, contact_id) do nothing returning {CLIENT_COLUMNS}"
    )))
    .bind(c.id.uuid())
    .bind(org.uuid())
    .bind(c.contact_id)
    .bind(c.user_id)
    .bind(c.name)
    .bind(c.date_of_birth)
    .bind(c.gender)
    .bind(c.care_level)
    .bind(c.time_zone)
    .bind(c.emergency_contact_name)
    .bind(c.emergency_contact_phone)
    .bind(c.medical_sealed)
    .bind(c.medical_key)
    .fetch_optional(&mut **tx)
    .await
}

/// Replaces a client's details and status.
pub async fn update_client(tx: &mut Tx, org: OrgId, c: &NewClient<'_>, status: &str) -> sqlx::Result<ClientRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update care.clients set user_id = $3, name = $4, date_of_birth = $5, gender = $6, care_level = $7, \
         time_zone = $8, emergency_contact_name = $9, emergency_contact_phone = $10, medical_sealed = $11, \
         medical_key = $12, status = $13, updated_at = now() where org_id = $1 and id = $2 returning {CLIENT_COLUMNS}"
    )))
    .bind(org.uuid())
    .bind(c.id.uuid())
    .bind(c.user_id)
    .bind(c.name)
    .bind(c.date_of_birth)
    .bind(c.gender)
    .bind(c.care_level)
    .bind(c.time_zone)
    .bind(c.emergency_contact_name)
    .bind(c.emergency_contact_phone)
    .bind(c.medical_sealed)
    .bind(c.medical_key)
    .bind(status)
    .fetch_one(&mut **tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamRow {
    pub user_id: Uuid,
    pub role: String,
}

pub async fn team(tx: &mut Tx, org: OrgId, client: ClientId) -> sqlx::Result<Vec<TeamRow>> {
    sqlx::query_as(
        "select user_id, role from care.care_team where org_id = $1 and client_id = $2 \
         order by role, user_id",
    )
    .bind(org.uuid())
    .bind(client.uuid())
    .fetch_all(&mut **tx)
    .await
}

pub async fn team_role(tx: &mut Tx, org: OrgId, client: ClientId, user: UserId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("select role from care.care_team where org_id = $1 and client_id = $2 and user_id = $3")
        .bind(org.uuid())
        .bind(client.uuid())
        .bind(user.uuid())
        .fetch_optional(&mut **tx)
        .await
}

pub async fn set_team(tx: &mut Tx, org: OrgId, client: ClientId, team: &[(Uuid, &str)]) -> sqlx::Result<()> {
    sqlx::query("delete from care.care_team where org_id = $1 and client_id = $2")
        .bind(org.uuid())
        .bind(client.uuid())
        .execute(&mut **tx)
        .await?;
    for (user, role) in team {
        sqlx::query("insert into care.care_team (org_id, client_id, user_id, role) values ($1, $2, $3, $4)")
            .bind(org.uuid())
            .bind(client.uuid())
            .bind(user)
            .bind(role)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("update care.clients set updated_at = now() where org_id = $1 and id = $2")
        .bind(org.uuid())
        .bind(client.uuid())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn family_level(tx: &mut Tx, org: OrgId, client: ClientId, user: UserId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "select access_level from care.family_members \
         where org_id = $1 and client_id = $2 and user_id = $3 and unlinked_at is null",
    )
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(user.uuid())
    .fetch_optional(&mut **tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FamilyRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub user_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub relationship: String,
    pub is_primary_contact: bool,
    pub access_level: String,
    pub notify_sms: bool,
    pub notify_email: bool,
    pub appointment_reminders: Vec<i32>,
    pub created_at: DateTime<Utc>,
    pub unlinked_at: Option<DateTime<Utc>>,
}

const FAMILY_COLUMNS: &str = "id, client_id, user_id, contact_id, relationship, is_primary_contact, access_level, \
     notify_sms, notify_email, appointment_reminders, created_at, unlinked_at";

pub struct NewFamily<'a> {
    pub user_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub relationship: &'a str,
    pub is_primary_contact: bool,
    pub access_level: &'a str,
    pub notify_sms: bool,
    pub notify_email: bool,
}

/// Links a family member, or updates the standing link of the same user.
pub async fn link_family(tx: &mut Tx, org: OrgId, client: ClientId, f: &NewFamily<'_>) -> sqlx::Result<FamilyRow> {
    if f.is_primary_contact {
        sqlx::query(
            "update care.family_members set is_primary_contact = false, updated_at = now() \
             where org_id = $1 and client_id = $2 and unlinked_at is null and user_id <> $3 and is_primary_contact",
        )
        .bind(org.uuid())
        .bind(client.uuid())
        .bind(f.user_id)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into care.family_members (id, org_id, client_id, user_id, contact_id, relationship, \
         is_primary_contact, access_level, notify_sms, notify_email) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         on conflict (client_id, user_id) where unlinked_at is null do update set \
         contact_id = excluded.contact_id, relationship = excluded.relationship, \
         is_primary_contact = excluded.is_primary_contact, access_level = excluded.access_level, \
         notify_sms = excluded.notify_sms, notify_email = excluded.notify_email, updated_at = now() \
         returning {FAMILY_COLUMNS}"
    )))
    .bind(FamilyMemberId::new().uuid())
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(f.user_id)
    .bind(f.contact_id)
    .bind(f.relationship)
    .bind(f.is_primary_contact)
    .bind(f.access_level)
    .bind(f.notify_sms)
    .bind(f.notify_email)
    .fetch_one(&mut **tx)
    .await
}

pub async fn unlink_family(
    tx: &mut Tx,
    org: OrgId,
    client: ClientId,
    member: FamilyMemberId,
) -> sqlx::Result<Option<FamilyRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update care.family_members set unlinked_at = now(), updated_at = now() \
         where org_id = $1 and client_id = $2 and id = $3 and unlinked_at is null returning {FAMILY_COLUMNS}"
    )))
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(member.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// The client's linked family (not the unlinked).
pub async fn family(tx: &mut Tx, org: OrgId, client: ClientId) -> sqlx::Result<Vec<FamilyRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {FAMILY_COLUMNS} from care.family_members \
         where org_id = $1 and client_id = $2 and unlinked_at is null order by is_primary_contact desc, created_at, id"
    )))
    .bind(org.uuid())
    .bind(client.uuid())
    .fetch_all(&mut **tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub author_id: Uuid,
    pub body_sealed: Vec<u8>,
    pub body_key: String,
    pub note_type: String,
    pub visibility: String,
    pub urgent: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub attachment_ids: Vec<Uuid>,
}

const NOTE_COLUMNS: &str = "id, client_id, author_id, body_sealed, body_key, note_type, visibility, urgent, version, \
     created_at, updated_at, attachment_ids";

pub async fn insert_note(tx: &mut Tx, org: OrgId, row: &NoteRow) -> sqlx::Result<()> {
    sqlx::query(
        "insert into care.progress_notes (id, org_id, client_id, author_id, body_sealed, body_key, note_type, \
         visibility, urgent, created_at, attachment_ids) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(row.id)
    .bind(org.uuid())
    .bind(row.client_id)
    .bind(row.author_id)
    .bind(&row.body_sealed)
    .bind(&row.body_key)
    .bind(&row.note_type)
    .bind(&row.visibility)
    .bind(row.urgent)
    .bind(row.created_at)
    .bind(&row.attachment_ids)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A note, locked for an edit when `lock`.
pub async fn note(tx: &mut Tx, org: OrgId, id: NoteId, lock: bool) -> sqlx::Result<Option<NoteRow>> {
    let lock = if lock { " for update" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {NOTE_COLUMNS} from care.progress_notes where org_id = $1 and id = $2{lock}"
    )))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Keeps the note's current version, then writes the new one.
pub async fn replace_note(
    tx: &mut Tx,
    org: OrgId,
    old: &NoteRow,
    new: &NoteRow,
    editor: Uuid,
) -> sqlx::Result<NoteRow> {
    sqlx::query(
        "insert into care.progress_note_versions (org_id, note_id, version, body_sealed, body_key, note_type, \
         visibility, edited_by, written_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(org.uuid())
    .bind(old.id)
    .bind(old.version)
    .bind(&old.body_sealed)
    .bind(&old.body_key)
    .bind(&old.note_type)
    .bind(&old.visibility)
    .bind(editor)
    .bind(old.updated_at)
    .execute(&mut **tx)
    .await?;
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update care.progress_notes set body_sealed = $3, body_key = $4, note_type = $5, visibility = $6, \
         urgent = $7, version = version + 1, updated_at = now() where org_id = $1 and id = $2 returning {NOTE_COLUMNS}"
    )))
    .bind(org.uuid())
    .bind(old.id)
    .bind(&new.body_sealed)
    .bind(&new.body_key)
    .bind(&new.note_type)
    .bind(&new.visibility)
    .bind(new.urgent)
    .fetch_one(&mut **tx)
    .await
}

pub async fn flag_urgent(tx: &mut Tx, org: OrgId, id: NoteId) -> sqlx::Result<Option<NoteRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update care.progress_notes set urgent = true, updated_at = now() \
         where org_id = $1 and id = $2 and not urgent returning {NOTE_COLUMNS}"
    )))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// A page of the feed, newest first.
pub struct Feed<'a> {
    pub client: ClientId,
    pub visibilities: &'a [&'static str],
    /// Family-only notes the caller wrote are shown too.
    pub author: Option<Uuid>,
    pub note_type: Option<&'a str>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

pub async fn feed(tx: &mut Tx, org: OrgId, f: &Feed<'_>) -> sqlx::Result<Vec<NoteRow>> {
    let visibilities: Vec<String> = f.visibilities.iter().map(|v| (*v).to_owned()).collect();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {NOTE_COLUMNS} from care.progress_notes \
         where org_id = $1 and client_id = $2 \
           and (visibility = any($3) or (visibility = 'family_only' and author_id = $4)) \
           and ($5::text is null or note_type = $5) \
           and ($6::timestamptz is null or created_at >= $6) \
           and ($7::timestamptz is null or created_at < $7) \
           and ($8::timestamptz is null or (created_at, id) < ($8, $9)) \
         order by created_at desc, id desc limit $10"
    )))
    .bind(org.uuid())
    .bind(f.client.uuid())
    .bind(visibilities)
    .bind(f.author)
    .bind(f.note_type)
    .bind(f.from)
    .bind(f.until)
    .bind(f.after.map(|a| a.0))
    .bind(f.after.map(|a| a.1))
    .bind(f.limit + 1)
    .fetch_all(&mut **tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HealthRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub log_date: NaiveDate,
    pub vitals: serde_json::Value,
    pub medications_taken: Vec<String>,
    pub medications_missed: Vec<String>,
    pub meals: serde_json::Value,
    pub mood: Option<String>,
    pub activities: Vec<String>,
    pub sleep_hours: Option<f64>,
    pub notes_sealed: Option<Vec<u8>>,
    pub notes_key: Option<String>,
    pub created_by_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const HEALTH_COLUMNS: &str = "id, client_id, log_date, vitals, medications_taken, medications_missed, meals, mood, \
     activities, sleep_hours::float8 as sleep_hours, notes_sealed, notes_key, created_by_id, created_at, updated_at";

/// Writes a client's day, replacing what was recorded for it.
pub async fn upsert_health(tx: &mut Tx, org: OrgId, row: &HealthRow) -> sqlx::Result<HealthRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into care.health_logs (id, org_id, client_id, log_date, vitals, medications_taken, \
         medications_missed, meals, mood, activities, sleep_hours, notes_sealed, notes_key, created_by_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         on conflict (client_id, log_date) do update set vitals = excluded.vitals, \
         medications_taken = excluded.medications_taken, medications_missed = excluded.medications_missed, \
         meals = excluded.meals, mood = excluded.mood, activities = excluded.activities, \
         sleep_hours = excluded.sleep_hours, notes_sealed = excluded.notes_sealed, notes_key = excluded.notes_key, \
         created_by_id = excluded.created_by_id, updated_at = now() \
         returning {HEALTH_COLUMNS}"
    )))
    .bind(row.id)
    .bind(org.uuid())
    .bind(row.client_id)
    .bind(row.log_date)
    .bind(&row.vitals)
    .bind(&row.medications_taken)
    .bind(&row.medications_missed)
    .bind(&row.meals)
    .bind(&row.mood)
    .bind(&row.activities)
    .bind(row.sleep_hours)
    .bind(&row.notes_sealed)
    .bind(&row.notes_key)
    .bind(row.created_by_id)
    .fetch_one(&mut **tx)
    .await
}

pub async fn health_between(
    tx: &mut Tx,
    org: OrgId,
    client: ClientId,
    first: NaiveDate,
    last: NaiveDate,
) -> sqlx::Result<Vec<HealthRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {HEALTH_COLUMNS} from care.health_logs \
         where org_id = $1 and client_id = $2 and log_date between $3 and $4 order by log_date"
    )))
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(first)
    .bind(last)
    .fetch_all(&mut **tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub coordinator_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub goals: serde_json::Value,
    pub schedule: serde_json::Value,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const PLAN_COLUMNS: &str = "id, client_id, coordinator_id, title, description, start_date, end_date, goals, schedule, \
     status, created_at, updated_at";

pub async fn active_plan(tx: &mut Tx, org: OrgId, client: ClientId) -> sqlx::Result<Option<PlanRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {PLAN_COLUMNS} from care.care_plans where org_id = $1 and client_id = $2 and status = 'active'"
    )))
    .bind(org.uuid())
    .bind(client.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Writes the client's active plan (replacing its content when there is one).
pub async fn put_plan(tx: &mut Tx, org: OrgId, p: &PlanRow) -> sqlx::Result<PlanRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into care.care_plans (id, org_id, client_id, coordinator_id, title, description, start_date, \
         end_date, goals, schedule) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         on conflict (client_id) where status = 'active' do update set coordinator_id = excluded.coordinator_id, \
         title = excluded.title, description = excluded.description, start_date = excluded.start_date, \
         end_date = excluded.end_date, goals = excluded.goals, schedule = excluded.schedule, updated_at = now() \
         returning {PLAN_COLUMNS}"
    )))
    .bind(p.id)
    .bind(org.uuid())
    .bind(p.client_id)
    .bind(p.coordinator_id)
    .bind(&p.title)
    .bind(&p.description)
    .bind(p.start_date)
    .bind(p.end_date)
    .bind(&p.goals)
    .bind(&p.schedule)
    .fetch_one(&mut **tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppointmentRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub scheduled_with: String,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub appointment_type: Option<String>,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub status: String,
    pub created_by_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const APPOINTMENT_COLUMNS: &str = "id, client_id, scheduled_with, starts_at, duration_minutes, appointment_type, \
     location, notes, status, created_by_id, created_at, updated_at";

pub async fn insert_appointment(tx: &mut Tx, org: OrgId, a: &AppointmentRow) -> sqlx::Result<AppointmentRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into care.appointments (id, org_id, client_id, scheduled_with, starts_at, duration_minutes, \
         appointment_type, location, notes, created_by_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         returning {APPOINTMENT_COLUMNS}"
    )))
    .bind(a.id)
    .bind(org.uuid())
    .bind(a.client_id)
    .bind(&a.scheduled_with)
    .bind(a.starts_at)
    .bind(a.duration_minutes)
    .bind(&a.appointment_type)
    .bind(&a.location)
    .bind(&a.notes)
    .bind(a.created_by_id)
    .fetch_one(&mut **tx)
    .await
}

pub async fn appointment(tx: &mut Tx, org: OrgId, id: Uuid) -> sqlx::Result<Option<AppointmentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {APPOINTMENT_COLUMNS} from care.appointments where org_id = $1 and id = $2"
    )))
    .bind(org.uuid())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn appointments_between(
    tx: &mut Tx,
    org: OrgId,
    client: ClientId,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> sqlx::Result<Vec<AppointmentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {APPOINTMENT_COLUMNS} from care.appointments \
         where org_id = $1 and client_id = $2 and starts_at >= $3 and starts_at < $4 order by starts_at, id limit 1000"
    )))
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(from)
    .bind(until)
    .fetch_all(&mut **tx)
    .await
}

pub async fn set_appointment_status(tx: &mut Tx, org: OrgId, id: Uuid, status: &str) -> sqlx::Result<AppointmentRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update care.appointments set status = $3, updated_at = now() where org_id = $1 and id = $2 \
         returning {APPOINTMENT_COLUMNS}"
    )))
    .bind(org.uuid())
    .bind(id)
    .bind(status)
    .fetch_one(&mut **tx)
    .await
}

/// A family member's own reminder choice; `None` when they are not linked.
pub async fn set_reminders(
    tx: &mut Tx,
    org: OrgId,
    client: ClientId,
    user: UserId,
    days: &[i32],
) -> sqlx::Result<Option<FamilyRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "update care.family_members set appointment_reminders = $4, updated_at = now() \
         where org_id = $1 and client_id = $2 and user_id = $3 and unlinked_at is null returning {FAMILY_COLUMNS}"
    )))
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(user.uuid())
    .bind(days)
    .fetch_optional(&mut **tx)
    .await
}

/// A reminder that is due and not yet sent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueReminder {
    pub org_id: Uuid,
    pub appointment_id: Uuid,
    pub family_member_id: Uuid,
    pub days_before: i32,
    pub contact_id: Uuid,
    pub notify_sms: bool,
    pub notify_email: bool,
    pub starts_at: DateTime<Utc>,
    pub scheduled_with: String,
    pub client_name: String,
    pub time_zone: String,
}

/// Across organisations (the platform role): reminders whose moment has
/// come (within the last day: a week's reminder for an appointment booked
/// two days ahead is not sent late) for scheduled appointments still
/// ahead, not yet sent.
pub async fn due_reminders(tx: &mut Tx, now: DateTime<Utc>) -> sqlx::Result<Vec<DueReminder>> {
    sqlx::query_as(
        "select a.org_id, a.id as appointment_id, f.id as family_member_id, d.days as days_before, f.contact_id, \
                f.notify_sms, f.notify_email, a.starts_at, a.scheduled_with, c.name as client_name, c.time_zone \
         from care.appointments a \
         join care.clients c on c.id = a.client_id \
         join care.family_members f on f.client_id = a.client_id and f.unlinked_at is null \
              and f.contact_id is not null and (f.notify_sms or f.notify_email) \
         cross join lateral unnest(f.appointment_reminders) as d(days) \
         where a.status = 'scheduled' and a.starts_at > $1 \
           and a.starts_at - make_interval(days => d.days) <= $1 \
           and a.starts_at - make_interval(days => d.days) > $1 - interval '1 day' \
           and not exists (select 1 from care.appointment_reminders r where r.appointment_id = a.id \
                           and r.family_member_id = f.id and r.days_before = d.days) \
         order by a.starts_at limit 500",
    )
    .bind(now)
    .fetch_all(&mut **tx)
    .await
}

/// Records a reminder as sent in `tx`; false when it already was.
pub async fn claim_reminder(tx: &mut Tx, org: OrgId, appointment: Uuid, member: Uuid, days: i32) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "insert into care.appointment_reminders (org_id, appointment_id, family_member_id, days_before) \
         values ($1, $2, $3, $4) on conflict do nothing",
    )
    .bind(org.uuid())
    .bind(appointment)
    .bind(member)
    .bind(days)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub sender_id: Uuid,
    pub sender_role: String,
    pub body_sealed: Vec<u8>,
    pub body_key: String,
    pub created_at: DateTime<Utc>,
    pub attachment_ids: Vec<Uuid>,
}

const MESSAGE_COLUMNS: &str =
    "id, client_id, sender_id, sender_role, body_sealed, body_key, created_at, attachment_ids";

/// A conversation's messages, newest first, after a keyset position.
pub async fn messages(
    tx: &mut Tx,
    org: OrgId,
    client: ClientId,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<MessageRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {MESSAGE_COLUMNS} from care.messages where org_id = $1 and client_id = $2 \
         and ($3::timestamptz is null or (created_at, id) < ($3, $4)) \
         order by created_at desc, id desc limit $5"
    )))
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

pub async fn message(tx: &mut Tx, org: OrgId, id: Uuid) -> sqlx::Result<Option<MessageRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {MESSAGE_COLUMNS} from care.messages where org_id = $1 and id = $2"
    )))
    .bind(org.uuid())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

#[allow(clippy::too_many_arguments, reason = "one row's columns")]
pub async fn insert_message(
    tx: &mut Tx,
    org: OrgId,
    client: ClientId,
    id: Uuid,
    sender: Uuid,
    role: &str,
    sealed: &[u8],
    key: &str,
    attachments: &[Uuid],
) -> sqlx::Result<MessageRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into care.messages (id, org_id, client_id, sender_id, sender_role, body_sealed, body_key, \
         attachment_ids) values ($1, $2, $3, $4, $5, $6, $7, $8) returning {MESSAGE_COLUMNS}"
    )))
    .bind(id)
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(sender)
    .bind(role)
    .bind(sealed)
    .bind(key)
    .bind(attachments)
    .fetch_one(&mut **tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReadRow {
    pub client_id: Uuid,
    pub user_id: Uuid,
    pub message_id: Uuid,
    pub read_at: DateTime<Utc>,
}

/// Moves the user's read position to `message`, never back.
pub async fn mark_read(
    tx: &mut Tx,
    org: OrgId,
    client: ClientId,
    user: Uuid,
    message: &MessageRow,
) -> sqlx::Result<ReadRow> {
    let moved: Option<ReadRow> = sqlx::query_as(
        "insert into care.message_reads (org_id, client_id, user_id, message_id, up_to) values ($1, $2, $3, $4, $5) \
         on conflict (client_id, user_id) do update set message_id = excluded.message_id, up_to = excluded.up_to, \
         read_at = now() where care.message_reads.up_to <= excluded.up_to \
         returning client_id, user_id, message_id, read_at",
    )
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(user)
    .bind(message.id)
    .bind(message.created_at)
    .fetch_optional(&mut **tx)
    .await?;
    match moved {
        Some(row) => Ok(row),
        // Already read further: the standing position.
        None => {
            sqlx::query_as(
                "select client_id, user_id, message_id, read_at from care.message_reads \
                 where org_id = $1 and client_id = $2 and user_id = $3",
            )
            .bind(org.uuid())
            .bind(client.uuid())
            .bind(user)
            .fetch_one(&mut **tx)
            .await
        }
    }
}

pub async fn reads(tx: &mut Tx, org: OrgId, client: ClientId) -> sqlx::Result<Vec<ReadRow>> {
    sqlx::query_as(
        "select client_id, user_id, message_id, read_at from care.message_reads \
         where org_id = $1 and client_id = $2 order by read_at desc",
    )
    .bind(org.uuid())
    .bind(client.uuid())
    .fetch_all(&mut **tx)
    .await
}

/// Messages from others after the user's read position.
pub async fn unread(tx: &mut Tx, org: OrgId, client: ClientId, user: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from care.messages m where m.org_id = $1 and m.client_id = $2 and m.sender_id <> $3 \
         and m.created_at > coalesce((select r.up_to from care.message_reads r \
                                      where r.client_id = $2 and r.user_id = $3), '-infinity')",
    )
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(user)
    .fetch_one(&mut **tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub uploaded_by_id: Uuid,
    pub file_name: String,
    pub file_type: String,
    pub content_type: String,
    pub file_size: i64,
    pub category: String,
    pub description: Option<String>,
    pub visibility: String,
    pub status: String,
    pub scan_result: Option<String>,
    pub created_at: DateTime<Utc>,
}

const DOCUMENT_COLUMNS: &str = "id, client_id, uploaded_by_id, file_name, file_type, content_type, file_size, \
     category, description, visibility, status, scan_result, created_at";

pub async fn insert_document(tx: &mut Tx, org: OrgId, d: &DocumentRow) -> sqlx::Result<DocumentRow> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "insert into care.documents (id, org_id, client_id, uploaded_by_id, file_name, file_type, content_type, \
         file_size, category, description, visibility, status, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning {DOCUMENT_COLUMNS}"
    )))
    .bind(d.id)
    .bind(org.uuid())
    .bind(d.client_id)
    .bind(d.uploaded_by_id)
    .bind(&d.file_name)
    .bind(&d.file_type)
    .bind(&d.content_type)
    .bind(d.file_size)
    .bind(&d.category)
    .bind(&d.description)
    .bind(&d.visibility)
    .bind(&d.status)
    .bind(d.created_at)
    .fetch_one(&mut **tx)
    .await
}

/// A client's documents, newest first: by category, and by words of the
/// file name or description.
pub async fn documents(
    tx: &mut Tx,
    org: OrgId,
    client: ClientId,
    category: Option<&str>,
    query: &str,
) -> sqlx::Result<Vec<DocumentRow>> {
    let pattern = format!(
        "%{}%",
        query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
    );
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {DOCUMENT_COLUMNS} from care.documents where org_id = $1 and client_id = $2 \
         and ($3::text is null or category = $3) \
         and ($4 = '%%' or file_name ilike $4 or coalesce(description, '') ilike $4) \
         and status <> 'infected' order by created_at desc, id desc limit 500"
    )))
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(category)
    .bind(pattern)
    .fetch_all(&mut **tx)
    .await
}

pub async fn document(tx: &mut Tx, org: OrgId, id: Uuid) -> sqlx::Result<Option<DocumentRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {DOCUMENT_COLUMNS} from care.documents where org_id = $1 and id = $2"
    )))
    .bind(org.uuid())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Across organisations (the platform role): what waits for the scanner.
pub async fn quarantined(tx: &mut Tx) -> sqlx::Result<Vec<(Uuid, Uuid, Uuid)>> {
    sqlx::query_as(
        "select org_id, client_id, id from care.documents where status = 'quarantined' order by created_at limit 50",
    )
    .fetch_all(&mut **tx)
    .await
}

pub async fn set_scanned(tx: &mut Tx, org: OrgId, id: Uuid, status: &str, result: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update care.documents set status = $3, scan_result = $4, scanned_at = now() \
         where org_id = $1 and id = $2 and status = 'quarantined'",
    )
    .bind(org.uuid())
    .bind(id)
    .bind(status)
    .bind(result)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many of these documents belong to the client (and are not infected).
pub async fn attachable(tx: &mut Tx, org: OrgId, client: ClientId, ids: &[Uuid]) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from care.documents where org_id = $1 and client_id = $2 and id = any($3) \
         and status <> 'infected'",
    )
    .bind(org.uuid())
    .bind(client.uuid())
    .bind(ids)
    .fetch_one(&mut **tx)
    .await
}
