//! Identity: organisations (tenants), users, credentials, and the keys that
//! sign access tokens.
//!
//! # Layout
//! - `api`: `IdentityService` over gRPC, only: reads each RPC's caller and hands it to a feature.
//! - `orgs`: organisations (tenants): creating, reading, finding the one a delivery belongs to.
//! - `users`: creating users, the signed-in user's profile, the admin's list and (de)activation.
//! - `sessions`: login, access tokens, refresh-token rotation with reuse detection, logout.
//! - `recovery`: password-reset links and invitations, emailed through messaging.
//! - `audit`: identity's own audit entries, and the admins' read of the trail.
//! - `keys`: Ed25519 signing keys, their rotation and the published JWK set.
//! - `throttle`: failed sign-ins per account and per address: the policy and the check.
//! - `consumers::audit`: keeps other services' `audit.recorded` facts in the trail.
//! - `store`: the SQL, and the only place it is written, one module per group of tables:
//!   - `store::orgs`: organisations and their provider ids.
//!   - `store::users`: accounts, credentials and sign-in stamps.
//!   - `store::sessions`: refresh tokens and their families.
//!   - `store::recovery`: reset links and invitations.
//!   - `store::audit`: the audit log, written and read.
//!   - `store::keys`: signing keys.
//!   - `store::throttle`: failed sign-ins per key.
//! - `password`: argon2id hashing and the length rule (pure but for the blocking pool).
//! - `tokens`: opaque random tokens, their stored hashes and expiry (pure).
//! - `migrations/`: the `identity` schema.
//!
//! Identity never reads another service's schema, and no other service reads
//! its tables: organisations are fetched over gRPC, and access tokens are
//! verified by the gateway from the published keys alone.

mod api;
mod audit;
mod consumers;
mod keys;
mod orgs;
mod password;
mod recovery;
mod sessions;
mod store;
mod throttle;
mod tokens;
mod users;

use std::time::Duration;

use attend_kit::config::{Config, ConfigError};
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable};
use attend_proto::identity::v1::identity_service_server::IdentityServiceServer;
use futures::future::BoxFuture;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The identity service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Identity,
        migrations: Some(&MIGRATOR),
        publishes: false,
        public_http: false,
        configure,
    }
}

/// Identity's own settings.
struct Identity {
    /// `ATTEND_PUBLIC_URL`: the web address people use, for links in emails.
    public_url: url::Url,
}

fn configure(config: &Config) -> Result<Box<dyn Startable>, Vec<ConfigError>> {
    match attend_kit::config::public_url(&config.source) {
        Ok(public_url) => Ok(Box::new(Identity { public_url })),
        Err(e) => Err(vec![e]),
    }
}

impl Startable for Identity {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let db = ctx.db()?;
            let keys = keys::KeyRing::default();
            keys.load_or_create(&db).await?;

            let reload_keys = keys.clone();
            let reload_db = db.clone();
            let shutdown = ctx.shutdown.clone();
            ctx.spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                tick.tick().await;
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tick.tick() => {
                            if let Err(e) = reload_keys.reload(&reload_db).await {
                                tracing::warn!(error = format!("{e:#}"), "cannot reload signing keys");
                            }
                            if let Err(e) = throttle::purge(&reload_db).await {
                                tracing::warn!(error = %e, "cannot purge old sign-in failures");
                            }
                        }
                    }
                }
            });

            ctx.consume(consumers::audit::SPEC, consumers::audit::Keeper)?;
            let api = api::Api {
                mailer: recovery::Mailer {
                    db: db.clone(),
                    messaging: attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient::new(
                        ctx.peers.channel(ServiceName::Messaging),
                    ),
                    public_url: self.public_url,
                },
                db,
                keys,
            };
            let server = ctx.grpc_server().with_api(IdentityServiceServer::new(api));
            ctx.serve_grpc(server)
        })
    }
}
