//! Booking: appointments, their status and outcome, urgency, attribution
//! captured at creation, and recall dates.
//!
//! # Layout
//! - [`api`]: `BookingService` over gRPC: the tonic adapter only.
//! - Features: [`bookings`] (reads and history), [`outcomes`] (attended or
//!   no-show), [`confirmations`] (the patient said yes),
//!   [`service_types`] (the practice's classification of each service,
//!   and re-classifying upcoming bookings), [`recalls`] (when patients
//!   are due back).
//! - [`consumers`]: [`consumers::intake`] turns provider bookings from
//!   ingest into bookings, matching the contact through the contact
//!   service (and closes the contact's open recall as booked);
//!   [`consumers::merges`] moves bookings and recalls with contact merges.
//! - [`rules`]: pure rules (statuses, urgency, stale events, confirming,
//!   recall months).
//! - [`store`]: the SQL, and only there.
//! - `migrations/`: the `booking` schema.
//!
//! Booking never reads the contact schema: it asks the contact service.

mod api;
mod bookings;
mod confirmations;
mod consumers;
mod outcomes;
mod recalls;
mod rules;
mod service_types;
mod store;

use attend_kit::service::{Context, ServiceDef, ServiceName, Startable, no_settings};
use attend_proto::booking::v1::booking_service_server::BookingServiceServer;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use futures::future::BoxFuture;

use crate::consumers::{intake, merges};

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
            ctx.consume(
                merges::SPEC,
                merges::FollowMerges(merges::BookingsAndRecalls { outbox: ctx.outbox() }),
            )?;
            let server = ctx.grpc_server().with_api(BookingServiceServer::new(api::Api {
                db,
                outbox: ctx.outbox(),
            }));
            ctx.serve_grpc(server)
        })
    }
}
