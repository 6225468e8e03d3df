//! Urgent care updates reach the family at once: for each linked family
//! member who asked, a text and/or an email through messaging. Neither
//! carries the note's text (a phone's lock screen is not private): they
//! say there is an urgent update and where to read it.
//!
//! Each send carries an idempotency key made of the event and the family
//! member, so a redelivered event sends nothing twice. Messaging applies
//! consent (a STOP is kept) and sends the text even in quiet hours: its
//! `care_urgent_update` template is exempt.

use attend_kit::Error;
use attend_kit::bus::consumer::{HandleError, Handler, Received, Spec};
use attend_kit::db::Tx;
use attend_kit::error::from_status;
use attend_kit::grpc::Traced;
use attend_kit::grpc::{Caller, request, with_idempotency_key};
use attend_kit::ids::{ClientId, TypedId};
use attend_proto::care::v1 as pb;
use attend_proto::contact::v1 as contact;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::messaging::v1 as messaging;
use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;

use crate::store;

pub const SPEC: Spec = Spec {
    purpose: "urgent-updates",
    events: "care.note_urgent",
};

/// The SMS template (messaging's catalogue).
pub const TEMPLATE: &str = "care_urgent_update";

pub struct Urgent {
    pub messaging: MessagingServiceClient<Traced>,
    pub contacts: ContactServiceClient<Traced>,
    /// Where the portal is, for the email.
    pub portal_url: String,
}

/// What a refused send means for the event: a recipient who can't be
/// reached is skipped; an unreachable peer is retried.
fn skip_or_retry(e: Error, what: &str) -> Result<(), HandleError> {
    match e {
        Error::Invalid(_) | Error::NotFound(_) | Error::Forbidden(_) | Error::Conflict(_) => {
            tracing::warn!(error = %e, "urgent update: {what} skipped");
            Ok(())
        }
        other => Err(HandleError::from(other)),
    }
}

impl Handler for Urgent {
    async fn handle(&self, tx: &mut Tx, event: &Received) -> Result<(), HandleError> {
        let note: pb::NoteUrgent = event.payload()?;
        let org = event.org;
        let client_id =
            ClientId::parse_uuid(&note.client_id).map_err(|e| HandleError::Reject(anyhow::Error::new(e)))?;
        let Some(client) = store::client(tx, org, client_id).await? else {
            return Err(HandleError::Reject(anyhow::anyhow!("no client {client_id}")));
        };
        let family = store::family(tx, org, client_id).await?;
        let system = Caller::system(org);
        for member in family.into_iter().filter(|m| m.notify_sms || m.notify_email) {
            let Some(contact_id) = member.contact_id else {
                continue;
            };
            if member.notify_sms {
                let call = request(
                    messaging::SendSmsRequest {
                        contact_id: contact_id.to_string(),
                        template_id: TEMPLATE.to_owned(),
                        values: [("client_name".to_owned(), client.name.clone())].into(),
                        purpose: "transactional".to_owned(),
                        ..Default::default()
                    },
                    &system,
                );
                let call = with_idempotency_key(call, &format!("care-urgent:{}:{}:sms", event.id.uuid(), member.id))?;
                if let Err(status) = self.messaging.clone().send_sms(call).await {
                    skip_or_retry(from_status(status, "messaging"), "text")?;
                }
            }
            if member.notify_email {
                let person = match self
                    .contacts
                    .clone()
                    .get_contact(request(
                        contact::GetContactRequest {
                            id: contact_id.to_string(),
                        },
                        &system,
                    ))
                    .await
                {
                    Ok(p) => p.into_inner(),
                    Err(status) => {
                        skip_or_retry(from_status(status, "contact"), "email (contact)")?;
                        continue;
                    }
                };
                if person.email.trim().is_empty() {
                    tracing::warn!(family_member = %member.id, "urgent update: email skipped, the contact has no address");
                    continue;
                }
                let call = request(
                    messaging::SendEmailRequest {
                        to: person.email.clone(),
                        subject: format!("Urgent care update about {}", client.name),
                        body_text: format!(
                            "There is an urgent care update about {}.\n\nPlease sign in to the family portal to read it: {}\n",
                            client.name, self.portal_url
                        ),
                        category: "care_urgent".to_owned(),
                        ..Default::default()
                    },
                    &system,
                );
                let call = with_idempotency_key(call, &format!("care-urgent:{}:{}:email", event.id.uuid(), member.id))?;
                if let Err(status) = self.messaging.clone().send_email(call).await {
                    skip_or_retry(from_status(status, "messaging"), "email")?;
                }
            }
        }
        Ok(())
    }
}
