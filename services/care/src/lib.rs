//! Care: the care portal's records (spec 001): clients (care recipients),
//! their care team and linked family with their access levels, care
//! updates (progress notes), health logs, care plans, appointments,
//! documents, and the conversations between a family and the care team.
//! docs/care.md maps spec 001's routes; docs/security.md has the permission
//! matrix.
//!
//! # Layout
//! - [`api`]: `CareService` over gRPC: the tonic adapter only.
//! - [`access`]: who may see and do what with one client's records.
//! - [`clients`], [`notes`], [`health`], [`plans`], [`appointments`],
//!   [`messages`], [`documents`] (with [`files`], what a file is): the
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
pub mod documents;
mod files;
mod health;
mod ics;
mod messages;
mod notes;
pub mod notify;
mod plans;
mod rotate;
pub mod seal;
mod store;

use attend_kit::config::{Config, ConfigError, keep};
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
    storage: documents::Storage,
}

fn configure(config: &Config) -> Result<Box<dyn Startable>, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let keys = keep(&mut errors, keyring(config));
    let portal_url = keep(&mut errors, attend_kit::config::public_url(&config.source));
    let reminder_every = keep(
        &mut errors,
        config
            .source
            .duration("ATTEND_CARE_REMINDER_EVERY", std::time::Duration::from_secs(60)),
    );
    let storage = documents::Storage::configure(config, &mut errors);
    match (keys, portal_url, reminder_every, storage) {
        (Some(keys), Some(url), Some(reminder_every), Some(storage)) if errors.is_empty() => Ok(Box::new(Care {
            keys,
            portal_url: url.to_string(),
            reminder_every,
            storage,
        })),
        _ => Err(errors),
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
            let scanner = match self.storage.clamd {
                Some(_) => {
                    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
                    let scanner = documents::Scanner {
                        db: db.clone(),
                        storage: self.storage.clone(),
                        wake: wake.clone(),
                    };
                    ctx.spawn(scanner.run(ctx.shutdown.clone()));
                    Some(wake)
                }
                None => None,
            };
            let api = CareServiceServer::new(api::Api {
                db,
                outbox: ctx.outbox(),
                keys: self.keys,
                orgs: Directory::new(ctx.peers.channel(ServiceName::Identity)),
                clock: ctx.clock(),
                storage: self.storage,
                scanner,
            })
            // Documents travel in one message: room for the largest allowed.
            .max_decoding_message_size(documents::MAX_MESSAGE)
            .max_encoding_message_size(documents::MAX_MESSAGE);
            let server = ctx.grpc_server().with_api(api);
            ctx.serve_grpc(server)
        })
    }
}
