//! What keeps services and organisations apart in the database.

use attend_integration_tests::TestFleet;
use attend_kit::db::{Db, role_name};
use attend_kit::ids::{ContactId, OrgId, TypedId};
use attend_kit::service::ServiceName;
use sqlx::Connection;

/// Services with a schema.
fn stateful() -> Vec<ServiceName> {
    ServiceName::ALL
        .into_iter()
        .filter(|s| *s != ServiceName::Gateway)
        .collect()
}

fn runtime_url(fleet: &TestFleet, service: ServiceName) -> String {
    fleet.fleet.config().runtime_database_url(service).to_string()
}

/// Each service's database role can use its own schema and no other: every
/// pair is tried, both by privilege and by an actual query.
#[tokio::test]
async fn no_service_role_can_read_another_services_schema() {
    let fleet = TestFleet::start().await;
    let services = stateful();
    for &me in &services {
        let mut conn = sqlx::PgConnection::connect(&runtime_url(&fleet, me)).await.unwrap();
        for &other in &services {
            let can_use: bool = sqlx::query_scalar("select has_schema_privilege(current_user, $1, 'USAGE')")
                .bind(other.as_str())
                .fetch_one(&mut conn)
                .await
                .unwrap();
            assert_eq!(can_use, me == other, "{me} using schema {other}");
            if me != other {
                let sql = format!("select count(*) from {}.outbox", other.as_str());
                let err = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut conn)
                    .await
                    .expect_err("another service's table is out of reach");
                let code = err.as_database_error().and_then(|e| e.code()).unwrap_or_default();
                assert_eq!(
                    code, "42501",
                    "{me} reading {other}.outbox: permission denied, got {err}"
                );
            }
        }
    }
    fleet.teardown().await;
}

/// Service roles are not superusers, cannot bypass Row-Level Security and
/// own no table, so RLS binds them.
#[tokio::test]
async fn service_roles_are_ordinary_and_own_nothing() {
    let fleet = TestFleet::start().await;
    let mut admin = fleet.admin().await;
    for service in stateful() {
        let role = role_name(service);
        let (superuser, bypass): (bool, bool) =
            sqlx::query_as("select rolsuper, rolbypassrls from pg_roles where rolname = $1")
                .bind(&role)
                .fetch_one(&mut admin)
                .await
                .unwrap();
        assert!(!superuser && !bypass, "{role} must be neither superuser nor BYPASSRLS");
        let owned: i64 = sqlx::query_scalar("select count(*) from pg_tables where tableowner = $1")
            .bind(&role)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        assert_eq!(owned, 0, "{role} owns no table");
    }
    // Every table holding org_id has RLS enabled and forced.
    let unprotected: Vec<String> = sqlx::query_scalar(
        "select n.nspname || '.' || c.relname from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         where c.relkind = 'r' and n.nspname <> all(array['pg_catalog', 'information_schema', 'public'])
           and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
           and not (c.relrowsecurity and c.relforcerowsecurity)
           and c.relname <> 'dead_letters'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        unprotected.is_empty(),
        "tenant tables without forced RLS: {unprotected:?}"
    );
    fleet.teardown().await;
}

/// One pooled connection serves organisation A, then B: B's transaction sees
/// none of A's rows, can't write rows for A, and a transaction with no
/// organisation sees nothing.
#[tokio::test]
async fn an_organisations_rows_are_invisible_to_anothers_transaction_on_the_same_connection() {
    let fleet = TestFleet::start().await;
    // One connection, so every transaction below reuses it.
    let db = Db::connect(
        ServiceName::Contact,
        &fleet.fleet.config().runtime_database_url(ServiceName::Contact),
        1,
    )
    .await
    .unwrap();
    let (a, b) = (OrgId::new(), OrgId::new());
    let mut tx = db.tenant(a).await.unwrap();
    sqlx::query("insert into contact.contacts (id, org_id, name, phone, source) values ($1, $2, 'A person', '+61400000001', 'Manual')")
        .bind(ContactId::new().uuid())
        .bind(a.uuid())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.tenant(b).await.unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from contact.contacts")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 0, "B sees none of A's contacts");
    let err = sqlx::query("insert into contact.contacts (id, org_id, name, phone, source) values ($1, $2, 'Sneaky', '+61400000002', 'Manual')")
        .bind(ContactId::new().uuid())
        .bind(a.uuid())
        .execute(&mut *tx)
        .await
        .expect_err("B cannot write a row for A");
    assert!(err.to_string().contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();

    let mut conn = db.pool().acquire().await.unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from contact.contacts")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(seen, 0, "outside a tenant transaction nothing is visible");
    drop(conn);

    let mut tx = db.tenant(a).await.unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from contact.contacts")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 1, "A still sees its own contact");
    tx.commit().await.unwrap();
    fleet.teardown().await;
}

/// The raw event log can't be changed: the service role has no UPDATE or
/// DELETE grant, and even the owner is stopped by a trigger.
#[tokio::test]
async fn the_ingest_event_log_is_append_only() {
    let fleet = TestFleet::start().await;
    let mut admin = fleet.admin().await;
    sqlx::query(
        "insert into ingest.event_log (id, org_id, provider, delivery_id, event_type, endpoint, headers, raw_body, published)
         values (gen_random_uuid(), gen_random_uuid(), 'wix', 'd1', 't', '/x', '{}', 'raw', false)",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    for sql in [
        "update ingest.event_log set event_type = 'changed'",
        "delete from ingest.event_log",
    ] {
        let err = sqlx::query(sql)
            .execute(&mut admin)
            .await
            .expect_err("the owner is refused");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let mut ingest = sqlx::PgConnection::connect(&runtime_url(&fleet, ServiceName::Ingest))
        .await
        .unwrap();
    for sql in [
        "update ingest.event_log set event_type = 'changed'",
        "delete from ingest.event_log",
    ] {
        let err = sqlx::query(sql)
            .execute(&mut ingest)
            .await
            .expect_err("the service role is refused");
        assert!(err.to_string().contains("permission denied"), "{err}");
    }
    fleet.teardown().await;
}
