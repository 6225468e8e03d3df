//! The harness itself: a failing test cleans up after itself too.

use std::time::Duration;

use attend_integration_tests::TestFleet;
use futures::StreamExt as _;
use sqlx::{Connection, PgConnection};
use url::Url;

/// Where a test fleet's database and stream were.
struct Traces {
    maintenance: Url,
    database: String,
    nats_url: String,
    stream: String,
}

impl Traces {
    fn of(fleet: &TestFleet) -> Self {
        let mut maintenance = fleet.database_url.clone();
        maintenance.set_path("postgres");
        Self {
            maintenance,
            database: fleet.db_name.clone(),
            nats_url: fleet.nats_url().to_owned(),
            stream: fleet.fleet.bus().stream_name(),
        }
    }

    /// Whether the database and the stream exist.
    async fn exist(&self) -> (bool, bool) {
        let mut conn = PgConnection::connect(self.maintenance.as_str()).await.unwrap();
        let database: bool = sqlx::query_scalar("select exists (select from pg_database where datname = $1)")
            .bind(&self.database)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let js = async_nats::jetstream::new(async_nats::connect(&self.nats_url).await.unwrap());
        let streams: Vec<String> = js.stream_names().map(Result::unwrap).collect().await;
        (database, streams.contains(&self.stream))
    }
}

/// A test that panics with its whole fleet running never reaches teardown;
/// the fleet's drop guard stops it and still drops its database and
/// deletes its stream, before the failure is reported.
#[tokio::test]
async fn a_test_that_panics_leaves_no_database_or_stream_behind() {
    let (report, traces) = std::sync::mpsc::channel();
    // As #[tokio::test] runs a test: on its own thread, in a
    // current-thread runtime that unwinds when the test panics.
    let failing_test = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let fleet = TestFleet::start().await;
            fleet.create_org("doomed", "wix-doomed").await;
            let left = Traces::of(&fleet);
            assert_eq!(
                left.exist().await,
                (true, true),
                "the fleet made a database and a stream"
            );
            report.send(left).unwrap();
            panic!("this test fails on purpose, with its fleet running");
        })
    });
    let outcome = tokio::task::spawn_blocking(move || failing_test.join()).await.unwrap();
    assert!(outcome.is_err(), "the test panicked");

    let left = traces.recv_timeout(Duration::from_secs(1)).unwrap();
    assert_eq!(
        left.exist().await,
        (false, false),
        "database {} and stream {} are gone",
        left.database,
        left.stream
    );
}
