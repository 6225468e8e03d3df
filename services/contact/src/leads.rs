//! Opening a lead: the contact, its first touchpoints, its score and the
//! events that say so, in one transaction. Staff (`CreateContact`), chat
//! flows, forms and texts from unknown numbers all open leads this way.

use attend_kit::Error;
use attend_kit::audit::{self, Entry};
use attend_kit::bus::Draft;
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::ids::{ContactId, OrgId, TouchpointId};
use attend_proto::contact::v1 as pb;
use attend_proto::events::v1::Envelope;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::{self, Added, ContactRow, NewContact, NewTouchpoint};
use crate::touch::Recorder;
use crate::warmness;

/// A touchpoint of a contact not yet known by id.
#[derive(Debug, Clone)]
pub struct Touch {
    pub kind: &'static str,
    pub occurred_at: DateTime<Utc>,
    pub source: String,
    pub channel: Option<String>,
    pub details: serde_json::Value,
    pub is_attribution_event: bool,
    pub source_event_id: Option<Uuid>,
}

impl Touch {
    pub fn on(&self, contact: ContactId) -> NewTouchpoint {
        NewTouchpoint {
            id: TouchpointId::new(),
            contact,
            occurred_at: self.occurred_at,
            kind: self.kind,
            source: self.source.clone(),
            channel: self.channel.clone(),
            details: self.details.clone(),
            is_attribution_event: self.is_attribution_event,
            source_event_id: self.source_event_id,
        }
    }
}

/// Records touchpoints on a contact, in order; rescoring as they count.
pub async fn record_all(
    recorder: &Recorder,
    tx: &mut Tx,
    org: OrgId,
    contact: ContactId,
    touches: &[Touch],
    cause: Option<&Envelope>,
) -> Result<(), Error> {
    for t in touches {
        if recorder.add(tx, org, &t.on(contact), cause).await? == Added::NoContact {
            return Err(anyhow::anyhow!("contact {contact} vanished inside its own transaction").into());
        }
    }
    Ok(())
}

/// A lead about to be opened.
#[derive(Debug, Clone)]
pub struct Opening {
    pub contact: NewContact,
    /// In the order they happened; the first should be `lead_created`.
    pub touches: Vec<Touch>,
    /// The touchpoint type that brought the lead, for `contact.lead_created`.
    pub via: &'static str,
}

/// Creates the contact with its first touchpoints, scores it, and publishes `contact.created` and
/// `contact.lead_created`. `None` when another transaction just took the
/// phone: the caller matches that contact instead.
pub async fn open(
    recorder: &Recorder,
    tx: &mut Tx,
    org: OrgId,
    caller: &Caller,
    lead: &Opening,
    cause: Option<&Envelope>,
) -> Result<Option<ContactRow>, Error> {
    let via = lead.via;
    let Some(row) = store::insert(tx, org, &lead.contact).await? else {
        return Ok(None);
    };
    let id = row.contact_id();
    record_all(recorder, tx, org, id, &lead.touches, cause).await?;
    // Scored even without a scored touchpoint: intent and source count.
    let row = recorder.rescore(tx, org, id, cause).await?;
    let contact = row.clone().into_proto();
    let drafts = [
        Draft::new(
            org,
            &pb::ContactCreated {
                contact: Some(contact.clone()),
            },
        ),
        Draft::new(
            org,
            &pb::LeadCreated {
                contact: Some(contact),
                via: via.to_owned(),
                warmness_label: warmness::label(row.warmness_score).to_owned(),
            },
        ),
    ];
    for draft in drafts {
        let mut draft = draft.about("contact_id", id);
        if let Some(cause) = cause {
            draft = draft.caused_by(cause);
        }
        recorder.outbox.add(tx, draft).await?;
    }
    audit::record(
        &recorder.outbox,
        tx,
        caller,
        Entry::on("contact.create", "contact", id)
            .with_details(serde_json::json!({ "source": row.source, "via": via })),
    )
    .await?;
    Ok(Some(row))
}
