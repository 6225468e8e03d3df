//! SMS delivery reports (`ingest.sms_status`): `sms_delivered` /
//! `sms_failed` on the recipient when the provider names one (Twilio does;
//! ClickSend receipts name only the message, which messaging matches).

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, TypedId};
use attend_proto::ingest::v1::SmsStatusReported;
use chrono::Utc;
use serde_json::json;

use super::Inbound;
use super::{phone, provider_label};
use crate::leads::{self, Touch};
use crate::store;

pub(crate) const SPEC: Spec = Spec {
    purpose: "reports",
    events: "ingest.sms_status",
};

#[derive(Clone)]
pub(crate) struct DeliveryReports(pub Inbound);

impl Handler for DeliveryReports {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let e: SmsStatusReported = event.payload()?;
        self.0.report(tx, event, e).await
    }
}

impl Inbound {
    async fn report(&self, tx: &mut Tx, event: &Received, e: SmsStatusReported) -> Result<(), HandleError> {
        let kind = match e.status.as_str() {
            "delivered" => "sms_delivered",
            "failed" => "sms_failed",
            _ => return Ok(()),
        };
        let Some(to) = phone(&e.to).ok().flatten() else {
            return Ok(());
        };
        let Some(found) = store::by_phone(tx, event.org, &to).await? else {
            return Ok(());
        };
        let at = e.reported_at.as_ref().and_then(from_timestamp).unwrap_or_else(Utc::now);
        let touch = Touch {
            kind,
            occurred_at: at,
            source: "SMS".to_owned(),
            channel: Some(provider_label(&e.provider).to_owned()),
            details: json!({
                "message_id": e.message_id,
                "provider_status": e.provider_status,
                "error_code": e.error_code,
                "error_text": e.error_text,
            }),
            is_attribution_event: false,
            source_event_id: Some(event.id.uuid()),
        };
        let contact: ContactId = found.contact_id();
        leads::record_all(&self.recorder, tx, event.org, contact, &[touch], Some(&event.envelope)).await?;
        Ok(())
    }
}
