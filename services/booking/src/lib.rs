//! Booking: appointments, their status and outcome, urgency, attribution
//! captured at creation, and recall dates.
//!
//! # Layout
//! - [`api`]: `BookingService` over gRPC.
//! - [`intake`]: the consumer that turns provider bookings (from ingest)
//!   into bookings, matching the contact through the contact service.
//! - [`merges`]: the consumer that moves bookings with contact merges.
//! - [`store`]: the SQL.
//! - `migrations/`: the `booking` schema.
//!
//! Booking never reads the contact schema: it asks the contact service.

pub mod api;
pub mod intake;
pub mod merges;
pub mod store;

use attend_kit::service::{Context, ServiceDef, ServiceName, Startable, no_settings};
use attend_proto::booking::v1::booking_service_server::BookingServiceServer;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use futures::future::BoxFuture;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The booking service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Booking,
        migrations: Some(&MIGRATOR),
        publishes: true,
        public_http: false,
        configure: no_settings::<Booking>,
    }
}

#[derive(Default)]
struct Booking;

impl Startable for Booking {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let db = ctx.db()?;
            ctx.consume(
                intake::SPEC,
                intake::Intake {
                    contacts: ContactServiceClient::new(ctx.peers.channel(ServiceName::Contact)),
                    outbox: ctx.outbox(),
                },
            )?;
            ctx.consume(merges::SPEC, merges::Merges { outbox: ctx.outbox() })?;
            let server = ctx
                .grpc_server()?
                .add(BookingServiceServer::new(api::Api {
                    db,
                    outbox: ctx.outbox(),
                }))
                .await;
            ctx.serve_grpc(server)
        })
    }
}
