//! `ContactService` over gRPC.

use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::Draft;
use attend_kit::bus::outbox::Outbox;
use attend_kit::contact_point::{Email, Phone};
use attend_kit::db::Db;
use attend_kit::grpc::{Caller, idempotency_key};
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_kit::orgs::Directory;
use attend_kit::{Error, FieldError};
use attend_proto::contact::v1 as pb;
use attend_proto::contact::v1::contact_service_server::ContactService;
use tonic::{Request, Response, Status};

use crate::store::{self, NewContact};

pub struct Api {
    pub db: Db,
    pub outbox: Outbox,
    pub orgs: Directory,
}

type Reply<T> = Result<Response<T>, Status>;

/// A checked `MatchOrCreateContactRequest`.
struct Match {
    name: String,
    phone: Option<Phone>,
    email: Option<Email>,
    source: String,
}

impl Api {
    async fn parse_match(&self, org: OrgId, req: &pb::MatchOrCreateContactRequest) -> Result<Match, Error> {
        let region = self.orgs.get(org).await?.phone_region;
        let mut problems = Vec::new();
        let phone = if req.phone.trim().is_empty() {
            None
        } else {
            Phone::parse(&req.phone, region)
                .map_err(|r| problems.push(FieldError::new("phone", r)))
                .ok()
        };
        let email = if req.email.trim().is_empty() {
            None
        } else {
            Email::parse(&req.email)
                .map_err(|r| problems.push(FieldError::new("email", r)))
                .ok()
        };
        if req.phone.trim().is_empty() && req.email.trim().is_empty() {
            problems.push(FieldError::new("phone", "a phone or an email is required"));
        }
        let name = req.name.trim().to_owned();
        if name.chars().count() > 200 {
            problems.push(FieldError::new("name", "must be at most 200 characters"));
        }
        let source = req.source.trim().to_owned();
        if source.is_empty() || source.chars().count() > 100 {
            problems.push(FieldError::new("source", "must be 1-100 characters"));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        // A booking without a name still needs a person to call.
        let name = if name.is_empty() {
            phone
                .as_ref()
                .map(|p| p.to_string())
                .or_else(|| email.as_ref().map(|e| e.to_string()))
                .unwrap_or_default()
        } else {
            name
        };
        Ok(Match {
            name,
            phone,
            email,
            source,
        })
    }

    async fn match_or_create(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::MatchOrCreateContactRequest,
    ) -> Result<pb::MatchOrCreateContactResponse, Error> {
        caller.require_permission(Permission::ContactsWrite)?;
        let org = caller.org()?;
        let wanted = self.parse_match(org, &req).await?;
        let mut tx = self.db.tenant(org).await?;
        let guard = match &key {
            Some(key) => match claim(&mut tx, org, "MatchOrCreateContact", key, &req).await? {
                Claim::Replay(response) => return Ok(response),
                Claim::Fresh(guard) => Some(guard),
            },
            None => None,
        };

        if let (None, Some(email)) = (&wanted.phone, &wanted.email) {
            store::lock_email(&mut tx, org, email).await?;
        }
        let mut created = false;
        let mut row = self.find_match(&mut tx, org, &wanted).await?;
        if row.is_none() {
            let new = NewContact {
                name: wanted.name.clone(),
                phone: wanted.phone.clone(),
                email: wanted.email.clone(),
                source: wanted.source.clone(),
            };
            row = store::insert(&mut tx, org, &new).await?;
            created = row.is_some();
            if row.is_none() {
                // Lost a race on the phone: the winner's row is committed now.
                row = self.find_match(&mut tx, org, &wanted).await?;
            }
        } else if let Some(existing) = &row
            && let Some(filled) = store::fill_blanks(&mut tx, org, existing.id, wanted.email.as_ref()).await?
        {
            audit::record(
                &self.outbox,
                &mut tx,
                &caller,
                Entry::on("contact.update", "contact", ContactId::from(filled.id))
                    .with_details(serde_json::json!({ "filled": ["email"] })),
            )
            .await?;
            row = Some(filled);
        }
        let row = row.ok_or_else(|| anyhow::anyhow!("contact neither matched nor inserted"))?;
        let last_touch = store::last_attribution_source(&mut tx, org, row.id)
            .await?
            .unwrap_or_else(|| row.source.clone());
        let contact = row.into_proto();
        if created {
            let id = ContactId::parse_uuid(&contact.id)?;
            let event = pb::ContactCreated {
                contact: Some(contact.clone()),
            };
            self.outbox
                .add(&mut tx, Draft::new(org, &event).about("contact_id", id))
                .await?;
            audit::record(
                &self.outbox,
                &mut tx,
                &caller,
                Entry::on("contact.create", "contact", id).with_details(serde_json::json!({ "source": wanted.source })),
            )
            .await?;
        }
        let response = pb::MatchOrCreateContactResponse {
            contact: Some(contact),
            created,
            last_touch_source: last_touch,
        };
        if let Some(guard) = guard {
            guard.complete(&mut tx, &response).await?;
        }
        tx.commit().await?;
        Ok(response)
    }

    async fn find_match(
        &self,
        tx: &mut attend_kit::db::Tx,
        org: OrgId,
        wanted: &Match,
    ) -> Result<Option<store::ContactRow>, Error> {
        if let Some(phone) = &wanted.phone {
            if let Some(row) = store::by_phone(tx, org, phone).await? {
                return Ok(Some(row));
            }
            // A phone we don't know: a new person even if the email is
            // shared (families share emails).
            return Ok(None);
        }
        match &wanted.email {
            Some(email) => Ok(store::by_email(tx, org, email).await?),
            None => Ok(None),
        }
    }

    async fn get_contact(&self, caller: Caller, req: pb::GetContactRequest) -> Result<pb::Contact, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid(&req.id).map_err(|_| Error::invalid("id", "is not a contact id"))?;
        let mut tx = self.db.tenant(org).await?;
        let row = store::get(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("contact".to_owned()))?;
        audit::record(&self.outbox, &mut tx, &caller, Entry::on("contact.read", "contact", id)).await?;
        tx.commit().await?;
        Ok(row.into_proto())
    }

    async fn find_contacts(
        &self,
        caller: Caller,
        req: pb::FindContactsRequest,
    ) -> Result<pb::FindContactsResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let region = self.orgs.get(org).await?.phone_region;
        let phone = match req.phone.trim() {
            "" => None,
            raw => Some(Phone::parse(raw, region).map_err(|r| Error::invalid("phone", r))?),
        };
        let email = match req.email.trim() {
            "" => None,
            raw => Some(Email::parse(raw).map_err(|r| Error::invalid("email", r))?),
        };
        if phone.is_none() && email.is_none() {
            return Err(Error::invalid("phone", "give a phone or an email to search by"));
        }
        let mut tx = self.db.tenant(org).await?;
        let rows = store::find(&mut tx, org, phone.as_ref(), email.as_ref()).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry {
                action: "contact.search",
                target_type: "contact",
                target_id: String::new(),
                details: serde_json::json!({ "by": if phone.is_some() { "phone" } else { "email" }, "results": rows.len() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(pb::FindContactsResponse {
            contacts: rows.into_iter().map(store::ContactRow::into_proto).collect(),
        })
    }

    async fn list_touchpoints(
        &self,
        caller: Caller,
        req: pb::ListTouchpointsRequest,
    ) -> Result<pb::ListTouchpointsResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let id =
            ContactId::parse_uuid(&req.contact_id).map_err(|_| Error::invalid("contact_id", "is not a contact id"))?;
        let limit = match req.limit {
            0 => 100,
            n @ 1..=500 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be between 1 and 500")),
        };
        let mut tx = self.db.tenant(org).await?;
        if store::get(&mut tx, org, id).await?.is_none() {
            return Err(Error::NotFound("contact".to_owned()));
        }
        let rows = store::touchpoints(&mut tx, org, id, limit).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("contact.read_timeline", "contact", id),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListTouchpointsResponse {
            touchpoints: rows.into_iter().map(store::TouchpointRow::into_proto).collect(),
        })
    }
}

#[tonic::async_trait]
impl ContactService for Api {
    async fn match_or_create_contact(
        &self,
        request: Request<pb::MatchOrCreateContactRequest>,
    ) -> Reply<pb::MatchOrCreateContactResponse> {
        let caller = Caller::of(&request)?;
        let key = idempotency_key(&request)?;
        Ok(Response::new(
            self.match_or_create(caller, key, request.into_inner()).await?,
        ))
    }

    async fn get_contact(&self, request: Request<pb::GetContactRequest>) -> Reply<pb::Contact> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.get_contact(caller, request.into_inner()).await?))
    }

    async fn find_contacts(&self, request: Request<pb::FindContactsRequest>) -> Reply<pb::FindContactsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.find_contacts(caller, request.into_inner()).await?))
    }

    async fn list_touchpoints(
        &self,
        request: Request<pb::ListTouchpointsRequest>,
    ) -> Reply<pb::ListTouchpointsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.list_touchpoints(caller, request.into_inner()).await?,
        ))
    }
}
