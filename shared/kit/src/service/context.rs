//! What the runtime hands a starting service: a [`Context`] with its own
//! database pool, the bus, channels to its peers, its listeners, and the
//! shutdown token and task tracker every spawned task is tied to.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use url::Url;

use super::ServiceName;
use crate::bus::Bus;
use crate::bus::consumer::{self, Handler, Spec};
use crate::bus::outbox::Outbox;
use crate::calltoken::FleetKey;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::Db;
use crate::grpc::{self, Traced};
use crate::http::Readiness;

/// Where every service is reached, and who this side is when calling.
#[derive(Clone, Debug)]
pub struct Peers {
    pub(super) urls: BTreeMap<ServiceName, Url>,
    pub(super) key: FleetKey,
    /// The calling service's name, or `operator` for the CLI and tests.
    pub(super) issuer: &'static str,
}

impl Peers {
    pub fn url(&self, name: ServiceName) -> &Url {
        // Built from `Config::services`, which holds every name.
        &self.urls[&name]
    }

    /// A lazily connected, traced channel to a peer, every call on it
    /// carrying a token for that peer.
    pub fn channel(&self, name: ServiceName) -> Traced {
        grpc::channel(
            self.url(name),
            grpc::Signer {
                key: self.key.clone(),
                issuer: self.issuer,
                audience: name,
            },
        )
    }

    /// The same peers, called as `issuer`.
    pub(super) fn as_issuer(&self, issuer: &'static str) -> Self {
        Self { issuer, ..self.clone() }
    }

    /// The fleet key the channels sign with.
    pub fn fleet_key(&self) -> &FleetKey {
        &self.key
    }
}

/// What the runtime hands a starting service.
pub struct Context {
    pub name: ServiceName,
    pub config: Arc<Config>,
    pub(super) db: Option<Db>,
    pub bus: Bus,
    pub peers: Peers,
    pub(super) grpc_listener: Option<TcpListener>,
    pub(super) http_listener: Option<TcpListener>,
    /// Cancelled when this service must stop.
    pub shutdown: CancellationToken,
    /// Cancelled to stop the whole process when a critical task fails.
    pub(super) process: CancellationToken,
    pub(super) tasks: TaskTracker,
    pub(super) aborts: Arc<Mutex<Vec<AbortHandle>>>,
    /// One per service: every handle wakes the same relay.
    pub(super) outbox: Outbox,
    /// The fleet's one clock.
    pub(super) clock: SharedClock,
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

    /// The clock to decide by (the system's; a test's own in tests).
    pub fn clock(&self) -> SharedClock {
        self.clock.clone()
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
    pub fn grpc_server(&self) -> grpc::Server {
        self.grpc_server_with(self.readiness())
    }

    /// [`Context::grpc_server`] with readiness checks of the service's own.
    pub fn grpc_server_with(&self, readiness: Readiness) -> grpc::Server {
        let server = grpc::Server::new(self.name, readiness, self.peers.key.clone());
        // Operators' tools on every service that keeps dead letters.
        match &self.db {
            Some(db) => server.with_api(attend_proto::ops::v1::ops_service_server::OpsServiceServer::new(
                crate::bus::dead_letters::Api {
                    db: db.clone(),
                    outbox: self.outbox.clone(),
                    bus: self.bus.clone(),
                },
            )),
            None => server,
        }
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

    /// Serves an axum router on the public HTTP listener, with the header
    /// limits and problem+json refusals of every public listener
    /// ([`crate::http::serve`]).
    pub fn serve_http(&mut self, router: axum::Router) -> anyhow::Result<()> {
        self.serve_http_recording(router, None)
    }

    /// [`Context::serve_http`], handing every refusal no handler answered
    /// (a framework refusal) to `on_refusal`.
    pub fn serve_http_recording(
        &mut self,
        router: axum::Router,
        on_refusal: Option<crate::http::serve::OnRefusal>,
    ) -> anyhow::Result<()> {
        let listener = self.take_http_listener()?;
        let shutdown = self.shutdown.clone();
        self.spawn_critical(
            "http server",
            crate::http::serve::serve(listener, router, on_refusal, shutdown),
        );
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
