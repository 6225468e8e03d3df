//! Reaching Postgres and NATS at start-up, with the one-line explanation an
//! operator needs when either is missing, and applying migrations.

use std::time::Duration;

use crate::bus::{Bus, ConnectFailure};
use crate::config::{Config, ConfigError};
use crate::db;

use super::ServiceDef;

/// How to start Postgres on a machine like ours (shown when it is down).
const POSTGRES_HINT: &str = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
/// How to start NATS on a machine like ours (shown when it is down).
const NATS_HINT: &str = "start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log";
/// What to check from inside a container, where starting a server is not
/// the answer.
const CONTAINER_HINT: &str =
    "check that the server runs and that this container can reach it (the address, the network, a NetworkPolicy)";

/// Whether this process runs in a container (Docker, Podman, Kubernetes).
fn in_container() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        || std::path::Path::new("/.dockerenv").exists()
        || std::path::Path::new("/run/.containerenv").exists()
}

/// What to do about an unreachable Postgres, where this process runs.
pub fn postgres_hint() -> &'static str {
    if in_container() { CONTAINER_HINT } else { POSTGRES_HINT }
}

/// What to do about an unreachable NATS, where this process runs.
pub fn nats_hint() -> &'static str {
    if in_container() { CONTAINER_HINT } else { NATS_HINT }
}

/// Connects to NATS, with the one-line explanation operators need when it fails.
pub async fn connect_bus(config: &Config) -> anyhow::Result<Bus> {
    let url = &config.nats_url;
    let bus = Bus::connect(url, config.nats_prefix.clone(), config.bus.clone())
        .await
        .map_err(|e| match e {
            ConnectFailure::Unreachable(_) => anyhow::anyhow!("NATS is {e} at {url}; {}", nats_hint()),
            ConnectFailure::Tls(_) => anyhow::anyhow!(
                "NATS at {url}: {e}; check the server's certificate and the CA this machine trusts, and that NATS_URL uses tls:// only for a TLS server"
            ),
            ConnectFailure::Refused(_) => anyhow::anyhow!("NATS at {url} {e}; check the user and password in NATS_URL"),
            ConnectFailure::BadUrl(_) => anyhow::anyhow!("NATS_URL {url} is {e}"),
        })?;
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
            anyhow::anyhow!("Postgres is unreachable at {shown} ({e:#}); {}", postgres_hint())
        } else {
            anyhow::anyhow!("Postgres at {shown} refused us: {e:#} (check DATABASE_URL)")
        }
    })
}

/// Whether a connection error means nothing answered (rather than a refusal).
pub(super) fn is_unreachable(e: &anyhow::Error) -> bool {
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
