//! Consent: who may be messaged, from the ledger ([`crate::store`]'s
//! `consents`). The newest entry for an address wins. An opt-out comes from
//! a keyword the person texted (STOP and its family), from staff, or from
//! the provider (Twilio's 21610: the number replied STOP to Twilio); an
//! opt-in from START/UNSTOP or staff. Each change is published as
//! `messaging.consent_changed`.

use attend_kit::Error;
use attend_kit::bus::Draft;
use attend_kit::bus::outbox::Outbox;
use attend_kit::db::Tx;
use attend_kit::ids::{ContactId, OrgId};
use attend_proto::messaging::v1 as pb;
use chrono::{DateTime, Utc};

use crate::store::{self, NewConsent};

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
        contact_id: c
            .contact
            .map(|id| attend_kit::ids::TypedId::uuid(&id).to_string())
            .unwrap_or_default(),
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
