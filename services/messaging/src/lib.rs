//! Messaging: SMS templates, the outbound SMS and email queues, provider
//! adapters behind a sandbox, delivery status, inbound texts, the inbox of
//! conversations, and consent.
//!
//! # Layout
//! - [`api`]: `MessagingService` over gRPC: the tonic adapter only; its
//!   `Api` is what the features and consumers share.
//! - Features: [`outbound`] (`SendSms`: recipient, rendering, consent,
//!   quiet hours, the queue), [`templates`] (list, edit, preview; the
//!   seed's templates), [`conversations`] (the inbox), [`consent`] (the
//!   ledger's rules; staff's SetConsent and ListConsents), [`emails`]
//!   (queueing email).
//! - [`sms`]: the SMS [`sms::sender`] that works through the queue, the
//!   providers (ClickSend, Twilio, sandbox), and pure rules: encoding and
//!   segments, reply classification, quiet hours.
//! - [`email`]: the email providers (sandbox, SMTP, SendGrid), the email
//!   sender, and the email templates (`templates/email/*.j2`).
//! - [`mailchimp`]: the MailChimp audience sync (the client and the feature).
//! - [`providers`]: what every HTTP provider adapter shares.
//! - [`consumers`]: one file per NATS consumer (STOP/START/HELP keywords,
//!   the inbox, SMS delivery receipts, email events).
//! - [`store`]: the SQL, and only there.
//! - `migrations/`: the `messaging` schema.

mod api;
mod consent;
mod consumers;
mod conversations;
mod email;
mod emails;
mod mailchimp;
mod outbound;
mod providers;
mod sms;
mod store;
mod templates;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use attend_kit::config::{Config, ConfigError, keep};
use attend_kit::orgs::Directory;
use attend_kit::secret::Secret;
use attend_kit::service::{Context, ServiceDef, ServiceName, Startable};
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::messaging::v1::messaging_service_server::MessagingServiceServer;
use futures::future::BoxFuture;
use tokio::sync::Notify;

use crate::consumers::{emails as email_events, inbox, keywords, receipts};
use crate::email::EmailProvider;
use crate::email::providers::{sandbox, sendgrid, smtp};
use crate::sms::providers::clicksend::{self, ClickSend};
use crate::sms::providers::twilio::{self, Twilio};
use crate::sms::providers::{SmsProvider, sandbox::Sandbox};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The messaging service, for the runtime.
pub fn definition() -> ServiceDef {
    ServiceDef {
        name: ServiceName::Messaging,
        migrations: Some(&MIGRATOR),
        publishes: true,
        public_http: false,
        configure,
    }
}

/// Messaging's own settings.
pub struct Settings {
    /// `ATTEND_EMAIL_FROM`: the sender address on outgoing email.
    email_from: lettre::message::Mailbox,
    /// `ATTEND_EMAIL_PROVIDER` and its credentials.
    email: EmailProviderSetting,
    /// `ATTEND_MAILCHIMP_*`: the audience contacts who opted in to email
    /// are synced to; `None` until both the key and the list are set.
    pub(crate) mailchimp: Option<mailchimp::Config>,
    /// `ATTEND_SMS_FROM`: who SMS come from when the organisation sets no
    /// sender of its own (an E.164 number or an alphanumeric id).
    pub sms_from: String,
    /// `ATTEND_SMS_PROVIDER` and its credentials.
    sms: SmsProviderSetting,
    /// `ATTEND_SMS_PER_SECOND`: sends per second per sender number.
    sms_per_second: NonZeroU32,
    /// `ATTEND_SMS_UNCONFIRMED_AFTER`: how long a message may stay
    /// `sending` before its answer is taken to be lost.
    sms_unconfirmed_after: Duration,
    /// `ATTEND_SMS_CONCURRENCY`: messages the sender has in flight at once.
    sms_concurrency: usize,
}

enum SmsProviderSetting {
    Sandbox,
    ClickSend {
        base_url: url::Url,
        username: String,
        api_key: Secret<String>,
    },
    Twilio {
        base_url: url::Url,
        account_sid: String,
        auth_token: Secret<String>,
        /// Ingest's public base URL, for Twilio's status callbacks.
        status_callback_base: Option<String>,
    },
}

enum EmailProviderSetting {
    Sandbox,
    Smtp {
        url: Secret<String>,
    },
    SendGrid {
        base_url: url::Url,
        api_key: Secret<String>,
    },
}

impl EmailProviderSetting {
    fn provider(&self) -> anyhow::Result<Box<dyn EmailProvider>> {
        Ok(match self {
            Self::Sandbox => Box::new(sandbox::Sandbox),
            Self::Smtp { url } => {
                Box::new(smtp::Smtp::new(url.expose()).map_err(|e| anyhow::anyhow!("ATTEND_SMTP_URL {e}"))?)
            }
            Self::SendGrid { base_url, api_key } => {
                Box::new(sendgrid::SendGrid::new(base_url.as_str(), api_key.clone()).map_err(anyhow::Error::msg)?)
            }
        })
    }
}

/// `ATTEND_EMAIL_PROVIDER` and what the chosen provider needs.
fn email_setting(config: &Config, errors: &mut Vec<ConfigError>) -> EmailProviderSetting {
    let provider = config
        .source
        .raw("ATTEND_EMAIL_PROVIDER")
        .unwrap_or_else(|| "sandbox".to_owned());
    match provider.trim() {
        "" | "sandbox" => EmailProviderSetting::Sandbox,
        "smtp" => {
            let url = required(config, "ATTEND_SMTP_URL", "when ATTEND_EMAIL_PROVIDER is smtp", errors);
            // Checked now, so a bad URL stops start-up naming the setting
            // (and never quoting its password).
            if !url.is_empty()
                && let Err(why) = smtp::Smtp::new(&url)
            {
                errors.push(ConfigError::new("ATTEND_SMTP_URL", why));
            }
            EmailProviderSetting::Smtp { url: Secret::new(url) }
        }
        "sendgrid" => EmailProviderSetting::SendGrid {
            base_url: url_setting(config, "ATTEND_SENDGRID_BASE_URL", sendgrid::DEFAULT_BASE_URL, errors),
            api_key: Secret::new(required(
                config,
                "ATTEND_SENDGRID_API_KEY",
                "when ATTEND_EMAIL_PROVIDER is sendgrid",
                errors,
            )),
        },
        other => {
            errors.push(ConfigError::new(
                "ATTEND_EMAIL_PROVIDER",
                format!("{other:?} is not a provider; one of sandbox, smtp, sendgrid"),
            ));
            EmailProviderSetting::Sandbox
        }
    }
}

/// `ATTEND_EMAIL_FROM`: a mailbox (`Name <address>` or an address).
fn email_from(config: &Config, errors: &mut Vec<ConfigError>) -> lettre::message::Mailbox {
    let parse = |text: &str| {
        text.trim()
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("must be an address, or a name and <address>: {e}"))
    };
    keep(errors, config.source.parsed("ATTEND_EMAIL_FROM", parse))
        .flatten()
        .unwrap_or_else(default_from)
}

#[allow(clippy::expect_used, reason = "a constant, valid mailbox")]
fn default_from() -> lettre::message::Mailbox {
    "attend <no-reply@attend.invalid>"
        .parse()
        .expect("the default sender is a mailbox")
}

impl SmsProviderSetting {
    fn provider(&self) -> anyhow::Result<Arc<dyn SmsProvider>> {
        Ok(match self {
            Self::Sandbox => Arc::new(Sandbox),
            Self::ClickSend {
                base_url,
                username,
                api_key,
            } => Arc::new(
                ClickSend::new(base_url.as_str(), username.clone(), api_key.clone()).map_err(anyhow::Error::msg)?,
            ),
            Self::Twilio {
                base_url,
                account_sid,
                auth_token,
                status_callback_base,
            } => Arc::new(
                Twilio::new(
                    base_url.as_str(),
                    account_sid.clone(),
                    auth_token.clone(),
                    status_callback_base.as_deref(),
                )
                .map_err(anyhow::Error::msg)?,
            ),
        })
    }
}

fn url_setting(config: &Config, var: &str, default: &'static str, errors: &mut Vec<ConfigError>) -> url::Url {
    let parse = |text: &str| {
        url::Url::parse(text.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| "must be an http(s) URL".to_owned())
    };
    keep(errors, config.source.parsed(var, parse))
        .flatten()
        .unwrap_or_else(|| constant_url(default))
}

#[allow(clippy::expect_used, reason = "callers pass constant, valid URLs")]
fn constant_url(text: &'static str) -> url::Url {
    url::Url::parse(text).expect("a constant URL is valid")
}

fn required(config: &Config, var: &str, why: &str, errors: &mut Vec<ConfigError>) -> String {
    match config
        .source
        .raw(var)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
    {
        Some(value) => value,
        None => {
            errors.push(ConfigError::new(var, format!("is required {why}")));
            String::new()
        }
    }
}

fn configure(config: &Config) -> Result<Box<dyn Startable>, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let email = email_setting(config, &mut errors);
    let email_from = email_from(config, &mut errors);
    let mailchimp = mailchimp::Config::from_settings(config, &mut errors);
    let provider = config
        .source
        .raw("ATTEND_SMS_PROVIDER")
        .unwrap_or_else(|| "sandbox".to_owned());
    let sms = match provider.trim() {
        "sandbox" => SmsProviderSetting::Sandbox,
        "clicksend" => {
            let why = "when ATTEND_SMS_PROVIDER is clicksend";
            SmsProviderSetting::ClickSend {
                base_url: url_setting(
                    config,
                    "ATTEND_CLICKSEND_BASE_URL",
                    clicksend::DEFAULT_BASE_URL,
                    &mut errors,
                ),
                username: required(config, "ATTEND_CLICKSEND_USERNAME", why, &mut errors),
                api_key: Secret::new(required(config, "ATTEND_CLICKSEND_API_KEY", why, &mut errors)),
            }
        }
        "twilio" => {
            let why = "when ATTEND_SMS_PROVIDER is twilio";
            SmsProviderSetting::Twilio {
                base_url: url_setting(config, "ATTEND_TWILIO_BASE_URL", twilio::DEFAULT_BASE_URL, &mut errors),
                account_sid: required(config, "ATTEND_TWILIO_ACCOUNT_SID", why, &mut errors),
                auth_token: Secret::new(required(config, "ATTEND_TWILIO_AUTH_TOKEN", why, &mut errors)),
                status_callback_base: config.public_base_url.clone(),
            }
        }
        other => {
            errors.push(ConfigError::new(
                "ATTEND_SMS_PROVIDER",
                format!("{other:?} is not a provider; one of sandbox, clicksend, twilio"),
            ));
            SmsProviderSetting::Sandbox
        }
    };
    let sms_from = match (&sms, config.source.raw("ATTEND_SMS_FROM")) {
        (_, Some(from)) if !from.trim().is_empty() => from.trim().to_owned(),
        (SmsProviderSetting::Sandbox, _) => "attend".to_owned(),
        _ => required(config, "ATTEND_SMS_FROM", "with a real SMS provider", &mut errors),
    };
    let sms_per_second = match keep(&mut errors, config.source.get_or("ATTEND_SMS_PER_SECOND", 1u32)) {
        Some(0) => {
            errors.push(ConfigError::new("ATTEND_SMS_PER_SECOND", "must be at least 1"));
            NonZeroU32::MIN
        }
        n => n.and_then(NonZeroU32::new).unwrap_or(NonZeroU32::MIN),
    };
    let sms_unconfirmed_after = keep(
        &mut errors,
        config
            .source
            .duration("ATTEND_SMS_UNCONFIRMED_AFTER", Duration::from_secs(60)),
    )
    .unwrap_or(Duration::from_secs(60));
    let sms_concurrency = match keep(&mut errors, config.source.get_or("ATTEND_SMS_CONCURRENCY", 8usize)) {
        Some(n @ 1..=64) => n,
        Some(n) => {
            errors.push(ConfigError::new(
                "ATTEND_SMS_CONCURRENCY",
                format!("{n} is outside 1 to 64"),
            ));
            8
        }
        None => 8,
    };
    if errors.is_empty() {
        Ok(Box::new(Messaging(Settings {
            email_from,
            email,
            mailchimp,
            sms_from,
            sms,
            sms_per_second,
            sms_unconfirmed_after,
            sms_concurrency,
        })))
    } else {
        Err(errors)
    }
}

struct Messaging(Settings);

impl Startable for Messaging {
    fn start(self: Box<Self>, mut ctx: Context) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            let settings = self.0;
            let db = ctx.db()?;
            let orgs = Directory::new(ctx.peers.channel(ServiceName::Identity));
            let email = email::sender::Sender {
                db: db.clone(),
                provider: settings.email.provider()?,
                from: settings.email_from.clone(),
                orgs: orgs.clone(),
            };
            ctx.spawn(email.run(ctx.shutdown.clone()));

            let wake = Arc::new(Notify::new());
            let sms = sms::sender::Sender {
                db: db.clone(),
                outbox: ctx.outbox(),
                clock: ctx.clock(),
                provider: settings.sms.provider()?,
                orgs: orgs.clone(),
                per_sender: sms::sender::Sender::rate(settings.sms_per_second),
                unconfirmed_after: settings.sms_unconfirmed_after,
                wake: wake.clone(),
                concurrency: settings.sms_concurrency,
            };
            ctx.spawn(sms.run(ctx.shutdown.clone()));

            let api = api::Api {
                db,
                outbox: ctx.outbox(),
                orgs,
                contacts: ContactServiceClient::new(ctx.peers.channel(ServiceName::Contact)),
                clock: ctx.clock(),
                seeded: Arc::default(),
                mailchimp: settings
                    .mailchimp
                    .as_ref()
                    .map(|m| m.client().map(Arc::new).map_err(anyhow::Error::msg))
                    .transpose()?,
                settings: Arc::new(settings),
                sender: wake,
            };
            ctx.consume(keywords::SPEC, keywords::Keywords(api.clone()))?;
            ctx.consume(inbox::SPEC, inbox::Inbox(api.clone()))?;
            ctx.consume(receipts::SPEC, receipts::Receipts(api.clone()))?;
            ctx.consume(email_events::SPEC, email_events::EmailEvents(api.clone()))?;
            ctx.consume(attend_kit::merges::SPEC, attend_kit::merges::FollowMerges(SmsMerges))?;
            let server = ctx.grpc_server().with_api(MessagingServiceServer::new(api));
            ctx.serve_grpc(server)
        })
    }
}

/// Messages and conversations follow contact merges. (A conversation is
/// keyed by its contact, so the merged contact's stays where it was; its
/// messages move to the survivor's thread.)
struct SmsMerges;

impl attend_kit::merges::Follower for SmsMerges {
    const TABLES: &'static [&'static str] = &["messaging.sms_messages"];
}

#[cfg(test)]
mod tests {
    use attend_kit::config::{Config, Source};

    /// The settings errors `configure` answers for these variables.
    fn errors(vars: &[(&str, &str)]) -> Vec<String> {
        let source = vars
            .iter()
            .fold(Source::empty(), |source, (var, value)| source.with(var, *value));
        let config = Config::load(source).unwrap();
        match super::configure(&config) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn the_defaults_need_no_settings() {
        assert_eq!(errors(&[]), Vec::<String>::new());
    }

    #[test]
    fn a_real_provider_names_each_missing_setting() {
        assert_eq!(
            errors(&[("ATTEND_SMS_PROVIDER", "clicksend")]),
            [
                "ATTEND_CLICKSEND_USERNAME: is required when ATTEND_SMS_PROVIDER is clicksend",
                "ATTEND_CLICKSEND_API_KEY: is required when ATTEND_SMS_PROVIDER is clicksend",
                "ATTEND_SMS_FROM: is required with a real SMS provider",
            ]
        );
        assert_eq!(
            errors(&[("ATTEND_SMS_PROVIDER", "carrier pigeon")]),
            ["ATTEND_SMS_PROVIDER: \"carrier pigeon\" is not a provider; one of sandbox, clicksend, twilio"]
        );
    }

    #[test]
    fn the_sender_pace_and_concurrency_are_refused_out_of_range() {
        assert_eq!(
            errors(&[("ATTEND_SMS_PER_SECOND", "0"), ("ATTEND_SMS_CONCURRENCY", "0")]),
            [
                "ATTEND_SMS_PER_SECOND: must be at least 1",
                "ATTEND_SMS_CONCURRENCY: 0 is outside 1 to 64",
            ]
        );
        assert_eq!(
            errors(&[("ATTEND_SMS_CONCURRENCY", "65")]),
            ["ATTEND_SMS_CONCURRENCY: 65 is outside 1 to 64"]
        );
        assert_eq!(errors(&[("ATTEND_SMS_CONCURRENCY", "64")]), Vec::<String>::new());
    }
}
