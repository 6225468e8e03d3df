//! Automation: rules as data (spec 000's `automation_rules`, versioned),
//! an engine that evaluates them on every event it hears, a scheduler for
//! delayed actions, booking reminders and the periodic checks, a trace of
//! every evaluation, and the staff task queue with spec 000's priority.
//!
//! # Layout
//! - [`api`]: `TaskService` and `RuleService` over gRPC: the tonic adapter only.
//! - [`rules`]: the rule format: triggers, the condition language, actions,
//!   and the rules every organisation starts with.
//! - [`engine`]: evaluation, facts, the scheduler, actions, reminders,
//!   periodic checks.
//! - [`tasks`]: the task queue and its priority formula.
//! - [`admin`]: rules for admins; [`runs`]: why a rule did or didn't fire,
//!   and dry runs.
//! - [`consumers`]: contact, booking and text events; contact merges.
//! - [`store`]: the SQL, and only there.
//! - `migrations/`: the `automation` schema.
//!
//! docs/automation.md is the guide.

mod admin;
mod api;
mod consumers;
mod engine;
mod rules;
mod runs;
mod store;
mod tasks;

/// Spec 000's task priority; public for the test that holds the
/// database's copy of the formula to it.
pub use tasks::priority;

use std::sync::Arc;

use attend_kit::orgs::Directory;
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable, no_settings};
use attend_proto::automation::v1::rule_service_server::RuleServiceServer;
use attend_proto::automation::v1::task_service_server::TaskServiceServer;
use attend_proto::booking::v1::booking_service_client::BookingServiceClient;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;
use futures::future::BoxFuture;
use tokio::sync::Notify;

use crate::consumers::{bookings, contacts, merges, texts};
use crate::engine::{Engine, Inner, Owners};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The automation service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Automation,
        migrations: Some(&MIGRATOR),
        publishes: true,
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
            let engine = Engine(Arc::new(Inner {
                db,
                outbox: ctx.outbox(),
                owners: Owners {
                    contacts: ContactServiceClient::new(ctx.peers.channel(ServiceName::Contact)),
                    bookings: BookingServiceClient::new(ctx.peers.channel(ServiceName::Booking)),
                    messaging: MessagingServiceClient::new(ctx.peers.channel(ServiceName::Messaging)),
                    identity: IdentityServiceClient::new(ctx.peers.channel(ServiceName::Identity)),
                },
                orgs: Directory::new(ctx.peers.channel(ServiceName::Identity)),
                clock: ctx.clock(),
                seeded: engine::Seeded::default(),
                wake: Notify::new(),
                staff: engine::perform::StaffCache::default(),
            }));
            ctx.consume(merges::SPEC, merges::FollowMerges(merges::Tasks))?;
            ctx.consume(contacts::SPEC, contacts::Contacts(engine.clone()))?;
            ctx.consume(bookings::SPEC, bookings::Bookings(engine.clone()))?;
            ctx.consume(texts::SPEC, texts::Texts(engine.clone()))?;
            ctx.spawn(engine.clone().run_scheduler(ctx.shutdown.clone()));
            let api = api::Api { engine };
            let server = ctx
                .grpc_server()
                .with_api(TaskServiceServer::new(api.clone()))
                .with_api(RuleServiceServer::new(api));
            ctx.serve_grpc(server)
        })
    }
}
