//! Postgres: one schema per service, reached only by that service's roles.
//!
//! For a service `x`:
//! - schema `x`, owned by the admin connection (`DATABASE_URL`), which runs
//!   the migrations;
//! - role `attend_x` (LOGIN, NOINHERIT, not superuser, not BYPASSRLS, owns
//!   nothing): the only role the service uses at run time. It is granted
//!   exactly what each migration grants it, and USAGE on schema `x` only;
//! - role `attend_x_platform` (NOLOGIN), which `attend_x` may `SET ROLE` to
//!   inside one transaction ([`Db::platform`]) for the few deliberate
//!   cross-tenant operations (the outbox relay, resolving which organisation
//!   a webhook belongs to). Row-Level Security policies name it explicitly.
//!
//! Tenant data is read and written in [`Db::tenant`] transactions, which set
//! `app.org_id` with `set_config(.., true)` so the setting dies with the
//! transaction and a pooled connection never carries one tenant's id into
//! another's work. Every tenant table has RLS enabled and forced, with a
//! policy on that setting: the backstop behind the `org_id = $1` in every
//! query.
//!
//! Each schema gets two migration histories: `x._kit_migrations` for the
//! tables the kit itself needs in every service (outbox, inbox, dead letters,
//! idempotency keys; `shared/kit/migrations`), then `x._migrations` for the
//! service's own (`services/x/migrations`).

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
// Dynamic SQL here is DDL built from our own service names (a closed enum)
// or from `quote_ident`; no request data ever reaches it.
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool, Postgres};
use url::Url;

use crate::ids::{OrgId, TypedId};
use crate::service::ServiceName;

/// A transaction; functions that add to a unit of work take `&mut Tx`, the
/// one that finishes it takes it by value and commits.
pub type Tx = sqlx::Transaction<'static, Postgres>;

/// The tables the kit keeps in every service schema.
static KIT_MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The run-time role of a service.
pub fn role_name(service: ServiceName) -> String {
    format!("attend_{}", service.as_str())
}

/// The role a service switches to for deliberate cross-tenant work.
pub fn platform_role_name(service: ServiceName) -> String {
    format!("attend_{}_platform", service.as_str())
}

/// A service's connection pool, as its own role.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    service: ServiceName,
}

impl Db {
    /// Connects as the service's own role and checks the connection works.
    pub async fn connect(service: ServiceName, url: &Url, max_connections: u32) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(url.as_str())
            .with_context(|| format!("{} database URL is not valid", service.as_str()))?
            .application_name(&format!("attend-{}", service.as_str()))
            // The kit's own tables (outbox, inbox, ...) are named unqualified:
            // they are the service's own, in its schema.
            .options([("search_path", service.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(60))
            .connect_with(options)
            .await?;
        Ok(Self { pool, service })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn service(&self) -> ServiceName {
        self.service
    }

    /// A transaction scoped to one organisation: Row-Level Security shows and
    /// accepts only that organisation's rows.
    pub async fn tenant(&self, org: OrgId) -> sqlx::Result<Tx> {
        // One round trip: BEGIN and the setting in one simple query. The
        // value is a UUID's text, so inlining it is safe.
        self.pool
            .begin_with(AssertSqlSafe(format!(
                "begin; select set_config('app.org_id', '{}', true)",
                org.uuid()
            )))
            .await
    }

    /// A transaction as the service's platform role, for the few operations
    /// that must see every organisation's rows of this service. Each use
    /// says why beside it.
    pub async fn platform(&self) -> sqlx::Result<Tx> {
        self.pool
            .begin_with(AssertSqlSafe(format!(
                "begin; set local role {}",
                platform_role_name(self.service)
            )))
            .await
    }

    /// Postgres answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        tokio::time::timeout(Duration::from_secs(2), sqlx::query("select 1").execute(&self.pool))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// Connects with the admin URL, creating the database first if it is missing.
pub async fn connect_admin(url: &Url) -> anyhow::Result<PgConnection> {
    let options = PgConnectOptions::from_str(url.as_str()).context("DATABASE_URL is not valid")?;
    match PgConnection::connect_with(&options).await {
        Ok(conn) => Ok(conn),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => {
            create_database(&options).await?;
            Ok(PgConnection::connect_with(&options).await?)
        }
        Err(e) => Err(e.into()),
    }
}

async fn create_database(options: &PgConnectOptions) -> anyhow::Result<()> {
    let name = options
        .get_database()
        .context("DATABASE_URL names no database")?
        .to_owned();
    let mut maintenance = PgConnection::connect_with(&options.clone().database("postgres"))
        .await
        .context("cannot connect to the `postgres` database to create the attend database")?;
    let sql = format!("create database {}", quote_ident(&name));
    match maintenance.execute(AssertSqlSafe(sql)).await {
        Ok(_) => tracing::info!(database = %name, "created database"),
        // Another process created it first.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create database {name}")),
    }
    Ok(())
}

/// Creates the service's roles and schema and applies the kit's and the
/// service's migrations. Safe to run concurrently and repeatedly.
pub async fn prepare(admin: &mut PgConnection, service: ServiceName, own: &Migrator) -> anyhow::Result<()> {
    let schema = service.as_str();
    let role = role_name(service);
    let platform = platform_role_name(service);

    ensure_role(
        admin,
        &role,
        "login noinherit nosuperuser nocreatedb nocreaterole nobypassrls noreplication",
    )
    .await?;
    ensure_role(
        admin,
        &platform,
        "nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls noreplication",
    )
    .await?;
    retry_on_concurrent_update(admin, format!("grant {platform} to {role}")).await?;

    admin
        .execute(AssertSqlSafe(format!("create schema if not exists {schema}")))
        .await
        .with_context(|| format!("cannot create schema {schema}"))?;
    admin
        .execute(AssertSqlSafe(format!(
            "grant usage on schema {schema} to {role}, {platform}"
        )))
        .await?;

    run_migrator(admin, &KIT_MIGRATOR, schema, "_kit_migrations")
        .await
        .with_context(|| format!("kit migrations failed in schema {schema}"))?;
    run_migrator(admin, own, schema, "_migrations")
        .await
        .with_context(|| format!("{schema} migrations failed"))?;
    Ok(())
}

async fn run_migrator(admin: &mut PgConnection, migrator: &Migrator, schema: &str, table: &str) -> anyhow::Result<()> {
    let migrator = Migrator {
        migrations: migrator.migrations.clone(),
        table_name: Cow::Owned(format!("{schema}.{table}")),
        ..Migrator::DEFAULT
    };
    // Migrations use the schema's names unqualified or qualified; the kit's
    // are unqualified so that they land in the service's schema.
    admin
        .execute(AssertSqlSafe(format!("set search_path to {schema}")))
        .await?;
    let result = migrator.run(&mut *admin).await;
    admin.execute("set search_path to default").await?;
    result.map_err(Into::into)
}

async fn ensure_role(admin: &mut PgConnection, role: &str, attributes: &str) -> anyhow::Result<()> {
    let exists: bool = sqlx::query_scalar("select exists(select 1 from pg_roles where rolname = $1)")
        .bind(role)
        .fetch_one(&mut *admin)
        .await?;
    if exists {
        return Ok(());
    }
    match admin
        .execute(AssertSqlSafe(format!("create role {role} {attributes}")))
        .await
    {
        Ok(_) => Ok(()),
        // Roles are cluster-wide: another database's migration made it first.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42710" | "23505")) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create role {role}")),
    }
}

/// Role grants touch shared catalog rows; concurrent identical grants from
/// parallel migrations can fail with "tuple concurrently updated".
async fn retry_on_concurrent_update(admin: &mut PgConnection, sql: String) -> anyhow::Result<()> {
    let mut attempt = 0;
    loop {
        match admin.execute(AssertSqlSafe(sql.clone())).await {
            Ok(_) => return Ok(()),
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("XX000") && attempt < 5 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            Err(e) => return Err(e).with_context(|| format!("failed: {sql}")),
        }
    }
}

/// Quotes an identifier for SQL text (database names come from configuration).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether an error is the violation of the named constraint, so callers can
/// turn a unique violation into a client error instead of a racy pre-check.
pub fn is_violation(err: &sqlx::Error, constraint: &str) -> bool {
    match err {
        sqlx::Error::Database(e) => e.constraint() == Some(constraint),
        _ => false,
    }
}
