//! Removing what tests leave behind: each fleet's database and event
//! stream, at [`TestFleet::teardown`](crate::TestFleet::teardown) or, when
//! a test panics before it gets there, from the fleet's drop guard
//! ([`Leftovers`]); and those of runs that crashed outright.

use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::fleet::Backends;

/// How long removing a test's leftovers may take before it is given up:
/// a drop must not hang a failing test.
const REMOVE_TIMEOUT: Duration = Duration::from_secs(30);

/// The stream a fleet with this NATS prefix uses (as `Bus::stream_name`
/// names it; the fleet checks the two agree when it starts).
pub(crate) fn stream_name(prefix: &str) -> String {
    format!("{}_EVENTS", prefix.to_ascii_uppercase())
}

/// A test's database and stream, removed when this guard is dropped unless
/// [`Leftovers::remove`] already did.
///
/// A test that panics never reaches its async teardown, and `Drop` can't
/// await; the test's runtime is unwinding and may be the very thread
/// running the drop. So the guard stops the fleet's services, then removes
/// the database and stream from a thread of its own, with its own runtime
/// and its own connections, and waits for it.
pub(crate) struct Leftovers {
    /// The admin URL of the `postgres` database (to drop the test's).
    maintenance: Url,
    database: String,
    nats_url: String,
    stream: String,
    /// Cancels every service of the fleet.
    services: CancellationToken,
    removed: bool,
}

impl Leftovers {
    pub(crate) fn new(
        database_url: &Url,
        database: &str,
        nats_url: &str,
        stream: &str,
        services: CancellationToken,
    ) -> Self {
        let mut maintenance = database_url.clone();
        maintenance.set_path("postgres");
        Self {
            maintenance,
            database: database.to_owned(),
            nats_url: nats_url.to_owned(),
            stream: stream.to_owned(),
            services,
            removed: false,
        }
    }

    /// Drops the database and deletes the stream, once the services are
    /// stopped; the guard then has nothing left to do.
    pub(crate) async fn remove(&mut self) {
        remove(&self.maintenance, &self.database, &self.nats_url, &self.stream).await;
        self.removed = true;
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        // Nothing of the fleet's may still run, or reconnect and recreate
        // the stream, once its things are gone. On a current-thread runtime
        // (every #[tokio::test]) no task of it can run while this thread is
        // here, and the runtime drops them all after the unwind; on a
        // multi-thread runtime the cancelled token stops them.
        self.services.cancel();
        let (maintenance, database) = (self.maintenance.clone(), self.database.clone());
        let (nats_url, stream) = (self.nats_url.clone(), self.stream.clone());
        let cleaner = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => {
                    tracing::warn!(database, stream, error = %e, "no runtime to remove the test's database and stream");
                    return;
                }
            };
            runtime.block_on(remove(&maintenance, &database, &nats_url, &stream));
        });
        // A cleaner that panicked has already said why on stderr; the
        // leftovers then go with the next run's stale clean-up.
        let _ = cleaner.join();
    }
}

/// Drops the database (closing its connections) and deletes the stream;
/// whatever fails is reported and left for [`clean_up_stale`].
async fn remove(maintenance: &Url, database: &str, nats_url: &str, stream: &str) {
    let work = async {
        match PgConnection::connect(maintenance.as_str()).await {
            Ok(mut conn) => drop_database(&mut conn, database).await,
            Err(e) => tracing::warn!(database, error = %e, "cannot connect to drop the test database"),
        }
        match async_nats::connect(nats_url).await {
            Ok(client) => {
                let js = async_nats::jetstream::new(client);
                if let Err(e) = js.delete_stream(stream).await {
                    tracing::warn!(stream, error = %e, "cannot delete the test stream");
                }
            }
            Err(e) => tracing::warn!(stream, error = %e, "cannot connect to delete the test stream"),
        }
    };
    if tokio::time::timeout(REMOVE_TIMEOUT, work).await.is_err() {
        tracing::warn!(database, stream, "removing the test's database and stream timed out");
    }
}

async fn drop_database(conn: &mut PgConnection, database: &str) {
    let sql = format!("drop database if exists \"{database}\" with (force)");
    if let Err(e) = conn.execute(sqlx::AssertSqlSafe(sql)).await {
        tracing::warn!(database, error = %e, "cannot drop the test database");
    }
}

/// Removes databases and streams of test runs that crashed more than an
/// hour ago (names carry their creation time).
pub(crate) async fn clean_up_stale(backends: &Backends) {
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    let mut maintenance = backends.database_url.clone();
    maintenance.set_path("postgres");
    if let Ok(mut conn) = PgConnection::connect(maintenance.as_str()).await {
        let names: Vec<String> = sqlx::query_scalar("select datname from pg_database where datname like 'attend_t_%'")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
        for name in names {
            let created = name
                .strip_prefix("attend_t_")
                .and_then(|rest| rest.split('_').next())
                .and_then(|t| t.parse::<i64>().ok());
            if created.is_some_and(|t| t < cutoff) {
                drop_database(&mut conn, &name).await;
            }
        }
    }
    if let Ok(client) = async_nats::connect(&backends.nats_url).await {
        let js = async_nats::jetstream::new(client);
        let mut names = js.stream_names();
        let mut stale = Vec::new();
        use futures::StreamExt;
        while let Some(Ok(name)) = names.next().await {
            let created = name
                .strip_prefix('T')
                .and_then(|rest| rest.get(..10))
                .and_then(|t| t.parse::<i64>().ok());
            if name.ends_with("_EVENTS") && created.is_some_and(|t| t < cutoff) {
                stale.push(name);
            }
        }
        for name in stale {
            let _ = js.delete_stream(&name).await;
        }
    }
}
