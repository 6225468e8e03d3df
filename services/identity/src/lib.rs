//! Identity: organisations (tenants), users, credentials, and the keys that
//! sign access tokens.
//!
//! # Layout
//! - [`api`]: `IdentityService` over gRPC (organisations, users, login, JWKS).
//! - [`keys`]: Ed25519 signing keys, their rotation and the published JWK set.
//! - [`password`]: argon2id hashing, off the async runtime.
//! - `migrations/`: the `identity` schema.
//!
//! Identity never reads another service's schema, and no other service reads
//! its tables: organisations are fetched over gRPC, and access tokens are
//! verified by the gateway from the published keys alone.

pub mod api;
pub mod keys;
pub mod password;

use std::time::Duration;

use attend_kit::service::{Context, ServiceDef, ServiceName, Startable, no_settings};
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
        configure: no_settings::<Identity>,
    }
}

#[derive(Default)]
struct Identity;

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
                        }
                    }
                }
            });

            let api = api::Api { db, keys };
            let server = ctx.grpc_server()?.add(IdentityServiceServer::new(api)).await;
            ctx.serve_grpc(server)
        })
    }
}
