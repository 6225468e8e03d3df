//! Messaging: templates, the outbound SMS and email queue, provider
//! adapters (ClickSend, Twilio, SendGrid, SMTP) behind a sandbox, delivery
//! status, inbound messages, conversations and opt-outs.
//!
//! # Layout
//! - [`api`]: `MessagingService` over gRPC: the tonic adapter only.
//! - [`emails`]: queueing an email, and listing the queue.
//! - [`email`]: the email provider interface, the sandbox provider and the
//!   sender that works through the queue.
//! - [`store`]: the SQL, and only there.
//! - `migrations/`: the `messaging` schema.
//!
//! This version sends email through the sandbox provider, which records
//! what would have been sent; real providers plug in behind
//! [`email::EmailProvider`].

mod api;
mod email;
mod emails;
mod sms;
mod store;
mod templates;

use attend_kit::config::{Config, ConfigError};
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable};
use attend_proto::messaging::v1::messaging_service_server::MessagingServiceServer;
use futures::future::BoxFuture;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The messaging service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Messaging,
        migrations: Some(&MIGRATOR),
        publishes: false,
        public_http: false,
        configure,
    }
}

/// Messaging's own settings.
#[derive(Debug, Clone)]
struct Settings {
    /// `ATTEND_EMAIL_FROM`: the sender address on outgoing email.
    from: String,
}

fn configure(config: &Config) -> Result<Box<dyn Startable>, Vec<ConfigError>> {
    let mut errors = Vec::new();
    match config.source.raw("ATTEND_EMAIL_PROVIDER").as_deref() {
        None | Some("sandbox") => {}
        Some(other) => errors.push(ConfigError::new(
            "ATTEND_EMAIL_PROVIDER",
            format!("{other:?} is not available in this version; use sandbox"),
        )),
    }
    let from = config
        .source
        .raw("ATTEND_EMAIL_FROM")
        .unwrap_or_else(|| "attend <no-reply@attend.invalid>".to_owned());
    if errors.is_empty() {
        Ok(Box::new(Messaging(Settings { from })))
    } else {
        Err(errors)
    }
}

struct Messaging(Settings);

impl Startable for Messaging {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let db = ctx.db()?;
            let sender = email::Sender {
                db: db.clone(),
                provider: Box::new(email::Sandbox),
                from: self.0.from,
            };
            let shutdown = ctx.shutdown.clone();
            ctx.spawn(sender.run(shutdown));
            let server = ctx
                .grpc_server()?
                .add(MessagingServiceServer::new(api::Api { db }))
                .await;
            ctx.serve_grpc(server)
        })
    }
}
