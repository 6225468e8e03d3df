//! Care: the care portal's records (spec 001): clients (care recipients),
//! their care team and linked family with their access levels, care
//! updates (progress notes) and health logs. docs/care.md maps spec 001's
//! routes; docs/security.md has the permission matrix.
//!
//! # Layout
//! - [`api`]: `CareService` over gRPC: the tonic adapter only.
//! - [`access`]: who may see and do what with one client's records.
//! - [`clients`], [`notes`], [`health`], [`plans`], [`appointments`],
//!   [`messages`]: the
//!   records; [`store`]: their SQL; [`ics`]: iCalendar for calendar apps.
//! - [`seal`]: AES-256-GCM for clinical text, keys from `ATTEND_DATA_KEYS`;
//!   [`rotate`]: re-sealing with the current key (`attend keys rotate-data`).
//! - [`notify`]: urgent care updates to the family, through messaging;
//!   [`appointments::Reminders`]: the appointment reminders they chose.
//! - `migrations/`: the `care` schema.

mod access;
mod api;
pub mod appointments;
mod clients;
mod health;
mod ics;
mod messages;
mod notes;
pub mod notify;
mod plans;
mod rotate;
pub mod seal;
mod store;

use attend_kit::config::{Config, ConfigError};
use attend_kit::orgs::Directory;
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable};
use attend_proto::care::v1::care_service_server::CareServiceServer;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;
use futures::future::BoxFuture;

use crate::seal::Keyring;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The care service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Care,
        migrations: Some(&MIGRATOR),
        publishes: true,
        public_http: false,
        configure,
    }
}

/// The data keys: `ATTEND_DATA_KEYS`, or the development key when unset
/// (`attend run` refuses that for a split fleet; see [`data_keys_required`]).
pub fn keyring(config: &Config) -> Result<Keyring, ConfigError> {
    match config.source.raw(seal::VAR).filter(|v| !v.trim().is_empty()) {
        Some(text) => Keyring::parse(&text),
        None => Ok(Keyring::development()),
    }
}

/// Whether `ATTEND_DATA_KEYS` is set (a process running care alone must have it).
pub fn data_keys_set(config: &Config) -> bool {
    config.source.raw(seal::VAR).is_some_and(|v| !v.trim().is_empty())
}

struct Care {
    keys: Keyring,
    portal_url: String,
    /// `ATTEND_CARE_REMINDER_EVERY`: how often due appointment reminders are looked for.
    reminder_every: std::time::Duration,
}

fn configure(config: &Config) -> Result<Box<dyn Startable>, Vec<ConfigError>> {
    let keys = keyring(config);
    let portal_url = attend_kit::config::public_url(&config.source);
    let every = config
        .source
        .duration("ATTEND_CARE_REMINDER_EVERY", std::time::Duration::from_secs(60));
    match (keys, portal_url, every) {
        (Ok(keys), Ok(url), Ok(reminder_every)) => Ok(Box::new(Care {
            keys,
            portal_url: url.to_string(),
            reminder_every,
        })),
        (keys, url, every) => Err(keys.err().into_iter().chain(url.err()).chain(every.err()).collect()),
    }
}

impl Startable for Care {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let db = ctx.db()?;
            if self.keys.current() == seal::DEV_KEY_ID {
                tracing::warn!(
                    "care seals clinical text with the development data key: set ATTEND_DATA_KEYS for real data"
                );
            }
            let reminders = appointments::Reminders {
                db: db.clone(),
                messaging: MessagingServiceClient::new(ctx.peers.channel(ServiceName::Messaging)),
                contacts: ContactServiceClient::new(ctx.peers.channel(ServiceName::Contact)),
                clock: ctx.clock(),
            };
            ctx.spawn(reminders.run(self.reminder_every, ctx.shutdown.clone()));
            ctx.consume(
                notify::SPEC,
                notify::Urgent {
                    messaging: MessagingServiceClient::new(ctx.peers.channel(ServiceName::Messaging)),
                    contacts: ContactServiceClient::new(ctx.peers.channel(ServiceName::Contact)),
                    portal_url: self.portal_url,
                },
            )?;
            let server = ctx.grpc_server().with_api(CareServiceServer::new(api::Api {
                db,
                outbox: ctx.outbox(),
                keys: self.keys,
                orgs: Directory::new(ctx.peers.channel(ServiceName::Identity)),
                clock: ctx.clock(),
            }));
            ctx.serve_grpc(server)
        })
    }
}
