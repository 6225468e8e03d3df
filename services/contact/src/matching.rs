//! `MatchOrCreateContact`: the person a booking is for, by E.164 phone,
//! else by email, or a new contact. Booking calls it for every provider
//! booking; the idempotency key makes its retries harmless.

use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::Draft;
use attend_kit::contact_point::{Email, Phone};
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ContactId, OrgId};
use attend_kit::text::{self, PersonName};
use attend_kit::{Error, FieldError};
use attend_proto::contact::v1 as pb;

use crate::api::Api;
use crate::channel;
use crate::contacts::{parse_email, parse_phone};
use crate::store::{self, Blanks, ContactRow, NewContact};

/// A checked `MatchOrCreateContactRequest`.
struct Match {
    name: String,
    phone: Option<Phone>,
    email: Option<Email>,
    source: String,
}

impl Match {
    fn parse(req: &pb::MatchOrCreateContactRequest, region: attend_kit::contact_point::Region) -> Result<Self, Error> {
        let mut problems = Vec::new();
        let phone = parse_phone(&req.phone, region, &mut problems);
        let email = parse_email(&req.email, &mut problems);
        if req.phone.trim().is_empty() && req.email.trim().is_empty() {
            problems.push(FieldError::new("phone", "a phone or an email is required"));
        }
        let name = text::collect(&mut problems, "name", PersonName::parse_optional(&req.name)).flatten();
        let source = text::collect(&mut problems, "source", text::required_line(&req.source, 100));
        let (Some(source), true) = (source, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        // A booking without a name still needs a person to call.
        let name = match name {
            Some(name) => name.into_string(),
            None => phone
                .as_ref()
                .map(|p| p.to_string())
                .or_else(|| email.as_ref().map(|e| e.to_string()))
                .unwrap_or_default(),
        };
        Ok(Self {
            name,
            phone,
            email,
            source,
        })
    }

    /// The contact with this phone; without a phone, the one with this email.
    async fn find(&self, tx: &mut Tx, org: OrgId) -> Result<Option<ContactRow>, Error> {
        if let Some(phone) = &self.phone {
            // A phone we don't know is a new person even if the email is
            // shared (families share emails).
            return Ok(store::by_phone(tx, org, phone).await?);
        }
        match &self.email {
            Some(email) => Ok(store::by_email(tx, org, email).await?),
            None => Ok(None),
        }
    }
}

impl Api {
    pub(crate) async fn match_or_create(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::MatchOrCreateContactRequest,
    ) -> Result<pb::MatchOrCreateContactResponse, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let wanted = Match::parse(&req, self.region(org).await?)?;
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "MatchOrCreateContact", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let response = self.match_or_create_in(&mut tx, org, &caller, &wanted).await?;
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }

    async fn match_or_create_in(
        &self,
        tx: &mut Tx,
        org: OrgId,
        caller: &Caller,
        wanted: &Match,
    ) -> Result<pb::MatchOrCreateContactResponse, Error> {
        if let (None, Some(email)) = (&wanted.phone, &wanted.email) {
            store::lock_email(tx, org, email).await?;
        }
        let mut created = false;
        let mut row = wanted.find(tx, org).await?;
        if row.is_none() {
            let channel = channel::from_label(&wanted.source);
            let new = NewContact {
                name: wanted.name.clone(),
                phone: wanted.phone.clone(),
                email: wanted.email.clone(),
                source: channel.name,
                source_kind: channel.kind.map(|k| k.as_str()),
                intent: None,
            };
            row = store::insert(tx, org, &new).await?;
            created = row.is_some();
            if row.is_none() {
                // Lost a race on the phone: the winner's row is committed now.
                row = wanted.find(tx, org).await?;
            }
        } else if let Some(existing) = &row
            && let Some(filled) = store::fill_blanks(
                tx,
                org,
                existing.id,
                &Blanks {
                    email: wanted.email.as_ref(),
                    ..Blanks::default()
                },
            )
            .await?
        {
            audit::record(
                &self.outbox,
                tx,
                caller,
                Entry::on("contact.update", "contact", ContactId::from(filled.id))
                    .with_details(serde_json::json!({ "filled": ["email"] })),
            )
            .await?;
            row = Some(filled);
        }
        let row = row.ok_or_else(|| anyhow::anyhow!("contact neither matched nor inserted"))?;
        let last_touch = store::last_attribution_source(tx, org, row.id)
            .await?
            .unwrap_or_else(|| row.source.clone());
        let id = row.contact_id();
        let contact = row.into_proto();
        if created {
            let event = pb::ContactCreated {
                contact: Some(contact.clone()),
            };
            self.outbox
                .add(tx, Draft::new(org, &event).about("contact_id", id))
                .await?;
            audit::record(
                &self.outbox,
                tx,
                caller,
                Entry::on("contact.create", "contact", id).with_details(serde_json::json!({ "source": wanted.source })),
            )
            .await?;
        }
        Ok(pb::MatchOrCreateContactResponse {
            contact: Some(contact),
            created,
            last_touch_source: last_touch,
        })
    }
}
