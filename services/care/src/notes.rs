//! Care updates (spec 001's `progress_notes`): written and edited by the
//! care team, every earlier version kept; read as a feed, newest first,
//! by whoever the note's visibility allows. Title and content are sealed
//! together (`care.progress_notes.body:<id>`). An urgent note publishes
//! `care.note_urgent`, which [`crate::notify`] turns into texts and emails.

use attend_kit::audit::{self, Entry};
use attend_kit::bus::{Draft, from_timestamp, timestamp};
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ClientId, NoteId, OrgId, TypedId};
use attend_kit::{Error, FieldError, cursor, localtime, text};
use attend_proto::care::v1 as pb;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{self, Access, Visibility};
use crate::api::Api;
use crate::clients::{client_id, optional_date};
use crate::store::{self, Feed, NoteRow};

pub(crate) const TYPES: [&str; 4] = ["daily_update", "health_assessment", "medication_log", "incident_report"];
const TITLE_MAX: usize = 200;
const CONTENT_MAX: usize = 20_000;
/// How far back a late entry may be dated.
const LATE_ENTRY_DAYS: i64 = 7;

#[derive(Debug, Serialize, Deserialize)]
struct Body {
    title: String,
    content: String,
}

pub(crate) fn body_context(id: Uuid) -> String {
    format!("care.progress_notes.body:{id}")
}

fn note_type(problems: &mut Vec<FieldError>, raw: &str) -> Option<String> {
    match raw.trim() {
        t if TYPES.contains(&t) => Some(t.to_owned()),
        _ => {
            problems.push(FieldError::new(
                "note_type",
                format!("must be one of {}", TYPES.join(", ")),
            ));
            None
        }
    }
}

fn visibility(problems: &mut Vec<FieldError>, raw: &str) -> Option<Visibility> {
    match raw.trim() {
        "" => Some(Visibility::FamilyAndTeam),
        v => {
            let parsed = Visibility::parse(v);
            if parsed.is_none() {
                problems.push(FieldError::new(
                    "visibility",
                    "must be family_only, family_and_team or internal_only",
                ));
            }
            parsed
        }
    }
}

/// A care update's title (optional) and text (required), each checked.
fn title_and_content(problems: &mut Vec<FieldError>, title: &str, content: &str) -> (Option<String>, Option<String>) {
    let title = text::collect(problems, "title", text::line(title, TITLE_MAX));
    let content = text::collect(
        problems,
        "content",
        text::multiline(content, CONTENT_MAX).and_then(|c| match c.is_empty() {
            true => Err("is required".to_owned()),
            false => Ok(c),
        }),
    );
    (title, content)
}

impl Api {
    fn note_proto(&self, row: NoteRow, zone: chrono_tz::Tz) -> Result<pb::Note, Error> {
        let body: Body = self
            .keys
            .open_json(&body_context(row.id), &row.body_key, &row.body_sealed)
            .map_err(|e| Error::Internal(anyhow::Error::new(e).context("open a care update")))?;
        Ok(pb::Note {
            id: row.id.to_string(),
            client_id: row.client_id.to_string(),
            author_id: row.author_id.to_string(),
            title: body.title,
            content: body.content,
            note_type: row.note_type,
            visibility: row.visibility,
            urgent: row.urgent,
            created_at: Some(timestamp(row.created_at)),
            updated_at: Some(timestamp(row.updated_at)),
            version: row.version,
            created_local: row.created_at.with_timezone(&zone).to_rfc3339(),
            attachment_ids: row.attachment_ids.iter().map(Uuid::to_string).collect(),
        })
    }

    /// Publishes what the live channel and the notifier need: never the text.
    async fn announce(&self, tx: &mut Tx, org: OrgId, row: &NoteRow, urgent_now: bool) -> Result<(), Error> {
        let client = ClientId::from(row.client_id);
        let written = pb::NoteWritten {
            note_id: row.id.to_string(),
            client_id: row.client_id.to_string(),
            visibility: row.visibility.clone(),
            urgent: row.urgent,
        };
        self.outbox
            .add(tx, Draft::new(org, &written).about("client_id", client))
            .await?;
        if urgent_now {
            let urgent = pb::NoteUrgent {
                note_id: row.id.to_string(),
                client_id: row.client_id.to_string(),
            };
            self.outbox
                .add(tx, Draft::new(org, &urgent).about("client_id", client))
                .await?;
        }
        Ok(())
    }

    /// A note the caller may read, with their access to its client.
    async fn readable_note(
        &self,
        tx: &mut Tx,
        org: OrgId,
        caller: &Caller,
        id: NoteId,
        lock: bool,
    ) -> Result<(NoteRow, store::ClientRow, Access), Error> {
        let not_found = || Error::NotFound("care update".to_owned());
        let row = store::note(tx, org, id, lock).await?.ok_or_else(not_found)?;
        let (client, access) = access::resolve(tx, org, caller, ClientId::from(row.client_id))
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => not_found(),
                other => other,
            })?;
        let own = caller.user.is_some_and(|u| u.uuid() == row.author_id);
        let visibility = Visibility::parse(&row.visibility).unwrap_or(Visibility::InternalOnly);
        if !access.reads(visibility, own) {
            return Err(not_found());
        }
        Ok((row, client, access))
    }

    pub(crate) async fn create_note(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::CreateNoteRequest,
    ) -> Result<pb::Note, Error> {
        let org = caller.org()?;
        let client_id = client_id(&req.client_id)?;
        let mut problems = Vec::new();
        let (title, content) = title_and_content(&mut problems, &req.title, &req.content);
        let kind = note_type(&mut problems, &req.note_type);
        let seen_by = visibility(&mut problems, &req.visibility);
        let now = self.clock.now();
        let written_at = match req.written_at.as_ref().map(from_timestamp) {
            None => now,
            Some(Some(at)) if at <= now + Duration::minutes(1) && at >= now - Duration::days(LATE_ENTRY_DAYS) => {
                at.min(now)
            }
            Some(_) => {
                problems.push(FieldError::new(
                    "written_at",
                    format!("must be within the past {LATE_ENTRY_DAYS} days, not in the future"),
                ));
                now
            }
        };
        let (Some(title), Some(content), Some(kind), Some(seen_by), true) =
            (title, content, kind, seen_by, problems.is_empty())
        else {
            return Err(Error::Invalid(problems));
        };
        let author = caller
            .user
            .ok_or_else(|| Error::Forbidden("care updates are written by a person".to_owned()))?;
        let mut tx = self.db.tenant(org).await?;
        let (client, access) = access::resolve(&mut tx, org, &caller, client_id).await?;
        access.require_team("writes care updates")?;
        let attachment_ids = crate::clients::attachments(&mut tx, org, client_id, &req.attachment_ids).await?;
        let guard = match claim::<pb::Note>(&mut tx, org, "CreateNote", key.as_deref(), &req).await? {
            Claim::Replay(done) => {
                let id = NoteId::parse_uuid(&done.id)?;
                let (row, client, _) = self.readable_note(&mut tx, org, &caller, id, false).await?;
                tx.commit().await?;
                return self.note_proto(row, client.zone());
            }
            Claim::Fresh(guard) => guard,
        };
        let id = NoteId::new();
        let sealed = self
            .keys
            .seal_json(&body_context(id.uuid()), &Body { title, content })?;
        let row = NoteRow {
            id: id.uuid(),
            client_id: client_id.uuid(),
            author_id: author.uuid(),
            body_sealed: sealed.bytes,
            body_key: sealed.key,
            note_type: kind,
            visibility: seen_by.as_str().to_owned(),
            urgent: req.urgent,
            version: 1,
            created_at: written_at,
            updated_at: now,
            attachment_ids,
        };
        store::insert_note(&mut tx, org, &row).await?;
        let row = store::note(&mut tx, org, id, false)
            .await?
            .ok_or_else(|| Error::NotFound("care update".to_owned()))?;
        self.announce(&mut tx, org, &row, row.urgent).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("note.create", "note", id).with_details(serde_json::json!({
                "client": client_id.to_string(),
                "urgent": row.urgent,
            })),
        )
        .await?;
        guard
            .complete(
                &mut tx,
                &pb::Note {
                    id: row.id.to_string(),
                    ..Default::default()
                },
            )
            .await?;
        tx.commit().await?;
        self.note_proto(row, client.zone())
    }

    pub(crate) async fn edit_note(&self, caller: Caller, req: pb::EditNoteRequest) -> Result<pb::Note, Error> {
        let org = caller.org()?;
        let id =
            NoteId::parse_uuid_at("note_id", &req.note_id).map_err(|_| Error::NotFound("care update".to_owned()))?;
        let mut problems = Vec::new();
        let (title, content) = title_and_content(&mut problems, &req.title, &req.content);
        let kind = match req.note_type.trim() {
            "" => Some(None),
            t => note_type(&mut problems, t).map(Some),
        };
        let seen_by = match req.visibility.trim() {
            "" => Some(None),
            v => visibility(&mut problems, v).map(Some),
        };
        let (Some(title), Some(content), Some(kind), Some(seen_by), true) =
            (title, content, kind, seen_by, problems.is_empty())
        else {
            return Err(Error::Invalid(problems));
        };
        let editor = caller
            .user
            .ok_or_else(|| Error::Forbidden("care updates are edited by a person".to_owned()))?;
        let mut tx = self.db.tenant(org).await?;
        let (old, client, access) = self.readable_note(&mut tx, org, &caller, id, true).await?;
        access.require_team("edits care updates")?;
        let sealed = self.keys.seal_json(&body_context(old.id), &Body { title, content })?;
        let new = NoteRow {
            body_sealed: sealed.bytes,
            body_key: sealed.key,
            note_type: kind.unwrap_or_else(|| old.note_type.clone()),
            visibility: seen_by.map_or_else(|| old.visibility.clone(), |v| v.as_str().to_owned()),
            ..old.clone()
        };
        let row = store::replace_note(&mut tx, org, &old, &new, editor.uuid()).await?;
        self.announce(&mut tx, org, &row, false).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("note.edit", "note", id).with_details(serde_json::json!({ "version": row.version })),
        )
        .await?;
        tx.commit().await?;
        self.note_proto(row, client.zone())
    }

    pub(crate) async fn flag_urgent(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::FlagUrgentRequest,
    ) -> Result<pb::Note, Error> {
        if req.note_id.trim().is_empty() {
            return self
                .create_note(
                    caller,
                    key,
                    pb::CreateNoteRequest {
                        client_id: req.client_id,
                        title: req.title,
                        content: req.content,
                        note_type: if req.note_type.trim().is_empty() {
                            "incident_report".to_owned()
                        } else {
                            req.note_type
                        },
                        visibility: String::new(),
                        urgent: true,
                        written_at: None,
                        attachment_ids: Vec::new(),
                    },
                )
                .await;
        }
        let org = caller.org()?;
        let id =
            NoteId::parse_uuid_at("note_id", &req.note_id).map_err(|_| Error::NotFound("care update".to_owned()))?;
        let mut tx = self.db.tenant(org).await?;
        let (row, client, access) = self.readable_note(&mut tx, org, &caller, id, true).await?;
        access.require_team("flags care updates urgent")?;
        if row.client_id.to_string() != req.client_id.trim() {
            return Err(Error::NotFound("care update".to_owned()));
        }
        if row.visibility == Visibility::InternalOnly.as_str() {
            return Err(Error::invalid(
                "note_id",
                "is internal only: the family can't see it, so it can't alert them",
            ));
        }
        // Flagging twice tells the family once.
        let row = match store::flag_urgent(&mut tx, org, id).await? {
            Some(flagged) => {
                self.announce(&mut tx, org, &flagged, true).await?;
                audit::record(
                    &self.outbox,
                    &mut tx,
                    &caller,
                    Entry::on("note.flag_urgent", "note", id),
                )
                .await?;
                flagged
            }
            None => row,
        };
        tx.commit().await?;
        self.note_proto(row, client.zone())
    }

    pub(crate) async fn list_notes(
        &self,
        caller: Caller,
        req: pb::ListNotesRequest,
    ) -> Result<pb::ListNotesResponse, Error> {
        let org = caller.org()?;
        let client_id = client_id(&req.client_id)?;
        let mut problems = Vec::new();
        let kind = match req.note_type.trim() {
            "" => Some(None),
            t => note_type(&mut problems, t).map(Some),
        };
        let from = optional_date(&mut problems, "from", &req.from);
        let to = optional_date(&mut problems, "to", &req.to);
        if let (Some(Some(f)), Some(Some(t))) = (from, to)
            && t < f
        {
            problems.push(FieldError::new("to", "is before from"));
        }
        let limit = match req.limit {
            0 => 20,
            n @ 1..=100 => i64::from(n),
            _ => {
                problems.push(FieldError::new("limit", "must be between 1 and 100"));
                0
            }
        };
        let after = match req.cursor.trim() {
            "" => None,
            c => {
                let (key, id) = cursor::decode("cursor", "feed", c)?;
                Some((cursor::parse_time_key("cursor", &key)?, id))
            }
        };
        let (Some(kind), Some(from), Some(to), true) = (kind, from, to, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        let mut tx = self.db.tenant(org).await?;
        let (client, access) = access::resolve(&mut tx, org, &caller, client_id).await?;
        let zone = client.zone();
        // Local dates, read on the client's wall clock.
        let start = |d: chrono::NaiveDate| localtime::instant_of(d.and_hms_opt(0, 0, 0).unwrap_or_default(), zone);
        let visibilities = Visibility::readable_by(access);
        let mut rows = store::feed(
            &mut tx,
            org,
            &Feed {
                client: client_id,
                visibilities: &visibilities,
                author: caller.user.map(|u| u.uuid()),
                note_type: kind.as_deref(),
                from: from.map(start),
                until: to.map(|d| start(d + Duration::days(1))),
                after,
                limit,
            },
        )
        .await?;
        let next_cursor = cursor::next_page(&mut rows, limit, |r| {
            cursor::encode("feed", &cursor::time_key(r.created_at), r.id)
        });
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("note.feed", "client", client_id),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListNotesResponse {
            notes: rows
                .into_iter()
                .map(|r| self.note_proto(r, zone))
                .collect::<Result<_, _>>()?,
            next_cursor,
            time_zone: client.time_zone,
        })
    }
}
