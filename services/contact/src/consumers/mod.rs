//! The NATS consumers of contact, one file each, named by what they do:
//!
//! - [`timeline`]: booking events become touchpoints on the timeline;
//! - [`leads`]: leads from chat flows and forms (`ingest.lead_received`);
//! - [`texts`]: inbound texts (`ingest.sms_received`);
//! - [`messages`]: the practice's own SMS, sent, delivered or failed, and
//!   its email opened, clicked or bounced (`messaging.*`).
//!
//! Leads and texts share one rule, here: the person with this phone (else
//! this email) gets the touchpoints; nobody has it, a lead is opened.

pub(crate) mod leads;
pub(crate) mod messages;
pub(crate) mod texts;
pub(crate) mod timeline;

use attend_kit::bus::consumer::{HandleError, Received};
use attend_kit::contact_point::{Email, Phone, Region};
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::ids::{OrgId, TypedId};
use chrono::Utc;
use serde_json::json;

use crate::leads::{Opening, Touch, open, record_all};
use crate::store::{self, Blanks, ContactRow, NewContact};
use crate::touch::Recorder;

pub(crate) fn reject(why: String) -> HandleError {
    HandleError::Reject(anyhow::anyhow!(why))
}

/// Ingest sends E.164 and normalised emails; empty is none.
pub(crate) fn phone(text: &str) -> Result<Option<Phone>, HandleError> {
    match text {
        "" => Ok(None),
        e164 => Phone::parse(e164, Region::default())
            .map(Some)
            .map_err(|why| reject(format!("phone {why}"))),
    }
}

pub(crate) fn email(text: &str) -> Result<Option<Email>, HandleError> {
    match text {
        "" => Ok(None),
        text => Email::parse(text)
            .map(Some)
            .map_err(|why| reject(format!("email {why}"))),
    }
}

pub(crate) fn provider_label(provider: &str) -> &'static str {
    match provider {
        "clicksend" => "ClickSend",
        "twilio" => "Twilio",
        "manychat" => "ManyChat",
        _ => "Web form",
    }
}

/// Matches whoever reached out, or opens a lead for them.
#[derive(Clone)]
pub(crate) struct Inbound {
    pub recorder: Recorder,
}

impl Inbound {
    /// The contact with this phone, else (without a phone) this email.
    async fn find(
        &self,
        tx: &mut Tx,
        org: OrgId,
        phone: Option<&Phone>,
        email: Option<&Email>,
    ) -> Result<Option<ContactRow>, HandleError> {
        Ok(match (phone, email) {
            (Some(phone), _) => store::by_phone(tx, org, phone).await?,
            (None, Some(email)) => {
                store::lock_email(tx, org, email).await?;
                store::by_email(tx, org, email).await?
            }
            (None, None) => None,
        })
    }

    /// Records the touches on whoever has this phone or email, opening a
    /// lead when nobody does.
    pub(crate) async fn touch_or_open(
        &self,
        tx: &mut Tx,
        event: &Received,
        new: NewContact,
        touches: Vec<Touch>,
    ) -> Result<(), HandleError> {
        let org = event.org;
        let cause = Some(&event.envelope);
        if let Some(found) = self.find(tx, org, new.phone.as_ref(), new.email.as_ref()).await? {
            return self.touch_existing(tx, event, found, &new, &touches).await;
        }
        let at = touches.first().map_or_else(Utc::now, |t| t.occurred_at);
        let via = touches.first().map_or("lead_created", |t| t.kind);
        let mut all = touches.clone();
        all.push(Touch {
            kind: "lead_created",
            occurred_at: at,
            source: new.source.clone(),
            channel: None,
            details: json!({ "intent": new.intent, "created_by": "system" }),
            is_attribution_event: true,
            source_event_id: Some(event.id.uuid()),
        });
        let opening = Opening {
            contact: new.clone(),
            touches: all,
            via,
        };
        match open(&self.recorder, tx, org, &Caller::system(org), &opening, cause).await? {
            Some(_) => Ok(()),
            None => {
                // Someone took the phone a moment ago: it is theirs now.
                let found = self
                    .find(tx, org, new.phone.as_ref(), new.email.as_ref())
                    .await?
                    .ok_or_else(|| {
                        HandleError::Retry(anyhow::anyhow!("the contact with this phone is not visible yet"))
                    })?;
                self.touch_existing(tx, event, found, &new, &touches).await
            }
        }
    }

    async fn touch_existing(
        &self,
        tx: &mut Tx,
        event: &Received,
        found: ContactRow,
        new: &NewContact,
        touches: &[Touch],
    ) -> Result<(), HandleError> {
        let org = event.org;
        let blanks = Blanks {
            email: new.email.as_ref(),
            intent: new.intent,
            source_kind: new.source_kind.map(|k| (new.source.as_str(), k)),
        };
        let filled = store::fill_blanks(tx, org, found.id, &blanks).await?.is_some();
        let contact = found.contact_id();
        record_all(&self.recorder, tx, org, contact, touches, Some(&event.envelope)).await?;
        if filled {
            // A new intent or scored source moves the score.
            self.recorder.rescore(tx, org, contact, Some(&event.envelope)).await?;
        }
        Ok(())
    }
}
