//! `ContactService` over gRPC.

use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::Draft;
use attend_kit::bus::outbox::Outbox;
use attend_kit::contact_point::{Email, Phone, Region};
use attend_kit::cursor;
use attend_kit::db::{Db, is_violation};
use attend_kit::grpc::{Caller, idempotency_key};
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ContactId, MergeId, OrgId, TypedId};
use attend_kit::orgs::Directory;
use attend_kit::{Error, FieldError};
use attend_proto::contact::v1 as pb;
use attend_proto::contact::v1::contact_service_server::ContactService;
use tonic::{Request, Response, Status};

use crate::channel;
use crate::leads::{self, Touch};
use crate::merge;
use crate::pipeline;
use crate::store::{self, Blanks, ListKey, ListQuery, NewContact, Patch, Prefix, Search};
use crate::touch::Recorder;
use crate::warmness::Intent;

pub struct Api {
    pub db: Db,
    pub outbox: Outbox,
    pub orgs: Directory,
}

type Reply<T> = Result<Response<T>, Status>;

/// A checked `MatchOrCreateContactRequest`.
struct Match {
    name: String,
    phone: Option<Phone>,
    email: Option<Email>,
    source: String,
}

impl Api {
    async fn parse_match(&self, org: OrgId, req: &pb::MatchOrCreateContactRequest) -> Result<Match, Error> {
        let region = self.orgs.get(org).await?.phone_region;
        let mut problems = Vec::new();
        let phone = if req.phone.trim().is_empty() {
            None
        } else {
            Phone::parse(&req.phone, region)
                .map_err(|r| problems.push(FieldError::new("phone", r)))
                .ok()
        };
        let email = if req.email.trim().is_empty() {
            None
        } else {
            Email::parse(&req.email)
                .map_err(|r| problems.push(FieldError::new("email", r)))
                .ok()
        };
        if req.phone.trim().is_empty() && req.email.trim().is_empty() {
            problems.push(FieldError::new("phone", "a phone or an email is required"));
        }
        let name = req.name.trim().to_owned();
        if name.chars().count() > 200 {
            problems.push(FieldError::new("name", "must be at most 200 characters"));
        }
        let source = req.source.trim().to_owned();
        if source.is_empty() || source.chars().count() > 100 {
            problems.push(FieldError::new("source", "must be 1-100 characters"));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        // A booking without a name still needs a person to call.
        let name = if name.is_empty() {
            phone
                .as_ref()
                .map(|p| p.to_string())
                .or_else(|| email.as_ref().map(|e| e.to_string()))
                .unwrap_or_default()
        } else {
            name
        };
        Ok(Match {
            name,
            phone,
            email,
            source,
        })
    }

    async fn match_or_create(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::MatchOrCreateContactRequest,
    ) -> Result<pb::MatchOrCreateContactResponse, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let wanted = self.parse_match(org, &req).await?;
        let mut tx = self.db.tenant(org).await?;
        let guard = match &key {
            Some(key) => match claim(&mut tx, org, "MatchOrCreateContact", key, &req).await? {
                Claim::Replay(response) => return Ok(response),
                Claim::Fresh(guard) => Some(guard),
            },
            None => None,
        };

        if let (None, Some(email)) = (&wanted.phone, &wanted.email) {
            store::lock_email(&mut tx, org, email).await?;
        }
        let mut created = false;
        let mut row = self.find_match(&mut tx, org, &wanted).await?;
        if row.is_none() {
            let channel = channel::from_label(&wanted.source);
            let new = NewContact {
                name: wanted.name.clone(),
                phone: wanted.phone.clone(),
                email: wanted.email.clone(),
                source: channel.name,
                source_kind: channel.kind.map(|k| k.as_str()),
                intent: None,
            };
            row = store::insert(&mut tx, org, &new).await?;
            created = row.is_some();
            if row.is_none() {
                // Lost a race on the phone: the winner's row is committed now.
                row = self.find_match(&mut tx, org, &wanted).await?;
            }
        } else if let Some(existing) = &row
            && let Some(filled) = store::fill_blanks(
                &mut tx,
                org,
                existing.id,
                &Blanks {
                    email: wanted.email.as_ref(),
                    ..Blanks::default()
                },
            )
            .await?
        {
            audit::record(
                &self.outbox,
                &mut tx,
                &caller,
                Entry::on("contact.update", "contact", ContactId::from(filled.id))
                    .with_details(serde_json::json!({ "filled": ["email"] })),
            )
            .await?;
            row = Some(filled);
        }
        let row = row.ok_or_else(|| anyhow::anyhow!("contact neither matched nor inserted"))?;
        let last_touch = store::last_attribution_source(&mut tx, org, row.id)
            .await?
            .unwrap_or_else(|| row.source.clone());
        let contact = row.into_proto();
        if created {
            let id = ContactId::parse_uuid(&contact.id)?;
            let event = pb::ContactCreated {
                contact: Some(contact.clone()),
            };
            self.outbox
                .add(&mut tx, Draft::new(org, &event).about("contact_id", id))
                .await?;
            audit::record(
                &self.outbox,
                &mut tx,
                &caller,
                Entry::on("contact.create", "contact", id).with_details(serde_json::json!({ "source": wanted.source })),
            )
            .await?;
        }
        let response = pb::MatchOrCreateContactResponse {
            contact: Some(contact),
            created,
            last_touch_source: last_touch,
        };
        if let Some(guard) = guard {
            guard.complete(&mut tx, &response).await?;
        }
        tx.commit().await?;
        Ok(response)
    }

    async fn find_match(
        &self,
        tx: &mut attend_kit::db::Tx,
        org: OrgId,
        wanted: &Match,
    ) -> Result<Option<store::ContactRow>, Error> {
        if let Some(phone) = &wanted.phone {
            if let Some(row) = store::by_phone(tx, org, phone).await? {
                return Ok(Some(row));
            }
            // A phone we don't know: a new person even if the email is
            // shared (families share emails).
            return Ok(None);
        }
        match &wanted.email {
            Some(email) => Ok(store::by_email(tx, org, email).await?),
            None => Ok(None),
        }
    }

    async fn get_contact(&self, caller: Caller, req: pb::GetContactRequest) -> Result<pb::Contact, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid(&req.id).map_err(|_| Error::invalid("id", "is not a contact id"))?;
        let mut tx = self.db.tenant(org).await?;
        let row = store::get(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("contact".to_owned()))?;
        audit::record(&self.outbox, &mut tx, &caller, Entry::on("contact.read", "contact", id)).await?;
        tx.commit().await?;
        Ok(row.into_proto())
    }

    async fn find_contacts(
        &self,
        caller: Caller,
        req: pb::FindContactsRequest,
    ) -> Result<pb::FindContactsResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let region = self.orgs.get(org).await?.phone_region;
        let phone = match req.phone.trim() {
            "" => None,
            raw => Some(Phone::parse(raw, region).map_err(|r| Error::invalid("phone", r))?),
        };
        let email = match req.email.trim() {
            "" => None,
            raw => Some(Email::parse(raw).map_err(|r| Error::invalid("email", r))?),
        };
        if phone.is_none() && email.is_none() {
            return Err(Error::invalid("phone", "give a phone or an email to search by"));
        }
        let mut tx = self.db.tenant(org).await?;
        let rows = store::find(&mut tx, org, phone.as_ref(), email.as_ref()).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry {
                action: "contact.search",
                target_type: "contact",
                target_id: String::new(),
                details: serde_json::json!({ "by": if phone.is_some() { "phone" } else { "email" }, "results": rows.len() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(pb::FindContactsResponse {
            contacts: rows.into_iter().map(store::ContactRow::into_proto).collect(),
        })
    }

    async fn list_touchpoints(
        &self,
        caller: Caller,
        req: pb::ListTouchpointsRequest,
    ) -> Result<pb::ListTouchpointsResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let id = contact_id("contact_id", &req.contact_id)?;
        let limit = match req.limit {
            0 => 100,
            n @ 1..=500 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be between 1 and 500")),
        };
        let before = match req.cursor.trim() {
            "" => None,
            text => {
                let (key, id) = cursor::decode("cursor", "timeline", text)?;
                Some((cursor::parse_time_key("cursor", &key)?, id))
            }
        };
        let mut tx = self.db.tenant(org).await?;
        if store::get(&mut tx, org, id).await?.is_none() {
            return Err(Error::NotFound("contact".to_owned()));
        }
        let mut rows = store::touchpoints(&mut tx, org, id, before, limit + 1).await?;
        let next_cursor = next_page(&mut rows, limit, |t| {
            cursor::encode("timeline", &cursor::time_key(t.occurred_at), t.id)
        });
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("contact.read_timeline", "contact", id),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListTouchpointsResponse {
            touchpoints: rows.into_iter().map(store::TouchpointRow::into_proto).collect(),
            next_cursor,
        })
    }

    fn recorder(&self) -> Recorder {
        Recorder {
            outbox: self.outbox.clone(),
        }
    }

    async fn create_contact(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::CreateContactRequest,
    ) -> Result<pb::Contact, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let region = self.orgs.get(org).await?.phone_region;
        let mut problems = Vec::new();
        let name = req.name.trim().to_owned();
        if name.is_empty() {
            problems.push(FieldError::new("name", "is required"));
        } else if name.chars().count() > 200 {
            problems.push(FieldError::new("name", "must be at most 200 characters"));
        }
        let phone = parse_phone(&req.phone, region, &mut problems);
        let email = parse_email(&req.email, &mut problems);
        if req.phone.trim().is_empty() && req.email.trim().is_empty() {
            problems.push(FieldError::new("phone", "a phone or an email is required"));
        }
        let channel = parse_source(&req.source, &mut problems).unwrap_or_else(|| channel::from_label("Manual"));
        let intent = parse_intent(&req.intent, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }

        let mut tx = self.db.tenant(org).await?;
        let guard = match &key {
            Some(key) => match claim(&mut tx, org, "CreateContact", key, &req).await? {
                Claim::Replay(response) => return Ok(response),
                Claim::Fresh(guard) => Some(guard),
            },
            None => None,
        };
        if let Some(phone) = &phone
            && let Some(existing) = store::by_phone(&mut tx, org, phone).await?
        {
            return Err(taken("phone", existing.contact_id()));
        }
        let new = NewContact {
            name,
            phone,
            email,
            source: channel.name.clone(),
            source_kind: channel.kind.map(|k| k.as_str()),
            intent: intent.map(Intent::as_str),
        };
        let actor = caller
            .user
            .map(|u| u.to_string())
            .unwrap_or_else(|| "system".to_owned());
        let first = Touch {
            kind: "lead_created",
            occurred_at: chrono::Utc::now(),
            source: channel.name,
            channel: None,
            details: serde_json::json!({ "intent": new.intent, "created_by": actor }),
            is_attribution_event: true,
            source_event_id: None,
        };
        let opening = leads::Opening {
            contact: new,
            touches: vec![first],
            via: "lead_created",
        };
        let row = leads::open(&self.recorder(), &mut tx, org, &caller, &opening, None)
            .await?
            .ok_or_else(|| Error::Conflict("a contact with this phone was created at the same moment".to_owned()))?;
        let response = row.into_proto();
        if let Some(guard) = guard {
            guard.complete(&mut tx, &response).await?;
        }
        tx.commit().await?;
        Ok(response)
    }

    async fn update_contact(&self, caller: Caller, req: pb::UpdateContactRequest) -> Result<pb::Contact, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let id = contact_id("id", &req.id)?;
        let region = self.orgs.get(org).await?.phone_region;
        let mut problems = Vec::new();
        let mut patch = Patch::default();
        if let Some(name) = &req.name {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                problems.push(FieldError::new("name", "must be 1-200 characters"));
            }
            patch.name = Some(name.to_owned());
        }
        if let Some(phone) = &req.phone {
            patch.phone = Some(parse_phone(phone, region, &mut problems));
        }
        if let Some(email) = &req.email {
            patch.email = Some(parse_email(email, &mut problems));
        }
        if let Some(source) = &req.source {
            match parse_source(source, &mut problems) {
                Some(c) => patch.source = Some((c.name, c.kind.map(|k| k.as_str()))),
                None if problems.is_empty() => problems.push(FieldError::new("source", "can't be blank")),
                None => {}
            }
        }
        if let Some(intent) = &req.intent {
            patch.intent = Some(parse_intent(intent, &mut problems).map(Intent::as_str));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }

        let mut tx = self.db.tenant(org).await?;
        let current = store::get_for_update(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("contact".to_owned()))?;
        if let Some(into) = current.merged_into {
            return Err(Error::Conflict(format!(
                "this contact was merged into {}; change that one",
                ContactId::from(into)
            )));
        }
        patch.stage = stage_change(&current, req.current_pipeline.as_deref(), req.current_stage.as_deref())?;
        let phone = patch
            .phone
            .clone()
            .unwrap_or_else(|| current.phone.as_deref().and_then(|p| Phone::parse(p, region).ok()));
        let email = patch
            .email
            .clone()
            .unwrap_or_else(|| current.email.as_deref().and_then(|e| Email::parse(e).ok()));
        if phone.is_none() && email.is_none() {
            return Err(Error::invalid(
                "phone",
                "a contact needs a phone or an email; both would be empty",
            ));
        }
        if patch.is_empty() {
            tx.commit().await?;
            return Ok(current.into_proto());
        }
        let row = match store::update(&mut tx, org, id, &patch).await {
            Ok(row) => row,
            Err(e) if is_violation(&e, "contacts_org_phone_key") => {
                // Only a change of phone can collide; look up who has it.
                let owner = match patch.phone.flatten() {
                    Some(phone) => store::by_phone(&mut tx, org, &phone).await.ok().flatten(),
                    None => None,
                };
                return Err(match owner {
                    Some(owner) => taken("phone", owner.contact_id()),
                    None => Error::Conflict("another contact has this phone".to_owned()),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let changed = changed_fields(&current, &row);
        let row = if patch.intent.is_some() || patch.source.is_some() {
            self.recorder().rescore(&mut tx, org, id, None).await?
        } else {
            row
        };
        if !changed.is_empty() {
            let event = pb::ContactUpdated {
                contact: Some(row.clone().into_proto()),
                changed: changed.iter().map(|c| (*c).to_owned()).collect(),
                previous_warmness_score: current.warmness_score,
            };
            self.outbox
                .add(&mut tx, Draft::new(org, &event).about("contact_id", id))
                .await?;
            audit::record(
                &self.outbox,
                &mut tx,
                &caller,
                Entry::on("contact.update", "contact", id).with_details(serde_json::json!({ "changed": changed })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(row.into_proto())
    }

    async fn list_contacts(
        &self,
        caller: Caller,
        req: pb::ListContactsRequest,
    ) -> Result<pb::ListContactsResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let region = self.orgs.get(org).await?.phone_region;
        let (query, tag) = list_query(&req, region)?;
        let limit = query.limit;
        let mut tx = self.db.tenant(org).await?;
        let mut rows = store::list(
            &mut tx,
            org,
            &ListQuery {
                limit: limit + 1,
                ..query
            },
        )
        .await?;
        let next_cursor = next_page(&mut rows, limit, |c| {
            let key = if tag == "warmest" {
                c.warmness_score.to_string()
            } else {
                cursor::time_key(c.created_at)
            };
            cursor::encode(tag, &key, c.id)
        });
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry {
                action: "contact.search",
                target_type: "contact",
                target_id: String::new(),
                details: serde_json::json!({ "by": "list", "text": !req.q.trim().is_empty(), "results": rows.len() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListContactsResponse {
            contacts: rows.into_iter().map(store::ContactRow::into_proto).collect(),
            next_cursor,
        })
    }

    async fn find_duplicates(
        &self,
        caller: Caller,
        req: pb::FindDuplicatesRequest,
    ) -> Result<pb::FindDuplicatesResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let id = contact_id("contact_id", &req.contact_id)?;
        let mut tx = self.db.tenant(org).await?;
        let of = store::get(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("contact".to_owned()))?;
        let rows = store::duplicates(&mut tx, org, &of).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("contact.find_duplicates", "contact", id)
                .with_details(serde_json::json!({ "results": rows.len() })),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::FindDuplicatesResponse {
            duplicates: rows
                .into_iter()
                .map(|d| {
                    let reasons = [
                        (d.same_email, "same_email"),
                        (d.same_name, "same_name"),
                        (d.similar_phone, "similar_phone"),
                    ]
                    .into_iter()
                    .filter(|(hit, _)| *hit)
                    .map(|(_, why)| why.to_owned())
                    .collect();
                    pb::Duplicate {
                        contact: Some(d.contact.into_proto()),
                        reasons,
                    }
                })
                .collect(),
        })
    }

    async fn merge_contacts(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::MergeContactsRequest,
    ) -> Result<pb::Merge, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let survivor = contact_id("survivor_id", &req.survivor_id)?;
        let merged = contact_id("merged_id", &req.merged_id)?;
        if survivor == merged {
            return Err(Error::invalid(
                "merged_id",
                "is the same contact; merge two different contacts",
            ));
        }
        let mut tx = self.db.tenant(org).await?;
        let guard = match &key {
            Some(key) => match claim(&mut tx, org, "MergeContacts", key, &req).await? {
                Claim::Replay(response) => return Ok(response),
                Claim::Fresh(guard) => Some(guard),
            },
            None => None,
        };
        let response = merge::merge(&self.recorder(), &mut tx, org, &caller, survivor, merged).await?;
        if let Some(guard) = guard {
            guard.complete(&mut tx, &response).await?;
        }
        tx.commit().await?;
        Ok(response)
    }

    async fn undo_merge(&self, caller: Caller, req: pb::UndoMergeRequest) -> Result<pb::Merge, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let id = MergeId::parse_uuid(&req.merge_id).map_err(|_| Error::invalid("merge_id", "is not a merge id"))?;
        let mut tx = self.db.tenant(org).await?;
        let response = merge::undo(&self.recorder(), &mut tx, org, &caller, id).await?;
        tx.commit().await?;
        Ok(response)
    }
}

fn contact_id(field: &str, text: &str) -> Result<ContactId, Error> {
    ContactId::parse_uuid(text).map_err(|_| Error::invalid(field, "is not a contact id"))
}

/// 409 naming the contact that already has the value.
fn taken(field: &str, owner: ContactId) -> Error {
    Error::Conflict(format!("another contact ({owner}) already has this {field}"))
}

fn parse_phone(raw: &str, region: Region, problems: &mut Vec<FieldError>) -> Option<Phone> {
    match raw.trim() {
        "" => None,
        raw => Phone::parse(raw, region)
            .map_err(|r| problems.push(FieldError::new("phone", r)))
            .ok(),
    }
}

fn parse_email(raw: &str, problems: &mut Vec<FieldError>) -> Option<Email> {
    match raw.trim() {
        "" => None,
        raw => Email::parse(raw)
            .map_err(|r| problems.push(FieldError::new("email", r)))
            .ok(),
    }
}

/// A source channel, normalised; `None` when blank.
fn parse_source(raw: &str, problems: &mut Vec<FieldError>) -> Option<channel::Channel> {
    let raw = raw.trim();
    if raw.chars().count() > 100 {
        problems.push(FieldError::new("source", "must be at most 100 characters"));
        return None;
    }
    (!raw.is_empty()).then(|| channel::from_label(raw))
}

fn parse_intent(raw: &str, problems: &mut Vec<FieldError>) -> Option<Intent> {
    match raw.trim() {
        "" => None,
        raw => {
            let intent = Intent::parse(raw);
            if intent.is_none() {
                problems.push(FieldError::new(
                    "intent",
                    "must be one of procedure, high_risk, follow_up, routine_check, general_inquiry",
                ));
            }
            intent
        }
    }
}

/// The pipeline and stage a patch moves the contact to, checked.
fn stage_change(
    current: &store::ContactRow,
    pipeline: Option<&str>,
    stage: Option<&str>,
) -> Result<Option<(String, String)>, Error> {
    let (pipeline, stage) = match (pipeline, stage) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(Error::invalid(
                "current_stage",
                "is required when current_pipeline changes",
            ));
        }
        (p, Some(s)) => (p.unwrap_or(&current.current_pipeline).trim(), s.trim()),
    };
    let Some(stages) = pipeline::stages(pipeline) else {
        return Err(Error::invalid(
            "current_pipeline",
            format!("must be one of {}", pipeline::pipeline_names()),
        ));
    };
    if !stages.contains(&stage) {
        return Err(Error::invalid(
            "current_stage",
            format!("must be a stage of {pipeline}: {}", stages.join(", ")),
        ));
    }
    Ok(Some((pipeline.to_owned(), stage.to_owned())))
}

/// Which API fields differ between two versions of a contact.
fn changed_fields(before: &store::ContactRow, after: &store::ContactRow) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let pairs: [(&'static str, bool); 8] = [
        ("name", before.name != after.name),
        ("phone", before.phone != after.phone),
        ("email", before.email != after.email),
        ("source", before.source != after.source),
        ("intent", before.intent != after.intent),
        ("current_pipeline", before.current_pipeline != after.current_pipeline),
        ("current_stage", before.current_stage != after.current_stage),
        ("source_kind", before.source_kind != after.source_kind),
    ];
    for (field, differs) in pairs {
        if differs {
            changed.push(field);
        }
    }
    changed
}

/// Trims a page fetched with one extra row; the cursor of the next page.
fn next_page<T>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(key).unwrap_or_default()
    } else {
        String::new()
    }
}

/// Most words a search may have; each is one more index probe.
const SEARCH_WORDS_MAX: usize = 6;

/// What `q` asks for, as prefixes ready for [`store::Search`]:
/// - digits (with spaces, `+`, `-`, brackets): a phone by its first
///   digits, written locally ("0412 345", the trunk 0 dropped) or with
///   the country code ("+61 412"), or by its last digits ("5678");
/// - text with an `@`: the start of an email address;
/// - other text: contacts with a word starting with each word of `q`
///   ("ava harl" finds Ava Harley), in the name or in the email before its
///   `@`. Words are split on white space and ASCII punctuation, as contact
///   migration 0004's `search_words` splits them.
///
/// Everything is matched from a start, by btree indexes: a substring
/// search can't use an index under Row-Level Security (migration 0004),
/// and would be slow anyway, as every number shares its first digits and
/// every address its domain.
pub fn search_needle(q: &str, region: Region) -> Result<Option<Search>, Error> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(None);
    }
    let phone_like = q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let needle = if phone_like {
        q.chars().filter(char::is_ascii_digit).collect()
    } else {
        q.to_lowercase()
    };
    if needle.chars().count() < 3 {
        return Err(Error::invalid(
            "q",
            "must have at least 3 characters (or 3 digits of a phone)",
        ));
    }
    if needle.chars().count() > 100 {
        return Err(Error::invalid("q", "must be at most 100 characters"));
    }
    if phone_like {
        // Written locally, the number's first 0 is the trunk prefix.
        let national = needle.strip_prefix('0').unwrap_or(&needle);
        let reversed: String = needle.chars().rev().collect();
        return Ok(Some(Search::Phone {
            local: Prefix::new(&format!("+{}{national}", region.calling_code())),
            international: Prefix::new(&format!("+{needle}")),
            ending_reversed: Prefix::new(&reversed),
        }));
    }
    if needle.contains('@') {
        return Ok(Some(Search::EmailStart(Prefix::new(&needle))));
    }
    let mut words: Vec<&str> = needle
        .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .filter(|w| !w.is_empty())
        .collect();
    words.sort_unstable();
    words.dedup();
    // A word that starts another asks nothing more ("ann anna").
    let words: Vec<&str> = words
        .iter()
        .filter(|w| !words.iter().any(|o| o != *w && o.starts_with(**w)))
        .copied()
        .collect();
    if words.is_empty() {
        return Err(Error::invalid("q", "must have a letter or a digit"));
    }
    if words.len() > SEARCH_WORDS_MAX {
        return Err(Error::invalid(
            "q",
            format!("must have at most {SEARCH_WORDS_MAX} words"),
        ));
    }
    Ok(Some(Search::Words(words.into_iter().map(Prefix::new).collect())))
}

/// A checked list request, and its cursor tag.
fn list_query(req: &pb::ListContactsRequest, region: Region) -> Result<(ListQuery, &'static str), Error> {
    let mut problems = Vec::new();
    let pipeline = Some(req.pipeline.trim().to_owned()).filter(|p| !p.is_empty());
    if let Some(p) = &pipeline
        && pipeline::stages(p).is_none()
    {
        problems.push(FieldError::new(
            "pipeline",
            format!("must be one of {}", pipeline::pipeline_names()),
        ));
    }
    let stage = Some(req.stage.trim().to_owned()).filter(|s| !s.is_empty());
    if let Some(s) = &stage {
        let fits = match pipeline.as_deref().and_then(pipeline::stages) {
            Some(stages) => stages.contains(&s.as_str()),
            None => pipeline::is_stage(s),
        };
        if !fits {
            problems.push(FieldError::new("stage", "is not a stage of that pipeline"));
        }
    }
    let source = Some(req.source.trim())
        .filter(|s| !s.is_empty())
        .map(|s| channel::from_label(s).name);
    for (field, value) in [("min_warmness", req.min_warmness), ("max_warmness", req.max_warmness)] {
        if value.is_some_and(|v| !(0..=100).contains(&v)) {
            problems.push(FieldError::new(field, "must be between 0 and 100"));
        }
    }
    if let (Some(min), Some(max)) = (req.min_warmness, req.max_warmness)
        && min > max
    {
        problems.push(FieldError::new("min_warmness", "must not be above max_warmness"));
    }
    let needle = match search_needle(&req.q, region) {
        Ok(needle) => needle,
        Err(Error::Invalid(mut p)) => {
            problems.append(&mut p);
            None
        }
        Err(e) => return Err(e),
    };
    let tag = match req.sort.trim() {
        "" | "newest" => "newest",
        "warmest" => "warmest",
        _ => {
            problems.push(FieldError::new("sort", "must be newest or warmest"));
            "newest"
        }
    };
    let limit = match req.limit {
        0 => 50,
        n @ 1..=200 => i64::from(n),
        _ => {
            problems.push(FieldError::new("limit", "must be between 1 and 200"));
            50
        }
    };
    let after = match req.cursor.trim() {
        "" => None,
        text => match cursor::decode("cursor", tag, text) {
            Ok((key, id)) => {
                let key = if tag == "warmest" {
                    key.parse().map(ListKey::Warmness).map_err(|_| ())
                } else {
                    cursor::parse_time_key("cursor", &key)
                        .map(ListKey::Created)
                        .map_err(|_| ())
                };
                match key {
                    Ok(key) => Some((key, id)),
                    Err(()) => {
                        problems.push(FieldError::new("cursor", "is not a cursor from this listing"));
                        None
                    }
                }
            }
            Err(Error::Invalid(mut p)) => {
                problems.append(&mut p);
                None
            }
            Err(e) => return Err(e),
        },
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok((
        ListQuery {
            pipeline,
            stage,
            source,
            min_warmness: req.min_warmness,
            max_warmness: req.max_warmness,
            needle,
            warmest: tag == "warmest",
            after,
            limit,
        },
        tag,
    ))
}

#[tonic::async_trait]
impl ContactService for Api {
    async fn match_or_create_contact(
        &self,
        request: Request<pb::MatchOrCreateContactRequest>,
    ) -> Reply<pb::MatchOrCreateContactResponse> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.match_or_create(caller, key, request.into_inner()).await?,
        ))
    }

    async fn get_contact(&self, request: Request<pb::GetContactRequest>) -> Reply<pb::Contact> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.get_contact(caller, request.into_inner()).await?))
    }

    async fn find_contacts(&self, request: Request<pb::FindContactsRequest>) -> Reply<pb::FindContactsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.find_contacts(caller, request.into_inner()).await?))
    }

    async fn list_touchpoints(
        &self,
        request: Request<pb::ListTouchpointsRequest>,
    ) -> Reply<pb::ListTouchpointsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.list_touchpoints(caller, request.into_inner()).await?,
        ))
    }

    async fn create_contact(&self, request: Request<pb::CreateContactRequest>) -> Reply<pb::Contact> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.create_contact(caller, key, request.into_inner()).await?,
        ))
    }

    async fn update_contact(&self, request: Request<pb::UpdateContactRequest>) -> Reply<pb::Contact> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.update_contact(caller, request.into_inner()).await?))
    }

    async fn list_contacts(&self, request: Request<pb::ListContactsRequest>) -> Reply<pb::ListContactsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_contacts(caller, request.into_inner()).await?))
    }

    async fn find_duplicates(&self, request: Request<pb::FindDuplicatesRequest>) -> Reply<pb::FindDuplicatesResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.find_duplicates(caller, request.into_inner()).await?))
    }

    async fn merge_contacts(&self, request: Request<pb::MergeContactsRequest>) -> Reply<pb::Merge> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.merge_contacts(caller, key, request.into_inner()).await?,
        ))
    }

    async fn undo_merge(&self, request: Request<pb::UndoMergeRequest>) -> Reply<pb::Merge> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.undo_merge(caller, request.into_inner()).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_read_as_a_phone_an_email_start_or_words() {
        let au = Region::default();
        let phone = |local: &str, international: &str, ending_reversed: &str| Search::Phone {
            local: Prefix::new(local),
            international: Prefix::new(international),
            ending_reversed: Prefix::new(ending_reversed),
        };
        let words = |words: &[&str]| Search::Words(words.iter().map(|w| Prefix::new(w)).collect());
        assert_eq!(
            search_needle("0412 345", au).unwrap(),
            Some(phone("+61412345", "+0412345", "5432140"))
        );
        assert_eq!(
            search_needle("+61 412", au).unwrap(),
            Some(phone("+6161412", "+61412", "21416"))
        );
        let us: Region = "US".parse().unwrap();
        assert_eq!(
            search_needle("(212) 555", us).unwrap(),
            Some(phone("+1212555", "+212555", "555212"))
        );
        assert_eq!(search_needle("  Jane DOE ", au).unwrap(), Some(words(&["doe", "jane"])));
        assert_eq!(
            search_needle("O'Brien-Smith, 50%_off", au).unwrap(),
            Some(words(&["50", "brien", "off", "smith"])),
            "\"o\" adds nothing: a contact with a word starting \"off\" has one starting \"o\""
        );
        assert_eq!(
            search_needle("ann Anna ann", au).unwrap(),
            Some(words(&["anna"])),
            "a word that starts another adds nothing"
        );
        assert_eq!(search_needle("Zoë", au).unwrap(), Some(words(&["zoë"])));
        assert_eq!(
            search_needle("Mia.Wong@", au).unwrap(),
            Some(Search::EmailStart(Prefix::new("mia.wong@")))
        );
        assert_eq!(search_needle("", au).unwrap(), None);
        assert_eq!(
            search_needle("0000", au).unwrap(),
            Some(phone("+61000", "+0000", "0000")),
            "an ending may be all zeros"
        );
        for (bad, reason) in [
            ("ab", "at least 3"),
            ("04 ", "at least 3"),
            ("-*- ", "a letter or a digit"),
            ("a b c d e f g", "at most 6 words"),
        ] {
            let Err(Error::Invalid(problems)) = search_needle(bad, au) else {
                panic!("{bad:?} is refused");
            };
            assert_eq!(problems[0].field, "q");
            assert!(problems[0].reason.contains(reason), "{bad:?}: {}", problems[0].reason);
        }
    }

    #[test]
    fn a_prefix_is_the_range_of_texts_that_start_with_it() {
        let p = Prefix::new("harl");
        assert_eq!((p.from.as_str(), p.until.as_deref()), ("harl", Some("harm")));
        assert_eq!(Prefix::new("zoë").until.as_deref(), Some("zoì"));
        assert_eq!(Prefix::new("+6141").until.as_deref(), Some("+6142"));
        // The next character past one before the surrogates is after them.
        assert_eq!(Prefix::new("a\u{d7ff}").until.as_deref(), Some("a\u{e000}"));
        assert_eq!(Prefix::new("a\u{10ffff}").until.as_deref(), Some("b"));
        assert_eq!(Prefix::new("\u{10ffff}").until, None);
        // In byte order, which is the order of text_pattern_ops.
        let (from, until) = (p.from.as_bytes(), p.until.as_deref().unwrap().as_bytes());
        for inside in ["harl", "harley", "harl\u{10ffff}"] {
            assert!(from <= inside.as_bytes() && inside.as_bytes() < until, "{inside}");
        }
        for outside in ["har", "harm", "hark\u{10ffff}", "hb"] {
            assert!(!(from <= outside.as_bytes() && outside.as_bytes() < until), "{outside}");
        }
    }

    #[test]
    fn list_requests_name_every_bad_field() {
        let req = pb::ListContactsRequest {
            pipeline: "sales".to_owned(),
            stage: "won".to_owned(),
            min_warmness: Some(101),
            max_warmness: Some(-5),
            q: "ab".to_owned(),
            sort: "oldest".to_owned(),
            limit: 1_000,
            cursor: "nonsense".to_owned(),
            ..Default::default()
        };
        let Err(Error::Invalid(problems)) = list_query(&req, Region::default()) else {
            panic!("the request is refused");
        };
        let mut fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        fields.sort_unstable();
        fields.dedup();
        assert_eq!(
            fields,
            [
                "cursor",
                "limit",
                "max_warmness",
                "min_warmness",
                "pipeline",
                "q",
                "sort",
                "stage"
            ]
        );
    }
}
