//! Recording touchpoints, and the warmness they move.
//!
//! Every touchpoint goes through [`Recorder::add`], whichever service's
//! event it came from: when its type is one the score reads, the contact's
//! warmness is recalculated from its timeline in the same transaction, and
//! a change is published as `contact.updated`.

use attend_kit::bus::Draft;
use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId};
use attend_proto::contact::v1 as pb;
use attend_proto::events::v1::Envelope;

use crate::store::{self, Added, ContactRow, NewTouchpoint};
use crate::warmness::{self, Inputs, Intent, SourceKind, Touch};

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

    /// Recalculates the contact's warmness from its timeline; publishes
    /// `contact.updated` when the score or its breakdown changed. The
    /// contact as it is now.
    pub async fn rescore(
        &self,
        tx: &mut Tx,
        org: OrgId,
        contact: ContactId,
        cause: Option<&Envelope>,
    ) -> Result<ContactRow, sqlx::Error> {
        let row = store::get_for_update(tx, org, contact)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        let touches = store::scored_touches(tx, org, contact, &warmness::SCORED_TYPES).await?;
        let breakdown = warmness::calculate(&inputs(&row, touches));
        let json = serde_json::to_value(&breakdown).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        if breakdown.score == row.warmness_score && json == row.warmness_breakdown {
            return Ok(row);
        }
        let previous = row.warmness_score;
        let updated = store::set_warmness(tx, org, contact, breakdown.score, &json).await?;
        if updated.warmness_score != previous {
            let event = pb::ContactUpdated {
                contact: Some(updated.clone().into_proto()),
                changed: vec!["warmness_score".to_owned()],
                previous_warmness_score: previous,
            };
            let mut draft = Draft::new(org, &event).about("contact_id", contact);
            if let Some(cause) = cause {
                draft = draft.caused_by(cause);
            }
            self.outbox.add(tx, draft).await?;
        }
        Ok(updated)
    }
}

/// The score's inputs from a contact row and its scored touchpoints.
pub fn inputs(row: &ContactRow, touches: Vec<(String, chrono::DateTime<chrono::Utc>)>) -> Inputs {
    Inputs {
        intent: row.intent.as_deref().and_then(Intent::parse),
        source: row.source_kind.as_deref().and_then(SourceKind::parse),
        is_existing_patient: row.is_existing_patient,
        touches: touches.into_iter().map(|(kind, at)| Touch { kind, at }).collect(),
    }
}
