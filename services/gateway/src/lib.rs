//! Gateway: the HTTP edge for people. A REST JSON API with problem+json
//! errors; bearer access tokens verified locally from the identity
//! service's published keys; the caller passed to services in gRPC
//! metadata, where each service enforces what that caller may do.
//!
//! # Layout
//! - [`auth`]: token verification (JWKS cache) and the `SignedIn` extractor.
//! - [`limits`]: request limits per user and per client address.
//! - [`routes`]: one module per resource (`auth`, `contacts`, `pipelines`,
//!   `bookings`, `recalls`, `sms`, `consents`, `settings`, `admin`, `tasks`,
//!   `automation`, `reports`, `care`, `messages`, `documents`), each
//!   handler with typed answers and a `#[utoipa::path]` description.
//! - [`openapi`]: those descriptions as one OpenAPI 3.1 document
//!   (`/api/openapi.json`, `/api/docs`, `attend openapi`).
//! - [`live`]: the WebSocket live channel (`/api/ws`), fed from NATS.
//! - [`web`]: the built web UI, served from `/`.
//!
//! The gateway keeps no state and owns no schema.

pub mod auth;
pub mod limits;
pub mod live;
pub mod openapi;
pub mod routes;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use attend_kit::config::{Config, ConfigError};
use attend_kit::grpc::Traced;
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable};
use attend_proto::automation::v1::rule_service_client::RuleServiceClient;
use attend_proto::automation::v1::task_service_client::TaskServiceClient;
use attend_proto::booking::v1::booking_service_client::BookingServiceClient;
use attend_proto::care::v1::care_service_client::CareServiceClient;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;
use attend_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use axum::Router;
use futures::future::BoxFuture;

/// The gateway service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Gateway,
        migrations: None,
        publishes: false,
        public_http: true,
        configure,
    }
}

fn configure(config: &Config) -> Result<Box<dyn Startable>, Vec<ConfigError>> {
    Ok(Box::new(Gateway {
        limits: limits::Limits::from_config(config)?,
        web_dir: web::dir_from_config(config),
    }))
}

/// What every handler can reach: clients of the services, the keys, the limits.
#[derive(Clone)]
pub struct AppState {
    pub keys: auth::Keys,
    pub limits: limits::Limits,
    pub identity: IdentityServiceClient<Traced>,
    pub contacts: ContactServiceClient<Traced>,
    pub bookings: BookingServiceClient<Traced>,
    pub tasks: TaskServiceClient<Traced>,
    pub rules: RuleServiceClient<Traced>,
    pub messaging: MessagingServiceClient<Traced>,
    pub reports: ReportingServiceClient<Traced>,
    pub care: CareServiceClient<Traced>,
    /// The live channel's fan-out (`/api/ws`).
    pub live: live::Hub,
}

/// The public API router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::auth::router())
        .merge(routes::contacts::router())
        .merge(routes::pipelines::router())
        .merge(routes::recalls::router())
        .merge(routes::admin::router())
        .merge(routes::bookings::router())
        .merge(routes::settings::router())
        .merge(routes::sms::router())
        .merge(routes::consents::router())
        .merge(routes::tasks::router())
        .merge(routes::automation::router())
        .merge(routes::reports::router())
        .merge(routes::care::router())
        .merge(routes::messages::router())
        .merge(routes::documents::router())
        .route("/api/ws", axum::routing::get(live::connect))
        .route("/api/openapi.json", axum::routing::get(openapi::serve_document))
        .route("/api/docs", axum::routing::get(openapi::docs_page))
        .route("/api/{*rest}", axum::routing::any(routes::not_found))
        .with_state(state)
}

struct Gateway {
    limits: limits::Limits,
    /// The built web UI, served from `/`.
    web_dir: std::path::PathBuf,
}

impl Startable for Gateway {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let peers = ctx.peers.clone();
            let keys = auth::Keys::new(peers.channel(ServiceName::Identity));
            let limits = self.limits;
            let state = AppState {
                keys: keys.clone(),
                limits: limits.clone(),
                identity: IdentityServiceClient::new(peers.channel(ServiceName::Identity)),
                contacts: ContactServiceClient::new(peers.channel(ServiceName::Contact)),
                bookings: BookingServiceClient::new(peers.channel(ServiceName::Booking)),
                tasks: TaskServiceClient::new(peers.channel(ServiceName::Automation)),
                rules: RuleServiceClient::new(peers.channel(ServiceName::Automation)),
                messaging: MessagingServiceClient::new(peers.channel(ServiceName::Messaging)),
                reports: ReportingServiceClient::new(peers.channel(ServiceName::Reporting)),
                care: CareServiceClient::new(peers.channel(ServiceName::Care))
                    .max_decoding_message_size(attend_kit::grpc::MAX_DOCUMENT_MESSAGE)
                    .max_encoding_message_size(attend_kit::grpc::MAX_DOCUMENT_MESSAGE),
                live: live::Hub::new(ctx.bus.clone()),
            };
            ctx.spawn(state.live.clone().run(ctx.shutdown.clone()));

            // Keep the signing keys fresh: at once (retrying until identity
            // answers), then every five minutes.
            let refresher = keys.clone();
            let shutdown = ctx.shutdown.clone();
            ctx.spawn(async move {
                let mut wait = Duration::from_millis(200);
                loop {
                    let next = match refresher.refresh().await {
                        Ok(()) => Duration::from_secs(300),
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot fetch signing keys from identity yet");
                            wait = (wait * 2).min(Duration::from_secs(10));
                            wait
                        }
                    };
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(next) => {}
                    }
                }
            });

            // Idle keys return to full allowance; forget them so memory stays bounded.
            let shutdown = ctx.shutdown.clone();
            ctx.spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tick.tick() => limits.forget_idle(),
                    }
                }
            });

            let mut readiness = ctx.readiness();
            let loaded = keys.clone();
            readiness
                .checks
                .push(("signing_keys", Arc::new(move || loaded.loaded())));
            // The ops routes live on the gRPC port only, off the public listener.
            let public = router(state)
                .merge(web::router(&self.web_dir))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    http::StatusCode::GATEWAY_TIMEOUT,
                    Duration::from_secs(30),
                ))
                .layer(axum::middleware::from_fn_with_state(
                    "gateway",
                    attend_kit::http::observe,
                ));
            ctx.serve_http(public)?;

            let server = ctx.grpc_server_with(readiness);
            ctx.serve_grpc(server)
        })
    }
}
