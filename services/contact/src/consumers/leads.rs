//! Leads from chat flows and forms (`ingest.lead_received`): the person is
//! matched by phone, then email, or a lead is opened. ManyChat gives a
//! `manychat_*` touchpoint; a form gives `ad_click` (when the visit was
//! tagged or came from an ad) and `form_submit`, with campaign, source and
//! medium. A new lead also gets `lead_created`. Intent and the scored kind
//! of the channel fill blanks.

use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::TypedId;
use attend_proto::ingest::v1::LeadReceived;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::Inbound;
use super::{email, phone, reject};
use crate::channel::{self, Channel};
use crate::leads::Touch;
use crate::store::NewContact;
use crate::warmness::{Intent, SourceKind};

pub(crate) const SPEC: Spec = Spec {
    purpose: "leads",
    events: "ingest.lead_received",
};

#[derive(Clone)]
pub(crate) struct Leads(pub Inbound);

impl Handler for Leads {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let e: LeadReceived = event.payload()?;
        self.0.lead(tx, event, e).await
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
