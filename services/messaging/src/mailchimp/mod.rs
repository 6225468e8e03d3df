//! The MailChimp audience sync (spec 001's `POST /api/campaigns/mailchimp-sync`):
//! every contact of the organisation whose newest email consent is an
//! opt-in is added to (or updated in) the MailChimp audience, with their
//! first and last name from the contact service.
//!
//! - Who: admins (`settings:manage`): it sends the organisation's contacts
//!   to a third party.
//! - What is sent: each opted-in address ([`crate::consent`]: the ledger,
//!   newest entry wins) that a contact still holds, with `FNAME` (the
//!   first word of their name) and `LNAME` (the rest). An opted-in address
//!   no contact holds any more is skipped and counted.
//! - The answer counts what MailChimp took and lists each failure with
//!   MailChimp's reason; the sync is safe to run again (an upsert).
//! - Opt-outs are not pushed: an address that opts out here is simply not
//!   sent again, and MailChimp's own unsubscribe link is what removes
//!   people from its campaigns.
//!
//! Settings: `ATTEND_MAILCHIMP_API_KEY` and `ATTEND_MAILCHIMP_LIST_ID`
//! (both or neither); the API's base URL is the key's datacenter
//! (`…-us21` → `https://us21.api.mailchimp.com`) unless
//! `ATTEND_MAILCHIMP_BASE_URL` says otherwise (tests). One audience per
//! deployment: spec 001 keeps a key and list per organisation, which
//! would move these settings into the organisation's; until then every
//! organisation of a deployment syncs to the same audience. Unset, the
//! sync answers 409 naming the settings.
//!
//! [`client`] speaks MailChimp's API.

pub(crate) mod client;

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::config::{Config as Settings, ConfigError};
use attend_kit::contact_point::Email;
use attend_kit::grpc::Caller;
use attend_kit::secret::Secret;
use attend_proto::messaging::v1 as pb;
use futures::StreamExt as _;
use url::Url;

use crate::api::Api;
use crate::store;
use client::{Client, Member};

/// Members sent to MailChimp at once (it allows ten connections a key).
const CONCURRENCY: usize = 4;

/// The audience to sync to.
#[derive(Debug)]
pub(crate) struct Config {
    base_url: Url,
    api_key: Secret<String>,
    list_id: String,
}

fn setting(settings: &Settings, var: &str) -> Option<String> {
    settings
        .source
        .raw(var)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Config {
    /// From `ATTEND_MAILCHIMP_*`; `None` when neither the key nor the list
    /// is set.
    pub(crate) fn from_settings(settings: &Settings, errors: &mut Vec<ConfigError>) -> Option<Self> {
        let key = setting(settings, "ATTEND_MAILCHIMP_API_KEY");
        let list = setting(settings, "ATTEND_MAILCHIMP_LIST_ID");
        let base = setting(settings, "ATTEND_MAILCHIMP_BASE_URL");
        let (key, list_id) = match (key, list) {
            (None, None) => return None,
            (Some(key), Some(list)) => (key, list),
            (Some(_), None) => {
                errors.push(ConfigError::new(
                    "ATTEND_MAILCHIMP_LIST_ID",
                    "is required when ATTEND_MAILCHIMP_API_KEY is set",
                ));
                return None;
            }
            (None, Some(_)) => {
                errors.push(ConfigError::new(
                    "ATTEND_MAILCHIMP_API_KEY",
                    "is required when ATTEND_MAILCHIMP_LIST_ID is set",
                ));
                return None;
            }
        };
        let base_url = match base {
            Some(base) => crate::providers::base_url(&base, "the MailChimp base URL")
                .map_err(|why| errors.push(ConfigError::new("ATTEND_MAILCHIMP_BASE_URL", why)))
                .ok()?,
            None => match client::datacenter(&key).map(|dc| Url::parse(&format!("https://{dc}.api.mailchimp.com"))) {
                Some(Ok(url)) => url,
                _ => {
                    errors.push(ConfigError::new(
                        "ATTEND_MAILCHIMP_API_KEY",
                        "must end in its datacenter (…-us21), or set ATTEND_MAILCHIMP_BASE_URL",
                    ));
                    return None;
                }
            },
        };
        Some(Self {
            base_url,
            api_key: Secret::new(key),
            list_id,
        })
    }

    pub(crate) fn client(&self) -> Result<Client, String> {
        Client::new(self.base_url.clone(), self.api_key.clone(), self.list_id.clone())
    }
}

/// A contact's name as MailChimp's FNAME and LNAME: the first word, and
/// the rest.
pub(crate) fn split_name(name: &str) -> (String, String) {
    let mut words = name.split_whitespace();
    let first = words.next().unwrap_or_default().to_owned();
    let rest = words.collect::<Vec<_>>().join(" ");
    (first, rest)
}

/// What became of one opted-in address.
enum Outcome {
    Upserted,
    Skipped,
    Failed(String, String),
}

impl Api {
    pub(crate) async fn sync_mailchimp(
        &self,
        caller: Caller,
        _req: pb::SyncMailchimpRequest,
    ) -> Result<pb::SyncMailchimpResponse, Error> {
        caller.require_permission(Permission::SettingsManage)?;
        let org = caller.org()?;
        let Some(client) = self.mailchimp.as_deref() else {
            return Err(Error::Conflict(
                "MailChimp is not configured on this server: set ATTEND_MAILCHIMP_API_KEY and \
                 ATTEND_MAILCHIMP_LIST_ID"
                    .to_owned(),
            ));
        };
        let mut tx = self.db.tenant(org).await?;
        let addresses = store::opted_in(&mut tx, org, "email").await?;
        tx.commit().await?;

        let outcomes: Vec<Result<Outcome, Error>> = futures::stream::iter(addresses)
            .map(|address| self.sync_one(&caller, client, address))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut answer = pb::SyncMailchimpResponse::default();
        for outcome in outcomes {
            match outcome? {
                Outcome::Upserted => answer.upserted += 1,
                Outcome::Skipped => answer.skipped += 1,
                Outcome::Failed(email, reason) => answer.failures.push(pb::SyncFailure { email, reason }),
            }
        }
        answer.failures.sort_by(|a, b| a.email.cmp(&b.email));
        tracing::info!(
            %org,
            upserted = answer.upserted,
            skipped = answer.skipped,
            failed = answer.failures.len(),
            "MailChimp audience synced"
        );
        Ok(answer)
    }

    /// One address: its contact's name, then MailChimp. A contact service
    /// that is down fails the whole sync (nothing is half-known); MailChimp
    /// refusing one member is that member's failure.
    async fn sync_one(&self, caller: &Caller, client: &Client, address: String) -> Result<Outcome, Error> {
        // The ledger holds addresses as Email writes them.
        let Ok(email) = Email::parse(&address) else {
            return Ok(Outcome::Skipped);
        };
        let Some(person) = self.contact_with_email(caller, &email).await? else {
            return Ok(Outcome::Skipped);
        };
        let (first_name, last_name) = split_name(&person.name);
        let member = Member {
            email: email.to_string(),
            first_name,
            last_name,
        };
        Ok(match client.upsert(&member).await {
            Ok(()) => Outcome::Upserted,
            Err(reason) => Outcome::Failed(member.email, reason),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_splits_into_its_first_word_and_the_rest() {
        assert_eq!(
            split_name("Sarah Jane Johnson"),
            ("Sarah".to_owned(), "Jane Johnson".to_owned())
        );
        assert_eq!(split_name("  Cher "), ("Cher".to_owned(), String::new()));
        assert_eq!(split_name(""), (String::new(), String::new()));
    }
}
