//! Contact: people (leads, patients, clients, family, partners), their
//! identities (E.164 phone, email), touchpoints and attribution.
//!
//! # Layout
//! - [`api`]: `ContactService` over gRPC (create, change, list, match, timeline, merge).
//! - [`store`]: the SQL, next to nothing else.
//! - [`timeline`]: the consumer that turns other services' events into touchpoints.
//! - [`inbound`]: the consumers of leads, texts and delivery reports from ingest.
//! - [`leads`], [`touch`]: opening a lead; recording a touchpoint and rescoring.
//! - [`warmness`], [`channel`], [`pipeline`]: seed 000's score, channel names and stages.
//! - [`merge`]: merging two contacts, and undoing it.
//! - `migrations/`: the `contact` schema.
//!
//! Contact owns the timeline but never reads another service's tables: a
//! touchpoint is made only from what an event carries.

pub mod api;
pub mod channel;
pub mod inbound;
pub mod leads;
pub mod merge;
pub mod pipeline;
pub mod store;
pub mod timeline;
pub mod touch;
pub mod warmness;

use attend_kit::orgs::Directory;
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable, no_settings};
use attend_proto::contact::v1::contact_service_server::ContactServiceServer;
use futures::future::BoxFuture;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The contact service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Contact,
        migrations: Some(&MIGRATOR),
        publishes: true,
        public_http: false,
        configure: no_settings::<Contact>,
    }
}

#[derive(Default)]
struct Contact;

impl Startable for Contact {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let db = ctx.db()?;
            let recorder = touch::Recorder { outbox: ctx.outbox() };
            ctx.consume(
                timeline::SPEC,
                timeline::Timeline {
                    recorder: recorder.clone(),
                },
            )?;
            let inbound = inbound::Inbound { recorder };
            for spec in [inbound::LEADS, inbound::TEXTS, inbound::REPORTS] {
                ctx.consume(spec, inbound.clone())?;
            }
            let api = api::Api {
                db,
                outbox: ctx.outbox(),
                orgs: Directory::new(ctx.peers.channel(ServiceName::Identity)),
            };
            let server = ctx.grpc_server()?.add(ContactServiceServer::new(api)).await;
            ctx.serve_grpc(server)
        })
    }
}
