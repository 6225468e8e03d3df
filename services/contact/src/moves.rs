//! A contact's place in the pipelines: the pipelines as the API lists
//! them, moving a contact along an allowed transition ([`crate::pipeline`]
//! holds the table), and what every change of stage leaves behind,
//! whoever made it (a move, or staff editing the contact): a
//! `stage_changed` touchpoint and a `contact.stage_changed` event, in the
//! transaction that changes the stage.

use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::Draft;
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ContactId, OrgId, TouchpointId, TypedId};
use attend_kit::{Error, FieldError, text};
use attend_proto::contact::v1 as pb;
use serde_json::json;

use crate::api::Api;
use crate::contacts::for_change;
use crate::pipeline::{self, Move, PIPELINES, Place, Unknown};
use crate::store::{self, ContactRow, NewTouchpoint, Patch};
use crate::touch::Recorder;
use crate::touch_types::STAGE_CHANGED;

fn pipeline_proto(p: &pipeline::Pipeline) -> pb::Pipeline {
    pb::Pipeline {
        id: p.id.to_owned(),
        name: p.name.to_owned(),
        stages: p
            .stages
            .iter()
            .map(|s| pb::Stage {
                id: s.id.to_owned(),
                name: s.name.to_owned(),
                next: s.next.iter().map(|n| (*n).to_owned()).collect(),
            })
            .collect(),
        entry_stages: p.entry.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Where a move asks to go: a pipeline named in the request, or the
/// contact's own (empty).
struct Target<'a> {
    pipeline: Option<&'static pipeline::Pipeline>,
    stage: &'a str,
}

impl Target<'_> {
    /// The place, for a contact now at `from`. An unknown stage is the
    /// request's fault; a known stage that the contact's own pipeline
    /// lacks is the contact's state, as a refused move is.
    fn resolve(&self, from: Place) -> Result<Place, Error> {
        let pipeline = self.pipeline.unwrap_or(from.pipeline);
        match Place::parse(pipeline.id, self.stage) {
            Ok(place) => Ok(place),
            Err(_) if self.pipeline.is_none() && pipeline::is_stage(self.stage) => Err(Error::Precondition(format!(
                "the contact is in {from} and {} has no stage {}; name the pipeline to move it into another",
                pipeline.id, self.stage
            ))),
            Err(_) => Err(Error::invalid(
                "stage",
                format!("must be a stage of {}: {}", pipeline.id, pipeline.stage_names()),
            )),
        }
    }
}

impl Api {
    pub(crate) fn list_pipelines(&self, caller: Caller) -> Result<pb::ListPipelinesResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        Ok(pb::ListPipelinesResponse {
            pipelines: PIPELINES.iter().map(pipeline_proto).collect(),
        })
    }

    pub(crate) async fn move_contact(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::MoveContactRequest,
    ) -> Result<pb::Contact, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let mut problems = Vec::new();
        let pipeline = match req.pipeline.trim() {
            "" => None,
            name => {
                let found = pipeline::find(name);
                if found.is_none() {
                    problems.push(FieldError::new(
                        "pipeline",
                        format!("must be one of {}", pipeline::pipeline_names()),
                    ));
                }
                found
            }
        };
        let stage = req.stage.trim();
        if stage.is_empty() {
            problems.push(FieldError::new("stage", "is required"));
        } else if let Some(p) = pipeline
            && let Err(Unknown::Stage(_)) = Place::parse(p.id, stage)
        {
            problems.push(FieldError::new(
                "stage",
                format!("must be a stage of {}: {}", p.id, p.stage_names()),
            ));
        }
        let cause = text::collect(&mut problems, "cause", text::line(&req.cause, 200));
        let (Some(cause), true) = (cause, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        let target = Target { pipeline, stage };

        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "MoveContact", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let current = for_change(&mut tx, org, id).await?;
        let from = place_of(&current)?;
        let to = target.resolve(from)?;
        let row = match pipeline::check(from, to) {
            Move::Stay => current,
            Move::Refused => {
                return Err(Error::Precondition(format!(
                    "a contact in {from} can't move to {to}; from {from} it may move to {}",
                    pipeline::allowed_from(from)
                )));
            }
            Move::Allowed => {
                let patch = Patch {
                    stage: Some((to.pipeline.id.to_owned(), to.stage.id.to_owned())),
                    ..Patch::default()
                };
                let row = store::update(&mut tx, org, id, &patch).await?;
                record_change(&self.recorder(), &mut tx, org, &caller, &current, &row, &cause).await?;
                row
            }
        };
        let response = row.into_proto();
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }
}

/// Where a contact is. The table's check admits only the pipelines' own
/// stages, so a row that reads otherwise is a bug, not a request's fault.
fn place_of(row: &ContactRow) -> Result<Place, Error> {
    Place::parse(&row.current_pipeline, &row.current_stage).map_err(|_| {
        Error::Internal(anyhow::anyhow!(
            "contact {} is in {}/{}, which the pipelines don't have",
            row.contact_id(),
            row.current_pipeline,
            row.current_stage
        ))
    })
}

/// Leaves the trace of a change of stage from `before` to `after`: a
/// `stage_changed` touchpoint on the timeline and `contact.stage_changed`,
/// each naming both places, the cause and who made it; and the audit entry.
pub(crate) async fn record_change(
    recorder: &Recorder,
    tx: &mut Tx,
    org: OrgId,
    caller: &Caller,
    before: &ContactRow,
    after: &ContactRow,
    cause: &str,
) -> Result<(), Error> {
    let actor = Actor::of(caller);
    let id = after.contact_id();
    let details = json!({
        "from_pipeline": before.current_pipeline,
        "from_stage": before.current_stage,
        "to_pipeline": after.current_pipeline,
        "to_stage": after.current_stage,
        "cause": cause,
        "actor": actor.to_string(),
    });
    let touchpoint = NewTouchpoint {
        id: TouchpointId::new(),
        contact: id,
        occurred_at: after.updated_at,
        kind: STAGE_CHANGED,
        source: match actor {
            Actor::User(_) => "Manual",
            _ => "System",
        }
        .to_owned(),
        channel: None,
        details: details.clone(),
        is_attribution_event: false,
        source_event_id: None,
    };
    recorder.add(tx, org, &touchpoint, None).await?;
    let event = pb::ContactStageChanged {
        contact: Some(after.clone().into_proto()),
        from_pipeline: before.current_pipeline.clone(),
        from_stage: before.current_stage.clone(),
        to_pipeline: after.current_pipeline.clone(),
        to_stage: after.current_stage.clone(),
        cause: cause.to_owned(),
        actor: actor.to_string(),
    };
    recorder
        .outbox
        .add(tx, Draft::new(org, &event).about("contact_id", id))
        .await?;
    audit::record(
        &recorder.outbox,
        tx,
        caller,
        Entry::on("contact.stage_change", "contact", id).with_details(details),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(pipeline: &str, stage: &str) -> Place {
        Place::parse(pipeline, stage).unwrap()
    }

    #[test]
    fn an_empty_pipeline_is_the_contacts_own() {
        let from = at("lead_to_booking", "new_lead");
        let own = Target {
            pipeline: None,
            stage: "contacted",
        };
        assert_eq!(own.resolve(from).unwrap(), at("lead_to_booking", "contacted"));
        let other = Target {
            pipeline: pipeline::find("pre_appointment"),
            stage: "booking_confirmed",
        };
        assert_eq!(other.resolve(from).unwrap(), at("pre_appointment", "booking_confirmed"));
    }

    #[test]
    fn a_stage_of_another_pipeline_is_the_contacts_state_and_an_unknown_one_the_requests_fault() {
        let from = at("lead_to_booking", "new_lead");
        let elsewhere = Target {
            pipeline: None,
            stage: "recall_due",
        };
        let Err(Error::Precondition(why)) = elsewhere.resolve(from) else {
            panic!("recall_due is a stage, just not of lead_to_booking");
        };
        assert!(
            why.contains("lead_to_booking/new_lead") && why.contains("recall_due"),
            "{why}"
        );
        let Err(Error::Invalid(problems)) = (Target {
            pipeline: None,
            stage: "won",
        })
        .resolve(from) else {
            panic!("won is no stage at all");
        };
        assert_eq!(problems[0].field, "stage");
        assert!(
            problems[0].reason.contains("new_lead, contacted"),
            "{}",
            problems[0].reason
        );
    }

    #[test]
    fn the_pipelines_are_listed_with_names_transitions_and_entries() {
        let p = pipeline_proto(pipeline::find("pre_appointment").unwrap());
        assert_eq!(p.name, "Pre-Appointment");
        assert_eq!(p.entry_stages, ["booking_confirmed"]);
        let reminded = p.stages.iter().find(|s| s.id == "reminded").unwrap();
        assert_eq!(reminded.name, "Reminded");
        assert!(reminded.next.contains(&"confirmed".to_owned()));
    }
}
