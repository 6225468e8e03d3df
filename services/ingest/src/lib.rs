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
//! - [`refusal`]: every refusal's HTTP status and stable code.
//! - [`store`]: the SQL: event log, provider-id map, refused deliveries.
//! - [`signature`]: each provider's proof of origin (Standard Webhooks, Wix JWT,
//!   Twilio, intake tokens); public because senders and tests sign with it.
//! - [`payload`]: the body reader providers share; under it, pure parsing:
//!   - [`payload::wix`]: Wix booking deliveries, JWT claims and the seed's JSON form.
//!   - [`payload::leads`]: ManyChat External Requests and web form submissions.
//!   - [`payload::sms`]: ClickSend and Twilio inbound texts and delivery reports.
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
pub mod signature;
mod store;

use std::num::NonZeroU32;
use std::sync::Arc;

use attend_kit::config::{Config, ConfigError};
use attend_kit::orgs::Directory;
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable};
use attend_proto::ingest::v1::ingest_service_server::IngestServiceServer;
use futures::future::BoxFuture;

use crate::signature::{IntakeSecret, TwilioToken, WebhookSecret, WixKey};

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
    /// `ATTEND_PUBLIC_BASE_URL`: the scheme, host and port providers reach
    /// ingest on (e.g. `https://hooks.example.com`), for Twilio signatures
    /// behind a proxy.
    pub public_base_url: Option<String>,
    /// `ATTEND_FORM_RATE_LIMIT`: form submissions a minute per address (default 30).
    pub form_per_minute: NonZeroU32,
    /// `ATTEND_TRUST_FORWARDED_FOR`: client address and scheme from the proxy's headers.
    pub trust_forwarded_for: bool,
}

impl Settings {
    pub fn from_config(config: &Config) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let wix_key = optional(config, "ATTEND_WIX_PUBLIC_KEY", WixKey::parse, &mut errors);
        let webhook_secret = optional(config, "ATTEND_WEBHOOK_SECRET", WebhookSecret::parse, &mut errors);
        let intake = optional(config, "ATTEND_INTAKE_SECRET", IntakeSecret::parse, &mut errors);
        let twilio = optional(config, "ATTEND_TWILIO_AUTH_TOKEN", TwilioToken::parse, &mut errors);
        let public_base_url = optional(config, "ATTEND_PUBLIC_BASE_URL", public_base_url, &mut errors);
        let form_per_minute = config
            .source
            .per_minute("ATTEND_FORM_RATE_LIMIT", 30)
            .unwrap_or_else(|e| {
                errors.push(e);
                NonZeroU32::MIN
            });
        let trust_forwarded_for = config
            .source
            .flag("ATTEND_TRUST_FORWARDED_FOR", false)
            .unwrap_or_else(|e| {
                errors.push(e);
                false
            });
        if errors.is_empty() {
            Ok(Self {
                wix_key,
                webhook_secret,
                intake,
                twilio,
                public_base_url,
                form_per_minute,
                trust_forwarded_for,
            })
        } else {
            Err(errors)
        }
    }
}

/// An optional setting, read by `parse`; a value it refuses is noted in
/// `errors` so every bad setting is reported at once.
fn optional<T>(
    config: &Config,
    var: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
    errors: &mut Vec<ConfigError>,
) -> Option<T> {
    let text = config.source.raw(var)?;
    parse(&text).map_err(|why| errors.push(ConfigError::new(var, why))).ok()
}

/// `ATTEND_PUBLIC_BASE_URL`: a scheme and host (and port), no path, kept
/// without a trailing slash.
fn public_base_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/').to_owned();
    match url::Url::parse(&text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.path() == "/" && u.query().is_none() => Ok(text),
        _ => Err("must be a scheme and host (and port), e.g. https://hooks.example.com".to_owned()),
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
            let public = edge::router(edge)
                .merge(attend_kit::http::ops_router(ctx.readiness()))
                .layer(axum::middleware::from_fn_with_state(
                    "ingest",
                    attend_kit::http::observe,
                ));
            ctx.serve_http_recording(public, Some(edge::record_framework_refusals(db.clone())))?;

            let server = ctx.grpc_server()?.add(IngestServiceServer::new(api::Api { db })).await;
            ctx.serve_grpc(server)
        })
    }
}
