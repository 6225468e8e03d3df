//! A cached view of organisations, fetched from the identity service over
//! gRPC. Services need an organisation's settings (time zone, phone region)
//! on hot paths, and ingest needs to route a webhook to its organisation;
//! asking identity every time would make every webhook depend on a round
//! trip, so answers are cached briefly. Unknown ids are not cached, so an
//! organisation created a moment ago is found at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use attend_proto::identity::v1 as pb;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use tokio::sync::RwLock;

use crate::contact_point::Region;
use crate::error::{Error, PeerAnswer};
use crate::grpc::{Caller, Traced, request};
use crate::ids::{OrgId, TypedId};

/// The settings of an organisation other services need.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub time_zone: chrono_tz::Tz,
    pub phone_region: Region,
    pub messaging: Messaging,
    /// Local opening hours (Monday to Friday, 09:00 to 17:00 unless set).
    pub business_hours: crate::localtime::BusinessHours,
}

/// How an organisation's messages read and when they may arrive, as set
/// by its admin (identity's `MessagingSettings`).
#[derive(Debug, Clone, Default)]
pub struct Messaging {
    /// Its own template values by placeholder ([`TEMPLATE_VALUES`]), with
    /// `clinic` defaulting to the organisation's name.
    pub values: std::collections::BTreeMap<String, String>,
    /// Local wall-clock quiet hours; `None` for the default (20:00-08:00).
    pub quiet_hours: Option<(chrono::NaiveTime, chrono::NaiveTime)>,
    /// The sender of its SMS; `None` for the platform's.
    pub sms_from: Option<String>,
}

/// The template values an organisation sets for itself (the others come
/// from the contact, the booking or the rule that sends).
pub const TEMPLATE_VALUES: &[&str] = &[
    "clinic",
    "clinic_phone",
    "address",
    "booking_link",
    "review_link",
    "referral_link",
    "incentive",
    "doctor_name",
];

impl Org {
    fn from_proto(org: pb::Organisation) -> Result<Self, Error> {
        let bad = |what: &str| {
            Error::Internal(anyhow::anyhow!(
                "identity returned an organisation with an invalid {what}"
            ))
        };
        let settings = org.messaging.unwrap_or_default();
        let mut values: std::collections::BTreeMap<String, String> = settings.values.into_iter().collect();
        values.entry("clinic".to_owned()).or_insert_with(|| org.name.clone());
        let time = |t: &str| chrono::NaiveTime::parse_from_str(t, "%H:%M").ok();
        let quiet_hours = match (time(&settings.quiet_hours_start), time(&settings.quiet_hours_end)) {
            (Some(start), Some(end)) => Some((start, end)),
            _ => None,
        };
        Ok(Self {
            business_hours: crate::localtime::BusinessHours::from_proto(org.business_hours.as_ref()),
            id: OrgId::parse_uuid(&org.id).map_err(|_| bad("id"))?,
            time_zone: org.time_zone.parse().map_err(|_| bad("time zone"))?,
            phone_region: org.phone_region.parse().map_err(|_| bad("phone region"))?,
            name: org.name,
            slug: org.slug,
            messaging: Messaging {
                values,
                quiet_hours,
                sms_from: Some(settings.sms_from).filter(|s| !s.is_empty()),
            },
        })
    }
}

/// How long an answer is trusted.
const TTL: Duration = Duration::from_secs(60);

type Cache<K> = Arc<RwLock<HashMap<K, (Instant, Org)>>>;

/// Organisations by id and by provider id, cached.
#[derive(Clone)]
pub struct Directory {
    client: IdentityServiceClient<Traced>,
    by_id: Cache<OrgId>,
    /// By (provider, external id).
    by_external: Cache<(String, String)>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").finish_non_exhaustive()
    }
}

impl Directory {
    pub fn new(identity: Traced) -> Self {
        Self {
            client: IdentityServiceClient::new(identity),
            by_id: Arc::default(),
            by_external: Arc::default(),
        }
    }

    /// An organisation's settings.
    pub async fn get(&self, id: OrgId) -> Result<Org, Error> {
        if let Some(org) = cached(&self.by_id, &id).await {
            return Ok(org);
        }
        self.fresh(id).await
    }

    /// The organisation as identity has it now, for what must not wait for
    /// the cache (an admin's new quiet hours or template values apply to the
    /// next message); the cache is refreshed with it.
    pub async fn fresh(&self, id: OrgId) -> Result<Org, Error> {
        let response = self
            .client
            .clone()
            .get_organisation(request(
                pb::GetOrganisationRequest {
                    id: id.uuid().to_string(),
                },
                &Caller::system(id),
            ))
            .await
            .into_answer("identity")?;
        let org = Org::from_proto(response)?;
        self.by_id.write().await.insert(id, (Instant::now(), org.clone()));
        Ok(org)
    }

    /// The organisation a provider id belongs to; with an empty id, the
    /// only organisation (an error when there are several). An id no
    /// organisation could have (a control character, over 200 characters)
    /// is not found, without asking identity.
    pub async fn resolve(&self, provider: &str, external_id: &str) -> Result<Org, Error> {
        if external_id.chars().count() > 200 || external_id.contains(char::is_control) {
            return Err(Error::NotFound("organisation".to_owned()));
        }
        // "The only organisation" stops being true when a second is
        // created, so only answers by provider id are cached.
        let key = (provider.to_owned(), external_id.to_owned());
        let cacheable = !external_id.is_empty();
        if cacheable && let Some(org) = cached(&self.by_external, &key).await {
            return Ok(org);
        }
        let response = self
            .client
            .clone()
            .resolve_organisation(request(
                pb::ResolveOrganisationRequest {
                    provider: provider.to_owned(),
                    external_id: external_id.to_owned(),
                },
                &Caller::platform(),
            ))
            .await
            .into_answer("identity")?;
        let org = Org::from_proto(response)?;
        let now = Instant::now();
        if cacheable {
            self.by_external.write().await.insert(key, (now, org.clone()));
        }
        self.by_id.write().await.insert(org.id, (now, org.clone()));
        Ok(org)
    }
}

/// Whether `text` is an organisation slug: 1-63 lower-case letters,
/// digits or '-', starting with a letter or digit (it goes in URLs).
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

async fn cached<K: std::hash::Hash + Eq>(cache: &Cache<K>, key: &K) -> Option<Org> {
    cache
        .read()
        .await
        .get(key)
        .filter(|(at, _)| at.elapsed() < TTL)
        .map(|(_, org)| org.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_url_safe_lower_case() {
        for good in ["avatar-imaging", "a", "clinic-2"] {
            assert!(is_slug(good), "{good}");
        }
        for bad in ["", "-lead", "Avatar", "a b", "a\u{0}", &"a".repeat(64)] {
            assert!(!is_slug(bad), "{bad:?}");
        }
    }
}
