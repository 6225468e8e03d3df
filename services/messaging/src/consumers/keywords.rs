//! STOP, START and HELP, as carriers and the Spam Act 2003 / TCPA expect:
//! - STOP and its family (`STOPALL`, `UNSUBSCRIBE`, `CANCEL`, `END`,
//!   `QUIT`, and "stop thanks"-style variants; [`crate::sms::classify`])
//!   opt the number out of SMS, with one confirmation reply;
//! - `START` / `UNSTOP` opt it back in, with a confirmation;
//! - `HELP` / `INFO` is answered with the clinic's name and phone.
//!
//! Keyed by the number, not the contact: an opt-out is honoured before
//! (and whether or not) the contact service has matched the sender. The
//! replies are sent at once, whatever the hour, even to a number that just
//! opted out (the confirmation is the one message it still gets).

use attend_kit::actor::Actor;
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_proto::ingest::v1::SmsReceived;

use super::e164;
use crate::api::Api;
use crate::consent;
use crate::outbound::{Content, Outgoing, Recipient};
use crate::sms::classify::{Classification, classify};
use crate::templates::catalog::Purpose;

pub(crate) const SPEC: Spec = Spec {
    purpose: "keywords",
    events: "ingest.sms_received",
};

pub(crate) struct Keywords(pub Api);

impl Handler for Keywords {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let e: SmsReceived = event.payload()?;
        let class = classify(&e.body);
        if !matches!(
            class,
            Classification::Stop | Classification::Start | Classification::Help
        ) {
            return Ok(());
        }
        let api = &self.0;
        let org = api.orgs.fresh(event.org).await?;
        let phone = e164("from", &e.from)?;
        let clinic = org
            .messaging
            .values
            .get("clinic")
            .cloned()
            .unwrap_or_else(|| org.name.clone());
        let keyword = e.body.trim().to_uppercase();
        let keyword: String = keyword.chars().take(40).collect();
        let reply = match class {
            Classification::Stop | Classification::Start => {
                let opted_in = class == Classification::Start;
                consent::record(
                    tx,
                    &api.outbox,
                    org.id,
                    &consent::Change {
                        channel: "sms",
                        address: phone.as_str(),
                        contact: None,
                        opted_in,
                        how: "keyword",
                        detail: &keyword,
                        actor: &Actor::provider(&e.provider).to_string(),
                        at: api.clock.now(),
                    },
                )
                .await?;
                if opted_in {
                    format!("{clinic}: you will receive our messages again. Reply STOP to opt out.")
                } else {
                    format!(
                        "{clinic}: you have been unsubscribed and will receive no more messages. Reply START to resubscribe."
                    )
                }
            }
            _ => match org.messaging.values.get("clinic_phone") {
                Some(phone) => format!("{clinic}: for help, call us on {phone}. Reply STOP to opt out."),
                None => {
                    format!("{clinic}: for help, reply with your question and we will call you. Reply STOP to opt out.")
                }
            },
        };
        // Threaded on the contact when the number has one already.
        let contact = api
            .contact_by_phone(&Caller::system(org.id), &phone)
            .await
            .ok()
            .flatten();
        let out = Outgoing {
            recipient: Recipient { contact, phone },
            content: Content {
                body: reply,
                template_id: None,
                purpose: Purpose::Transactional,
                quiet_hours: false,
            },
            booking_id: None,
            not_after: None,
            reply: true,
            sent_by: Actor::System,
        };
        api.queue(tx, &org, &out).await?;
        api.wake_sender();
        Ok(())
    }
}
