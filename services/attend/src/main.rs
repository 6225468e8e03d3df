//! `attend`: the one binary. Thin on purpose: parse the command line, read
//! configuration, set up telemetry, then hand over to library code.

use std::process::ExitCode;

use attend_kit::config::{Config, Source};
use attend_kit::service::{self, Fleet};
use attend_kit::telemetry::{self, TelemetrySettings};
use clap::{Parser, Subcommand};

/// attend: the patient-journey platform for practices whose business is the
/// attended appointment.
///
/// Configuration comes from environment variables (DATABASE_URL, NATS_URL,
/// ATTEND_*); every one has a default that works on a development machine
/// with local Postgres and NATS. See README.md for the full list.
#[derive(Parser)]
#[command(name = "attend", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run services until SIGTERM or Ctrl-C: `all` (every service in one
    /// process, still talking only over NATS and gRPC on loopback) or one or
    /// more of: ingest contact booking automation messaging billing
    /// reporting care identity gateway.
    ///
    /// Migrations are applied first unless ATTEND_MIGRATE_ON_START=false.
    /// The gateway's REST API listens on ATTEND_GATEWAY_ADDR (default
    /// 127.0.0.1:8080), provider webhooks on ATTEND_INGEST_ADDR (default
    /// 127.0.0.1:8081), and each service's gRPC, /healthz, /readyz and
    /// /metrics on ATTEND_<SERVICE>_GRPC_ADDR (default 127.0.0.1:50051 up).
    Run {
        /// `all`, or service names.
        #[arg(required = true, value_name = "SERVICE")]
        services: Vec<String>,
    },
    /// Create the database if it is missing, each service's database roles
    /// and schema, apply every service's migrations, then exit.
    Migrate,
    /// Create the demo organisation (Avatar Imaging), one user per role and a
    /// week of bookings sent through the real, signed webhook edge; print how
    /// to log in, then exit. Safe to run again: nothing is duplicated.
    /// Set ATTEND_DEMO_PASSWORD to choose the users' password.
    SeedDemo,
    /// Print the REST API's OpenAPI 3.1 document (what the gateway serves
    /// at /api/openapi.json), then exit. The web UI's types are generated
    /// from it.
    Openapi,
    /// Organisations (tenants).
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Users of an organisation.
    #[command(subcommand)]
    Users(UsersCommand),
    /// The keys that sign access tokens.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Reporting's read models.
    #[command(subcommand)]
    Reporting(ReportingCommand),
    /// Events a consumer gave up on (undecodable, refused, or out of retries).
    #[command(subcommand)]
    DeadLetters(DeadLettersCommand),
    /// Ingest's raw event log.
    #[command(subcommand)]
    Events(EventsCommand),
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Re-publish the raw deliveries received in a time range through the
    /// current mapping, each under its original event id: what was never
    /// applied (an unmapped or dead-lettered delivery) is applied now, what
    /// was is a duplicate. Audited. Wix bookings, leads and inbound texts.
    Replay {
        /// From this instant (RFC 3339, or a date for midnight UTC).
        #[arg(long)]
        from: String,
        /// Up to this instant (default: now).
        #[arg(long)]
        to: Option<String>,
        /// Only this provider: wix, manychat, form, clicksend, twilio.
        #[arg(long)]
        provider: Option<String>,
    },
}

#[derive(Subcommand)]
enum DeadLettersCommand {
    /// List dead letters still waiting, newest first, with why each failed.
    List {
        /// Only this service's (e.g. booking).
        #[arg(long)]
        service: Option<String>,
        /// Include those already redriven.
        #[arg(long)]
        all: bool,
    },
    /// Send dead letters back through their consumers' idempotent inbox
    /// (an event redriven never has two effects); audited.
    Redrive {
        /// The dead letter's id (from `list`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every dead letter still waiting.
        #[arg(long)]
        all: bool,
        /// Only this service's (with --all).
        #[arg(long)]
        service: Option<String>,
    },
}

#[derive(Subcommand)]
enum ReportingCommand {
    /// Replay the event stream from its start into fresh read models and
    /// swap them in (while the fleet runs; live projections wait only for
    /// the swap). The figures come out the same as those kept live.
    Rebuild {
        /// Only this organisation (its slug or id); the others are left as they are.
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
enum OrgsCommand {
    /// Add an organisation.
    Add {
        #[arg(long)]
        name: String,
        /// URL-safe name (default: from the name, e.g. avatar-imaging).
        #[arg(long)]
        slug: Option<String>,
        /// IANA time zone (default Australia/Sydney).
        #[arg(long)]
        time_zone: Option<String>,
        /// Region for reading local phone numbers (default AU).
        #[arg(long)]
        phone_region: Option<String>,
        /// A Wix app instance id whose webhooks belong to this organisation (repeatable).
        #[arg(long = "wix-instance")]
        wix_instances: Vec<String>,
    },
    /// List organisations.
    List,
    /// Print an organisation's webhook URLs and the tokens ManyChat and
    /// ClickSend must send (set ATTEND_PUBLIC_BASE_URL to the address
    /// providers reach ingest on).
    Webhooks {
        /// The organisation's slug or id.
        org: String,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add a user; the password is read from standard input
    /// (e.g. `printf '%s' "$PASSWORD" | attend users add ...`).
    Add {
        /// The organisation's slug or id.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// admin, staff, readonly, care_team, family or client.
        #[arg(long)]
        role: String,
        /// Display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// A new key signs from now on; the previous one keeps verifying the
    /// tokens it signed, older ones retire.
    Rotate,
    /// Re-seals the care records an older data key sealed with the first
    /// key of ATTEND_DATA_KEYS, in batches, while the platform runs.
    RotateData {
        /// Rows per transaction.
        #[arg(long, default_value_t = 200)]
        batch_size: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("attend: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    if matches!(cli.command, Command::Openapi) {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        return match writeln!(out, "{}", attend_gateway::openapi::document_json()) {
            Ok(()) => ExitCode::SUCCESS,
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("attend: cannot write the document: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // One TLS crypto provider for every client (Postgres, NATS, HTTP).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

    let config = match Source::from_env().map_err(|e| vec![e]).and_then(Config::load) {
        Ok(config) => config,
        Err(errors) => {
            for e in errors {
                eprintln!("attend: configuration error: {e}");
            }
            return ExitCode::from(2);
        }
    };
    let service_name = match &cli.command {
        Command::Run { services } if services.len() == 1 && services[0] != "all" => {
            format!("attend-{}", services[0])
        }
        _ => "attend".to_owned(),
    };
    // Serving and migrating log what they do; the other commands print
    // what a person needs, and log only what went wrong.
    let quiet = !matches!(cli.command, Command::Run { .. } | Command::Migrate);
    let telemetry = match telemetry::init(&TelemetrySettings {
        service_name,
        log_format: config.log_format,
        source: config.source.clone(),
        quiet,
    }) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("attend: {e:#}");
            return ExitCode::from(2);
        }
    };
    attend_kit::metrics::install();

    let result = match cli.command {
        Command::Run { services } => match attend::select(&services)
            .and_then(|defs| attend::check_fleet_key(&defs, config.fleet_key.is_some()).map(|()| defs))
            .and_then(|defs| attend::check_data_keys(&defs, attend_care::data_keys_set(&config)).map(|()| defs))
        {
            Ok(defs) => run_services(config, defs).await,
            Err(e) => {
                eprintln!("attend: {e}");
                telemetry.shutdown();
                return ExitCode::from(2);
            }
        },
        Command::Migrate => service::migrate(&config, &attend::definitions()).await,
        Command::SeedDemo => attend::demo::seed(config).await,
        Command::Orgs(OrgsCommand::Add {
            name,
            slug,
            time_zone,
            phone_region,
            wix_instances,
        }) => {
            attend::admin::add_org(
                config,
                attend::admin::NewOrg {
                    name,
                    slug,
                    time_zone,
                    phone_region,
                    wix_instances,
                },
            )
            .await
        }
        Command::Orgs(OrgsCommand::List) => attend::admin::list_orgs(config).await,
        Command::Orgs(OrgsCommand::Webhooks { org }) => attend::admin::webhooks(config, org).await,
        Command::Users(UsersCommand::Add { org, email, role, name }) => match attend::admin::password_from_stdin() {
            Ok(password) => {
                attend::admin::add_user(config, attend::admin::NewUser { org, email, role, name }, password).await
            }
            Err(e) => Err(e),
        },
        Command::Keys(KeysCommand::Rotate) => attend::admin::rotate_keys(config).await,
        Command::Keys(KeysCommand::RotateData { batch_size }) => {
            attend::admin::rotate_data_keys(config, batch_size).await
        }
        Command::Reporting(ReportingCommand::Rebuild { org }) => attend::admin::rebuild_reports(config, org).await,
        Command::Events(EventsCommand::Replay { from, to, provider }) => {
            attend::admin::replay_events(config, from, to, provider).await
        }
        Command::DeadLetters(DeadLettersCommand::List { service, all }) => {
            attend::dead_letters::list(config, service, all).await
        }
        Command::DeadLetters(DeadLettersCommand::Redrive { id, all, service }) => {
            attend::dead_letters::redrive(config, id, all, service).await
        }
        // Printed above, before any configuration was read.
        Command::Openapi => Ok(()),
    };
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("attend: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_services(config: Config, defs: Vec<attend_kit::ServiceDef>) -> anyhow::Result<()> {
    let shutdown = attend_kit::shutdown::on_signal();
    let fleet = Fleet::start(config, defs, shutdown).await?;
    for name in attend_kit::ServiceName::ALL {
        if let Some(addr) = fleet.http_addr(name) {
            tracing::info!("{name} HTTP on http://{addr}");
        }
    }
    tracing::info!("running; stop with Ctrl-C or SIGTERM");
    fleet.run_until_shutdown().await?;
    tracing::info!("stopped");
    Ok(())
}
