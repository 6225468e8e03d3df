//! Contact events: the queue's view of each contact, and `lead_created`.

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::{Event, from_timestamp};
use attend_kit::db::Tx;
use attend_proto::contact::v1 as contact;
use uuid::Uuid;

use crate::engine::{Context, Engine};
use crate::rules::Trigger;
use crate::store::facts::{self, ContactFacts};

pub(crate) const SPEC: Spec = Spec {
    purpose: "contacts",
    events: "contact.*",
};

pub(crate) struct Contacts(pub Engine);

fn reject(why: String) -> HandleError {
    HandleError::Reject(anyhow::anyhow!(why))
}

impl Handler for Contacts {
    /// The jobs the event planned are committed: run the due ones now.
    fn committed(&self, _event: &Received) {
        self.0.wake.notify_one();
    }

    /// The organisation's seeded rules, before the transaction opens.
    async fn prepare(&self, event: &Received) -> Result<(), HandleError> {
        self.0.prepare(event.org).await
    }

    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let t = event.envelope.r#type.as_str();
        let c = if t == contact::ContactCreated::TYPE {
            event.payload::<contact::ContactCreated>()?.contact
        } else if t == contact::LeadCreated::TYPE {
            event.payload::<contact::LeadCreated>()?.contact
        } else if t == contact::ContactUpdated::TYPE {
            event.payload::<contact::ContactUpdated>()?.contact
        } else if t == contact::ContactStageChanged::TYPE {
            event.payload::<contact::ContactStageChanged>()?.contact
        } else {
            // Merges are the merges consumer's.
            return Ok(());
        };
        let c = c.ok_or_else(|| reject(format!("{t} without its contact")))?;
        let id = Uuid::parse_str(&c.id).map_err(|e| reject(format!("contact id: {e}")))?;
        let at = event
            .envelope
            .occurred_at
            .as_ref()
            .and_then(from_timestamp)
            .unwrap_or_else(|| self.0.clock.now());
        facts::upsert_contact(
            tx,
            event.org,
            &ContactFacts {
                contact_id: id,
                name: &c.name,
                phone: &c.phone,
                warmness: c.warmness_score,
                pipeline: &c.current_pipeline,
                stage: &c.current_stage,
                at,
            },
        )
        .await?;
        if t == contact::LeadCreated::TYPE {
            let mut ctx = Context::new(Trigger::LeadCreated, t, event.id.into());
            ctx.contact_id = Some(id);
            self.0.on_event(tx, event.org, ctx).await?;
        }
        Ok(())
    }
}
