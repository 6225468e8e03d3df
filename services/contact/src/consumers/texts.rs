//! Inbound texts (`ingest.sms_received`): an `sms_received` touchpoint on
//! the sender; a number nobody has opens a lead.

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::TypedId;
use attend_proto::ingest::v1::SmsReceived;
use chrono::Utc;
use serde_json::json;

use super::Inbound;
use super::{phone, provider_label, reject};
use crate::channel;
use crate::leads::Touch;
use crate::store::NewContact;

pub(crate) const SPEC: Spec = Spec {
    purpose: "texts",
    events: "ingest.sms_received",
};

#[derive(Clone)]
pub(crate) struct Texts(pub Inbound);

impl Handler for Texts {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let e: SmsReceived = event.payload()?;
        self.0.text(tx, event, e).await
    }
}

impl Inbound {
    async fn text(&self, tx: &mut Tx, event: &Received, e: SmsReceived) -> Result<(), HandleError> {
        let from = phone(&e.from)?.ok_or_else(|| reject("a text without a sender".to_owned()))?;
        let at = e.received_at.as_ref().and_then(from_timestamp).unwrap_or_else(Utc::now);
        let channel = channel::from_label("SMS");
        let touch = Touch {
            kind: "sms_received",
            occurred_at: at,
            source: channel.name.clone(),
            channel: Some(provider_label(&e.provider).to_owned()),
            details: json!({
                "body": e.body,
                "message_id": e.message_id,
                "to": e.to,
                "provider": e.provider,
                "original_message_id": e.original_message_id,
            }),
            is_attribution_event: false,
            source_event_id: Some(event.id.uuid()),
        };
        let new = NewContact {
            name: from.to_string(),
            phone: Some(from),
            email: None,
            source: channel.name,
            source_kind: None,
            intent: None,
        };
        self.touch_or_open(tx, event, new, vec![touch]).await
    }
}
