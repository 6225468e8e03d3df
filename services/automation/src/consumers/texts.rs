//! Texts: a reply received (spec 000's `sms_received`, with its body and
//! what it means) and a text sent (`sms_sent`) set off their rules.

use attend_kit::bus::Event;
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::db::Tx;
use attend_proto::messaging::v1 as messaging;
use uuid::Uuid;

use crate::engine::{Context, Engine};
use crate::rules::Trigger;

pub(crate) const SPEC: Spec = Spec {
    purpose: "texts",
    events: "messaging.*",
};

pub(crate) struct Texts(pub Engine);

impl Handler for Texts {
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
        let (trigger, message) = if t == messaging::SmsReceived::TYPE {
            (Trigger::SmsReceived, event.payload::<messaging::SmsReceived>()?.message)
        } else if t == messaging::SmsSent::TYPE {
            (Trigger::SmsSent, event.payload::<messaging::SmsSent>()?.message)
        } else {
            return Ok(());
        };
        let Some(m) = message else {
            return Err(HandleError::Reject(anyhow::anyhow!("{t} without its message")));
        };
        // A text to a number no contact has concerns no rule.
        let Ok(contact) = Uuid::parse_str(&m.contact_id) else {
            return Ok(());
        };
        let mut ctx = Context::new(trigger, t, event.id.into());
        ctx.contact_id = Some(contact);
        ctx.booking_id = Uuid::parse_str(&m.booking_id).ok();
        if trigger == Trigger::SmsReceived {
            ctx.message_body = Some(m.body);
            ctx.classification = Some(m.classification).filter(|c| !c.is_empty());
        } else {
            ctx.template = Some(m.template_id).filter(|t| !t.is_empty());
        }
        self.0.on_event(tx, event.org, ctx).await
    }
}
