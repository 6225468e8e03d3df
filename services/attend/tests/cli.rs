//! The `attend` command line, run as a real process against the local
//! Postgres and NATS, with its own database and NATS prefix.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failing test's report"
)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

struct Env {
    database_url: String,
    prefix: String,
    db_name: String,
}

impl Env {
    fn new() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let db_name = format!("attend_t_{now}_{tag}");
        let mut url = url::Url::parse(
            &std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://localhost/attend".to_owned()),
        )
        .unwrap();
        url.set_path(&db_name);
        Self {
            database_url: url.to_string(),
            prefix: format!("t{now}{tag}"),
            db_name,
        }
    }

    fn attend(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.attend_with(args, stdin, &[])
    }

    fn attend_with(&self, args: &[&str], stdin: Option<&str>, vars: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_attend"));
        command
            .args(args)
            .envs(vars.iter().copied())
            .env("DATABASE_URL", &self.database_url)
            .env("ATTEND_NATS_PREFIX", &self.prefix)
            .env("RUST_LOG", "warn")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("run attend");
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    fn drop_database(&self) {
        let mut url = url::Url::parse(&self.database_url).unwrap();
        url.set_path("postgres");
        let _ = Command::new("psql")
            .arg(url.as_str())
            .arg("-qc")
            .arg(format!("drop database if exists \"{}\" with (force)", self.db_name))
            .output();
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Organisations and users are added from the command line, the password
/// read from standard input, and key rotation reports the published keys.
#[test]
fn operators_add_organisations_and_users_and_rotate_keys_from_the_cli() {
    let env = Env::new();
    let out = env.attend(
        &["orgs", "add", "--name", "CLI Clinic", "--wix-instance", "cli-wix"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("org_"), "{stdout}");
    assert!(
        stdout.contains("slug=cli-clinic") && stdout.contains("wix:cli-wix"),
        "{stdout}"
    );
    assert!(
        stdout.contains("time_zone=Australia/Sydney") && stdout.contains("phone_region=AU"),
        "{stdout}"
    );

    let out = env.attend(
        &[
            "users",
            "add",
            "--org",
            "cli-clinic",
            "--email",
            "Boss@CLI.example",
            "--role",
            "admin",
        ],
        Some("a long enough password\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("user_") && stdout.contains("boss@cli.example") && stdout.contains("role=admin"),
        "{stdout}"
    );

    let out = env.attend(
        &[
            "users",
            "add",
            "--org",
            "cli-clinic",
            "--email",
            "x@cli.example",
            "--role",
            "staff",
        ],
        Some(""),
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("standard input"), "{}", text(&out.stderr));

    let out = env.attend(
        &[
            "users",
            "add",
            "--org",
            "no-such-clinic",
            "--email",
            "y@cli.example",
            "--role",
            "staff",
        ],
        Some("a long enough password\n"),
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--org"), "{}", text(&out.stderr));

    let out = env.attend(
        &[
            "users",
            "add",
            "--org",
            "cli-clinic",
            "--email",
            "z@cli.example",
            "--role",
            "emperor",
        ],
        Some("a long enough password\n"),
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("role"), "{}", text(&out.stderr));

    let out = env.attend(&["orgs", "list"], None);
    assert!(text(&out.stdout).contains("CLI Clinic"), "{}", text(&out.stdout));

    // Each provider's URL, and the organisation's own tokens.
    let secret = "cli-test-intake-secret-0123456789abcdef";
    let vars = [
        ("ATTEND_INTAKE_SECRET", secret),
        ("ATTEND_PUBLIC_BASE_URL", "https://hooks.cli.example"),
    ];
    let out = env.attend_with(&["orgs", "webhooks", "cli-clinic"], None, &vars);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let tokens = attend_ingest::signature::IntakeSecret::parse(secret).unwrap();
    for expected in [
        "https://hooks.cli.example/webhooks/wix/bookings  (Wix instances: cli-wix)".to_owned(),
        "https://hooks.cli.example/webhooks/forms/cli-clinic".to_owned(),
        "https://hooks.cli.example/webhooks/twilio/cli-clinic/inbound".to_owned(),
        format!("Authorization: Bearer {}", tokens.token("manychat", "cli-clinic")),
        format!(
            "https://hooks.cli.example/webhooks/clicksend/{}/receipts",
            tokens.token("clicksend", "cli-clinic")
        ),
    ] {
        assert!(stdout.contains(&expected), "{expected:?} in {stdout}");
    }
    let out = env.attend(&["orgs", "webhooks", "cli-clinic"], None);
    assert!(
        text(&out.stdout).contains("set ATTEND_INTAKE_SECRET"),
        "{}",
        text(&out.stdout)
    );
    let out = env.attend(&["orgs", "webhooks", "no-such-clinic"], None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no such organisation"),
        "{}",
        text(&out.stderr)
    );

    let out = env.attend(&["keys", "rotate"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let kids = stdout.lines().next().unwrap().rsplit(": ").next().unwrap();
    assert_eq!(
        kids.split(", ").count(),
        2,
        "the new and the previous key are published: {stdout}"
    );
    env.drop_database();
}

/// `--help` explains every command; a mistyped service name or setting is
/// refused with exit status 2 and one line saying what is wrong.
#[test]
fn the_cli_explains_itself_and_refuses_bad_input() {
    let env = Env::new();
    let out = env.attend(&["--help"], None);
    let help = text(&out.stdout);
    for command in ["run", "migrate", "seed-demo", "orgs", "users", "keys"] {
        assert!(help.contains(command), "{command} in {help}");
    }
    let out = env.attend(&["run", "bookings"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown service \"bookings\""),
        "{}",
        text(&out.stderr)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_attend"))
        .args(["run", "all"])
        .env("ATTEND_GATEWAY_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("ATTEND_GATEWAY_ADDR"), "{stderr}");
}

/// A NATS that answers without TLS when `tls://` was asked is a TLS
/// failure, not "unreachable": the hint to start NATS would send an
/// operator the wrong way. One line, naming the URL.
#[test]
fn a_nats_tls_failure_is_reported_as_such() {
    let env = Env::new();
    let out = env.attend_with(
        &["run", "identity"],
        None,
        &[
            ("NATS_URL", "tls://127.0.0.1:4222"),
            ("ATTEND_IDENTITY_GRPC_ADDR", "127.0.0.1:0"),
            ("ATTEND_FLEET_KEY", "a-fleet-key-for-the-cli-tests-0123456789"),
        ],
    );
    assert_ne!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    let line = stderr.lines().last().unwrap_or_default();
    assert!(line.contains("TLS failed"), "{stderr}");
    assert!(line.contains("tls://127.0.0.1:4222"), "{stderr}");
    assert!(!line.contains("start-stop-daemon"), "{stderr}");
    env.drop_database();
}

/// Services split across processes must share a fleet key: running only
/// some without one is refused before anything starts, naming the setting.
#[test]
fn running_some_services_without_a_fleet_key_is_refused() {
    let env = Env::new();
    let out = env.attend_with(
        &["run", "identity"],
        None,
        &[("ATTEND_IDENTITY_GRPC_ADDR", "127.0.0.1:0")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("ATTEND_FLEET_KEY: is not set"), "{stderr}");
    let out = env.attend_with(&["run", "identity"], None, &[("ATTEND_FLEET_KEY", "too-short")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("ATTEND_FLEET_KEY: must be at least 32 characters"));
}

/// Care on its own needs its data keys; `keys rotate-data` needs them too,
/// and re-seals with the first.
#[test]
fn care_needs_its_data_keys_and_rotate_data_reseals_with_the_first() {
    let env = Env::new();
    let fleet_key = ("ATTEND_FLEET_KEY", "a-fleet-key-for-the-cli-tests-0123456789");
    let out = env.attend_with(
        &["run", "care"],
        None,
        &[("ATTEND_CARE_GRPC_ADDR", "127.0.0.1:0"), fleet_key],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("ATTEND_DATA_KEYS: is not set"), "{stderr}");
    let out = env.attend(&["keys", "rotate-data"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("ATTEND_DATA_KEYS is not set"),
        "{}",
        text(&out.stderr)
    );
    let key = "k7:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let out = env.attend_with(
        &["keys", "rotate-data", "--batch-size", "50"],
        None,
        &[("ATTEND_DATA_KEYS", key)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("care.clients: 0 re-sealed"), "{stdout}");
    assert!(stdout.contains("everything is sealed with key \"k7\""), "{stdout}");
    env.drop_database();
}

/// `dead-letters` prints what an operator asked for and nothing else (the
/// services' INFO logs stay out of it), and names what is wrong with its
/// input.
#[test]
fn dead_letters_are_listed_plainly_and_bad_ids_are_named() {
    let env = Env::new();
    let mut command = Command::new(env!("CARGO_BIN_EXE_attend"));
    let out = command
        .args(["dead-letters", "list"])
        .env("DATABASE_URL", &env.database_url)
        .env("ATTEND_NATS_PREFIX", &env.prefix)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "0 dead letters waiting\n");
    assert_eq!(text(&out.stderr), "", "no log lines around the answer");

    let out = env.attend(&["dead-letters", "redrive", "not-a-uuid"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not a dead letter id"),
        "{}",
        text(&out.stderr)
    );
    let out = env.attend(&["dead-letters", "list", "--service", "gateway"], None);
    assert!(
        text(&out.stderr).contains("gateway has no database"),
        "{}",
        text(&out.stderr)
    );
    let out = env.attend(&["dead-letters", "redrive"], None);
    assert_eq!(out.status.code(), Some(2), "clap asks for an id or --all");
    env.drop_database();
}

/// `events replay` names a bad instant, and on an empty log says so plainly.
#[test]
fn events_replay_reads_its_range_and_names_bad_instants() {
    let env = Env::new();
    let out = env.attend(&["events", "replay", "--from", "yesterday"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--from: \"yesterday\" is not an instant"),
        "{}",
        text(&out.stderr)
    );
    let out = env.attend(
        &["events", "replay", "--from", "2026-01-01", "--provider", "myspace"],
        None,
    );
    assert!(
        text(&out.stderr).contains("provider: must be one of"),
        "{}",
        text(&out.stderr)
    );
    let out = env.attend(&["events", "replay", "--from", "2026-01-01"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("0 deliveries read: 0 events published again"),
        "{}",
        text(&out.stdout)
    );
    env.drop_database();
}
