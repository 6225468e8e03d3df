//! A contact's record: read it, find it by phone or email, create one
//! (staff entering a lead), and change it. Requests are parsed into domain
//! values here, every bad field named at once.

use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::Draft;
use attend_kit::contact_point::{Email, Phone, Region};
use attend_kit::db::{Tx, is_violation};
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_kit::text::{self, PersonName};
use attend_kit::{Error, FieldError};
use attend_proto::contact::v1 as pb;

use crate::api::Api;
use crate::channel;
use crate::leads::{self, Touch};
use crate::store::{self, ContactRow, NewContact, Patch};
use crate::warmness::Intent;
use crate::{moves, pipeline};

impl Api {
    pub(crate) async fn get_contact(&self, caller: Caller, req: pb::GetContactRequest) -> Result<pb::Contact, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid_at("id", &req.id)?;
        let mut tx = self.db.tenant(org).await?;
        let row = store::get(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("contact".to_owned()))?;
        audit::record_read(&self.outbox, &mut tx, &caller, Entry::on("contact.read", "contact", id)).await?;
        tx.commit().await?;
        Ok(row.into_proto())
    }

    pub(crate) async fn find_contacts(
        &self,
        caller: Caller,
        req: pb::FindContactsRequest,
    ) -> Result<pb::FindContactsResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let region = self.region(org).await?;
        let mut problems = Vec::new();
        let phone = parse_phone(&req.phone, region, &mut problems);
        let email = parse_email(&req.email, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        if phone.is_none() && email.is_none() {
            return Err(Error::invalid("phone", "give a phone or an email to search by"));
        }
        let mut tx = self.db.tenant(org).await?;
        let rows = store::find(&mut tx, org, phone.as_ref(), email.as_ref()).await?;
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::untargeted("contact.search", "contact").with_details(
                serde_json::json!({ "by": if phone.is_some() { "phone" } else { "email" }, "results": rows.len() }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::FindContactsResponse {
            contacts: rows.into_iter().map(ContactRow::into_proto).collect(),
        })
    }

    pub(crate) async fn create_contact(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::CreateContactRequest,
    ) -> Result<pb::Contact, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let region = self.region(org).await?;
        let mut problems = Vec::new();
        let name = text::collect(&mut problems, "name", PersonName::parse(&req.name));
        let phone = parse_phone(&req.phone, region, &mut problems);
        let email = parse_email(&req.email, &mut problems);
        if req.phone.trim().is_empty() && req.email.trim().is_empty() {
            problems.push(FieldError::new("phone", "a phone or an email is required"));
        }
        let channel = parse_source(&req.source, &mut problems).unwrap_or_else(|| channel::from_label("Manual"));
        let intent = parse_intent(&req.intent, &mut problems);
        let (Some(name), true) = (name, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };

        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "CreateContact", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        if let Some(phone) = &phone
            && let Some(existing) = store::by_phone(&mut tx, org, phone).await?
        {
            return Err(taken("phone", existing.contact_id()));
        }
        let new = NewContact {
            name: name.into_string(),
            phone,
            email,
            source: channel.name.clone(),
            source_kind: channel.kind.map(|k| k.as_str()),
            intent: intent.map(Intent::as_str),
        };
        let first = Touch {
            kind: "lead_created",
            occurred_at: chrono::Utc::now(),
            source: channel.name,
            channel: None,
            details: serde_json::json!({ "intent": new.intent, "created_by": Actor::of(&caller).to_string() }),
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
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(crate) async fn update_contact(
        &self,
        caller: Caller,
        req: pb::UpdateContactRequest,
    ) -> Result<pb::Contact, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid_at("id", &req.id)?;
        let region = self.region(org).await?;
        let mut problems = Vec::new();
        let mut patch = Patch::default();
        if let Some(name) = &req.name {
            patch.name = text::collect(&mut problems, "name", PersonName::parse(name)).map(PersonName::into_string);
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
        let current = for_change(&mut tx, org, id).await?;
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
        if changed.contains(&"current_stage") || changed.contains(&"current_pipeline") {
            // Staff may put a contact in any stage; the edit is a change of
            // stage like a move, on the timeline and announced.
            moves::record_change(&self.recorder(), &mut tx, org, &caller, &current, &row, "edited").await?;
        }
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
}

/// The contact, locked for the rest of the transaction, to change it: a
/// merged contact is changed through the one it was merged into.
pub(crate) async fn for_change(tx: &mut Tx, org: OrgId, id: ContactId) -> Result<ContactRow, Error> {
    let row = store::get_for_update(tx, org, id)
        .await?
        .ok_or_else(|| Error::NotFound("contact".to_owned()))?;
    match row.merged_into {
        Some(into) => Err(Error::Conflict(format!(
            "this contact was merged into {}; change that one",
            ContactId::from(into)
        ))),
        None => Ok(row),
    }
}

/// 409 naming the contact that already has the value.
fn taken(field: &str, owner: ContactId) -> Error {
    Error::Conflict(format!("another contact ({owner}) already has this {field}"))
}

/// A phone in E.164, read with the organisation's region; `None` when blank.
pub(crate) fn parse_phone(raw: &str, region: Region, problems: &mut Vec<FieldError>) -> Option<Phone> {
    match raw.trim() {
        "" => None,
        raw => text::collect(problems, "phone", Phone::parse(raw, region)),
    }
}

/// An email, normalised; `None` when blank.
pub(crate) fn parse_email(raw: &str, problems: &mut Vec<FieldError>) -> Option<Email> {
    match raw.trim() {
        "" => None,
        raw => text::collect(problems, "email", Email::parse(raw)),
    }
}

/// A source channel, normalised; `None` when blank.
fn parse_source(raw: &str, problems: &mut Vec<FieldError>) -> Option<channel::Channel> {
    let label = text::collect(problems, "source", text::line(raw, 100))?;
    (!label.is_empty()).then(|| channel::from_label(&label))
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
    current: &ContactRow,
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
    let Some(found) = pipeline::find(pipeline) else {
        return Err(Error::invalid(
            "current_pipeline",
            format!("must be one of {}", pipeline::pipeline_names()),
        ));
    };
    if found.stage(stage).is_none() {
        return Err(Error::invalid(
            "current_stage",
            format!("must be a stage of {pipeline}: {}", found.stage_names()),
        ));
    }
    Ok(Some((pipeline.to_owned(), stage.to_owned())))
}

/// Which API fields differ between two versions of a contact.
fn changed_fields(before: &ContactRow, after: &ContactRow) -> Vec<&'static str> {
    [
        ("name", before.name != after.name),
        ("phone", before.phone != after.phone),
        ("email", before.email != after.email),
        ("source", before.source != after.source),
        ("intent", before.intent != after.intent),
        ("current_pipeline", before.current_pipeline != after.current_pipeline),
        ("current_stage", before.current_stage != after.current_stage),
        ("source_kind", before.source_kind != after.source_kind),
    ]
    .into_iter()
    .filter_map(|(field, differs)| differs.then_some(field))
    .collect()
}
