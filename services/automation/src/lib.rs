//! Automation: rules, rule runs, scheduled actions, and the staff task
//! queue with its priority.
//!
//! # Layout
//! - [`api`]: `TaskService` over gRPC: the tonic adapter only.
//! - [`tasks`]: the task queue (today: a contact's tasks).
//! - [`consumers`]: [`consumers::merges`] moves tasks with contact merges.
//! - [`store`]: the SQL, and only there.
//! - `migrations/`: the `automation` schema.
//!
//! This version keeps the task queue and answers for it; nothing creates
//! tasks yet: the rule engine that fills it (seed 000's pipelines) is built
//! on this table.

mod api;
mod consumers;
mod store;
mod tasks;

use attend_kit::service::{Context, ServiceDef, ServiceName, Startable, no_settings};
use attend_proto::automation::v1::task_service_server::TaskServiceServer;
use futures::future::BoxFuture;

use crate::consumers::merges;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The automation service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Automation,
        migrations: Some(&MIGRATOR),
        publishes: false,
        public_http: false,
        configure: no_settings::<Automation>,
    }
}

#[derive(Default)]
struct Automation;

impl Startable for Automation {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let db = ctx.db()?;
            ctx.consume(merges::SPEC, merges::FollowMerges(merges::Tasks))?;
            let server = ctx.grpc_server()?.add(TaskServiceServer::new(api::Api { db })).await;
            ctx.serve_grpc(server)
        })
    }
}
