//! Postgres and NATS in containers, for machines with a Docker engine
//! (`--features containers` and `ATTEND_TEST_CONTAINERS=1`). One pair per
//! test process, kept until the process exits; tests still isolate
//! themselves by database and NATS prefix.

use anyhow::Context as _;
use testcontainers_modules::nats::{Nats, NatsServerCmd};
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, ImageExt};
use tokio::sync::OnceCell;

use crate::fleet::Backends;

struct Running {
    postgres: ContainerAsync<Postgres>,
    nats: ContainerAsync<Nats>,
}

static RUNNING: OnceCell<Running> = OnceCell::const_new();

pub(crate) async fn start() -> anyhow::Result<Backends> {
    let running = RUNNING
        .get_or_try_init(|| async {
            let postgres = Postgres::default()
                .with_tag("15-alpine")
                .start()
                .await
                .context("start a Postgres container")?;
            let nats = Nats::default()
                .with_cmd(&NatsServerCmd::default().with_jetstream())
                .start()
                .await
                .context("start a NATS container")?;
            anyhow::Ok(Running { postgres, nats })
        })
        .await?;
    let pg_port = running.postgres.get_host_port_ipv4(5432).await?;
    let nats_port = running.nats.get_host_port_ipv4(4222).await?;
    Ok(Backends {
        database_url: url::Url::parse(&format!("postgres://postgres:postgres@127.0.0.1:{pg_port}/attend"))?,
        nats_url: format!("nats://127.0.0.1:{nats_port}"),
    })
}
