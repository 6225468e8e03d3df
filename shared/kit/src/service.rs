//! Running services: what a service crate hands the runtime
//! ([`ServiceDef`]), what the runtime hands a service ([`Context`]), and the
//! [`Fleet`] that runs any subset of them in one process.
//!
//! Even when every service runs in one process (`attend run all`), they talk
//! only over NATS and gRPC on loopback: a [`Context`] offers a service its
//! own database pool, the bus and channels to its peers, never another
//! service's objects. So what is tested in one process is what is deployed
//! as ten.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use futures::future::BoxFuture;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use url::Url;

use crate::bus::Bus;
use crate::bus::consumer::{self, Handler, Spec};
use crate::bus::outbox::Outbox;
use crate::config::{Config, ConfigError};
use crate::db::{self, Db};
use crate::grpc::{self, Traced};
use crate::http::Readiness;

/// The services of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceName {
    Ingest,
    Contact,
    Booking,
    Automation,
    Messaging,
    Billing,
    Reporting,
    Care,
    Identity,
    Gateway,
}

impl ServiceName {
    /// In this order they take consecutive default gRPC ports from 50051.
    pub const ALL: [ServiceName; 10] = [
        ServiceName::Ingest,
        ServiceName::Contact,
        ServiceName::Booking,
        ServiceName::Automation,
        ServiceName::Messaging,
        ServiceName::Billing,
        ServiceName::Reporting,
        ServiceName::Care,
        ServiceName::Identity,
        ServiceName::Gateway,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::Contact => "contact",
            Self::Booking => "booking",
            Self::Automation => "automation",
            Self::Messaging => "messaging",
            Self::Billing => "billing",
            Self::Reporting => "reporting",
            Self::Care => "care",
            Self::Identity => "identity",
            Self::Gateway => "gateway",
        }
    }

    /// The name as it appears in environment variables (`ATTEND_CONTACT_...`).
    pub fn env_key(self) -> String {
        self.as_str().to_ascii_uppercase()
    }
}

impl FromStr for ServiceName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|n| n.as_str()).collect();
            format!("unknown service {s:?}; expected one of {}", names.join(", "))
        })
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
            let server = ctx.grpc_server()?;
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

/// Where every service is reached.
#[derive(Clone, Debug)]
pub struct Peers {
    urls: BTreeMap<ServiceName, Url>,
}

impl Peers {
    pub fn url(&self, name: ServiceName) -> &Url {
        // Built from `Config::services`, which holds every name.
        &self.urls[&name]
    }

    /// A lazily connected, traced channel to a peer.
    pub fn channel(&self, name: ServiceName) -> Traced {
        grpc::channel(self.url(name))
    }
}

/// What the runtime hands a starting service.
pub struct Context {
    pub name: ServiceName,
    pub config: Arc<Config>,
    db: Option<Db>,
    pub bus: Bus,
    pub peers: Peers,
    grpc_listener: Option<TcpListener>,
    http_listener: Option<TcpListener>,
    /// Cancelled when this service must stop.
    pub shutdown: CancellationToken,
    /// Cancelled to stop the whole process when a critical task fails.
    process: CancellationToken,
    tasks: TaskTracker,
    aborts: Arc<Mutex<Vec<AbortHandle>>>,
    /// One per service: every handle wakes the same relay.
    outbox: Outbox,
}

impl Context {
    /// The service's database, as its own role.
    pub fn db(&self) -> anyhow::Result<Db> {
        self.db
            .clone()
            .with_context(|| format!("{} declares no migrations, so it has no database", self.name))
    }

    pub fn outbox(&self) -> Outbox {
        self.outbox.clone()
    }

    /// What `/readyz` checks for this service.
    pub fn readiness(&self) -> Readiness {
        Readiness {
            db: self.db.clone(),
            bus: Some(self.bus.clone()),
            checks: Vec::new(),
        }
    }

    /// The public HTTP listener (gateway and ingest only).
    pub fn take_http_listener(&mut self) -> anyhow::Result<TcpListener> {
        self.http_listener
            .take()
            .with_context(|| format!("{} has no public HTTP listener", self.name))
    }

    /// Spawns a tracked task; if it fails, the whole process stops, because
    /// a service running without its server or loop is worse than none.
    pub fn spawn_critical<F>(&self, what: &'static str, task: F)
    where
        F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let process = self.process.clone();
        let service = self.name;
        let handle = self.tasks.spawn(async move {
            if let Err(e) = task.await {
                tracing::error!(%service, task = what, error = format!("{e:#}"), "critical task failed; stopping");
                process.cancel();
            }
        });
        self.track(handle.abort_handle());
    }

    /// Spawns a tracked task that runs until shutdown.
    pub fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let handle = self.tasks.spawn(task);
        self.track(handle.abort_handle());
    }

    fn track(&self, handle: AbortHandle) {
        // The lock is never held across an await and nothing panics inside it.
        if let Ok(mut aborts) = self.aborts.lock() {
            aborts.push(handle);
        }
    }

    /// The service's gRPC server with health, reflection and its ops routes;
    /// add the service's APIs, then [`Context::serve_grpc`].
    pub fn grpc_server(&self) -> anyhow::Result<grpc::Server> {
        grpc::Server::new(self.name, crate::http::ops_router(self.readiness()))
    }

    /// Serves the gRPC server (and ops routes) on the service's port.
    pub fn serve_grpc(&mut self, server: grpc::Server) -> anyhow::Result<()> {
        let listener = self
            .grpc_listener
            .take()
            .context("the gRPC listener was already taken")?;
        let shutdown = self.shutdown.clone();
        self.spawn_critical("grpc server", server.serve(listener, shutdown));
        Ok(())
    }

    /// Serves an axum router on the public HTTP listener.
    pub fn serve_http(&mut self, router: axum::Router) -> anyhow::Result<()> {
        let listener = self.take_http_listener()?;
        let shutdown = self.shutdown.clone();
        self.spawn_critical("http server", async move {
            // Replies go out at once, not after the client's delayed ACK.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!(error = %e, "could not set TCP_NODELAY");
                }
            });
            // With the peer address, for handlers that throttle by client.
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .context("HTTP server failed")
        });
        Ok(())
    }

    /// Runs the outbox relay for this service.
    pub fn run_relay(&self) -> anyhow::Result<()> {
        let relay = self.outbox.relay(self.db()?, self.bus.clone());
        let shutdown = self.shutdown.clone();
        self.spawn(relay.run(shutdown));
        Ok(())
    }

    /// Runs a durable consumer.
    pub fn consume<H: Handler>(&self, spec: Spec, handler: H) -> anyhow::Result<()> {
        let db = self.db()?;
        let bus = self.bus.clone();
        let shutdown = self.shutdown.clone();
        self.spawn(consumer::run(spec, db, bus, handler, shutdown));
        Ok(())
    }
}

/// A running service.
struct Running {
    token: CancellationToken,
    tasks: TaskTracker,
    aborts: Arc<Mutex<Vec<AbortHandle>>>,
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

/// How to start Postgres on a machine like ours (shown when it is down).
pub const POSTGRES_HINT: &str =
    "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
/// How to start NATS on a machine like ours (shown when it is down).
pub const NATS_HINT: &str = "start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log";

/// Connects to NATS, with the one-line explanation operators need when it fails.
pub async fn connect_bus(config: &Config) -> anyhow::Result<Bus> {
    let bus = Bus::connect(&config.nats_url, config.nats_prefix.clone(), config.bus.clone())
        .await
        .map_err(|e| anyhow::anyhow!("NATS is unreachable at {} ({e:#}); {NATS_HINT}", config.nats_url))?;
    bus.ensure_stream().await.map_err(|e| {
        anyhow::anyhow!(
            "NATS at {} has no usable JetStream ({e:#}); is it started with -js?",
            config.nats_url
        )
    })?;
    Ok(bus)
}

/// Connects as admin, with the one-line explanation operators need when it fails.
pub async fn connect_admin(config: &Config) -> anyhow::Result<sqlx::PgConnection> {
    db::connect_admin(&config.database_url).await.map_err(|e| {
        let mut shown = config.database_url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        if is_unreachable(&e) {
            anyhow::anyhow!("Postgres is unreachable at {shown} ({e:#}); {POSTGRES_HINT}")
        } else {
            anyhow::anyhow!("Postgres at {shown} refused us: {e:#} (check DATABASE_URL)")
        }
    })
}

/// Whether a connection error means nothing answered (rather than a refusal).
fn is_unreachable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some()
            || matches!(
                cause.downcast_ref::<sqlx::Error>(),
                Some(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
            )
    })
}

/// Applies every given service's migrations (and creates roles and schemas).
pub async fn migrate(config: &Config, defs: &[ServiceDef]) -> anyhow::Result<()> {
    let mut admin = connect_admin(config).await?;
    for def in defs {
        if let Some(migrator) = def.migrations {
            db::prepare(&mut admin, def.name, migrator).await?;
            tracing::info!(service = %def.name, "schema ready");
        }
    }
    Ok(())
}

impl Fleet {
    /// Checks configuration, reaches Postgres and NATS, migrates (unless
    /// disabled), binds every listener, then starts each service.
    pub async fn start(config: Config, defs: Vec<ServiceDef>, process: CancellationToken) -> anyhow::Result<Self> {
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
            },
            config,
            bus,
            defs: defs.iter().map(|d| (d.name, *d)).collect(),
            running: BTreeMap::new(),
            grpc_addrs: BTreeMap::new(),
            http_addrs: BTreeMap::new(),
            process,
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
                            anyhow::anyhow!("Postgres is unreachable at {host} for {name} ({e:#}); {POSTGRES_HINT}")
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
            peers: self.peers.clone(),
            grpc_listener: Some(grpc),
            http_listener: http,
            shutdown: token.clone(),
            process: self.process.clone(),
            tasks: tasks.clone(),
            aborts: aborts.clone(),
            outbox: Outbox::new(self.config.nats_prefix.clone(), name),
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
        running.token.cancel();
        running.tasks.close();
        if tokio::time::timeout(self.config.shutdown_grace, running.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(service = %name, "in-flight work did not finish within the grace period; abandoning it");
            abort_all(&running);
        }
        Ok(())
    }

    /// Stops one service abruptly, as a crash would: every task is dropped
    /// at its current await point, transactions roll back, nothing acks.
    pub async fn kill(&mut self, name: ServiceName) -> anyhow::Result<()> {
        let running = self
            .running
            .remove(&name)
            .with_context(|| format!("{name} is not running"))?;
        abort_all(&running);
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

    /// Stops every service gracefully.
    pub async fn shutdown(&mut self) -> anyhow::Result<()> {
        self.process.cancel();
        let grace = self.config.shutdown_grace;
        let mut waits = Vec::new();
        for (name, running) in std::mem::take(&mut self.running) {
            running.token.cancel();
            running.tasks.close();
            waits.push(async move {
                if tokio::time::timeout(grace, running.tasks.wait()).await.is_err() {
                    tracing::warn!(service = %name, "in-flight work did not finish within the grace period; abandoning it");
                    abort_all(&running);
                }
            });
        }
        futures::future::join_all(waits).await;
        Ok(())
    }
}

fn abort_all(running: &Running) {
    if let Ok(aborts) = running.aborts.lock() {
        for handle in aborts.iter() {
            handle.abort();
        }
    }
}

/// Several configuration errors as one error, one line each.
pub fn config_errors(errors: Vec<ConfigError>) -> anyhow::Error {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    anyhow::anyhow!("configuration error: {}", lines.join("\n"))
}

/// Waits with a deadline for a condition; for start-up checks and tests.
pub async fn wait_until<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
