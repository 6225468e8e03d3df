//! `MessagingService` over gRPC: the tonic adapter only. Each call reads
//! its caller (and idempotency key) and hands the request to its feature:
//! [`crate::emails`], [`crate::outbound`], [`crate::templates`],
//! [`crate::conversations`], [`crate::consent`], [`crate::mailchimp`]. The
//! consumers share the same [`Api`].

use std::sync::Arc;

use attend_kit::Error;
use attend_kit::bus::outbox::Outbox;
use attend_kit::clock::SharedClock;
use attend_kit::contact_point::{Email, Phone};
use attend_kit::db::Db;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, Traced, idempotency_key, request};
use attend_kit::ids::{ContactId, TypedId};
use attend_kit::orgs::Directory;
use attend_proto::contact::v1 as contact;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::messaging::v1 as pb;
use attend_proto::messaging::v1::messaging_service_server::MessagingService;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use crate::Settings;
use crate::templates::Seeded;

/// What the handlers and consumers share.
#[derive(Clone)]
pub struct Api {
    pub db: Db,
    pub outbox: Outbox,
    /// Organisations' settings (time zone, template values, quiet hours).
    pub orgs: Directory,
    /// Who a message is for: a contact's name and phone, the contact a
    /// number belongs to.
    pub contacts: ContactServiceClient<Traced>,
    pub clock: SharedClock,
    pub seeded: Arc<Seeded>,
    pub settings: Arc<Settings>,
    /// Rung when an SMS is queued, so the sender needn't wait for its poll.
    pub sender: Arc<Notify>,
    /// The MailChimp audience, when configured.
    pub mailchimp: Option<Arc<crate::mailchimp::client::Client>>,
}

impl Api {
    pub(crate) fn wake_sender(&self) {
        self.sender.notify_one();
    }

    /// A contact, as the caller may see it.
    pub(crate) async fn contact(&self, caller: &Caller, id: ContactId) -> Result<contact::Contact, Error> {
        self.contacts
            .clone()
            .get_contact(request(
                contact::GetContactRequest {
                    id: id.uuid().to_string(),
                },
                caller,
            ))
            .await
            .into_answer("contact")
    }

    /// The contact with this email, if there is one.
    pub(crate) async fn contact_by_email(&self, caller: &Caller, email: &Email) -> Result<Option<ContactId>, Error> {
        contact_id(self.contact_with_email(caller, email).await?)
    }

    /// The contact with this email, whole, if there is one.
    pub(crate) async fn contact_with_email(
        &self,
        caller: &Caller,
        email: &Email,
    ) -> Result<Option<contact::Contact>, Error> {
        self.find_one(
            caller,
            contact::FindContactsRequest {
                email: email.to_string(),
                ..Default::default()
            },
        )
        .await
    }

    /// The contact with this phone, if there is one.
    pub(crate) async fn contact_by_phone(&self, caller: &Caller, phone: &Phone) -> Result<Option<ContactId>, Error> {
        contact_id(self.contact_with_phone(caller, phone).await?)
    }

    /// The contact with this phone, whole, if there is one.
    pub(crate) async fn contact_with_phone(
        &self,
        caller: &Caller,
        phone: &Phone,
    ) -> Result<Option<contact::Contact>, Error> {
        self.find_one(
            caller,
            contact::FindContactsRequest {
                phone: phone.to_string(),
                ..Default::default()
            },
        )
        .await
    }

    /// The first contact the contact service finds.
    async fn find_one(
        &self,
        caller: &Caller,
        find: contact::FindContactsRequest,
    ) -> Result<Option<contact::Contact>, Error> {
        let found = self
            .contacts
            .clone()
            .find_contacts(request(find, caller))
            .await
            .into_answer("contact")?;
        Ok(found.contacts.into_iter().next())
    }
}

/// The id of a contact the contact service answered.
pub(crate) fn contact_id(person: Option<contact::Contact>) -> Result<Option<ContactId>, Error> {
    person
        .map(|c| ContactId::parse_uuid(&c.id))
        .transpose()
        .map_err(|e| Error::Internal(anyhow::anyhow!("contact returned a bad id: {e}")))
}

type Reply<T> = Result<Response<T>, Status>;

fn reply<T>(answer: Result<T, Error>) -> Reply<T> {
    Ok(Response::new(answer?))
}

#[tonic::async_trait]
impl MessagingService for Api {
    async fn send_email(&self, request: Request<pb::SendEmailRequest>) -> Reply<pb::OutboundEmail> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        reply(self.send_email(caller, key, request.into_inner()).await)
    }

    async fn list_emails(&self, request: Request<pb::ListEmailsRequest>) -> Reply<pb::ListEmailsResponse> {
        let caller = Caller::of(&request)?;
        reply(self.list_emails(caller, request.into_inner()).await)
    }

    async fn send_sms(&self, request: Request<pb::SendSmsRequest>) -> Reply<pb::SmsMessage> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        reply(self.send_sms(caller, key, request.into_inner()).await)
    }

    async fn list_templates(&self, request: Request<pb::ListTemplatesRequest>) -> Reply<pb::ListTemplatesResponse> {
        let caller = Caller::of(&request)?;
        reply(self.list_templates(caller).await)
    }

    async fn put_template(&self, request: Request<pb::PutTemplateRequest>) -> Reply<pb::Template> {
        let caller = Caller::of(&request)?;
        reply(self.put_template(caller, request.into_inner()).await)
    }

    async fn preview_template(&self, request: Request<pb::PreviewTemplateRequest>) -> Reply<pb::Preview> {
        let caller = Caller::of(&request)?;
        reply(self.preview_template(caller, request.into_inner()).await)
    }

    async fn list_conversations(
        &self,
        request: Request<pb::ListConversationsRequest>,
    ) -> Reply<pb::ListConversationsResponse> {
        let caller = Caller::of(&request)?;
        reply(self.list_conversations(caller, request.into_inner()).await)
    }

    async fn get_conversation(
        &self,
        request: Request<pb::GetConversationRequest>,
    ) -> Reply<pb::GetConversationResponse> {
        let caller = Caller::of(&request)?;
        reply(self.get_conversation(caller, request.into_inner()).await)
    }

    async fn mark_conversation_read(
        &self,
        request: Request<pb::MarkConversationReadRequest>,
    ) -> Reply<pb::Conversation> {
        let caller = Caller::of(&request)?;
        reply(self.mark_conversation_read(caller, request.into_inner()).await)
    }

    async fn assign_conversation(&self, request: Request<pb::AssignConversationRequest>) -> Reply<pb::Conversation> {
        let caller = Caller::of(&request)?;
        reply(self.assign_conversation(caller, request.into_inner()).await)
    }

    async fn set_consent(&self, request: Request<pb::SetConsentRequest>) -> Reply<pb::Consent> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        reply(self.set_consent(caller, key, request.into_inner()).await)
    }

    async fn list_consents(&self, request: Request<pb::ListConsentsRequest>) -> Reply<pb::ListConsentsResponse> {
        let caller = Caller::of(&request)?;
        reply(self.list_consents(caller, request.into_inner()).await)
    }

    async fn sync_mailchimp(&self, request: Request<pb::SyncMailchimpRequest>) -> Reply<pb::SyncMailchimpResponse> {
        let caller = Caller::of(&request)?;
        reply(self.sync_mailchimp(caller, request.into_inner()).await)
    }
}
