//! Providers' delivery receipts settle our messages: delivered, or failed
//! with the provider's reason; an `unconfirmed` message (its sender
//! stopped before recording the provider's answer) that the provider
//! reports sent becomes sent. The receipt finds its message by our own id,
//! which ClickSend echoes and our Twilio callback URL carries, else by the
//! provider's id. A receipt for a message we never sent is ignored.
//!
//! Twilio's 21610 on a receipt (the number replied STOP to Twilio) records
//! an opt-out too.

use attend_kit::bus::Draft;
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::db::Tx;
use attend_proto::ingest::v1::SmsStatusReported;
use attend_proto::messaging::v1 as pb;
use uuid::Uuid;

use crate::api::Api;
use crate::consent;
use crate::outbound::about;
use crate::store::{self, Outcome};

pub(crate) const SPEC: Spec = Spec {
    purpose: "receipts",
    events: "ingest.sms_status",
};

pub(crate) struct Receipts(pub Api);

impl Handler for Receipts {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let e: SmsStatusReported = event.payload()?;
        let api = &self.0;
        let org = event.org;
        let ours = Uuid::parse_str(&e.reference).ok();
        let Some(row) = store::outbound_for_receipt(tx, &e.provider, ours, &e.message_id).await? else {
            tracing::debug!(provider = %e.provider, message = %e.message_id, "a receipt for a message we did not send");
            return Ok(());
        };
        let at = e
            .reported_at
            .as_ref()
            .and_then(from_timestamp)
            .unwrap_or_else(|| api.clock.now());
        let (row, fact) = match e.status.as_str() {
            "delivered" => {
                let row = store::record_receipt(tx, row.id, true, &e.provider, &e.message_id, None, at).await?;
                let message = Some(row.clone().into_proto());
                (row.clone(), Draft::new(org, &pb::SmsDelivered { message }))
            }
            "failed" => {
                let reason = match (e.error_code.as_str(), e.error_text.as_str()) {
                    ("", "") => format!("the provider reports it undelivered ({})", e.provider_status),
                    ("", text) => format!("undelivered: {text}"),
                    (code, "") => format!("undelivered (error {code})"),
                    (code, text) => format!("undelivered (error {code}): {text}"),
                };
                let row =
                    store::record_receipt(tx, row.id, false, &e.provider, &e.message_id, Some(&reason), at).await?;
                if e.provider == "twilio" && e.error_code == "21610" {
                    consent::provider_opt_out(tx, &api.outbox, &row, "twilio", "21610", at).await?;
                }
                let message = Some(row.clone().into_proto());
                (row, Draft::new(org, &pb::SmsFailed { message }))
            }
            // Still on its way: only news for a message whose sending we
            // couldn't confirm.
            _ if row.status == "unconfirmed" => {
                let sent = Outcome::Sent {
                    provider: &e.provider,
                    provider_message_id: &e.message_id,
                    at,
                };
                let Some(row) = store::record_outcome(tx, row.id, &sent).await? else {
                    return Ok(());
                };
                let message = Some(row.clone().into_proto());
                (row, Draft::new(org, &pb::SmsSent { message }))
            }
            _ => return Ok(()),
        };
        api.outbox.add(tx, about(fact, &row).caused_by(&event.envelope)).await?;
        Ok(())
    }
}
