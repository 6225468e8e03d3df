//! Operator commands: organisations, users, signing keys. Each runs the
//! identity service in this process on ephemeral ports (so it works whether
//! or not the platform is running) and calls it over gRPC as the platform,
//! the same edge every other caller uses.

use attend_kit::error::PeerAnswer;
use std::io::Read as _;
use std::net::SocketAddr;

use anyhow::Context as _;
use attend_kit::config::Config;
use attend_kit::grpc::{Caller, Traced, request};
use attend_kit::ids::{OrgId, TypedId, UserId};
use attend_kit::service::{Fleet, ServiceName};
use attend_proto::identity::v1 as pb;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use tokio_util::sync::CancellationToken;

/// The same database and NATS, every listener on a free port.
pub fn ephemeral(mut config: Config) -> Config {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    config.gateway_addr = any;
    config.ingest_addr = any;
    for addrs in config.services.values_mut() {
        addrs.listen = any;
    }
    config
}

/// Runs `work` against an in-process identity service.
async fn with_identity<T, F, Fut>(config: Config, work: F) -> anyhow::Result<T>
where
    F: FnOnce(IdentityServiceClient<Traced>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let defs = crate::definitions()
        .into_iter()
        .filter(|d| d.name == ServiceName::Identity)
        .collect();
    let mut fleet = Fleet::start(ephemeral(config), defs, CancellationToken::new()).await?;
    let client = IdentityServiceClient::new(fleet.peers().channel(ServiceName::Identity));
    let result = work(client).await;
    fleet.shutdown().await?;
    result
}

/// `attend events replay`: ingest (with identity, to know organisations)
/// runs in this process and replays its event log over gRPC as the
/// platform, the operators' edge (attend_ingest::replay).
pub async fn replay_events(
    config: Config,
    from: String,
    to: Option<String>,
    provider: Option<String>,
) -> anyhow::Result<()> {
    use attend_proto::ingest::v1::ReplayEventsRequest;
    use attend_proto::ingest::v1::ingest_service_client::IngestServiceClient;
    let from = instant("--from", &from)?;
    let to = to.map(|t| instant("--to", &t)).transpose()?;
    let defs = crate::definitions()
        .into_iter()
        .filter(|d| matches!(d.name, ServiceName::Identity | ServiceName::Ingest))
        .collect();
    let mut fleet = Fleet::start(ephemeral(config), defs, CancellationToken::new()).await?;
    let mut ingest = IngestServiceClient::new(fleet.peers().channel(ServiceName::Ingest));
    let answer = ingest
        .replay_events(request(
            ReplayEventsRequest {
                from: Some(attend_kit::bus::timestamp(from)),
                to: to.map(attend_kit::bus::timestamp),
                provider: provider.unwrap_or_default(),
            },
            &Caller::platform(),
        ))
        .await;
    // The events wait in ingest's outbox: this process's relay or the
    // fleet's ingest publishes them.
    fleet.shutdown().await?;
    let done = answer.map_err(|s| anyhow::anyhow!("{}", s.message()))?.into_inner();
    println!(
        "{} deliveries read: {} events published again under their original ids, {} the current mapping maps to nothing, {} of a kind replay does not cover, {} refused",
        done.read, done.published, done.unmapped, done.not_replayable, done.refused_count
    );
    for r in &done.refused {
        println!("refused {} ({}): {}", r.event_id, r.provider, r.reason);
    }
    Ok(())
}

/// An instant from the command line: RFC 3339, or a date (midnight UTC).
fn instant(flag: &str, text: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let text = text.trim();
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(midnight) = day.and_hms_opt(0, 0, 0)
    {
        return Ok(midnight.and_utc());
    }
    anyhow::bail!("{flag}: {text:?} is not an instant (e.g. 2026-11-30T09:00:00Z, or 2026-11-30 for midnight UTC)")
}

/// What `attend orgs add` takes.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub slug: Option<String>,
    pub time_zone: Option<String>,
    pub phone_region: Option<String>,
    pub wix_instances: Vec<String>,
}

pub async fn add_org(config: Config, new: NewOrg) -> anyhow::Result<()> {
    let org = with_identity(config, |mut identity| async move {
        identity
            .create_organisation(request(
                pb::CreateOrganisationRequest {
                    name: new.name,
                    slug: new.slug.unwrap_or_default(),
                    time_zone: new.time_zone.unwrap_or_default(),
                    phone_region: new.phone_region.unwrap_or_default(),
                    external_ids: new
                        .wix_instances
                        .into_iter()
                        .map(|id| pb::ExternalId {
                            provider: "wix".to_owned(),
                            external_id: id,
                        })
                        .collect(),
                    business_hours: None,
                },
                &Caller::platform(),
            ))
            .await
            .into_answer("identity")
            .map_err(anyhow::Error::new)
    })
    .await?;
    println!("{}", describe(&org)?);
    Ok(())
}

fn describe(org: &pb::Organisation) -> anyhow::Result<String> {
    let ids: Vec<String> = org
        .external_ids
        .iter()
        .map(|e| format!("{}:{}", e.provider, e.external_id))
        .collect();
    Ok(format!(
        "{}  {}  slug={}  time_zone={}  phone_region={}  external_ids=[{}]",
        OrgId::parse_uuid(&org.id)?,
        org.name,
        org.slug,
        org.time_zone,
        org.phone_region,
        ids.join(", ")
    ))
}

pub async fn list_orgs(config: Config) -> anyhow::Result<()> {
    let orgs = with_identity(config, |mut identity| async move {
        Ok(identity
            .list_organisations(request(pb::ListOrganisationsRequest {}, &Caller::platform()))
            .await
            .into_answer("identity")?
            .organisations)
    })
    .await?;
    for org in &orgs {
        println!("{}", describe(org)?);
    }
    if orgs.is_empty() {
        println!("no organisations yet: add one with `attend orgs add --name NAME`");
    }
    Ok(())
}

/// What `attend users add` takes; the password comes from standard input.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The organisation's slug or id (`org_…`).
    pub org: String,
    pub email: String,
    pub role: String,
    pub name: Option<String>,
}

/// The first line of standard input, without its line ending.
/// The webhook endpoints of an organisation, with the credentials each
/// provider must send (derived from ATTEND_INTAKE_SECRET; nothing stored).
pub fn webhook_lines(
    org: &pb::Organisation,
    base: &str,
    intake: Option<&attend_ingest::signature::IntakeSecret>,
) -> Vec<String> {
    let slug = &org.slug;
    let mut lines = vec![format!("Webhook endpoints for {} ({slug}), on {base}:", org.name)];
    let wix: Vec<&str> = org
        .external_ids
        .iter()
        .filter(|e| e.provider == "wix")
        .map(|e| e.external_id.as_str())
        .collect();
    lines.push(format!(
        "  Wix Bookings        POST {base}/webhooks/wix/bookings  (Wix instances: {})",
        if wix.is_empty() {
            "none linked".to_owned()
        } else {
            wix.join(", ")
        }
    ));
    lines.push(format!(
        "  Lead forms          POST {base}/webhooks/forms/{slug}  (public; JSON or form-encoded)"
    ));
    lines.push(format!(
        "  Twilio inbound      POST {base}/webhooks/twilio/{slug}/inbound"
    ));
    lines.push(format!(
        "  Twilio status       POST {base}/webhooks/twilio/{slug}/status"
    ));
    match intake {
        Some(secret) => {
            lines.push(format!(
                "  ManyChat            POST {base}/webhooks/manychat  with header  Authorization: Bearer {}",
                secret.token("manychat", slug)
            ));
            let clicksend = secret.token("clicksend", slug);
            lines.push(format!(
                "  ClickSend inbound   {base}/webhooks/clicksend/{clicksend}/inbound"
            ));
            lines.push(format!(
                "  ClickSend receipts  {base}/webhooks/clicksend/{clicksend}/receipts"
            ));
        }
        None => {
            lines.push("  ManyChat, ClickSend set ATTEND_INTAKE_SECRET to derive this organisation's tokens".to_owned())
        }
    }
    lines
}

/// `attend orgs webhooks <org>`.
/// An organisation by its slug or id.
async fn find_org(config: Config, org: String) -> anyhow::Result<pb::Organisation> {
    with_identity(config, |mut identity| async move {
        let orgs = identity
            .list_organisations(request(pb::ListOrganisationsRequest {}, &Caller::platform()))
            .await
            .into_answer("identity")?
            .organisations;
        Ok(orgs
            .into_iter()
            .find(|o| o.slug == org || OrgId::parse_uuid(&o.id).is_ok_and(|id| id.to_string() == org)))
    })
    .await?
    .context("no such organisation: give its slug or id (see `attend orgs list`)")
}

/// `attend reporting rebuild`: replays the event stream into fresh read
/// models and swaps them in (attend_reporting::rebuild).
pub async fn rebuild_reports(config: Config, org: Option<String>) -> anyhow::Result<()> {
    let org = match org {
        Some(org) => Some(OrgId::parse_uuid(&find_org(config.clone(), org).await?.id)?),
        None => None,
    };
    let mut admin = attend_kit::service::connect_admin(&config).await?;
    let bus = attend_kit::service::connect_bus(&config).await?;
    let started = std::time::Instant::now();
    let done = attend_reporting::rebuild::rebuild(&mut admin, &bus, org).await?;
    println!(
        "read models rebuilt{} from {} events (through stream sequence {}): {} applied, {} refused, in {:.1} s",
        org.map(|o| format!(" for {o}")).unwrap_or_default(),
        done.read,
        done.last_sequence,
        done.applied,
        done.refused,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn webhooks(config: Config, org: String) -> anyhow::Result<()> {
    let settings = attend_ingest::Settings::from_config(&config).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        )
    })?;
    let base = settings
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.ingest_addr));
    let found = find_org(config, org).await?;
    for line in webhook_lines(&found, &base, settings.intake.as_ref()) {
        println!("{line}");
    }
    Ok(())
}

pub fn password_from_stdin() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "give the password on standard input, e.g. `printf '%s' \"$PASSWORD\" | attend users add ...`"
    );
    Ok(password)
}

pub async fn add_user(config: Config, new: NewUser, password: String) -> anyhow::Result<()> {
    let user = with_identity(config, |mut identity| async move {
        let orgs = identity
            .list_organisations(request(pb::ListOrganisationsRequest {}, &Caller::platform()))
            .await
            .into_answer("identity")?
            .organisations;
        let org = orgs
            .iter()
            .find(|o| o.slug == new.org || OrgId::parse_uuid(&o.id).is_ok_and(|id| id.to_string() == new.org))
            .with_context(|| {
                format!(
                    "--org: no organisation has the slug or id {:?} (see `attend orgs list`)",
                    new.org
                )
            })?;
        let name = new
            .name
            .unwrap_or_else(|| new.email.split('@').next().unwrap_or_default().to_owned());
        let user = identity
            .create_user(request(
                pb::CreateUserRequest {
                    org_id: org.id.clone(),
                    email: new.email,
                    name,
                    role: new.role,
                    password,
                },
                &Caller::platform(),
            ))
            .await
            .into_answer("identity")?;
        anyhow::Ok(user)
    })
    .await?;
    println!(
        "{}  {}  role={}  organisation={}",
        UserId::parse_uuid(&user.id)?,
        user.email,
        user.role,
        OrgId::parse_uuid(&user.org_id)?
    );
    Ok(())
}

pub async fn rotate_keys(config: Config) -> anyhow::Result<()> {
    let jwks = with_identity(config, |mut identity| async move {
        Ok(identity
            .rotate_signing_key(request(pb::RotateSigningKeyRequest {}, &Caller::platform()))
            .await
            .into_answer("identity")?
            .jwks_json)
    })
    .await?;
    let set: serde_json::Value = serde_json::from_str(&jwks)?;
    let kids: Vec<&str> = set["keys"]
        .as_array()
        .map(|keys| keys.iter().filter_map(|k| k["kid"].as_str()).collect())
        .unwrap_or_default();
    println!(
        "signing keys now published (newest first, the first signs): {}",
        kids.join(", ")
    );
    println!("gateways pick up the new key within five minutes, or at once on the first token that names it");
    Ok(())
}

/// `attend keys rotate-data`: care (with identity, which it asks about
/// organisations) runs in this process and re-seals, with the first key
/// of `ATTEND_DATA_KEYS`, everything an older key sealed, in batches, while
/// the fleet keeps serving (attend_care::rotate).
pub async fn rotate_data_keys(config: Config, batch_size: u32) -> anyhow::Result<()> {
    use attend_proto::care::v1::RotateDataKeysRequest;
    use attend_proto::care::v1::care_service_client::CareServiceClient;
    anyhow::ensure!(
        attend_care::data_keys_set(&config),
        "ATTEND_DATA_KEYS is not set: list the new key first, then the ones still in use (id:base64,id:base64)"
    );
    let defs = crate::definitions()
        .into_iter()
        .filter(|d| matches!(d.name, ServiceName::Identity | ServiceName::Care))
        .collect();
    let mut fleet = Fleet::start(ephemeral(config), defs, CancellationToken::new()).await?;
    let mut care = CareServiceClient::new(fleet.peers().channel(ServiceName::Care));
    let answer = care
        .rotate_data_keys(request(
            RotateDataKeysRequest {
                batch_size: i32::try_from(batch_size).unwrap_or(i32::MAX),
            },
            &Caller::platform(),
        ))
        .await;
    fleet.shutdown().await?;
    let done = answer.map_err(|s| anyhow::anyhow!("{}", s.message()))?.into_inner();
    for (table, rows) in &done.rewritten {
        println!("care.{table}: {rows} re-sealed");
    }
    println!(
        "everything is sealed with key {:?}; keys listed after it in ATTEND_DATA_KEYS can be removed once every care process runs with this list",
        done.current_key
    );
    Ok(())
}
