//! The [`Fleet`]: any subset of the services running in one process, each
//! on its own listeners, stopped together or one at a time.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::context::Peers;
use super::startup::{config_errors, connect_bus, is_unreachable, migrate, postgres_hint};
use super::{Context, ServiceDef, ServiceName};
use crate::bus::Bus;
use crate::bus::outbox::Outbox;
use crate::calltoken::FleetKey;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::Db;
use crate::grpc;

/// The issuer of calls made by tooling rather than a service.
pub const OPERATOR: &str = "operator";

/// A running service.
struct Running {
    token: CancellationToken,
    tasks: TaskTracker,
    aborts: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Running {
    /// Stops gracefully: stop accepting, let in-flight work finish for up
    /// to `grace`, then abandon what is left.
    async fn stop(self, name: ServiceName, grace: std::time::Duration) {
        self.token.cancel();
        self.tasks.close();
        if tokio::time::timeout(grace, self.tasks.wait()).await.is_err() {
            tracing::warn!(service = %name, "in-flight work did not finish within the grace period; abandoning it");
            self.abort_all();
        }
    }

    /// Drops every task at its current await point, as a crash would.
    fn abort_all(&self) {
        if let Ok(aborts) = self.aborts.lock() {
            for handle in aborts.iter() {
                handle.abort();
            }
        }
    }
}

/// A set of services running in this process.
pub struct Fleet {
    config: Arc<Config>,
    bus: Bus,
    defs: BTreeMap<ServiceName, ServiceDef>,
    running: BTreeMap<ServiceName, Running>,
    grpc_addrs: BTreeMap<ServiceName, SocketAddr>,
    http_addrs: BTreeMap<ServiceName, SocketAddr>,
    peers: Peers,
    process: CancellationToken,
    /// The time every service reads (the system's; a test's own in tests).
    clock: SharedClock,
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fleet")
            .field("running", &self.running.keys().collect::<Vec<_>>())
            .field("grpc_addrs", &self.grpc_addrs)
            .field("http_addrs", &self.http_addrs)
            .finish_non_exhaustive()
    }
}

impl Fleet {
    /// Checks configuration, reaches Postgres and NATS, migrates (unless
    /// disabled), binds every listener, then starts each service.
    pub async fn start(config: Config, defs: Vec<ServiceDef>, process: CancellationToken) -> anyhow::Result<Self> {
        Self::start_with_clock(config, defs, process, crate::clock::system()).await
    }

    /// [`Fleet::start`] with the clock every service reads (tests move it).
    pub async fn start_with_clock(
        config: Config,
        defs: Vec<ServiceDef>,
        process: CancellationToken,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let config = Arc::new(config);

        // Configuration first: nothing is touched if any setting is bad.
        let mut errors = Vec::new();
        for def in &defs {
            if let Err(mut e) = (def.configure)(&config) {
                errors.append(&mut e);
            }
        }
        if !errors.is_empty() {
            return Err(config_errors(errors));
        }

        let bus = connect_bus(&config).await?;
        // Without migrations a service needs only its own role's URL; its
        // first connection then proves Postgres is reachable.
        if config.migrate_on_start {
            migrate(&config, &defs).await?;
        }

        let mut fleet = Self {
            peers: Peers {
                urls: config
                    .services
                    .iter()
                    .map(|(name, addrs)| (*name, addrs.url.clone()))
                    .collect(),
                key: config.fleet_key.clone().unwrap_or_else(FleetKey::random),
                issuer: OPERATOR,
            },
            config,
            bus,
            defs: defs.iter().map(|d| (d.name, *d)).collect(),
            running: BTreeMap::new(),
            grpc_addrs: BTreeMap::new(),
            http_addrs: BTreeMap::new(),
            process,
            clock,
        };

        // Bind everything before starting anything, so peers' URLs are the
        // real ports (tests bind port 0).
        let mut listeners = BTreeMap::new();
        for def in &defs {
            let grpc_var = format!("ATTEND_{}_GRPC_ADDR", def.name.env_key());
            let grpc = grpc::bind(fleet.config.service(def.name).listen, &grpc_var).await?;
            let addr = grpc.local_addr()?;
            fleet.grpc_addrs.insert(def.name, addr);
            fleet.peers.urls.insert(def.name, crate::config::url_for(addr));
            let http = if def.public_http {
                let (addr, var) = match def.name {
                    ServiceName::Gateway => (fleet.config.gateway_addr, "ATTEND_GATEWAY_ADDR"),
                    _ => (fleet.config.ingest_addr, "ATTEND_INGEST_ADDR"),
                };
                let listener = grpc::bind(addr, var).await?;
                fleet.http_addrs.insert(def.name, listener.local_addr()?);
                Some(listener)
            } else {
                None
            };
            listeners.insert(def.name, (grpc, http));
        }
        for (name, (grpc, http)) in listeners {
            fleet.launch(name, grpc, http).await?;
        }
        Ok(fleet)
    }

    async fn launch(&mut self, name: ServiceName, grpc: TcpListener, http: Option<TcpListener>) -> anyhow::Result<()> {
        let def = self.defs[&name];
        let startable = (def.configure)(&self.config).map_err(config_errors)?;
        let db = match def.migrations {
            Some(_) => {
                let url = self.config.runtime_database_url(name);
                let db = Db::connect(name, &url, self.config.db_max_connections)
                    .await
                    .map_err(|e| {
                        let (host, role) = (url.host_str().unwrap_or("?"), url.username());
                        if is_unreachable(&e) {
                            anyhow::anyhow!("Postgres is unreachable at {host} for {name} ({e:#}); {}", postgres_hint())
                        } else {
                            anyhow::anyhow!(
                                "{name} cannot connect to Postgres at {host} as role {role} ({e:#}); run `attend migrate` to create its role, or set ATTEND_{}_DATABASE_URL",
                                name.env_key()
                            )
                        }
                    })?;
                Some(db)
            }
            None => None,
        };
        let token = self.process.child_token();
        let tasks = TaskTracker::new();
        let aborts = Arc::new(Mutex::new(Vec::new()));
        let ctx = Context {
            name,
            config: self.config.clone(),
            db,
            bus: self.bus.clone(),
            peers: self.peers.as_issuer(name.as_str()),
            grpc_listener: Some(grpc),
            http_listener: http,
            shutdown: token.clone(),
            process: self.process.clone(),
            tasks: tasks.clone(),
            aborts: aborts.clone(),
            outbox: Outbox::new(self.config.nats_prefix.clone(), name),
            clock: self.clock.clone(),
        };
        // The relay is the runtime's job, not each service's.
        if def.publishes {
            ctx.run_relay()?;
        }
        startable
            .start(ctx)
            .await
            .with_context(|| format!("{name} failed to start"))?;
        tracing::info!(service = %name, grpc = %self.grpc_addrs[&name], http = ?self.http_addrs.get(&name), "service started");
        self.running.insert(name, Running { token, tasks, aborts });
        Ok(())
    }

    /// The address a service's gRPC (and ops) port is bound to.
    pub fn grpc_addr(&self, name: ServiceName) -> Option<SocketAddr> {
        self.grpc_addrs.get(&name).copied()
    }

    /// The address of a service's public HTTP listener.
    pub fn http_addr(&self, name: ServiceName) -> Option<SocketAddr> {
        self.http_addrs.get(&name).copied()
    }

    /// Channels to the fleet's services, calling as the operator (the CLI,
    /// tests).
    pub fn peers(&self) -> &Peers {
        &self.peers
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Stops one service gracefully: stop accepting, finish in-flight work.
    pub async fn stop(&mut self, name: ServiceName) -> anyhow::Result<()> {
        let running = self
            .running
            .remove(&name)
            .with_context(|| format!("{name} is not running"))?;
        running.stop(name, self.config.shutdown_grace).await;
        Ok(())
    }

    /// Stops one service abruptly, as a crash would: every task is dropped
    /// at its current await point, transactions roll back, nothing acks.
    pub async fn kill(&mut self, name: ServiceName) -> anyhow::Result<()> {
        let running = self
            .running
            .remove(&name)
            .with_context(|| format!("{name} is not running"))?;
        running.abort_all();
        running.tasks.close();
        running.tasks.wait().await;
        running.token.cancel();
        Ok(())
    }

    /// Starts a stopped service again on the same addresses.
    pub async fn restart(&mut self, name: ServiceName) -> anyhow::Result<()> {
        anyhow::ensure!(!self.running.contains_key(&name), "{name} is already running");
        let grpc_var = format!("ATTEND_{}_GRPC_ADDR", name.env_key());
        let grpc = grpc::bind(self.grpc_addrs[&name], &grpc_var).await?;
        let http = match self.http_addrs.get(&name) {
            Some(addr) => Some(grpc::bind(*addr, "public HTTP address").await?),
            None => None,
        };
        self.launch(name, grpc, http).await
    }

    /// Waits until the process token is cancelled, then stops every service.
    pub async fn run_until_shutdown(mut self) -> anyhow::Result<()> {
        self.process.cancelled().await;
        self.shutdown().await
    }

    /// Stops every service gracefully, all at once.
    pub async fn shutdown(&mut self) -> anyhow::Result<()> {
        self.process.cancel();
        let grace = self.config.shutdown_grace;
        let stops = std::mem::take(&mut self.running)
            .into_iter()
            .map(|(name, running)| running.stop(name, grace));
        futures::future::join_all(stops).await;
        Ok(())
    }
}
