//! Consent: who may be messaged, from the ledger ([`crate::store`]'s
//! `consents`). The newest entry for an address wins. An opt-out comes from
//! a keyword the person texted (STOP and its family), from staff, or from
//! the provider (Twilio's 21610: the number replied STOP to Twilio); an
//! opt-in from START/UNSTOP or staff. Each change is published as
//! `messaging.consent_changed`.
//!
//! Email consent, keyed by the lower-case address, is consent to
//! marketing email: the MailChimp sync ([`crate::mailchimp`]) sends the
//! opted-in to the audience. Transactional email (invitations, reset
//! links, both to users) doesn't ask the ledger. SendGrid's unsubscribe,
//! group unsubscribe and spam report each record an opt-out
//! ([`crate::consumers::emails`]).
//!
//! Staff record consent with `SetConsent` (how: staff, the user as the
//! actor, their reason as the detail) and read it with `ListConsents`.

use attend_kit::Error;
use attend_kit::actor::Actor;
use attend_kit::authz::Permission;
use attend_kit::bus::Draft;
use attend_kit::bus::outbox::Outbox;
use attend_kit::contact_point::{Email, Phone, Region};
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_kit::text;
use attend_proto::contact::v1 as contact;
use attend_proto::messaging::v1 as pb;
use chrono::{DateTime, Utc};

use crate::api::Api;
use crate::store::{self, LedgerEntry, NewConsent};

/// Why SMS to this number is blocked, in words staff can act on; `None`
/// when it may be sent.
pub(crate) async fn sms_blocked(tx: &mut Tx, org: OrgId, phone: &str) -> Result<Option<String>, Error> {
    let Some(entry) = store::consent(tx, org, "sms", phone).await? else {
        return Ok(None);
    };
    if entry.state != "opted_out" {
        return Ok(None);
    }
    let how = match entry.how.as_str() {
        "keyword" => format!("replied {}", entry.detail),
        "provider" => format!("the provider reports an opt-out ({})", entry.detail),
        _ => format!("staff recorded it: {}", entry.detail),
    };
    Ok(Some(format!(
        "the recipient opted out of SMS on {} ({how}); call them instead",
        entry.at.format("%Y-%m-%d")
    )))
}

/// One change of consent.
#[derive(Debug, Clone)]
pub(crate) struct Change<'a> {
    pub channel: &'static str,
    pub address: &'a str,
    pub contact: Option<ContactId>,
    pub opted_in: bool,
    pub how: &'static str,
    pub detail: &'a str,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

/// Records that a provider refused a message because its recipient opted
/// out with the provider (Twilio's 21610): the number is opted out here
/// too, so nothing more is sent to it.
pub(crate) async fn provider_opt_out(
    tx: &mut Tx,
    outbox: &Outbox,
    row: &crate::store::SmsRow,
    provider: &str,
    code: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), Error> {
    let detail = format!("{provider} {code}");
    let actor = attend_kit::actor::Actor::provider(provider).to_string();
    record(
        tx,
        outbox,
        row.org(),
        &Change {
            channel: "sms",
            address: &row.to_number,
            contact: row.contact(),
            opted_in: false,
            how: "provider",
            detail: &detail,
            actor: &actor,
            at,
        },
    )
    .await
}

/// Records a change in the ledger and publishes it.
pub(crate) async fn record(tx: &mut Tx, outbox: &Outbox, org: OrgId, c: &Change<'_>) -> Result<(), Error> {
    let state = if c.opted_in { "opted_in" } else { "opted_out" };
    store::add_consent(
        tx,
        org,
        &NewConsent {
            channel: c.channel,
            address: c.address,
            contact: c.contact,
            state,
            how: c.how,
            detail: c.detail,
            actor: c.actor,
            at: c.at,
        },
    )
    .await?;
    let event = pb::ConsentChanged {
        channel: c.channel.to_owned(),
        address: c.address.to_owned(),
        contact_id: c.contact.map(|id| id.uuid().to_string()).unwrap_or_default(),
        state: state.to_owned(),
        how: c.how.to_owned(),
        detail: c.detail.to_owned(),
    };
    let draft = Draft::new(org, &event);
    let draft = match c.contact {
        Some(contact) => draft.about("contact_id", contact),
        None => draft,
    };
    outbox.add(tx, draft).await?;
    Ok(())
}

impl LedgerEntry {
    pub(crate) fn into_proto(self) -> pb::Consent {
        pb::Consent {
            channel: self.channel,
            address: self.address,
            contact_id: self.contact_id.map(|id| id.to_string()).unwrap_or_default(),
            state: self.state,
            how: self.how,
            detail: self.detail,
            actor: self.actor,
            at: Some(attend_kit::bus::timestamp(self.at)),
        }
    }
}

/// A channel staff may record consent on, and where the contact's address
/// for it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Sms,
    Email,
}

impl Channel {
    fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "sms" => Ok(Self::Sms),
            "email" => Ok(Self::Email),
            _ => Err("must be sms or email".to_owned()),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
        }
    }

    /// The contact's address on this channel: E.164, or a lower-case email.
    fn address(self, contact: &contact::Contact, region: Region) -> Result<String, Error> {
        let (raw, what) = match self {
            Self::Sms => (contact.phone.as_str(), "phone"),
            Self::Email => (contact.email.as_str(), "email address"),
        };
        if raw.trim().is_empty() {
            return Err(Error::invalid("contact_id", format!("the contact has no {what}")));
        }
        match self {
            Self::Sms => Phone::parse(raw, region).map(|p| p.to_string()),
            Self::Email => Email::parse(raw).map(|e| e.to_string()),
        }
        .map_err(|why| Error::invalid("contact_id", format!("the contact's {what} can't be used: {why}")))
    }
}

/// Longest reason staff give.
const DETAIL_MAX: usize = 500;

impl Api {
    /// Staff record a contact's consent on a channel: `how` staff, the
    /// caller as the actor, their reason as the detail.
    pub(crate) async fn set_consent(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::SetConsentRequest,
    ) -> Result<pb::Consent, Error> {
        caller.require_permission(Permission::MessagesSend)?;
        let org = caller.org()?;
        let mut problems = Vec::new();
        let contact_id = text::collect(
            &mut problems,
            "contact_id",
            ContactId::parse_uuid(&req.contact_id).map_err(|e| e.to_string()),
        );
        let channel = text::collect(&mut problems, "channel", Channel::parse(&req.channel));
        let detail = text::collect(&mut problems, "detail", text::required_line(&req.detail, DETAIL_MAX));
        let (Some(contact_id), Some(channel), Some(detail)) = (contact_id, channel, detail) else {
            return Err(Error::Invalid(problems));
        };
        let contact = self.contact(&caller, contact_id).await?;
        let region = self.orgs.get(org).await?.phone_region;
        let address = channel.address(&contact, region)?;
        let mut tx = self.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "SetConsent", key.as_deref(), &req).await? {
            Claim::Replay(response) => return Ok(response),
            Claim::Fresh(guard) => guard,
        };
        let actor = Actor::of(&caller).to_string();
        record(
            &mut tx,
            &self.outbox,
            org,
            &Change {
                channel: channel.as_str(),
                address: &address,
                contact: Some(contact_id),
                opted_in: req.opted_in,
                how: "staff",
                detail: &detail,
                actor: &actor,
                at: self.clock.now(),
            },
        )
        .await?;
        let entry = store::latest_consent(&mut tx, org, channel.as_str(), &address)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("a consent just recorded is not there")))?;
        let response = entry.into_proto();
        guard.complete(&mut tx, &response).await?;
        tx.commit().await?;
        Ok(response)
    }

    /// Where a contact stands on each channel: the newest entry for their
    /// phone and for their email, when either was ever recorded.
    pub(crate) async fn list_consents(
        &self,
        caller: Caller,
        req: pb::ListConsentsRequest,
    ) -> Result<pb::ListConsentsResponse, Error> {
        caller.require_permission(Permission::MessagesRead)?;
        let org = caller.org()?;
        let contact_id = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let contact = self.contact(&caller, contact_id).await?;
        let region = self.orgs.get(org).await?.phone_region;
        let mut tx = self.db.tenant(org).await?;
        let mut consents = Vec::new();
        for channel in [Channel::Sms, Channel::Email] {
            // A contact without this channel's address has nothing to show.
            let Ok(address) = channel.address(&contact, region) else {
                continue;
            };
            if let Some(entry) = store::latest_consent(&mut tx, org, channel.as_str(), &address).await? {
                consents.push(entry.into_proto());
            }
        }
        tx.commit().await?;
        Ok(pb::ListConsentsResponse { consents })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(phone: &str, email: &str) -> contact::Contact {
        contact::Contact {
            phone: phone.to_owned(),
            email: email.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn consent_is_kept_against_the_contacts_address_on_its_channel() {
        let c = contact("+61 411 111 111", "Sam.Lee@Example.COM");
        assert_eq!(Channel::Sms.address(&c, Region::default()).unwrap(), "+61411111111");
        assert_eq!(
            Channel::Email.address(&c, Region::default()).unwrap(),
            "sam.lee@example.com"
        );
    }

    #[test]
    fn a_contact_without_the_channels_address_is_named() {
        let Err(Error::Invalid(fields)) = Channel::Email.address(&contact("+61411111111", ""), Region::default())
        else {
            panic!("refused");
        };
        assert_eq!(fields[0].field, "contact_id");
        assert_eq!(fields[0].reason, "the contact has no email address");
        assert_eq!(Channel::parse("fax"), Err("must be sms or email".to_owned()));
    }
}
