//! Typed configuration read once at start-up.
//!
//! Settings come from, in order of precedence: explicit overrides (tests),
//! environment variables, and an optional TOML file named by
//! `ATTEND_CONFIG_FILE` whose keys are the same variable names. A bad or
//! missing setting is a [`ConfigError`] whose one-line message names the
//! variable and what is wrong with it; nothing here ever panics on input.
//!
//! The platform-wide settings live in [`Config`]. A service's own settings
//! (say, ingest's webhook secret) are read by that service from the same
//! [`Source`] before anything starts, so one bad variable stops the whole
//! process before it touches Postgres or NATS.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use crate::service::ServiceName;

mod source;

pub use source::{ConfigError, Source, parse_duration};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err("expected text or json"),
        }
    }
}

/// The NATS subject and stream prefix: lower-case letters, digits, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix(String);

impl Prefix {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Prefix {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("expected 1-32 characters: a lower-case letter, then lower-case letters, digits, '_' or '-'")
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// JetStream consumer behaviour shared by every durable consumer.
#[derive(Debug, Clone)]
pub struct BusSettings {
    /// How long JetStream waits for an ack before redelivering (a crashed
    /// consumer's messages come back after this).
    pub ack_wait: Duration,
    /// Deliveries before a message is dead-lettered.
    pub max_deliver: i64,
    /// Messages fetched per pull request.
    pub batch_size: usize,
    /// Messages each consumer handles at once (consumers never depend on
    /// order; a row lock serialises work on one record).
    pub concurrency: usize,
    /// How long the stream keeps events (read models are rebuilt from it).
    pub max_age: Duration,
    /// Copies of the stream a NATS cluster keeps (1 on a single server).
    pub replicas: usize,
}

/// Addresses of one service's gRPC (and ops HTTP) port.
#[derive(Debug, Clone)]
pub struct ServiceAddrs {
    /// Where this service listens when it runs in this process.
    pub listen: SocketAddr,
    /// Where other services reach it.
    pub url: Url,
}

/// Platform-wide settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Admin connection: creates the database, roles and schemas, runs migrations.
    pub database_url: Url,
    /// Per-service run-time connections that were set explicitly.
    pub service_database_urls: HashMap<ServiceName, Url>,
    /// Connections per service pool.
    pub db_max_connections: u32,
    pub nats_url: String,
    pub nats_prefix: Prefix,
    pub log_format: LogFormat,
    pub migrate_on_start: bool,
    /// How long shutdown waits for in-flight work before giving up.
    pub shutdown_grace: Duration,
    pub bus: BusSettings,
    pub services: BTreeMap<ServiceName, ServiceAddrs>,
    /// Gateway's public HTTP listener (REST API, web UI).
    pub gateway_addr: SocketAddr,
    /// Ingest's public HTTP listener (provider webhooks).
    pub ingest_addr: SocketAddr,
    /// `ATTEND_TRUST_FORWARDED_FOR`: both public listeners sit behind one
    /// proxy that sets `X-Forwarded-For` (and `X-Forwarded-Proto`), so the
    /// client's address (and scheme) come from those headers.
    pub trust_forwarded_for: bool,
    /// `ATTEND_PUBLIC_BASE_URL`: the scheme, host and port providers reach
    /// ingest's webhooks on (e.g. `https://hooks.example.com`), without a
    /// trailing slash. Ingest checks Twilio's signature over it; messaging
    /// gives Twilio status callback URLs under it.
    pub public_base_url: Option<String>,
    /// `ATTEND_FLEET_KEY`: signs the tokens services present to each other
    /// ([`crate::calltoken`]). Unset: a random key for this process only,
    /// which is enough when every service runs in it (`attend run all`).
    pub fleet_key: Option<crate::calltoken::FleetKey>,
    /// The source everything was read from, for service-specific settings.
    pub source: Source,
}

/// The first gRPC port; services take consecutive ports in [`ServiceName::ALL`] order.
pub const FIRST_GRPC_PORT: u16 = 50051;

impl Config {
    /// Reads every platform setting, reporting all problems at once.
    pub fn load(source: Source) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();

        #[allow(clippy::expect_used, reason = "a constant, valid URL")]
        let default_database_url = Url::parse("postgres://localhost/attend").expect("static URL is valid");
        let database_url = keep(
            &mut errors,
            source
                .get_or("DATABASE_URL", default_database_url)
                .and_then(|url| check_postgres_url("DATABASE_URL", url)),
        );

        let mut service_database_urls = HashMap::new();
        let mut services = BTreeMap::new();
        for (i, name) in ServiceName::ALL.iter().enumerate() {
            let var = format!("ATTEND_{}_DATABASE_URL", name.env_key());
            match source.optional::<Url>(&var) {
                Ok(Some(url)) => match check_postgres_url(&var, url) {
                    Ok(url) => {
                        service_database_urls.insert(*name, url);
                    }
                    Err(e) => errors.push(e),
                },
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
            let port = FIRST_GRPC_PORT + i as u16;
            let addr_var = format!("ATTEND_{}_GRPC_ADDR", name.env_key());
            let listen = source.get_or(&addr_var, SocketAddr::from(([127, 0, 0, 1], port)));
            let url_var = format!("ATTEND_{}_GRPC_URL", name.env_key());
            match listen {
                Ok(listen) => {
                    let default_url = url_for(listen);
                    match source.get_or(&url_var, default_url) {
                        Ok(url) => {
                            services.insert(*name, ServiceAddrs { listen, url });
                        }
                        Err(e) => errors.push(e),
                    }
                }
                Err(e) => errors.push(e),
            }
        }

        let nats_url = source
            .raw("NATS_URL")
            .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned());
        let nats_prefix = keep(
            &mut errors,
            source.get_or("ATTEND_NATS_PREFIX", Prefix("attend".to_owned())),
        );
        let db_max_connections = keep(&mut errors, source.get_or("ATTEND_DB_MAX_CONNECTIONS", 8u32));
        let log_format = keep(&mut errors, source.get_or("ATTEND_LOG_FORMAT", LogFormat::Text));
        let migrate_on_start = keep(&mut errors, source.flag("ATTEND_MIGRATE_ON_START", true));
        let shutdown_grace = keep(
            &mut errors,
            source.duration("ATTEND_SHUTDOWN_GRACE", Duration::from_secs(30)),
        );
        let ack_wait = keep(
            &mut errors,
            source.duration("ATTEND_BUS_ACK_WAIT", Duration::from_secs(30)),
        );
        let max_deliver = keep(&mut errors, source.get_or("ATTEND_BUS_MAX_DELIVER", 10i64));
        let batch_size = keep(&mut errors, source.get_or("ATTEND_BUS_BATCH_SIZE", 64usize));
        let concurrency = keep(&mut errors, source.get_or("ATTEND_BUS_CONCURRENCY", 4usize));
        let max_age = keep(
            &mut errors,
            source.duration("ATTEND_BUS_MAX_AGE", Duration::from_secs(400 * 24 * 3600)),
        );
        let replicas = keep(&mut errors, source.get_or("ATTEND_BUS_REPLICAS", 1usize));
        if let Some(n) = replicas
            && !(1..=5).contains(&n)
        {
            errors.push(ConfigError::new(
                "ATTEND_BUS_REPLICAS",
                "must be 1 to 5 (JetStream's limit)",
            ));
        }
        let gateway_addr = keep(
            &mut errors,
            source.get_or("ATTEND_GATEWAY_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080))),
        );
        let ingest_addr = keep(
            &mut errors,
            source.get_or("ATTEND_INGEST_ADDR", SocketAddr::from(([127, 0, 0, 1], 8081))),
        );
        let trust_forwarded_for = keep(&mut errors, source.flag("ATTEND_TRUST_FORWARDED_FOR", false));
        let public_base_url = keep(&mut errors, source.parsed("ATTEND_PUBLIC_BASE_URL", public_base_url)).flatten();
        let fleet_key = keep(
            &mut errors,
            source.parsed("ATTEND_FLEET_KEY", crate::calltoken::FleetKey::parse),
        )
        .flatten();

        if let Some(max) = max_deliver
            && max < 2
        {
            errors.push(ConfigError::new(
                "ATTEND_BUS_MAX_DELIVER",
                "must be at least 2 so a transient failure is retried",
            ));
        }
        if let Some(n) = db_max_connections
            && n == 0
        {
            errors.push(ConfigError::new("ATTEND_DB_MAX_CONNECTIONS", "must be at least 1"));
        }

        // Each `None` above recorded its error, so `built` is `Some` exactly
        // when `errors` is empty.
        let built = (|| {
            Some(Self {
                database_url: database_url?,
                service_database_urls,
                db_max_connections: db_max_connections?,
                nats_url,
                nats_prefix: nats_prefix?,
                log_format: log_format?,
                migrate_on_start: migrate_on_start?,
                shutdown_grace: shutdown_grace?,
                bus: BusSettings {
                    ack_wait: ack_wait?,
                    max_deliver: max_deliver?,
                    batch_size: batch_size?.clamp(1, 512),
                    concurrency: concurrency?.clamp(1, 64),
                    max_age: max_age?,
                    replicas: replicas?,
                },
                services,
                gateway_addr: gateway_addr?,
                ingest_addr: ingest_addr?,
                trust_forwarded_for: trust_forwarded_for?,
                public_base_url,
                fleet_key,
                source,
            })
        })();
        match built {
            Some(config) if errors.is_empty() => Ok(config),
            _ => Err(errors),
        }
    }

    pub fn service(&self, name: ServiceName) -> &ServiceAddrs {
        // `load` inserts every name in `ServiceName::ALL`.
        &self.services[&name]
    }

    /// The connection a service uses at run time, as its own role.
    pub fn runtime_database_url(&self, name: ServiceName) -> Url {
        if let Some(url) = self.service_database_urls.get(&name) {
            return url.clone();
        }
        let mut url = self.database_url.clone();
        // Setting a username and clearing a password only fail for URLs that
        // cannot have them, and `check_postgres_url` admitted only postgres URLs.
        let _ = url.set_username(&crate::db::role_name(name));
        let _ = url.set_password(None);
        url
    }
}

/// The value, or `None` with the error recorded.
/// A setting's value, its error noted so every bad setting is reported at
/// once: `let key = keep(&mut errors, source.parsed("ATTEND_X", parse)).flatten();`.
pub fn keep<T>(errors: &mut Vec<ConfigError>, result: Result<T, ConfigError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// A URL without a user connects as the OS user, like `psql` does:
/// `PGUSER`, then `USER`, then `postgres`.
fn with_default_user(mut url: Url) -> Url {
    if url.username().is_empty() {
        let user = ["PGUSER", "USER"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| "postgres".to_owned());
        // Postgres URLs can carry a username.
        let _ = url.set_username(&user);
    }
    url
}

fn check_postgres_url(var: &str, url: Url) -> Result<Url, ConfigError> {
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(ConfigError::new(
            var,
            format!("expected a postgres:// URL (got scheme {:?})", url.scheme()),
        ));
    }
    if url.path().trim_start_matches('/').is_empty() {
        return Err(ConfigError::new(
            var,
            "the URL names no database (expected postgres://host/DATABASE)",
        ));
    }
    Ok(with_default_user(url))
}

/// `ATTEND_PUBLIC_BASE_URL`: a scheme and host (and port), no path, kept
/// without a trailing slash.
fn public_base_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/').to_owned();
    match Url::parse(&text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.path() == "/" && u.query().is_none() => Ok(text),
        _ => Err("must be a scheme and host (and port), e.g. https://hooks.example.com".to_owned()),
    }
}

/// `http://host:port` for a listen address; wildcard hosts become loopback.
pub fn url_for(addr: SocketAddr) -> Url {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    #[allow(
        clippy::expect_used,
        reason = "an IP address and a port always form a valid http URL"
    )]
    Url::parse(&format!("http://{host}:{}", addr.port())).expect("host and port form a valid URL")
}

/// `ATTEND_PUBLIC_URL`: the web address people use (the gateway's, as
/// they reach it), for links in emails; `http://127.0.0.1:8080` unless set.
pub fn public_url(source: &Source) -> Result<Url, ConfigError> {
    let default = url_for(SocketAddr::from(([127, 0, 0, 1], 8080)));
    match source.get_or("ATTEND_PUBLIC_URL", default)? {
        url if matches!(url.scheme(), "http" | "https") => Ok(url),
        url => Err(ConfigError::new(
            "ATTEND_PUBLIC_URL",
            format!("expected an http(s) URL (got scheme {:?})", url.scheme()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_work_with_no_configuration() {
        let config = Config::load(Source::empty()).expect("defaults are valid");
        assert_eq!(config.database_url.host_str(), Some("localhost"));
        assert_eq!(config.database_url.path(), "/attend");
        assert!(
            !config.database_url.username().is_empty(),
            "a default user is filled in"
        );
        assert_eq!(config.nats_prefix.as_str(), "attend");
        assert_eq!(config.gateway_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.ingest_addr.to_string(), "127.0.0.1:8081");
        assert_eq!(
            config.service(ServiceName::Ingest).listen.to_string(),
            "127.0.0.1:50051"
        );
        assert_eq!(
            config.service(ServiceName::Gateway).url.as_str(),
            "http://127.0.0.1:50060/"
        );
    }

    #[test]
    fn a_bad_setting_is_named_with_the_reason() {
        let errors = Config::load(Source::empty().with("ATTEND_GATEWAY_ADDR", "localhost")).unwrap_err();
        assert_eq!(errors.len(), 1);
        let line = errors[0].to_string();
        assert!(line.starts_with("ATTEND_GATEWAY_ADDR: "), "{line}");
        assert!(line.contains("\"localhost\""), "{line}");
    }

    #[test]
    fn every_bad_setting_is_reported_at_once() {
        let errors = Config::load(
            Source::empty()
                .with("ATTEND_NATS_PREFIX", "Has Spaces")
                .with("DATABASE_URL", "mysql://x/y")
                .with("ATTEND_BUS_ACK_WAIT", "soon"),
        )
        .unwrap_err();
        let vars: Vec<_> = errors.iter().map(|e| e.var.as_str()).collect();
        assert_eq!(vars, ["DATABASE_URL", "ATTEND_NATS_PREFIX", "ATTEND_BUS_ACK_WAIT"]);
    }

    #[test]
    fn secrets_are_not_echoed_in_errors() {
        let source = Source::empty().with("ATTEND_WEBHOOK_SECRET_TTL", "hunter2");
        let err = source.optional::<u32>("ATTEND_WEBHOOK_SECRET_TTL").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn runtime_url_uses_the_service_role() {
        let config = Config::load(Source::empty().with("DATABASE_URL", "postgres://admin:pw@db:5432/attend")).unwrap();
        let url = config.runtime_database_url(ServiceName::Contact);
        assert_eq!(url.as_str(), "postgres://attend_contact@db:5432/attend");
    }

    #[test]
    fn durations_accept_common_units() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("5 s"), None);
    }

    #[test]
    fn the_config_file_is_the_lowest_layer() {
        let dir = std::env::temp_dir().join(format!("attend-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("attend.toml");
        std::fs::write(&path, "ATTEND_NATS_PREFIX = \"fromfile\"\nATTEND_BUS_MAX_DELIVER = 7\n").unwrap();
        let source = Source::empty()
            .with_file(path.to_str().unwrap())
            .unwrap()
            .with("ATTEND_BUS_MAX_DELIVER", "9");
        let config = Config::load(source).unwrap();
        assert_eq!(config.nats_prefix.as_str(), "fromfile");
        assert_eq!(config.bus.max_deliver, 9);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
