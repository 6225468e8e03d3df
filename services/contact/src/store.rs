//! SQL over the `contact` schema. Every function runs inside a tenant
//! transaction, so Row-Level Security backs the `org_id` in each query.

use attend_kit::bus::timestamp;
use attend_kit::contact_point::{Email, Phone};
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId, TouchpointId, TypedId};
use attend_proto::contact::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A contact row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub source: String,
    pub current_pipeline: String,
    pub current_stage: String,
    pub warmness_score: i32,
    pub is_existing_patient: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub intent: Option<String>,
    pub source_kind: Option<String>,
    pub warmness_breakdown: serde_json::Value,
    pub merged_into: Option<Uuid>,
}

impl ContactRow {
    pub fn into_proto(self) -> pb::Contact {
        pb::Contact {
            id: self.id.to_string(),
            name: self.name,
            phone: self.phone.unwrap_or_default(),
            email: self.email.unwrap_or_default(),
            source: self.source,
            current_pipeline: self.current_pipeline,
            current_stage: self.current_stage,
            warmness_score: self.warmness_score,
            is_existing_patient: self.is_existing_patient,
            created_at: Some(timestamp(self.created_at)),
            updated_at: Some(timestamp(self.updated_at)),
            intent: self.intent.unwrap_or_default(),
            source_kind: self.source_kind.unwrap_or_default(),
            warmness_breakdown_json: self.warmness_breakdown.to_string(),
            merged_into: self.merged_into.map(|m| m.to_string()).unwrap_or_default(),
        }
    }

    pub fn contact_id(&self) -> ContactId {
        ContactId::from(self.id)
    }
}

macro_rules! contact_columns {
    () => {
        "id, name, phone, email, source, current_pipeline, current_stage, warmness_score, \
         is_existing_patient, created_at, updated_at, intent, source_kind, warmness_breakdown, merged_into"
    };
}

pub(crate) use contact_columns;

/// The same columns of the table aliased `c`.
macro_rules! c_columns {
    () => {
        "c.id, c.name, c.phone, c.email, c.source, c.current_pipeline, c.current_stage, c.warmness_score, \
         c.is_existing_patient, c.created_at, c.updated_at, c.intent, c.source_kind, c.warmness_breakdown, \
         c.merged_into"
    };
}

/// Who a new contact is.
#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub name: String,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    /// The channel name of the first touch.
    pub source: String,
    pub source_kind: Option<&'static str>,
    pub intent: Option<&'static str>,
}

pub async fn get(tx: &mut Tx, org: OrgId, id: ContactId) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        " from contact.contacts where org_id = $1 and id = $2"
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// The contact with this phone (the one it was merged into, if it was),
/// locked for the rest of the transaction.
pub async fn by_phone(tx: &mut Tx, org: OrgId, phone: &Phone) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        c_columns!(),
        " from contact.contacts p join contact.contacts c on c.id = coalesce(p.merged_into, p.id)
          where p.org_id = $1 and p.phone = $2 for update of c"
    ))
    .bind(org.uuid())
    .bind(phone.as_str())
    .fetch_optional(&mut **tx)
    .await
}

/// The earliest contact with this email (emails are not unique: families
/// share one), locked for the rest of the transaction.
pub async fn by_email(tx: &mut Tx, org: OrgId, email: &Email) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        " from contact.contacts where org_id = $1 and email = $2 and merged_into is null
          order by created_at, id limit 1 for update"
    ))
    .bind(org.uuid())
    .bind(email.as_str())
    .fetch_optional(&mut **tx)
    .await
}

/// Every contact with this phone or email (exact match); a merged
/// contact's match is the contact it was merged into.
pub async fn find(
    tx: &mut Tx,
    org: OrgId,
    phone: Option<&Phone>,
    email: Option<&Email>,
) -> sqlx::Result<Vec<ContactRow>> {
    sqlx::query_as(concat!(
        "select distinct on (c.created_at, c.id) ",
        c_columns!(),
        " from contact.contacts p join contact.contacts c on c.id = coalesce(p.merged_into, p.id)
          where p.org_id = $1
           and ($2::text is null or p.phone = $2)
           and ($3::text is null or p.email = $3)
         order by c.created_at, c.id limit 100"
    ))
    .bind(org.uuid())
    .bind(phone.map(Phone::as_str))
    .bind(email.map(Email::as_str))
    .fetch_all(&mut **tx)
    .await
}

/// Serialises creation of email-only contacts with the same email (phones
/// have a unique index; emails can't, so a transaction-scoped lock does it).
pub async fn lock_email(tx: &mut Tx, org: OrgId, email: &Email) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("contact-email:{}:{}", org.uuid(), email.as_str()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Inserts a contact; `None` when another transaction just inserted one
/// with the same phone (the caller then matches that one).
pub async fn insert(tx: &mut Tx, org: OrgId, new: &NewContact) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "insert into contact.contacts (id, org_id, name, phone, email, source, source_kind, intent)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (org_id, phone) where phone is not null do nothing
         returning ",
        contact_columns!()
    ))
    .bind(ContactId::new().uuid())
    .bind(org.uuid())
    .bind(&new.name)
    .bind(new.phone.as_ref().map(Phone::as_str))
    .bind(new.email.as_ref().map(Email::as_str))
    .bind(&new.source)
    .bind(new.source_kind)
    .bind(new.intent)
    .fetch_optional(&mut **tx)
    .await
}

/// What a match may add to an existing contact: only what it lacks (a
/// match never overwrites what staff entered).
#[derive(Debug, Default)]
pub struct Blanks<'a> {
    pub email: Option<&'a Email>,
    pub intent: Option<&'static str>,
    /// The scored kind of a channel, kept if the contact came from that channel.
    pub source_kind: Option<(&'a str, &'static str)>,
}

/// Fills the contact's blanks; the row when anything changed.
pub async fn fill_blanks(tx: &mut Tx, org: OrgId, id: Uuid, b: &Blanks<'_>) -> sqlx::Result<Option<ContactRow>> {
    let (channel, kind) = b.source_kind.unzip();
    sqlx::query_as(concat!(
        "update contact.contacts set
            email = coalesce(email, $3),
            intent = coalesce(intent, $4),
            source_kind = case when source_kind is null and source = $5 then $6 else source_kind end,
            updated_at = now()
         where org_id = $1 and id = $2
           and ((email is null and $3::text is not null)
             or (intent is null and $4::text is not null)
             or (source_kind is null and source = $5 and $6::text is not null))
         returning ",
        contact_columns!()
    ))
    .bind(org.uuid())
    .bind(id)
    .bind(b.email.map(Email::as_str))
    .bind(b.intent)
    .bind(channel)
    .bind(kind)
    .fetch_optional(&mut **tx)
    .await
}

/// Source of the latest attribution touchpoint.
pub async fn last_attribution_source(tx: &mut Tx, org: OrgId, contact: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "select source from contact.touchpoints
         where org_id = $1 and contact_id = $2 and is_attribution_event
         order by occurred_at desc, id desc limit 1",
    )
    .bind(org.uuid())
    .bind(contact)
    .fetch_optional(&mut **tx)
    .await
}

/// A touchpoint about to be recorded.
#[derive(Debug, Clone)]
pub struct NewTouchpoint {
    pub contact: ContactId,
    pub occurred_at: DateTime<Utc>,
    pub kind: &'static str,
    pub source: String,
    pub channel: Option<String>,
    pub details: serde_json::Value,
    pub is_attribution_event: bool,
    pub source_event_id: Option<Uuid>,
}

/// What recording a touchpoint did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// Recorded on this contact (the one named, or the one it was merged into).
    To(ContactId),
    /// This event already made this touchpoint.
    Already,
    /// No such contact in the organisation.
    NoContact,
}

/// Records a touchpoint on the contact, or on the contact it was merged into.
pub async fn add_touchpoint(tx: &mut Tx, org: OrgId, t: &NewTouchpoint) -> sqlx::Result<Added> {
    let added: Option<Uuid> = sqlx::query_scalar(
        "with target as (
             select coalesce(merged_into, id) as id from contact.contacts where org_id = $2 and id = $3)
         insert into contact.touchpoints
           (id, org_id, contact_id, occurred_at, type, source, channel, details, is_attribution_event, source_event_id)
         select $1, $2, target.id, $4, $5, $6, $7, $8, $9, $10 from target
         on conflict (source_event_id, type) do nothing
         returning contact_id",
    )
    .bind(TouchpointId::new().uuid())
    .bind(org.uuid())
    .bind(t.contact.uuid())
    .bind(t.occurred_at)
    .bind(t.kind)
    .bind(&t.source)
    .bind(&t.channel)
    .bind(&t.details)
    .bind(t.is_attribution_event)
    .bind(t.source_event_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(contact) = added {
        return Ok(Added::To(ContactId::from(contact)));
    }
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from contact.contacts where org_id = $1 and id = $2)")
            .bind(org.uuid())
            .bind(t.contact.uuid())
            .fetch_one(&mut **tx)
            .await?;
    Ok(if exists { Added::Already } else { Added::NoContact })
}

#[derive(Debug, sqlx::FromRow)]
pub struct TouchpointRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub source: String,
    pub channel: Option<String>,
    pub details: serde_json::Value,
    pub is_attribution_event: bool,
}

impl TouchpointRow {
    pub fn into_proto(self) -> pb::Touchpoint {
        pb::Touchpoint {
            id: self.id.to_string(),
            contact_id: self.contact_id.to_string(),
            occurred_at: Some(timestamp(self.occurred_at)),
            r#type: self.kind,
            source: self.source,
            channel: self.channel.unwrap_or_default(),
            details_json: self.details.to_string(),
            is_attribution_event: self.is_attribution_event,
        }
    }
}

/// A page of a contact's touchpoints, newest first, before `(at, id)`.
pub async fn touchpoints(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<TouchpointRow>> {
    let (at, id) = before.unzip();
    sqlx::query_as(
        "select id, contact_id, occurred_at, type, source, channel, details, is_attribution_event
         from contact.touchpoints where org_id = $1 and contact_id = $2
           and ($3::timestamptz is null or (occurred_at, id) < ($3, $4))
         order by occurred_at desc, id desc limit $5",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// The touchpoints the warmness score reads, as `(type, time)`.
pub async fn scored_touches(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    types: &[&str],
) -> sqlx::Result<Vec<(String, DateTime<Utc>)>> {
    sqlx::query_as(
        "select type, occurred_at from contact.touchpoints
         where org_id = $1 and contact_id = $2 and type = any($3)",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(types)
    .fetch_all(&mut **tx)
    .await
}

/// Stores a recalculated score and its breakdown.
pub async fn set_warmness(
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    score: i32,
    breakdown: &serde_json::Value,
) -> sqlx::Result<ContactRow> {
    sqlx::query_as(concat!(
        "update contact.contacts set warmness_score = $3, warmness_breakdown = $4, warmness_at = now(),
            updated_at = now()
         where org_id = $1 and id = $2 returning ",
        contact_columns!()
    ))
    .bind(org.uuid())
    .bind(contact.uuid())
    .bind(score)
    .bind(breakdown)
    .fetch_one(&mut **tx)
    .await
}

/// The contact, locked for the rest of the transaction.
pub async fn get_for_update(tx: &mut Tx, org: OrgId, id: ContactId) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        " from contact.contacts where org_id = $1 and id = $2 for update"
    ))
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(&mut **tx)
    .await
}

/// Changes to a contact; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct Patch {
    pub name: Option<String>,
    pub phone: Option<Option<Phone>>,
    pub email: Option<Option<Email>>,
    /// The channel name and its scored kind.
    pub source: Option<(String, Option<&'static str>)>,
    pub intent: Option<Option<&'static str>>,
    /// Pipeline and stage, always together.
    pub stage: Option<(String, String)>,
}

impl Patch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.source.is_none()
            && self.intent.is_none()
            && self.stage.is_none()
    }
}

/// Applies a patch; the row after it.
pub async fn update(tx: &mut Tx, org: OrgId, id: ContactId, p: &Patch) -> sqlx::Result<ContactRow> {
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new("update contact.contacts set updated_at = now()");
    if let Some(name) = &p.name {
        q.push(", name = ").push_bind(name.clone());
    }
    if let Some(phone) = &p.phone {
        q.push(", phone = ")
            .push_bind(phone.as_ref().map(|p| p.as_str().to_owned()));
    }
    if let Some(email) = &p.email {
        q.push(", email = ")
            .push_bind(email.as_ref().map(|e| e.as_str().to_owned()));
    }
    if let Some((source, kind)) = &p.source {
        q.push(", source = ").push_bind(source.clone());
        q.push(", source_kind = ").push_bind(*kind);
    }
    if let Some(intent) = &p.intent {
        q.push(", intent = ").push_bind(*intent);
    }
    if let Some((pipeline, stage)) = &p.stage {
        q.push(", current_pipeline = ").push_bind(pipeline.clone());
        q.push(", current_stage = ").push_bind(stage.clone());
    }
    q.push(" where org_id = ").push_bind(org.uuid());
    q.push(" and id = ").push_bind(id.uuid());
    q.push(concat!(" returning ", contact_columns!()));
    q.build_query_as().fetch_one(&mut **tx).await
}

/// Filters and order of a contact list.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub pipeline: Option<String>,
    pub stage: Option<String>,
    pub source: Option<String>,
    pub min_warmness: Option<i32>,
    pub max_warmness: Option<i32>,
    pub needle: Option<Search>,
    pub warmest: bool,
    /// The last row of the previous page: its sort key and id.
    pub after: Option<(ListKey, Uuid)>,
    pub limit: i64,
}

/// A text search (see `api::search_needle`). Every condition it becomes
/// is a prefix range with leakproof operators: under Row-Level Security
/// Postgres uses only those as index conditions (contact migration 0004).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Contacts with a word (of the name, or of the email before its `@`)
    /// starting with each of these.
    Words(Vec<Prefix>),
    /// The start of an email address.
    EmailStart(Prefix),
    /// A phone by its first digits, written locally or with the country
    /// code, or by its last digits (a prefix of the reversed number).
    Phone {
        local: Prefix,
        international: Prefix,
        ending_reversed: Prefix,
    },
}

/// The texts that start with `from`: `from ~>=~ text ~<~ until` in the byte
/// order of `text_pattern_ops`, which is UTF-8's code point order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    pub from: String,
    /// None when nothing sorts after every text with this start.
    pub until: Option<String>,
}

impl Prefix {
    pub fn new(start: &str) -> Self {
        let mut until: Vec<char> = start.chars().collect();
        // The first text past the prefix: its last character, one up.
        let until = loop {
            let Some(last) = until.pop() else { break None };
            let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
            if let Some(next) = next {
                until.push(next);
                break Some(until.into_iter().collect());
            }
        };
        Self {
            from: start.to_owned(),
            until,
        }
    }

    /// ` <column> ~>=~ $n and <column> ~<~ $m`.
    fn push(&self, q: &mut sqlx::QueryBuilder<sqlx::Postgres>, column: &'static str) {
        q.push(column).push(" ~>=~ ").push_bind(self.from.clone());
        if let Some(until) = &self.until {
            q.push(" and ").push(column).push(" ~<~ ").push_bind(until.clone());
        }
    }
}

/// The sort key of a listed contact.
#[derive(Debug, Clone, Copy)]
pub enum ListKey {
    Created(DateTime<Utc>),
    Warmness(i32),
}

/// A page of active (not merged) contacts.
pub async fn list(tx: &mut Tx, org: OrgId, l: &ListQuery) -> sqlx::Result<Vec<ContactRow>> {
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(concat!("select ", c_columns!(), " from "));
    // The newest first sorts on (created_at, id); a search by words sorts on
    // its matches' copy of them, so Postgres takes the newest matches from
    // the words index and looks up only the contacts on the page.
    let mut newest = ("c.created_at", "c.id");
    if let Some(Search::Words(words)) = &l.needle {
        // The longest word is likely the rarest: its matches are read from
        // the index, and each is checked for the other words.
        let driver = words.iter().max_by_key(|w| w.from.len());
        q.push("(select distinct contact_id, created_at from contact.contact_words m where org_id = ")
            .push_bind(org.uuid());
        for word in words {
            if Some(word) == driver {
                q.push(" and ");
                word.push(&mut q, "m.word");
            } else {
                q.push(
                    " and exists (select 1 from contact.contact_words w where w.contact_id = m.contact_id and w.org_id = ",
                )
                .push_bind(org.uuid())
                .push(" and ");
                word.push(&mut q, "w.word");
                q.push(")");
            }
        }
        q.push(" order by created_at desc, contact_id desc) m join contact.contacts c on c.id = m.contact_id and ");
        newest = ("m.created_at", "m.contact_id");
    } else {
        q.push("contact.contacts c where ");
    }
    q.push("c.merged_into is null and c.org_id = ").push_bind(org.uuid());
    if let Some(pipeline) = &l.pipeline {
        q.push(" and c.current_pipeline = ").push_bind(pipeline.clone());
    }
    if let Some(stage) = &l.stage {
        q.push(" and c.current_stage = ").push_bind(stage.clone());
    }
    if let Some(source) = &l.source {
        q.push(" and c.source = ").push_bind(source.clone());
    }
    if let Some(min) = l.min_warmness {
        q.push(" and c.warmness_score >= ").push_bind(min);
    }
    if let Some(max) = l.max_warmness {
        q.push(" and c.warmness_score <= ").push_bind(max);
    }
    match &l.needle {
        Some(Search::EmailStart(start)) => {
            q.push(" and ");
            start.push(&mut q, "c.email");
        }
        Some(Search::Phone {
            local,
            international,
            ending_reversed,
        }) => {
            q.push(" and ((");
            local.push(&mut q, "c.phone");
            q.push(") or (");
            international.push(&mut q, "c.phone");
            q.push(") or (");
            ending_reversed.push(&mut q, "c.phone_reversed");
            q.push("))");
        }
        Some(Search::Words(_)) | None => {}
    }
    let (key, id) = if l.warmest {
        ("c.warmness_score", "c.id")
    } else {
        newest
    };
    match l.after {
        Some((ListKey::Created(at), after)) => {
            q.push(format_args!(" and ({key}, {id}) < ("))
                .push_bind(at)
                .push(", ")
                .push_bind(after)
                .push(")");
        }
        Some((ListKey::Warmness(score), after)) => {
            q.push(format_args!(" and ({key}, {id}) < ("))
                .push_bind(score)
                .push(", ")
                .push_bind(after)
                .push(")");
        }
        None => {}
    }
    q.push(format_args!(" order by {key} desc, {id} desc limit "));
    q.push_bind(l.limit);
    // Unprepared, so Postgres plans each list with its own values. A cached
    // generic plan can't tell a rare search term from a common one: it
    // walked the newest-first index past a million rows to find one email,
    // where the email index finds it at once.
    q.build_query_as().persistent(false).fetch_all(&mut **tx).await
}

/// A likely duplicate and why.
#[derive(Debug, sqlx::FromRow)]
pub struct DuplicateRow {
    #[sqlx(flatten)]
    pub contact: ContactRow,
    pub same_email: bool,
    pub same_name: bool,
    pub similar_phone: bool,
}

/// Active contacts sharing the email, the name, or the last eight digits
/// of the phone with `of`. Each condition is leakproof, so each has its
/// index under Row-Level Security (contact migration 0005).
pub async fn duplicates(tx: &mut Tx, org: OrgId, of: &ContactRow) -> sqlx::Result<Vec<DuplicateRow>> {
    // A name that is only the phone or email (filled in for a nameless
    // booking) says nothing about who it is.
    let lower = of.name.to_lowercase();
    let name = Some(&of.name)
        .filter(|_| Some(lower.as_str()) != of.phone.as_deref() && Some(lower.as_str()) != of.email.as_deref());
    // The last eight digits are the first eight of the reversed number.
    let ending = of
        .phone
        .as_deref()
        .map(|phone| Prefix::new(&phone.chars().rev().take(8).collect::<String>()));
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        ", coalesce(email = $3, false) as same_email,
           coalesce(name_lower = lower($4), false) as same_name,
           coalesce(phone_reversed ~>=~ $5 and phone_reversed ~<~ $6, false) as similar_phone
         from contact.contacts
         where org_id = $1 and id <> $2 and merged_into is null
           and (email = $3 or name_lower = lower($4) or (phone_reversed ~>=~ $5 and phone_reversed ~<~ $6))
         order by created_at, id limit 20"
    ))
    .bind(org.uuid())
    .bind(of.id)
    .bind(&of.email)
    .bind(name)
    .bind(ending.as_ref().map(|e| &e.from))
    .bind(ending.as_ref().and_then(|e| e.until.as_ref()))
    .fetch_all(&mut **tx)
    .await
}

/// Someone who has attended an appointment is an existing patient;
/// `true` if they weren't one yet.
pub async fn mark_existing_patient(tx: &mut Tx, org: OrgId, contact: ContactId) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update contact.contacts set is_existing_patient = true, updated_at = now()
         where org_id = $1 and id = $2 and not is_existing_patient",
    )
    .bind(org.uuid())
    .bind(contact.uuid())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
