//! Reporting: read models projected only from events, and the reports read
//! from them (spec 000's weekly and monthly reports, its KPIs, the
//! pipeline funnel). docs/reports.md defines every figure.
//!
//! # Layout
//! - [`api`]: `ReportingService` over gRPC: the tonic adapter only.
//! - [`reports`]: which dates a request means, and the answer;
//!   [`figures`]: the figures of a span, the SQL read side;
//!   [`insights`]: the rules that turn figures into sentences;
//!   [`pipelines`]: the pipeline funnel.
//! - [`projections`]: each event into its read model;
//!   [`consumers::projections`] applies them live, one consumer per fact
//!   family; [`rebuild`] replays the stream into fresh tables and swaps
//!   them in (`attend reporting rebuild`).
//! - `migrations/`: the `reporting` schema (and `reporting_rebuild`).
//!
//! Reporting never reads another service's schema: everything it counts
//! arrived as an event. It asks identity for an organisation's zone and
//! business hours, as every service does.

mod api;
pub mod consumers;
pub mod figures;
pub mod insights;
pub mod pipelines;
pub mod projections;
pub mod rebuild;
mod reports;

use attend_kit::orgs::Directory;
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable, no_settings};
use attend_proto::reporting::v1::reporting_service_server::ReportingServiceServer;
use futures::future::BoxFuture;

use crate::consumers::projections::{Projections, SPECS};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The reporting service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Reporting,
        migrations: Some(&MIGRATOR),
        publishes: false,
        public_http: false,
        configure: no_settings::<Reporting>,
    }
}

#[derive(Default)]
struct Reporting;

impl Startable for Reporting {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let db = ctx.db()?;
            for spec in SPECS {
                ctx.consume(spec, Projections)?;
            }
            let server = ctx.grpc_server().with_api(ReportingServiceServer::new(api::Api {
                db,
                orgs: Directory::new(ctx.peers.channel(ServiceName::Identity)),
            }));
            ctx.serve_grpc(server)
        })
    }
}
