//! Rules for admins: list, read, create, change (a new version each time),
//! turn on and off. A rule is checked whole before it is saved: every
//! fault is named by its JSON path, and a template no one has is refused.

use std::collections::HashSet;

use attend_kit::Error;
use attend_kit::FieldError;
use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::timestamp;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, request};
use attend_kit::idempotency::{Claim, claim};
use attend_proto::automation::v1 as pb;
use attend_proto::messaging::v1 as messaging;
use serde_json::Value;

use crate::api::Api;
use crate::rules::Definition;
use crate::store::{self, RuleRow};

impl Api {
    pub(crate) async fn list_rules(
        &self,
        caller: Caller,
        req: pb::ListRulesRequest,
    ) -> Result<pb::ListRulesResponse, Error> {
        caller.require_permission(Permission::TasksRead)?;
        let org = caller.org()?;
        self.engine
            .seeded
            .ensure(&self.engine.db, org, self.engine.clock.now())
            .await?;
        let trigger = match req.trigger.trim() {
            "" => None,
            t if crate::rules::Trigger::NAMES.contains(&t) => Some(t.to_owned()),
            _ => return Err(Error::invalid("trigger", "is not a trigger")),
        };
        let mut tx = self.engine.db.tenant(org).await?;
        let rows = store::rules::list(&mut tx, org, trigger.as_deref()).await?;
        tx.commit().await?;
        Ok(pb::ListRulesResponse {
            rules: rows.into_iter().map(rule_proto).collect(),
        })
    }

    pub(crate) async fn get_rule(&self, caller: Caller, req: pb::GetRuleRequest) -> Result<pb::Rule, Error> {
        caller.require_permission(Permission::TasksRead)?;
        let org = caller.org()?;
        self.engine
            .seeded
            .ensure(&self.engine.db, org, self.engine.clock.now())
            .await?;
        let id = rule_id(&req.id)?;
        let version = match req.version {
            0 => None,
            v if v > 0 => Some(v),
            _ => return Err(Error::invalid("version", "must be 1 or more (0: the current one)")),
        };
        let mut tx = self.engine.db.tenant(org).await?;
        let row = store::rules::get(&mut tx, org, &id, version)
            .await?
            .ok_or_else(|| Error::NotFound("rule".to_owned()))?;
        tx.commit().await?;
        Ok(rule_proto(row))
    }

    pub(crate) async fn create_rule(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::CreateRuleRequest,
    ) -> Result<pb::Rule, Error> {
        caller.require_permission(Permission::SettingsManage)?;
        let org = caller.org()?;
        let id = rule_id(&req.id)?;
        let def = self.checked(&caller, &req.definition_json).await?;
        let now = self.engine.clock.now();
        self.engine.seeded.ensure(&self.engine.db, org, now).await?;
        let actor = Actor::of(&caller).to_string();
        let mut tx = self.engine.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "CreateRule", key.as_deref(), &req).await? {
            Claim::Replay(answer) => return Ok(answer),
            Claim::Fresh(guard) => guard,
        };
        let version = store::rules::NewVersion {
            id: &id,
            trigger: &def.trigger.key(),
            priority: def.priority,
            definition: &def.json,
            actor: &actor,
            at: now,
        };
        if !store::rules::insert(&mut tx, org, &version, false).await? {
            return Err(Error::Conflict(format!("a rule {id} exists; change it instead")));
        }
        let row = store::rules::get(&mut tx, org, &id, None)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("the new rule is not there")))?;
        let answer = rule_proto(row);
        audit::record(
            &self.engine.outbox,
            &mut tx,
            &caller,
            Entry::untargeted("rule.create", "rule").with_details(serde_json::json!({"id": id})),
        )
        .await?;
        guard.complete(&mut tx, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(crate) async fn update_rule(&self, caller: Caller, req: pb::UpdateRuleRequest) -> Result<pb::Rule, Error> {
        caller.require_permission(Permission::SettingsManage)?;
        let org = caller.org()?;
        let id = rule_id(&req.id)?;
        let def = self.checked(&caller, &req.definition_json).await?;
        let now = self.engine.clock.now();
        self.engine.seeded.ensure(&self.engine.db, org, now).await?;
        let actor = Actor::of(&caller).to_string();
        let mut tx = self.engine.db.tenant(org).await?;
        let version = store::rules::NewVersion {
            id: &id,
            trigger: &def.trigger.key(),
            priority: def.priority,
            definition: &def.json,
            actor: &actor,
            at: now,
        };
        let number = store::rules::new_version(&mut tx, org, &version)
            .await?
            .ok_or_else(|| Error::NotFound("rule".to_owned()))?;
        let row = store::rules::get(&mut tx, org, &id, None)
            .await?
            .ok_or_else(|| Error::NotFound("rule".to_owned()))?;
        audit::record(
            &self.engine.outbox,
            &mut tx,
            &caller,
            Entry::untargeted("rule.update", "rule").with_details(serde_json::json!({"id": id, "version": number})),
        )
        .await?;
        tx.commit().await?;
        Ok(rule_proto(row))
    }

    pub(crate) async fn set_rule_active(
        &self,
        caller: Caller,
        req: pb::SetRuleActiveRequest,
    ) -> Result<pb::Rule, Error> {
        caller.require_permission(Permission::SettingsManage)?;
        let org = caller.org()?;
        let id = rule_id(&req.id)?;
        let now = self.engine.clock.now();
        self.engine.seeded.ensure(&self.engine.db, org, now).await?;
        let actor = Actor::of(&caller).to_string();
        let mut tx = self.engine.db.tenant(org).await?;
        if !store::rules::set_active(&mut tx, org, &id, req.active, &actor, now).await? {
            return Err(Error::NotFound("rule".to_owned()));
        }
        let row = store::rules::get(&mut tx, org, &id, None)
            .await?
            .ok_or_else(|| Error::NotFound("rule".to_owned()))?;
        let action = if req.active { "rule.activate" } else { "rule.deactivate" };
        audit::record(
            &self.engine.outbox,
            &mut tx,
            &caller,
            Entry::untargeted(action, "rule").with_details(serde_json::json!({"id": id})),
        )
        .await?;
        tx.commit().await?;
        Ok(rule_proto(row))
    }

    /// A definition read and checked, templates included.
    pub(crate) async fn checked(&self, caller: &Caller, json: &str) -> Result<Definition, Error> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| Error::invalid("definition_json", format!("is not JSON: {e}")))?;
        let def = Definition::parse(&value).map_err(Error::Invalid)?;
        let used = def.templates();
        if !used.is_empty() {
            let known: HashSet<String> = self
                .engine
                .owners
                .messaging
                .clone()
                .list_templates(request(messaging::ListTemplatesRequest {}, caller))
                .await
                .into_answer("messaging")?
                .templates
                .into_iter()
                .map(|t| t.id)
                .collect();
            let unknown: Vec<FieldError> = used
                .into_iter()
                .filter(|(_, t)| !known.contains(*t))
                .map(|(path, t)| FieldError::new(path, format!("there is no template {t:?}")))
                .collect();
            if !unknown.is_empty() {
                return Err(Error::Invalid(unknown));
            }
        }
        Ok(def)
    }
}

/// A rule id: `rule_` and snake_case (added when missing).
fn rule_id(raw: &str) -> Result<String, Error> {
    let raw = raw.trim();
    let id = if raw.starts_with("rule_") {
        raw.to_owned()
    } else {
        format!("rule_{raw}")
    };
    let ok = id.len() <= 64
        && id["rule_".len()..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && id.len() > "rule_".len();
    if ok {
        Ok(id)
    } else {
        Err(Error::invalid(
            "id",
            "must be snake_case (a-z, 0-9, _), up to 59 characters after rule_",
        ))
    }
}

pub(crate) fn rule_proto(r: RuleRow) -> pb::Rule {
    let name = r.definition["name"].as_str().unwrap_or_default().to_owned();
    pb::Rule {
        definition_json: r.definition.to_string(),
        name,
        trigger: r.trigger.split(':').next().unwrap_or_default().to_owned(),
        priority: r.priority,
        updated_at: Some(timestamp(r.updated_at)),
        updated_by: r.updated_by,
        seeded: r.seeded,
        id: r.id,
        version: r.version,
        active: r.active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_rule_and_snake_case() {
        assert_eq!(rule_id("on_lead").unwrap(), "rule_on_lead");
        assert_eq!(rule_id("rule_on_lead").unwrap(), "rule_on_lead");
        for bad in ["", "rule_", "On Lead", "rule_a-b", &"a".repeat(60)] {
            assert!(rule_id(bad).is_err(), "{bad:?}");
        }
    }
}
