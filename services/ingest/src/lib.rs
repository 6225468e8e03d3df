//! Ingest: the public edge for provider webhooks.
//!
//! Verifies each provider's real signature scheme, deduplicates on the
//! provider's event id, appends the raw body to the append-only event log,
//! publishes a normalised event through the outbox, and answers 2xx as soon
//! as that commits. Processing happens downstream, asynchronously.
//!
//! # Layout
//! - [`api`]: `IngestService` over gRPC for operators: the refused deliveries.
//! - [`edge`]: the HTTP endpoints, and the accept pipeline they share:
//!   - [`edge::wix`]: `POST /webhooks/wix/bookings`, a Wix JWT or signed JSON.
//!   - [`edge::manychat`]: `POST /webhooks/manychat`, the organisation's token as Bearer.
//!   - [`edge::forms`]: `POST /webhooks/forms/{org}`, public forms, limited per address.
//!   - [`edge::clicksend`]: `/webhooks/clicksend/{token}/...`, texts and receipts.
//!   - [`edge::twilio`]: `POST /webhooks/twilio/{org}/...`, texts and status callbacks.
//!   - [`edge::sendgrid`]: `POST /webhooks/sendgrid/events`, SendGrid's signed event batches.
//! - [`refusal`]: every refusal's HTTP status and stable code.
//! - [`store`]: the SQL: event log, provider-id map, refused deliveries.
//! - [`signature`]: each provider's proof of origin (Standard Webhooks, Wix JWT,
//!   Twilio, SendGrid, intake tokens); public because senders and tests sign with it.
//! - [`payload`]: the body reader providers share; under it, pure parsing:
//!   - [`payload::wix`]: Wix booking deliveries, JWT claims and the seed's JSON form.
//!   - [`payload::leads`]: ManyChat External Requests and web form submissions.
//!   - [`payload::sms`]: ClickSend and Twilio inbound texts and delivery reports.
//!   - [`payload::email`]: SendGrid's Event Webhook batches.
//! - `migrations/`: the `ingest` schema.

mod api;
mod edge;
#[cfg(test)]
mod fuzz_props;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod payload;
mod refusal;
pub mod replay;
pub mod signature;
mod store;

use std::num::NonZeroU32;
use std::sync::Arc;

use attend_kit::config::{Config, ConfigError, keep};
use attend_kit::orgs::Directory;
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable};
use attend_proto::ingest::v1::ingest_service_server::IngestServiceServer;
use futures::future::BoxFuture;

use crate::signature::{IntakeSecret, SendGridKey, TwilioToken, WebhookSecret, WixKey};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The ingest service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Ingest,
        migrations: Some(&MIGRATOR),
        publishes: true,
        public_http: true,
        configure,
    }
}

/// Ingest's own settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ATTEND_WIX_PUBLIC_KEY`: the Wix app's RSA public key (PEM). Unset:
    /// Wix JWT deliveries are answered 503 so Wix retries until it is set.
    pub wix_key: Option<WixKey>,
    /// `ATTEND_WEBHOOK_SECRET`: the Standard Webhooks secret (`whsec_...`)
    /// for forwarded JSON deliveries. Unset: those are answered 503.
    pub webhook_secret: Option<WebhookSecret>,
    /// `ATTEND_INTAKE_SECRET`: derives each organisation's ManyChat and
    /// ClickSend tokens (`attend orgs webhooks <slug>` prints them). Unset:
    /// those deliveries are answered 503.
    pub intake: Option<IntakeSecret>,
    /// `ATTEND_TWILIO_AUTH_TOKEN`: verifies `X-Twilio-Signature`. Unset:
    /// Twilio requests are answered 503.
    pub twilio: Option<TwilioToken>,
    /// `ATTEND_SENDGRID_WEBHOOK_PUBLIC_KEY`: SendGrid's Event Webhook
    /// verification key (base64 DER, as SendGrid shows it). Unset: SendGrid
    /// event batches are answered 503.
    pub sendgrid: Option<SendGridKey>,
    /// `ATTEND_PUBLIC_BASE_URL`: the scheme, host and port providers reach
    /// ingest on (e.g. `https://hooks.example.com`), for Twilio signatures
    /// behind a proxy.
    pub public_base_url: Option<String>,
    /// `ATTEND_FORM_RATE_LIMIT`: form submissions a minute per address (default 30).
    pub form_per_minute: NonZeroU32,
    /// The platform's `ATTEND_TRUST_FORWARDED_FOR`: client address and
    /// scheme from the proxy's headers.
    pub trust_forwarded_for: bool,
}

impl Settings {
    pub fn from_config(config: &Config) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let wix_key = keep(
            &mut errors,
            config.source.parsed("ATTEND_WIX_PUBLIC_KEY", WixKey::parse),
        )
        .flatten();
        let webhook_secret = keep(
            &mut errors,
            config.source.parsed("ATTEND_WEBHOOK_SECRET", WebhookSecret::parse),
        )
        .flatten();
        let intake = keep(
            &mut errors,
            config.source.parsed("ATTEND_INTAKE_SECRET", IntakeSecret::parse),
        )
        .flatten();
        let twilio = keep(
            &mut errors,
            config.source.parsed("ATTEND_TWILIO_AUTH_TOKEN", TwilioToken::parse),
        )
        .flatten();
        let sendgrid = keep(
            &mut errors,
            config
                .source
                .parsed("ATTEND_SENDGRID_WEBHOOK_PUBLIC_KEY", SendGridKey::parse),
        )
        .flatten();
        let form_per_minute =
            keep(&mut errors, config.source.per_minute("ATTEND_FORM_RATE_LIMIT", 30)).unwrap_or(NonZeroU32::MIN);
        if errors.is_empty() {
            Ok(Self {
                wix_key,
                webhook_secret,
                intake,
                twilio,
                sendgrid,
                public_base_url: config.public_base_url.clone(),
                form_per_minute,
                trust_forwarded_for: config.trust_forwarded_for,
            })
        } else {
            Err(errors)
        }
    }
}

fn configure(config: &Config) -> Result<Box<dyn Startable>, Vec<ConfigError>> {
    Ok(Box::new(Ingest(Settings::from_config(config)?)))
}

struct Ingest(Settings);

impl Startable for Ingest {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let settings = self.0;
            if settings.wix_key.is_none() {
                tracing::warn!("ATTEND_WIX_PUBLIC_KEY is not set: Wix JWT webhooks will be answered 503 until it is");
            }
            if settings.intake.is_none() {
                tracing::warn!(
                    "ATTEND_INTAKE_SECRET is not set: ManyChat and ClickSend webhooks will be answered 503 until it is"
                );
            }
            if settings.twilio.is_none() {
                tracing::warn!("ATTEND_TWILIO_AUTH_TOKEN is not set: Twilio webhooks will be answered 503 until it is");
            }
            if settings.sendgrid.is_none() {
                tracing::warn!(
                    "ATTEND_SENDGRID_WEBHOOK_PUBLIC_KEY is not set: SendGrid event batches will be answered 503 until it is"
                );
            }
            if settings.webhook_secret.is_none() {
                tracing::warn!(
                    "ATTEND_WEBHOOK_SECRET is not set: Standard Webhooks deliveries will be answered 503 until it is"
                );
            }
            let db = ctx.db()?;
            let edge = Arc::new(edge::Edge {
                db: db.clone(),
                outbox: ctx.outbox(),
                orgs: Directory::new(ctx.peers.channel(ServiceName::Identity)),
                wix_key: settings.wix_key,
                webhook_secret: settings.webhook_secret,
                intake: settings.intake,
                twilio: settings.twilio,
                sendgrid: settings.sendgrid,
                public_base_url: settings.public_base_url,
                form_limit: governor::RateLimiter::keyed(governor::Quota::per_minute(settings.form_per_minute)),
                trust_forwarded_for: settings.trust_forwarded_for,
            });
            // Addresses that stopped posting get their full allowance back;
            // forget them, or every new client would be kept for ever.
            let limits = edge.clone();
            let shutdown = ctx.shutdown.clone();
            ctx.spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tick.tick() => limits.form_limit.retain_recent(),
                    }
                }
            });
            // The ops routes live on the gRPC port only, off the public listener.
            let public = edge::router(edge).layer(axum::middleware::from_fn_with_state(
                "ingest",
                attend_kit::http::observe,
            ));
            ctx.serve_http_recording(public, Some(edge::record_framework_refusals(db.clone())))?;

            let api = api::Api {
                db,
                outbox: ctx.outbox(),
                orgs: Directory::new(ctx.peers.channel(ServiceName::Identity)),
            };
            let server = ctx.grpc_server().with_api(IngestServiceServer::new(api));
            ctx.serve_grpc(server)
        })
    }
}
