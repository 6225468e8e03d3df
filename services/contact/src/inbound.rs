//! People reaching out: leads from chat flows and forms, texts, and
//! delivery reports, as ingest publishes them.
//!
//! - `ingest.lead_received`: the person is matched by phone, then email,
//!   or a lead is opened. ManyChat gives a `manychat_*` touchpoint; a form
//!   gives `ad_click` (when the visit was tagged or came from an ad) and
//!   `form_submit`, with campaign, source and medium. A new lead also gets
//!   `lead_created`. Intent and the scored kind of the channel fill blanks.
//! - `ingest.sms_received`: an `sms_received` touchpoint on the sender; a
//!   number nobody has opens a lead.
//! - `ingest.sms_status`: `sms_delivered` / `sms_failed` on the recipient
//!   when the provider names one (Twilio does; ClickSend receipts name only
//!   the message, which messaging matches).

use attend_kit::bus::Event;
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::contact_point::{Email, Phone, Region};
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_proto::ingest::v1::{LeadReceived, SmsReceived, SmsStatusReported};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::channel::{self, Channel};
use crate::leads::{self, Opening, Touch};
use crate::store::{self, Blanks, ContactRow, NewContact};
use crate::touch::Recorder;
use crate::warmness::{Intent, SourceKind};

pub const LEADS: Spec = Spec {
    purpose: "leads",
    events: "ingest.lead_received",
};
pub const TEXTS: Spec = Spec {
    purpose: "texts",
    events: "ingest.sms_received",
};
pub const REPORTS: Spec = Spec {
    purpose: "reports",
    events: "ingest.sms_status",
};

#[derive(Clone)]
pub struct Inbound {
    pub recorder: Recorder,
}

fn reject(why: String) -> HandleError {
    HandleError::Reject(anyhow::anyhow!(why))
}

/// Ingest sends E.164 and normalised emails; empty is none.
fn phone(text: &str) -> Result<Option<Phone>, HandleError> {
    match text {
        "" => Ok(None),
        e164 => Phone::parse(e164, Region::default())
            .map(Some)
            .map_err(|why| reject(format!("phone {why}"))),
    }
}

fn email(text: &str) -> Result<Option<Email>, HandleError> {
    match text {
        "" => Ok(None),
        text => Email::parse(text)
            .map(Some)
            .map_err(|why| reject(format!("email {why}"))),
    }
}

fn provider_label(provider: &str) -> &'static str {
    match provider {
        "clicksend" => "ClickSend",
        "twilio" => "Twilio",
        "manychat" => "ManyChat",
        _ => "Web form",
    }
}

/// The ManyChat touchpoint type for a flow event.
pub fn manychat_touch(event: &str) -> &'static str {
    match event {
        "flow_completed" | "flow_complete" => "manychat_flow_complete",
        "subscribed" | "subscribe" | "new_subscriber" => "manychat_subscribe",
        "button_clicked" | "button_click" => "manychat_button_click",
        _ => "manychat_interaction",
    }
}

/// The channel a lead came through.
pub fn lead_channel(e: &LeadReceived) -> Channel {
    if e.provider == "manychat" {
        let mut channel = channel::from_label("ManyChat");
        if manychat_touch(&e.event) == "manychat_flow_complete" {
            channel.kind = Some(SourceKind::ManychatCompleted);
        }
        return channel;
    }
    let utm = e.utm.clone().unwrap_or_default();
    if !utm.source.is_empty() {
        channel::from_utm(&utm.source, &utm.medium, true)
    } else if !e.source.is_empty() {
        channel::from_label(&e.source)
    } else {
        channel::from_label("Website")
    }
}

/// The touchpoints a lead event makes, in order.
pub fn lead_touches(e: &LeadReceived, channel: &Channel, at: DateTime<Utc>, event_id: uuid::Uuid) -> Vec<Touch> {
    let touch = |kind, channel_name: &str, details| Touch {
        kind,
        occurred_at: at,
        source: channel.name.clone(),
        channel: Some(channel_name.to_owned()).filter(|c| !c.is_empty()),
        details,
        is_attribution_event: true,
        source_event_id: Some(event_id),
    };
    if e.provider == "manychat" {
        return vec![touch(
            manychat_touch(&e.event),
            &e.flow_name,
            json!({
                "event": e.event,
                "flow": e.flow_name,
                "buttons_clicked": e.buttons_clicked,
                "intent": e.intent,
                "subscriber_id": e.external_contact_id,
            }),
        )];
    }
    let utm = e.utm.clone().unwrap_or_default();
    let mut touches = Vec::new();
    if !utm.source.is_empty() || !e.click_id.is_empty() {
        touches.push(touch(
            "ad_click",
            &utm.campaign,
            json!({
                "campaign": utm.campaign,
                "source": utm.source,
                "medium": utm.medium,
                "term": utm.term,
                "content": utm.content,
                "click_id": e.click_id,
            }),
        ));
    }
    touches.push(touch(
        "form_submit",
        &e.form_name,
        json!({
            "form": e.form_name,
            "page_url": e.page_url,
            "message": e.message,
            "campaign": utm.campaign,
            "source": utm.source,
            "medium": utm.medium,
        }),
    ));
    touches
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
    async fn touch_or_open(
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
        match leads::open(&self.recorder, tx, org, &Caller::system(org), &opening, cause).await? {
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
        leads::record_all(&self.recorder, tx, org, contact, touches, Some(&event.envelope)).await?;
        if filled {
            // A new intent or scored source moves the score.
            self.recorder.rescore(tx, org, contact, Some(&event.envelope)).await?;
        }
        Ok(())
    }

    async fn lead(&self, tx: &mut Tx, event: &Received, e: LeadReceived) -> Result<(), HandleError> {
        let at = e.occurred_at.as_ref().and_then(from_timestamp).unwrap_or_else(Utc::now);
        let channel = lead_channel(&e);
        let touches = lead_touches(&e, &channel, at, event.id.uuid());
        let phone = phone(&e.phone)?;
        let email = email(&e.email)?;
        if phone.is_none() && email.is_none() {
            return Err(reject("a lead with neither phone nor email".to_owned()));
        }
        let name = Some(e.name.trim().to_owned())
            .filter(|n| !n.is_empty())
            .or_else(|| phone.as_ref().map(ToString::to_string))
            .or_else(|| email.as_ref().map(ToString::to_string))
            .unwrap_or_default();
        let new = NewContact {
            name: name.chars().take(200).collect(),
            phone,
            email,
            source: channel.name.clone(),
            source_kind: channel.kind.map(SourceKind::as_str),
            intent: Intent::read(&e.intent).map(Intent::as_str),
        };
        self.touch_or_open(tx, event, new, touches).await
    }

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

impl Handler for Inbound {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let t = event.envelope.r#type.as_str();
        if t == LeadReceived::TYPE {
            self.lead(tx, event, event.payload()?).await
        } else if t == SmsReceived::TYPE {
            self.text(tx, event, event.payload()?).await
        } else if t == SmsStatusReported::TYPE {
            self.report(tx, event, event.payload()?).await
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attend_proto::ingest::v1::Utm;

    #[test]
    fn a_tagged_form_is_an_ad_click_then_a_submission() {
        let e = LeadReceived {
            provider: "form".to_owned(),
            event: "form_submit".to_owned(),
            utm: Some(Utm {
                source: "facebook".to_owned(),
                medium: "paid_social".to_owned(),
                campaign: "High Risk Awareness".to_owned(),
                ..Utm::default()
            }),
            form_name: "Skin check".to_owned(),
            ..LeadReceived::default()
        };
        let channel = lead_channel(&e);
        assert_eq!(channel.name, "Meta Ads");
        assert_eq!(channel.kind, Some(SourceKind::MetaForm));
        let touches = lead_touches(&e, &channel, Utc::now(), uuid::Uuid::now_v7());
        let kinds: Vec<&str> = touches.iter().map(|t| t.kind).collect();
        assert_eq!(kinds, ["ad_click", "form_submit"]);
        assert_eq!(touches[0].channel.as_deref(), Some("High Risk Awareness"));
        assert_eq!(touches[0].details["medium"], "paid_social");
    }

    #[test]
    fn an_untagged_form_is_only_a_submission_from_its_stated_source() {
        let e = LeadReceived {
            provider: "form".to_owned(),
            source: "GP referral".to_owned(),
            ..LeadReceived::default()
        };
        let channel = lead_channel(&e);
        assert_eq!(
            (channel.name.as_str(), channel.kind),
            ("Referral", Some(SourceKind::Referral))
        );
        let kinds: Vec<&str> = lead_touches(&e, &channel, Utc::now(), uuid::Uuid::now_v7())
            .iter()
            .map(|t| t.kind)
            .collect();
        assert_eq!(kinds, ["form_submit"]);
        let none = LeadReceived {
            provider: "form".to_owned(),
            ..LeadReceived::default()
        };
        assert_eq!(lead_channel(&none).name, "Website");
    }

    #[test]
    fn a_completed_manychat_flow_scores_as_such() {
        let e = LeadReceived {
            provider: "manychat".to_owned(),
            event: "flow_completed".to_owned(),
            ..LeadReceived::default()
        };
        assert_eq!(lead_channel(&e).kind, Some(SourceKind::ManychatCompleted));
        assert_eq!(manychat_touch("subscribed"), "manychat_subscribe");
        assert_eq!(manychat_touch("opened"), "manychat_interaction");
        let subscribed = LeadReceived {
            event: "subscribed".to_owned(),
            ..e
        };
        assert_eq!(lead_channel(&subscribed).kind, None);
    }
}
