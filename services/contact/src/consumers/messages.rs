//! The messages the practice sent, on the timeline (`messaging.*`):
//! `sms_sent` when a provider took one, `sms_delivered` on its receipt,
//! `sms_failed` when it failed, was blocked (the person opted out) or was
//! skipped (quiet hours would have made it late). Messaging knows whose
//! message it was; a message to a number no contact has makes no
//! touchpoint. (Texts people send us come from ingest: [`super::texts`].)
//!
//! Email, as the provider reports it: `email_opened` and `email_clicked`
//! (spec 000's types; an open scores as the warmness signal `email_open`),
//! and `email_bounced` when the recipient's server refused it or the
//! provider dropped it (spec 000 names no type for that; this follows its
//! `sms_failed`'s lead). An email to an address no contact has (a user's
//! invitation) makes no touchpoint.

use attend_kit::bus::Event;
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::from_timestamp;
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, TypedId};
use attend_proto::messaging::v1 as messaging;
use chrono::Utc;
use serde_json::json;

use super::provider_label;
use crate::leads::{self, Touch};

pub(crate) const SPEC: Spec = Spec {
    purpose: "messages",
    events: "messaging.>",
};

#[derive(Clone)]
pub(crate) struct Messages(pub crate::touch::Recorder);

impl Handler for Messages {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let t = event.envelope.r#type.as_str();
        let (kind, message) = if t == messaging::SmsSent::TYPE {
            ("sms_sent", event.payload::<messaging::SmsSent>()?.message)
        } else if t == messaging::SmsDelivered::TYPE {
            ("sms_delivered", event.payload::<messaging::SmsDelivered>()?.message)
        } else if t == messaging::SmsFailed::TYPE {
            ("sms_failed", event.payload::<messaging::SmsFailed>()?.message)
        } else if t == messaging::EmailOpened::TYPE {
            return self
                .email(
                    "email_opened",
                    event.payload::<messaging::EmailOpened>()?.activity,
                    tx,
                    event,
                )
                .await;
        } else if t == messaging::EmailClicked::TYPE {
            return self
                .email(
                    "email_clicked",
                    event.payload::<messaging::EmailClicked>()?.activity,
                    tx,
                    event,
                )
                .await;
        } else if t == messaging::EmailBounced::TYPE {
            return self
                .email(
                    "email_bounced",
                    event.payload::<messaging::EmailBounced>()?.activity,
                    tx,
                    event,
                )
                .await;
        } else {
            return Ok(());
        };
        let Some(m) = message else {
            return Err(HandleError::Reject(anyhow::anyhow!("{t} without its message")));
        };
        let Ok(contact) = ContactId::parse_uuid(&m.contact_id) else {
            return Ok(());
        };
        let at = event
            .envelope
            .occurred_at
            .as_ref()
            .and_then(from_timestamp)
            .unwrap_or_else(Utc::now);
        let touch = Touch {
            kind,
            occurred_at: at,
            source: "SMS".to_owned(),
            channel: (!m.provider.is_empty()).then(|| provider_label(&m.provider).to_owned()),
            details: json!({
                "message_id": m.id,
                "template_id": m.template_id,
                "status": m.status,
                "reason": m.status_reason,
                "provider_message_id": m.provider_message_id,
                "body": m.body,
            }),
            is_attribution_event: false,
            source_event_id: Some(event.id.uuid()),
        };
        leads::record_all(&self.0, tx, event.org, contact, &[touch], Some(&event.envelope)).await?;
        Ok(())
    }
}

impl Messages {
    /// An email the provider reported opened, clicked or bounced.
    async fn email(
        &self,
        kind: &'static str,
        activity: Option<messaging::EmailActivity>,
        tx: &mut Tx,
        event: &Received,
    ) -> Result<(), HandleError> {
        let Some(a) = activity else {
            return Err(HandleError::Reject(anyhow::anyhow!(
                "{} without its activity",
                event.envelope.r#type
            )));
        };
        let Ok(contact) = ContactId::parse_uuid(&a.contact_id) else {
            return Ok(());
        };
        let at = a
            .occurred_at
            .as_ref()
            .or(event.envelope.occurred_at.as_ref())
            .and_then(from_timestamp)
            .unwrap_or_else(Utc::now);
        let touch = Touch {
            kind,
            occurred_at: at,
            source: "Email".to_owned(),
            channel: (!a.provider.is_empty()).then(|| email_provider_label(&a.provider).to_owned()),
            details: json!({
                "email_id": a.email_id,
                "to": a.to,
                "template": a.template,
                "category": a.category,
                "event": a.event,
                "url": a.url,
                "reason": a.reason,
                "bounce_type": a.bounce_type,
                "provider_message_id": a.provider_message_id,
            }),
            is_attribution_event: false,
            source_event_id: Some(event.id.uuid()),
        };
        leads::record_all(&self.0, tx, event.org, contact, &[touch], Some(&event.envelope)).await?;
        Ok(())
    }
}

fn email_provider_label(provider: &str) -> &'static str {
    match provider {
        "sendgrid" => "SendGrid",
        "smtp" => "SMTP",
        _ => "Email",
    }
}
