//! SMS templates: spec 000's templates as data ([`catalog`]), their
//! placeholders checked and rendered ([`render`]), and the feature: each
//! organisation's templates listed, edited and previewed.
//!
//! Every organisation has the seeded templates under their stable ids: they
//! are added, with `on conflict do nothing`, the first time the
//! organisation's templates are needed in this process, so an admin's edit
//! is never overwritten and an organisation created a moment ago has them
//! at once.

pub(crate) mod catalog;
pub(crate) mod render;

use std::collections::BTreeMap;
use std::sync::Mutex;

use attend_kit::actor::Actor;
use attend_kit::authz::Permission;
use attend_kit::db::Db;
use attend_kit::grpc::Caller;
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_kit::orgs::Org;
use attend_kit::text;
use attend_kit::{Error, FieldError};
use attend_proto::contact::v1 as contact;
use attend_proto::messaging::v1 as pb;

use crate::api::Api;
use crate::sms::text::measure;
use crate::store::{self, TemplateDraft, TemplateRow};
use catalog::{Category, Purpose, SEEDS};

/// Organisations whose templates were seeded by this process.
#[derive(Debug, Default)]
pub(crate) struct Seeded(Mutex<std::collections::HashSet<OrgId>>);

impl Seeded {
    /// Adds the seeded templates the organisation lacks, once per process,
    /// in a transaction of their own that is committed before the caller
    /// reads them: remembered only once committed, so a caller's rollback
    /// (a send refused after the seeding) can't leave the organisation
    /// remembered as seeded without its templates, and a concurrent caller
    /// never finds them missing. Callers seeding at once both insert; the
    /// second waits for the first and adds nothing.
    pub(crate) async fn ensure(&self, db: &Db, org: OrgId) -> Result<(), Error> {
        if self.0.lock().is_ok_and(|seeded| seeded.contains(&org)) {
            return Ok(());
        }
        let placeholders: Vec<Vec<String>> = SEEDS
            .iter()
            .map(|s| render::placeholders(s.content).unwrap_or_default())
            .collect();
        let system = Actor::System.to_string();
        let drafts: Vec<TemplateDraft<'_>> = SEEDS
            .iter()
            .zip(&placeholders)
            .map(|(s, p)| TemplateDraft {
                id: s.id,
                name: s.name,
                category: s.category.as_str(),
                content: s.content,
                placeholders: p,
                purpose: s.purpose.as_str(),
                quiet_hours: s.quiet_hours,
                updated_by: &system,
            })
            .collect();
        let mut tx = db.tenant(org).await?;
        store::seed_templates(&mut tx, org, &drafts).await?;
        tx.commit().await?;
        if let Ok(mut seeded) = self.0.lock() {
            seeded.insert(org);
        }
        Ok(())
    }
}

/// A text's encoding, length and parts, as the API shows them.
pub(crate) fn measure_proto(body: &str) -> pb::TextMeasure {
    let m = measure(body);
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    pb::TextMeasure {
        encoding: m.encoding.as_str().to_owned(),
        characters: n(m.characters),
        units: n(m.units),
        segments: n(m.segments),
    }
}

pub(crate) fn template_proto(t: TemplateRow) -> pb::Template {
    pb::Template {
        measure: Some(measure_proto(&t.content)),
        updated_at: Some(t.updated_at()),
        id: t.id,
        name: t.name,
        category: t.category,
        content: t.content,
        placeholders: t.placeholders,
        purpose: t.purpose,
        quiet_hours: t.quiet_hours,
        updated_by: t.updated_by,
    }
}

/// A template id: what the seed uses, snake case.
fn template_id(raw: &str) -> Result<String, Error> {
    let id = raw.trim();
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(id.to_owned())
    } else {
        Err(Error::invalid(
            "id",
            "must be 1-64 lower-case letters, digits or '_', starting with a letter",
        ))
    }
}

impl Api {
    pub(crate) async fn list_templates(&self, caller: Caller) -> Result<pb::ListTemplatesResponse, Error> {
        caller.require_permission(Permission::MessagesRead)?;
        let org = caller.org()?;
        self.seeded.ensure(&self.db, org).await?;
        let mut tx = self.db.tenant(org).await?;
        let rows = store::templates(&mut tx, org).await?;
        tx.commit().await?;
        Ok(pb::ListTemplatesResponse {
            templates: rows.into_iter().map(template_proto).collect(),
            placeholders: render::Placeholder::ALL
                .iter()
                .map(|p| pb::PlaceholderInfo {
                    name: p.as_str().to_owned(),
                    description: p.description().to_owned(),
                })
                .collect(),
        })
    }

    pub(crate) async fn put_template(
        &self,
        caller: Caller,
        req: pb::PutTemplateRequest,
    ) -> Result<pb::Template, Error> {
        caller.require_permission(Permission::SettingsManage)?;
        let org = caller.org()?;
        let mut problems = Vec::new();
        let id = template_id(&req.id);
        if let Err(Error::Invalid(p)) = &id {
            problems.extend(p.iter().cloned());
        }
        let name = text::collect(&mut problems, "name", text::required_line(&req.name, 100));
        let category = text::collect(
            &mut problems,
            "category",
            Category::parse(req.category.trim()).ok_or_else(|| format!("must be one of {}", Category::names())),
        );
        let purpose = match req.purpose.trim() {
            "" => Some(Purpose::Transactional),
            raw => text::collect(
                &mut problems,
                "purpose",
                Purpose::parse(raw).ok_or_else(|| "must be transactional or marketing".to_owned()),
            ),
        };
        let content = text::collect(&mut problems, "content", text::multiline(&req.content, 1_600));
        let placeholders = match &content {
            Some(c) if c.is_empty() => {
                problems.push(FieldError::new("content", "is required"));
                None
            }
            Some(c) => text::collect(
                &mut problems,
                "content",
                render::placeholders(c).map_err(|e| e.to_string()),
            ),
            None => None,
        };
        let (Ok(id), Some(name), Some(category), Some(purpose), Some(content), Some(placeholders), true) =
            (id, name, category, purpose, content, placeholders, problems.is_empty())
        else {
            return Err(Error::Invalid(problems));
        };
        self.seeded.ensure(&self.db, org).await?;
        let mut tx = self.db.tenant(org).await?;
        let actor = Actor::of(&caller).to_string();
        let row = store::put_template(
            &mut tx,
            org,
            &TemplateDraft {
                id: &id,
                name: &name,
                category: category.as_str(),
                content: &content,
                placeholders: &placeholders,
                purpose: purpose.as_str(),
                quiet_hours: req.quiet_hours,
                updated_by: &actor,
            },
        )
        .await?;
        attend_kit::audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            attend_kit::audit::Entry::untargeted("settings.template", "template")
                .with_details(serde_json::json!({ "id": id })),
        )
        .await?;
        tx.commit().await?;
        Ok(template_proto(row))
    }

    pub(crate) async fn preview_template(
        &self,
        caller: Caller,
        req: pb::PreviewTemplateRequest,
    ) -> Result<pb::Preview, Error> {
        caller.require_permission(Permission::MessagesRead)?;
        let org = caller.org()?;
        let draft = match req.content.trim() {
            "" => None,
            _ => Some(text::multiline(&req.content, 1_600).map_err(text::at("content"))?),
        };
        let contact = match req.contact_id.trim() {
            "" => None,
            raw => Some(ContactId::parse_uuid_at("contact_id", raw)?),
        };
        let content = match draft {
            Some(content) => content,
            None => {
                let id = template_id(&req.id)?;
                self.seeded.ensure(&self.db, org).await?;
                let mut tx = self.db.tenant(org).await?;
                let row = store::template(&mut tx, org, &id)
                    .await?
                    .ok_or_else(|| Error::NotFound(format!("template {id}")))?;
                tx.commit().await?;
                row.content
            }
        };
        let wanted = render::placeholders(&content).map_err(|e| Error::invalid("content", e.to_string()))?;
        let person = match contact {
            Some(id) => Some(self.contact(&caller, id).await?),
            None => None,
        };
        let mut values = values_for(&self.orgs.fresh(org).await?, person.as_ref());
        values.extend(req.values);
        // A preview shows what is missing instead of failing: staff are
        // writing it.
        let missing: Vec<String> = wanted
            .iter()
            .filter(|p| values.get(*p).is_none_or(|v| v.trim().is_empty()))
            .cloned()
            .collect();
        if contact.is_none() {
            for p in &missing {
                values.insert(p.clone(), render::sample(p));
            }
        }
        let still_missing: Vec<String> = missing
            .iter()
            .filter(|p| values.get(*p).is_none_or(|v| v.trim().is_empty()))
            .cloned()
            .collect();
        for p in &still_missing {
            values.insert(p.clone(), format!("{{{p}}}"));
        }
        let body = render::render(&content, &values).map_err(|e| Error::invalid("values", e.to_string()))?;
        Ok(pb::Preview {
            measure: Some(measure_proto(&body)),
            body,
            missing: still_missing,
        })
    }
}

/// What `{intent}` reads for a contact without one.
const NO_INTENT: &str = "an appointment";

/// The values a message to this contact is filled with: the organisation's
/// own, and the contact's name and intent.
pub(crate) fn values_for(org: &Org, person: Option<&contact::Contact>) -> BTreeMap<String, String> {
    let mut values = org.messaging.values.clone();
    if let Some(person) = person {
        let full = person.name.trim().to_owned();
        let first = full.split_whitespace().next().unwrap_or_default().to_owned();
        values.insert("name".to_owned(), first);
        values.insert("full_name".to_owned(), full);
        // A lead whose form named no intent we know is still welcomed.
        let intent = match person.intent.as_str() {
            "" => NO_INTENT.to_owned(),
            known => known.replace('_', " "),
        };
        values.insert("intent".to_owned(), intent);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_id_is_snake_case() {
        assert_eq!(template_id(" reminder_48hr ").unwrap(), "reminder_48hr");
        for bad in ["", "Reminder", "9lives", "has space", "a\u{0}b", &"a".repeat(65)] {
            assert!(template_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_contact_without_an_intent_reads_as_an_appointment() {
        let org = crate::outbound::tests::org();
        let mut person = contact::Contact {
            name: "Lee Park".to_owned(),
            ..Default::default()
        };
        assert_eq!(values_for(&org, Some(&person))["intent"], "an appointment");
        person.intent = "high_risk".to_owned();
        assert_eq!(values_for(&org, Some(&person))["intent"], "high risk");
        assert_eq!(values_for(&org, Some(&person))["name"], "Lee");
    }

    #[test]
    fn every_seeded_template_reads() {
        for seed in SEEDS {
            assert!(render::placeholders(seed.content).is_ok(), "{}", seed.id);
        }
    }
}
