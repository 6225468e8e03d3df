//! Every inbound text, threaded on its contact's conversation (one more
//! unread), with what it means ([`crate::sms::classify`]), and published as
//! `messaging.sms_received` for automation to act on (a "Y" confirms).
//!
//! The contact is the contact service's to find or open (its own consumer
//! opens a lead for a number nobody has): until it exists, this retries.

use attend_kit::bus::Draft;
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_proto::ingest::v1::SmsReceived;
use attend_proto::messaging::v1 as pb;
use uuid::Uuid;

use super::e164;
use crate::api::Api;
use crate::outbound::preview;
use crate::sms::classify::classify;
use crate::store::{self, NewSms};

pub(crate) const SPEC: Spec = Spec {
    purpose: "inbox",
    events: "ingest.sms_received",
};

pub(crate) struct Inbox(pub Api);

impl Handler for Inbox {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let e: SmsReceived = event.payload()?;
        let api = &self.0;
        let org = event.org;
        if store::inbound_by_provider_id(tx, &e.provider, &e.message_id)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let from = e164("from", &e.from)?;
        let contact = api
            .contact_by_phone(&Caller::system(org), &from)
            .await?
            .ok_or_else(|| HandleError::Retry(anyhow::anyhow!("the contact of {from} is not known yet")))?;
        let at = e
            .received_at
            .as_ref()
            .and_then(from_timestamp)
            .unwrap_or_else(|| api.clock.now());
        let class = classify(&e.body);
        let row = store::insert_sms(
            tx,
            org,
            &NewSms {
                id: Uuid::now_v7(),
                contact: Some(contact),
                direction: "inbound",
                to: &e.to,
                from: from.as_str(),
                body: &e.body,
                template_id: None,
                purpose: None,
                booking_id: None,
                status: "received",
                status_reason: None,
                classification: Some(class.as_str()),
                provider: Some(&e.provider),
                provider_message_id: Some(&e.message_id),
                encoding: None,
                segments: None,
                send_at: at,
                not_after: None,
                is_reply: false,
                sent_by: &attend_kit::actor::Actor::provider(&e.provider).to_string(),
                at,
            },
        )
        .await?;
        store::touch_conversation(tx, org, contact, row.id, at, "inbound", &preview(&row.body)).await?;
        let fact = pb::SmsReceived {
            message: Some(row.into_proto()),
        };
        api.outbox
            .add(
                tx,
                Draft::new(org, &fact)
                    .about("contact_id", contact)
                    .caused_by(&event.envelope),
            )
            .await?;
        Ok(())
    }
}
