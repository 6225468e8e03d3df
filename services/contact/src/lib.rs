//! Contact: people (leads, patients, clients, family, partners), their
//! identities (E.164 phone, email), touchpoints and attribution.
//!
//! # Layout
//! - [`api`]: `ContactService` over gRPC: the tonic adapter only.
//! - Features, each parsing its requests and applying its rules:
//!   - [`contacts`]: read, find by phone or email, create, change;
//!   - [`matching`]: the person a booking is for (match or create);
//!   - [`search`]: filtered lists, text search, likely duplicates;
//!   - [`timeline`]: a contact's touchpoints, a page at a time, and a
//!     touchpoint a rule or staff logs;
//!   - [`merge`]: merging two contacts, and undoing it;
//!   - [`moves`]: the pipelines, moving a contact along them, and the
//!     trace every change of stage leaves;
//!   - [`adjustments`]: warmness adjustments (a delta and its reason);
//!   - [`leads`]: opening a lead with its first touchpoints;
//!   - [`touch`]: recording a touchpoint and rescoring.
//! - [`consumers`]: one file per NATS consumer (booking events and the
//!   practice's own SMS onto the timeline; leads and texts from ingest).
//! - [`store`]: the SQL, and only there.
//! - Pure domain rules: [`warmness`] (seed 000's score), [`channel`]
//!   (channel names), [`pipeline`] (pipelines, stages and the moves
//!   between them), [`touch_types`] (the touchpoint types).
//! - `migrations/`: the `contact` schema.
//!
//! Contact owns the timeline but never reads another service's tables: a
//! touchpoint is made only from what an event carries.

mod adjustments;
mod api;
mod channel;
mod consumers;
mod contacts;
#[cfg(test)]
mod fuzz_props;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod leads;
mod matching;
mod merge;
mod moves;
mod pipeline;
mod search;
mod store;
mod timeline;
mod touch;
mod touch_types;
mod warmness;

use attend_kit::orgs::Directory;
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable, no_settings};
use attend_proto::contact::v1::contact_service_server::ContactServiceServer;
use futures::future::BoxFuture;

use crate::consumers::{Inbound, leads as lead_consumer, messages, texts, timeline as timeline_consumer};

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
                timeline_consumer::SPEC,
                timeline_consumer::Timeline {
                    recorder: recorder.clone(),
                },
            )?;
            ctx.consume(messages::SPEC, messages::Messages(recorder.clone()))?;
            let inbound = Inbound { recorder };
            ctx.consume(lead_consumer::SPEC, lead_consumer::Leads(inbound.clone()))?;
            ctx.consume(texts::SPEC, texts::Texts(inbound))?;
            let api = api::Api {
                db,
                outbox: ctx.outbox(),
                orgs: Directory::new(ctx.peers.channel(ServiceName::Identity)),
            };
            let server = ctx.grpc_server().with_api(ContactServiceServer::new(api));
            ctx.serve_grpc(server)
        })
    }
}
