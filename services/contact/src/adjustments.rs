//! Adjusting a contact's warmness: a delta with its reason, from a rule
//! (seed 000's `update_warmness`) or from staff. The score is the
//! formula's plus every adjustment, within 0..100 ([`crate::warmness`]);
//! the adjustment, the new score and `contact.updated` are one transaction.

use attend_kit::actor::Actor;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::Draft;
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ContactId, TypedId};
use attend_kit::{Error, FieldError, text};
use attend_proto::contact::v1 as pb;

use crate::api::Api;
use crate::contacts::for_change;
use crate::store::{self, NewAdjustment};
use crate::touch;
use crate::warmness::ADJUSTMENT_RANGE;

/// Longest reason kept.
const REASON_MAX: usize = 200;

/// A delta the score can take: within -100..100 and not 0.
fn parse_delta(delta: i32) -> Result<i32, String> {
    if delta == 0 || !ADJUSTMENT_RANGE.contains(&delta) {
        return Err(format!(
            "must be between {} and {}, and not 0",
            ADJUSTMENT_RANGE.start(),
            ADJUSTMENT_RANGE.end()
        ));
    }
    Ok(delta)
}

impl Api {
    pub(crate) async fn adjust_warmness(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::AdjustWarmnessRequest,
    ) -> Result<pb::Contact, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let mut problems: Vec<FieldError> = Vec::new();
        let delta = text::collect(&mut problems, "delta", parse_delta(req.delta));
        let reason = text::collect(&mut problems, "reason", text::required_line(&req.reason, REASON_MAX));
        let (Some(delta), Some(reason), true) = (delta, reason, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };

        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "AdjustWarmness", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        // Locked until commit (the rescore reads it again); a merged
        // contact is adjusted through the one it was merged into.
        for_change(&mut tx, org, id).await?;
        store::add_adjustment(
            &mut tx,
            org,
            &NewAdjustment {
                contact: id,
                delta,
                reason: &reason,
                actor: Actor::of(&caller).to_string(),
            },
        )
        .await?;
        let (before, after) = touch::recalculate(&mut tx, org, id).await?;
        // The breakdown lists the adjustment even when the score, at an
        // end of its range, can't move.
        let mut changed = vec!["warmness_breakdown".to_owned()];
        if after.warmness_score != before.warmness_score {
            changed.insert(0, "warmness_score".to_owned());
        }
        let event = pb::ContactUpdated {
            contact: Some(after.clone().into_proto()),
            changed,
            previous_warmness_score: before.warmness_score,
        };
        self.outbox
            .add(&mut tx, Draft::new(org, &event).about("contact_id", id))
            .await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("contact.adjust_warmness", "contact", id).with_details(serde_json::json!({
                "delta": delta,
                "score": after.warmness_score,
                "previous_score": before.warmness_score,
            })),
        )
        .await?;
        let response = after.into_proto();
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_is_within_a_hundred_either_way_and_not_zero() {
        for ok in [-100, -5, 1, 10, 100] {
            assert_eq!(parse_delta(ok), Ok(ok));
        }
        for bad in [0, -101, 101, i32::MIN, i32::MAX] {
            let why = parse_delta(bad).unwrap_err();
            assert_eq!(why, "must be between -100 and 100, and not 0", "{bad}");
        }
    }
}
