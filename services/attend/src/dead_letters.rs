//! `attend dead-letters`: the events a consumer gave up on, listed and sent
//! back (attend_kit::bus::dead_letters). Each service's letters are read as
//! that service's own database role; a redrive publishes on the fleet's
//! NATS, so it works whether or not the platform is running (the consumer
//! picks the event up when its service runs).

use anyhow::Context as _;
use attend_kit::bus::dead_letters::{self, Letter, Which};
use attend_kit::bus::outbox::Outbox;
use attend_kit::config::Config;
use attend_kit::db::Db;
use attend_kit::service::ServiceName;
use uuid::Uuid;

/// The services that keep dead letters (those with a schema), or the one named.
fn services(only: Option<&str>) -> anyhow::Result<Vec<ServiceName>> {
    let with_schema: Vec<ServiceName> = crate::definitions()
        .iter()
        .filter(|d| d.migrations.is_some())
        .map(|d| d.name)
        .collect();
    match only {
        None => Ok(with_schema),
        Some(name) => {
            let name: ServiceName = name.parse().map_err(anyhow::Error::msg).context("--service")?;
            anyhow::ensure!(
                with_schema.contains(&name),
                "--service: {name} has no database, so no dead letters"
            );
            Ok(vec![name])
        }
    }
}

async fn prepare(config: &Config) -> anyhow::Result<()> {
    if config.migrate_on_start {
        attend_kit::service::migrate(config, &crate::definitions()).await?;
    }
    Ok(())
}

async fn connect(config: &Config, name: ServiceName) -> anyhow::Result<Db> {
    Db::connect(name, &config.runtime_database_url(name), 2).await
}

/// One line per letter: what an operator scans for.
pub fn line(service: ServiceName, letter: &Letter) -> String {
    let mut error = letter.error.replace('\n', " ");
    if error.chars().count() > 160 {
        error = error.chars().take(159).collect::<String>() + "…";
    }
    format!(
        "{id}  {service:<10} {consumer:<28} {at}  tries={tries:<3} {state}  event={event} org={org}\n    {error}",
        id = letter.id,
        consumer = letter.consumer,
        at = letter.created_at.format("%Y-%m-%d %H:%M:%S"),
        tries = letter.deliveries,
        state = match letter.redriven_at {
            Some(at) => format!("redriven {}", at.format("%Y-%m-%d %H:%M:%S")),
            None => "waiting".to_owned(),
        },
        event = letter.event_id.map(|e| e.to_string()).unwrap_or_else(|| "-".to_owned()),
        org = letter.org_id.map(|o| o.to_string()).unwrap_or_else(|| "-".to_owned()),
    )
}

/// `attend dead-letters list [--service S] [--all]`.
pub async fn list(config: Config, service: Option<String>, include_redriven: bool) -> anyhow::Result<()> {
    let names = services(service.as_deref())?;
    prepare(&config).await?;
    let mut total = 0;
    for name in names {
        let db = connect(&config, name).await?;
        for letter in dead_letters::list(&db, include_redriven).await? {
            println!("{}", line(name, &letter));
            total += 1;
        }
    }
    let waiting = if include_redriven { "" } else { " waiting" };
    println!("{total} dead letter{}{waiting}", if total == 1 { "" } else { "s" });
    Ok(())
}

/// `attend dead-letters redrive ID | --all [--service S]`.
pub async fn redrive(config: Config, id: Option<String>, all: bool, service: Option<String>) -> anyhow::Result<()> {
    let which = match (id, all) {
        (Some(id), false) => Which::One(
            Uuid::parse_str(id.trim()).map_err(|_| anyhow::anyhow!("ID: {id:?} is not a dead letter id (a UUID)"))?,
        ),
        (None, true) => Which::All,
        _ => anyhow::bail!("name one dead letter's ID, or --all"),
    };
    let names = services(service.as_deref())?;
    prepare(&config).await?;
    let bus = attend_kit::service::connect_bus(&config).await?;
    let mut sent = 0;
    for name in names {
        let db = connect(&config, name).await?;
        let outbox = Outbox::new(config.nats_prefix.clone(), name);
        let letters = match dead_letters::redrive(&db, &outbox, &bus, which).await {
            Ok(letters) => letters,
            // One letter: this service doesn't hold it waiting; try the next.
            Err(attend_kit::Error::Precondition(_)) if matches!(which, Which::One(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        for letter in &letters {
            println!("redriven: {}", line(name, letter));
        }
        sent += letters.len();
        if matches!(which, Which::One(_)) {
            break;
        }
    }
    if let (Which::One(id), 0) = (which, sent) {
        anyhow::bail!("no service holds a waiting dead letter {id} (see `attend dead-letters list --all`)");
    }
    println!(
        "{sent} dead letter{} sent back to their consumers",
        if sent == 1 { "" } else { "s" }
    );
    Ok(())
}
