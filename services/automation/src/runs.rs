//! "Why did it (not) fire?": a contact's rule runs, each with what every
//! condition saw and what each action did; and the dry run, which replays
//! a contact's past events against a rule (or a draft) and answers what
//! would happen, changing nothing.

use std::collections::{HashMap, HashSet};

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::bus::timestamp;
use attend_kit::cursor;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, request};
use attend_kit::ids::{ContactId, TypedId};
use attend_proto::automation::v1 as pb;
use attend_proto::contact::v1 as contact;
use serde_json::Value;
use uuid::Uuid;

use crate::api::Api;
use crate::engine::facts::Facts;
use crate::engine::{Context, checked_from};
use crate::rules::conditions::{Checked, Field};
use crate::rules::{Definition, Trigger};
use crate::store::{self, JobRow, RunRow};

/// The trigger a past touchpoint stands for in a dry run, and the outcome
/// it carries.
fn trigger_of(touchpoint: &str) -> Option<(Trigger, Option<&'static str>)> {
    Some(match touchpoint {
        "lead_created" => (Trigger::LeadCreated, None),
        "sms_received" => (Trigger::SmsReceived, None),
        "sms_sent" => (Trigger::SmsSent, None),
        "booking_created" => (Trigger::BookingCreated, None),
        "booking_rescheduled" => (Trigger::BookingRescheduled, None),
        "booking_cancelled" => (Trigger::BookingCancelled, None),
        "booking_confirmed" => (Trigger::BookingConfirmed, None),
        "appointment_attended" => (Trigger::BookingOutcomeUpdated, Some("attended")),
        "appointment_no_show" => (Trigger::BookingOutcomeUpdated, Some("no_show")),
        _ => return None,
    })
}

impl Api {
    pub(crate) async fn list_runs(
        &self,
        caller: Caller,
        req: pb::ListRunsRequest,
    ) -> Result<pb::ListRunsResponse, Error> {
        caller.require_permission(Permission::TasksRead)?;
        let org = caller.org()?;
        let rule = match (req.contact_id.trim(), req.rule_id.trim()) {
            ("", "") => return Err(Error::invalid("contact_id", "give a contact_id or a rule_id")),
            (_, "") => None,
            // An unknown rule is a 404, not an empty list.
            ("", id) => Some(
                self.get_rule(
                    caller.clone(),
                    pb::GetRuleRequest {
                        id: id.to_owned(),
                        version: 0,
                    },
                )
                .await?
                .id,
            ),
            _ => return Err(Error::invalid("rule_id", "give a contact_id or a rule_id, not both")),
        };
        let of = match &rule {
            Some(id) => store::runs::Of::Rule {
                id,
                matched: req.matched,
            },
            None if req.matched.is_some() => {
                return Err(Error::invalid("matched", "filters a rule's runs only: give a rule_id"));
            }
            None => store::runs::Of::Contact(ContactId::parse_uuid_at("contact_id", &req.contact_id)?),
        };
        let limit = match req.limit {
            0 => 50,
            n @ 1..=200 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be 1 to 200")),
        };
        let before = match req.cursor.trim() {
            "" => None,
            raw => {
                let (key, id) = cursor::decode("cursor", "runs", raw)?;
                Some((cursor::parse_time_key("cursor", &key)?, id))
            }
        };
        let mut tx = self.engine.db.tenant(org).await?;
        let mut runs = store::runs::list(&mut tx, org, of, before, limit + 1).await?;
        let next_cursor = cursor::next_page(&mut runs, limit, |r| {
            cursor::encode("runs", &cursor::time_key(r.at), r.id)
        });
        let ids: Vec<Uuid> = runs.iter().map(|r| r.id).collect();
        let jobs = store::jobs::of_runs(&mut tx, org, &ids).await?;
        tx.commit().await?;
        let mut by_run: HashMap<Uuid, Vec<JobRow>> = HashMap::new();
        for job in jobs {
            if let Some(run) = job.run_id {
                by_run.entry(run).or_default().push(job);
            }
        }
        Ok(pb::ListRunsResponse {
            runs: runs
                .into_iter()
                .map(|r| {
                    let jobs = by_run.remove(&r.id).unwrap_or_default();
                    run_proto(r, jobs)
                })
                .collect(),
            next_cursor,
        })
    }

    /// What a rule would have done with a contact's past events, judged on
    /// the facts as they are now (what the event itself carried aside).
    pub(crate) async fn dry_run(&self, caller: Caller, req: pb::DryRunRequest) -> Result<pb::DryRunResponse, Error> {
        caller.require_permission(Permission::SettingsManage)?;
        let org_id = caller.org()?;
        let contact = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let (rule_id, version, def) = match (req.rule_id.trim(), req.definition_json.trim()) {
            ("", "") => return Err(Error::invalid("rule_id", "give a rule_id or a draft definition_json")),
            (_, json) if !json.is_empty() => ("draft".to_owned(), 0, self.checked(&caller, json).await?),
            (id, _) => {
                let rule = self
                    .get_rule(
                        caller,
                        pb::GetRuleRequest {
                            id: id.to_owned(),
                            version: 0,
                        },
                    )
                    .await?;
                let value: Value = serde_json::from_str(&rule.definition_json)
                    .map_err(|e| Error::Internal(anyhow::anyhow!("stored rule: {e}")))?;
                let def = Definition::parse(&value).map_err(Error::Invalid)?;
                (rule.id, rule.version, def)
            }
        };
        let org = self.engine.orgs.get(org_id).await?;
        let now = self.engine.clock.now();
        let system = Caller::system(org_id);
        let mut events: Vec<Context> = Vec::new();
        if let Trigger::CronCheck(_) = def.trigger {
            let mut ctx = Context::new(def.trigger, "cron_check", Uuid::nil());
            ctx.contact_id = Some(contact.uuid());
            events.push(ctx);
        } else {
            let page = self
                .engine
                .owners
                .contacts
                .clone()
                .list_touchpoints(request(
                    contact::ListTouchpointsRequest {
                        contact_id: contact.uuid().to_string(),
                        limit: 200,
                        cursor: String::new(),
                    },
                    &system,
                ))
                .await
                .into_answer("contact")?;
            for t in page.touchpoints.into_iter().rev() {
                let Some((trigger, outcome)) = trigger_of(&t.r#type).filter(|(tr, _)| *tr == def.trigger) else {
                    continue;
                };
                let details: Value = serde_json::from_str(&t.details_json).unwrap_or(Value::Null);
                let mut ctx = Context::new(trigger, &t.r#type, Uuid::parse_str(&t.id).unwrap_or_default());
                ctx.contact_id = Some(contact.uuid());
                ctx.booking_id = details["booking_id"].as_str().and_then(|b| Uuid::parse_str(b).ok());
                ctx.outcome = outcome.map(str::to_owned);
                ctx.message_body = details["body"].as_str().map(str::to_owned);
                events.push(ctx);
            }
        }
        let mut fields: HashSet<Field> = def.conditions.fields().collect();
        for step in &def.steps {
            fields.extend(step.conditions.fields());
        }
        let mut runs = Vec::new();
        for mut ctx in events {
            let facts = Facts::gather(&self.engine.owners, &org, &mut ctx, &fields, now).await?;
            let checked = def.conditions.check(&|f| facts.value(f), facts.today);
            let matched = checked.iter().all(|c| c.passed);
            let actions = if matched {
                def.steps
                    .iter()
                    .enumerate()
                    .map(|(i, step)| {
                        let own = step.conditions.check(&|f| facts.value(f), facts.today);
                        let holds = own.iter().all(|c| c.passed);
                        pb::ActionResult {
                            index: u32::try_from(i).unwrap_or(0),
                            r#type: step.action.kind().to_owned(),
                            status: if holds { "would_run" } else { "would_skip" }.to_owned(),
                            detail: if step.delay_seconds > 0 {
                                format!("after {} s", step.delay_seconds)
                            } else {
                                String::new()
                            },
                            due_at: None,
                            done_at: None,
                            conditions: own.iter().map(condition_proto).collect(),
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            runs.push(pb::Run {
                id: String::new(),
                rule_id: rule_id.clone(),
                rule_version: version,
                trigger: def.trigger.name().to_owned(),
                event_type: ctx.event_type.clone(),
                event_id: ctx.event_id.to_string(),
                contact_id: contact.uuid().to_string(),
                booking_id: ctx.booking_id.map(|b| b.to_string()).unwrap_or_default(),
                matched,
                conditions: checked.iter().map(condition_proto).collect(),
                actions,
                at: Some(timestamp(now)),
            });
        }
        Ok(pb::DryRunResponse { runs })
    }
}

fn condition_proto(c: &Checked) -> pb::ConditionResult {
    pb::ConditionResult {
        field: c.field.clone(),
        op: c.op.clone(),
        expected_json: c.expected.to_string(),
        seen_json: c.seen.to_string(),
        passed: c.passed,
    }
}

fn run_proto(r: RunRow, jobs: Vec<JobRow>) -> pb::Run {
    pb::Run {
        id: r.id.to_string(),
        rule_id: r.rule_id,
        rule_version: r.rule_version,
        trigger: r.trigger.split(':').next().unwrap_or_default().to_owned(),
        event_type: r.event_type,
        event_id: r.event_id.to_string(),
        contact_id: r.contact_id.map(|c| c.to_string()).unwrap_or_default(),
        booking_id: r.booking_id.map(|b| b.to_string()).unwrap_or_default(),
        matched: r.matched,
        conditions: checked_from(&r.conditions).iter().map(condition_proto).collect(),
        actions: jobs
            .into_iter()
            .map(|j| pb::ActionResult {
                index: j.action_index.and_then(|i| u32::try_from(i).ok()).unwrap_or(0),
                r#type: j.action["type"].as_str().unwrap_or_default().to_owned(),
                status: j.status,
                detail: j.detail.unwrap_or_default(),
                due_at: Some(timestamp(j.due_at)),
                done_at: j.done_at.map(timestamp),
                conditions: j
                    .conditions
                    .as_ref()
                    .map(checked_from)
                    .unwrap_or_default()
                    .iter()
                    .map(condition_proto)
                    .collect(),
            })
            .collect(),
        at: Some(timestamp(r.at)),
    }
}
