//! Recording touchpoints, and the warmness they move.
//!
//! Every touchpoint goes through [`Recorder::add`], whichever service's
//! event it came from: when its type is one the score reads, the contact's
//! warmness is recalculated from its timeline (and its adjustments) in the
//! same transaction, and a change is published as `contact.updated`.

use attend_kit::bus::Draft;
use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId};
use attend_proto::contact::v1 as pb;
use attend_proto::events::v1::Envelope;

use crate::store::{self, Added, ContactRow, NewTouchpoint};
use crate::warmness::{self, Adjustment, Inputs, Intent, SourceKind, Touch};

#[derive(Clone)]
pub struct Recorder {
    pub outbox: Outbox,
}

impl Recorder {
    /// Records the touchpoint (on the contact it names, or the one that
    /// contact was merged into) and rescores when the type counts.
    pub async fn add(
        &self,
        tx: &mut Tx,
        org: OrgId,
        t: &NewTouchpoint,
        cause: Option<&Envelope>,
    ) -> Result<Added, sqlx::Error> {
        let added = store::add_touchpoint(tx, org, t).await?;
        if let Added::To(contact) = added
            && warmness::is_scored(t.kind)
        {
            self.rescore(tx, org, contact, cause).await?;
        }
        Ok(added)
    }

    /// Recalculates the contact's warmness; publishes `contact.updated`
    /// when the score changed. The contact as it is now.
    pub async fn rescore(
        &self,
        tx: &mut Tx,
        org: OrgId,
        contact: ContactId,
        cause: Option<&Envelope>,
    ) -> Result<ContactRow, sqlx::Error> {
        let (before, after) = recalculate(tx, org, contact).await?;
        if after.warmness_score != before.warmness_score {
            let event = pb::ContactUpdated {
                contact: Some(after.clone().into_proto()),
                changed: vec!["warmness_score".to_owned()],
                previous_warmness_score: before.warmness_score,
            };
            let mut draft = Draft::new(org, &event).about("contact_id", contact);
            if let Some(cause) = cause {
                draft = draft.caused_by(cause);
            }
            self.outbox.add(tx, draft).await?;
        }
        Ok(after)
    }
}

/// Recalculates the contact's warmness from its timeline and its
/// adjustments, and stores the score and breakdown when either changed.
/// The contact before and after.
pub async fn recalculate(tx: &mut Tx, org: OrgId, contact: ContactId) -> Result<(ContactRow, ContactRow), sqlx::Error> {
    let row = store::get_for_update(tx, org, contact)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let touches = store::scored_touches(tx, org, contact, &warmness::SCORED_TYPES).await?;
    let adjustments = store::adjustments(tx, org, contact).await?;
    let breakdown = warmness::calculate(&inputs(&row, touches, adjustments));
    let json = serde_json::to_value(&breakdown).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    if breakdown.score == row.warmness_score && json == row.warmness_breakdown {
        return Ok((row.clone(), row));
    }
    let updated = store::set_warmness(tx, org, contact, breakdown.score, &json).await?;
    Ok((row, updated))
}

/// The score's inputs from a contact row, its scored touchpoints and its
/// adjustments.
pub fn inputs(
    row: &ContactRow,
    touches: Vec<(String, chrono::DateTime<chrono::Utc>)>,
    adjustments: Vec<Adjustment>,
) -> Inputs {
    Inputs {
        intent: row.intent.as_deref().and_then(Intent::parse),
        source: row.source_kind.as_deref().and_then(SourceKind::parse),
        is_existing_patient: row.is_existing_patient,
        touches: touches.into_iter().map(|(kind, at)| Touch { kind, at }).collect(),
        adjustments,
    }
}
