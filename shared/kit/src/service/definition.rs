//! What a service crate hands the runtime: its [`ServiceDef`] (name,
//! migrations, whether it publishes or has a public listener) and a
//! `configure` step that turns settings into something [`Startable`].

use std::fmt;

use futures::future::BoxFuture;
use sqlx::migrate::Migrator;

use super::{Context, ServiceName};
use crate::config::{Config, ConfigError};

/// Reads a service's own settings; every problem is reported at once.
pub type Configure = fn(&Config) -> Result<Box<dyn Startable>, Vec<ConfigError>>;

/// A service, as its crate describes it to the runtime.
#[derive(Clone, Copy)]
pub struct ServiceDef {
    pub name: ServiceName,
    /// The service's own migrations (`services/<name>/migrations`); `None`
    /// for a service that keeps no state (the gateway).
    pub migrations: Option<&'static Migrator>,
    /// Whether the service publishes events (and so runs an outbox relay).
    pub publishes: bool,
    /// Whether the service has a public HTTP listener (gateway, ingest).
    pub public_http: bool,
    /// Reads and checks the service's own settings. Called for every
    /// selected service before any starts, so a bad setting stops start-up.
    pub configure: Configure,
}

impl fmt::Debug for ServiceDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ServiceDef {
    /// A service that so far keeps only its schema (and the kit's tables in
    /// it) and serves gRPC health, reflection and the ops routes: its domain
    /// API arrives with the feature that needs it.
    pub const fn schema_only(name: ServiceName, migrations: &'static Migrator) -> Self {
        Self {
            name,
            migrations: Some(migrations),
            publishes: false,
            public_http: false,
            configure: no_settings::<SchemaOnly>,
        }
    }
}

/// A `configure` for services that read no settings of their own.
pub fn no_settings<S: Startable + Default + 'static>(_config: &Config) -> Result<Box<dyn Startable>, Vec<ConfigError>> {
    Ok(Box::new(S::default()))
}

#[derive(Default)]
struct SchemaOnly;

impl Startable for SchemaOnly {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let server = ctx.grpc_server();
            ctx.serve_grpc(server)
        })
    }
}

/// A configured service, ready to start.
pub trait Startable: Send {
    /// Spawns the service's servers and loops on the context and returns;
    /// they run until the context's shutdown token is cancelled.
    fn start(self: Box<Self>, ctx: Context) -> BoxFuture<'static, anyhow::Result<()>>;
}
