//! What the email provider reported about our emails (`ingest.email_event`,
//! SendGrid's Event Webhook through ingest) becomes facts:
//!
//! | provider's event | on the email | published |
//! | --- | --- | --- |
//! | `delivered` | `delivered`, `delivered_at` (unless it bounced or failed already) | `messaging.email_delivered` |
//! | `open` | — | `messaging.email_opened` |
//! | `click` | — | `messaging.email_clicked`, with the link |
//! | `bounce` | `bounced`, with the reason | `messaging.email_bounced` |
//! | `dropped` | `failed`, with the reason | `messaging.email_bounced` (event `dropped`) |
//! | `unsubscribe`, `group_unsubscribe`, `spamreport` | — | an email opt-out in the consent ledger (`messaging.consent_changed`) |
//! | `processed`, `deferred` | — | nothing: still on its way |
//!
//! The email is found by our id (`reference`, SendGrid's `attend_id`), in
//! the organisation's transaction; an event whose email isn't found (not
//! ours, or another organisation's) still counts for its address. Each
//! fact carries the contact whose email this is, asked of the contact
//! service; a user's invitation or reset link has none, which is fine:
//! the fact then names no contact and makes no touchpoint.

use attend_kit::actor::Actor;
use attend_kit::bus::Draft;
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::bus::{from_timestamp, timestamp};
use attend_kit::contact_point::Email;
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_proto::ingest::v1::EmailEventReported;
use attend_proto::messaging::v1 as pb;
use uuid::Uuid;

use crate::api::Api;
use crate::consent;
use crate::store::{self, EmailRow, Reported};

pub(crate) const SPEC: Spec = Spec {
    purpose: "emails",
    events: "ingest.email_event",
};

pub(crate) struct EmailEvents(pub Api);

/// Which fact an event becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fact {
    Delivered,
    Opened,
    Clicked,
    Bounced,
}

/// What an event means, by the provider's word for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Fact(Fact),
    OptOut,
    Nothing,
}

fn meaning(event: &str) -> Meaning {
    match event {
        "delivered" => Meaning::Fact(Fact::Delivered),
        "open" => Meaning::Fact(Fact::Opened),
        "click" => Meaning::Fact(Fact::Clicked),
        "bounce" | "dropped" => Meaning::Fact(Fact::Bounced),
        "unsubscribe" | "group_unsubscribe" | "spamreport" => Meaning::OptOut,
        _ => Meaning::Nothing,
    }
}

impl Handler for EmailEvents {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let e: EmailEventReported = event.payload()?;
        let api = &self.0;
        let org = event.org;
        let what = meaning(&e.event);
        if what == Meaning::Nothing {
            return Ok(());
        }
        let at = e
            .occurred_at
            .as_ref()
            .and_then(from_timestamp)
            .unwrap_or_else(|| api.clock.now());
        let row = match Uuid::parse_str(&e.reference) {
            Ok(id) => store::email(tx, id).await?,
            Err(_) => None,
        };
        // The address: the email's own, else the one the provider names.
        let to = match &row {
            Some(row) => Email::parse(row.to_address()).ok(),
            None => Email::parse(&e.email).ok(),
        };
        let Some(to) = to else {
            return Err(HandleError::Reject(anyhow::anyhow!(
                "an email event with no email of ours and no readable address"
            )));
        };
        let contact = api.contact_by_email(&Caller::system(org), &to).await?;
        let fact = match what {
            Meaning::Fact(fact) => fact,
            Meaning::OptOut => {
                let already = store::consent(tx, org, "email", to.as_str())
                    .await?
                    .is_some_and(|c| c.state == "opted_out");
                if !already {
                    let detail = format!("{} {}", e.provider, e.event);
                    consent::record(
                        tx,
                        &api.outbox,
                        org,
                        &consent::Change {
                            channel: "email",
                            address: to.as_str(),
                            contact,
                            opted_in: false,
                            how: "provider",
                            detail: &detail,
                            actor: &Actor::provider(&e.provider).to_string(),
                            at,
                        },
                    )
                    .await?;
                }
                return Ok(());
            }
            Meaning::Nothing => return Ok(()),
        };
        let reason = e.reason.trim();
        let report = match (fact, e.event.as_str()) {
            (Fact::Delivered, _) => Some(Reported::Delivered { at }),
            (Fact::Bounced, "dropped") => Some(Reported::Dropped { reason }),
            (Fact::Bounced, _) => Some(Reported::Bounced { reason }),
            _ => None,
        };
        let row = match (row, report) {
            (Some(row), Some(report)) => store::record_report(tx, row.id(), report).await?,
            (row, _) => row,
        };
        let activity = activity(
            &e,
            row.as_ref(),
            &to,
            contact.map(|c| attend_kit::ids::TypedId::uuid(&c)),
            at,
        );
        let draft = match fact {
            Fact::Delivered => Draft::new(org, &pb::EmailDelivered { activity }),
            Fact::Opened => Draft::new(org, &pb::EmailOpened { activity }),
            Fact::Clicked => Draft::new(org, &pb::EmailClicked { activity }),
            Fact::Bounced => Draft::new(org, &pb::EmailBounced { activity }),
        };
        let draft = match contact {
            Some(contact) => draft.about("contact_id", contact),
            None => draft,
        };
        api.outbox.add(tx, draft.caused_by(&event.envelope)).await?;
        Ok(())
    }
}

/// The published activity: the email as we know it, and the event.
fn activity(
    e: &EmailEventReported,
    row: Option<&EmailRow>,
    to: &Email,
    contact: Option<Uuid>,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<pb::EmailActivity> {
    let email = row.map(|r| r.summary());
    Some(pb::EmailActivity {
        email_id: email.as_ref().map(|s| s.id.to_string()).unwrap_or_default(),
        to: to.to_string(),
        contact_id: contact.map(|c| c.to_string()).unwrap_or_default(),
        category: email.as_ref().map(|s| s.category.clone()).unwrap_or_default(),
        template: email.as_ref().map(|s| s.template.clone()).unwrap_or_default(),
        provider: e.provider.clone(),
        provider_message_id: e.message_id.clone(),
        event: e.event.clone(),
        url: e.url.clone(),
        reason: e.reason.clone(),
        bounce_type: e.bounce_type.clone(),
        occurred_at: Some(timestamp(at)),
        provider_event_id: e.event_id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_event_has_one_meaning() {
        assert_eq!(meaning("delivered"), Meaning::Fact(Fact::Delivered));
        assert_eq!(meaning("open"), Meaning::Fact(Fact::Opened));
        assert_eq!(meaning("click"), Meaning::Fact(Fact::Clicked));
        assert_eq!(meaning("bounce"), Meaning::Fact(Fact::Bounced));
        assert_eq!(meaning("dropped"), Meaning::Fact(Fact::Bounced));
        for opt_out in ["unsubscribe", "group_unsubscribe", "spamreport"] {
            assert_eq!(meaning(opt_out), Meaning::OptOut, "{opt_out}");
        }
        for nothing in ["processed", "deferred", "group_resubscribe", ""] {
            assert_eq!(meaning(nothing), Meaning::Nothing, "{nothing}");
        }
    }
}
