//! Removing what tests leave behind: databases and event streams of test
//! runs that crashed.

use sqlx::{Connection, Executor, PgConnection};

use crate::fleet::Backends;

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
                let _ = conn
                    .execute(sqlx::AssertSqlSafe(format!(
                        "drop database if exists \"{name}\" with (force)"
                    )))
                    .await;
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
