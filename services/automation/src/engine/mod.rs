//! The rule engine.
//!
//! An event (or a periodic check, or a reminder sent) is a [`Context`]:
//! its trigger and what it is about. [`Engine::on_event`] evaluates the
//! organisation's active rules for the trigger, in priority order, against
//! the facts of the moment ([`facts`]), and records a run for each — what
//! every condition saw and whether the rule fired — and, for a rule that
//! fired, a job per action. All of it commits with the consumer's inbox
//! row, so a redelivered event plans nothing twice.
//!
//! The scheduler ([`scheduler`]) then runs the jobs: now, or after their
//! delay; in order within an event; each action's own conditions checked
//! when it runs; each call to an owner carrying an idempotency key made
//! from (event, rule and version, action index), so a job run twice after
//! a crash has one effect ([`perform`]).

pub(crate) mod cron;
pub(crate) mod facts;
pub(crate) mod perform;
pub(crate) mod reminders;
pub(crate) mod scheduler;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use attend_kit::actor::Actor;
use attend_kit::bus::consumer::HandleError;
use attend_kit::bus::outbox::Outbox;
use attend_kit::clock::SharedClock;
use attend_kit::db::{Db, Tx};
use attend_kit::grpc::Traced;
use attend_kit::ids::OrgId;
use attend_kit::orgs::Directory;
use attend_proto::booking::v1::booking_service_client::BookingServiceClient;
use attend_proto::contact::v1::contact_service_client::ContactServiceClient;
use attend_proto::identity::v1::identity_service_client::IdentityServiceClient;
use attend_proto::messaging::v1::messaging_service_client::MessagingServiceClient;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::rules::conditions::{Checked, Field};
use crate::rules::{Definition, Trigger, seeds};
use crate::store::{self, NewJob, NewRun, RuleRow};
use facts::Facts;

/// The services automation asks to act.
#[derive(Clone)]
pub(crate) struct Owners {
    pub contacts: ContactServiceClient<Traced>,
    pub bookings: BookingServiceClient<Traced>,
    pub messaging: MessagingServiceClient<Traced>,
    pub identity: IdentityServiceClient<Traced>,
}

/// What a rule is evaluated about: its trigger, the event, and the facts
/// the event carries. Kept with each job, so a delayed action knows what
/// it is about.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct Context {
    /// The trigger's key (`lead_created`, `cron_check:hourly`, ...).
    pub trigger: String,
    /// The event's type (`booking.created`), or `cron_check`, `reminder`.
    pub event_type: String,
    pub event_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The rule whose action this is (set on a job's context).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<Uuid>,
    /// A reminder: the appointment it was planned for, and how long before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_seconds: Option<u64>,
}

impl Context {
    pub fn new(trigger: Trigger, event_type: &str, event_id: Uuid) -> Self {
        Self {
            trigger: trigger.key(),
            event_type: event_type.to_owned(),
            event_id,
            ..Self::default()
        }
    }

    /// The trigger, read back from its key.
    pub fn trigger(&self) -> Option<Trigger> {
        trigger_of(&self.trigger)
    }
}

pub(crate) fn trigger_of(key: &str) -> Option<Trigger> {
    use crate::rules::Schedule;
    Some(match key {
        "lead_created" => Trigger::LeadCreated,
        "sms_received" => Trigger::SmsReceived,
        "sms_sent" => Trigger::SmsSent,
        "booking_created" => Trigger::BookingCreated,
        "booking_rescheduled" => Trigger::BookingRescheduled,
        "booking_cancelled" => Trigger::BookingCancelled,
        "booking_confirmed" => Trigger::BookingConfirmed,
        "booking_outcome_updated" => Trigger::BookingOutcomeUpdated,
        "reminder_sent" => Trigger::ReminderSent,
        "cron_check:hourly" => Trigger::CronCheck(Schedule::Hourly),
        "cron_check:daily" => Trigger::CronCheck(Schedule::Daily),
        _ => return None,
    })
}

/// Organisations whose seeded rules this process has added.
#[derive(Debug, Default)]
pub(crate) struct Seeded(Mutex<HashSet<OrgId>>);

impl Seeded {
    /// Adds spec 000's rules an organisation lacks, once per process, in a
    /// transaction of their own committed before any rule is read (so a
    /// caller's rollback can't take them away). A rule an admin changed
    /// keeps its versions: seeding adds only missing rules.
    pub async fn ensure(&self, db: &Db, org: OrgId, now: DateTime<Utc>) -> Result<(), attend_kit::Error> {
        if self.is_seeded(org) {
            return Ok(());
        }
        let mut tx = db.tenant(org).await?;
        Self::seed(&mut tx, org, now).await?;
        tx.commit().await?;
        if let Ok(mut s) = self.0.lock() {
            s.insert(org);
        }
        Ok(())
    }

    pub fn is_seeded(&self, org: OrgId) -> bool {
        self.0.lock().is_ok_and(|s| s.contains(&org))
    }

    /// Adds the missing seeded rules in `tx`. Inside a caller's transaction
    /// this is how a rule evaluation makes sure of them without a second
    /// connection: a consumer holding one and waiting for another, while
    /// the others wait on its locks, stalled the pool until a timeout.
    pub async fn seed(tx: &mut Tx, org: OrgId, now: DateTime<Utc>) -> Result<(), attend_kit::Error> {
        let system = Actor::System.to_string();
        for seed in seeds::SEEDS {
            let json: Value = serde_json::from_str(seed.definition)
                .map_err(|e| anyhow::anyhow!("seeded rule {} is not JSON: {e}", seed.id))?;
            let def =
                Definition::parse(&json).map_err(|e| anyhow::anyhow!("seeded rule {} doesn't read: {e:?}", seed.id))?;
            let version = store::rules::NewVersion {
                id: seed.id,
                trigger: &def.trigger.key(),
                priority: def.priority,
                definition: &def.json,
                actor: &system,
                at: now,
            };
            store::rules::insert(tx, org, &version, true).await?;
        }
        Ok(())
    }
}

/// The rule engine and scheduler's shared parts.
#[derive(Clone)]
pub(crate) struct Engine(pub Arc<Inner>);

pub(crate) struct Inner {
    pub db: Db,
    pub outbox: Outbox,
    pub owners: Owners,
    pub orgs: Directory,
    pub clock: SharedClock,
    pub seeded: Seeded,
    /// Rung when jobs are due at once.
    pub wake: Notify,
    pub staff: perform::StaffCache,
}

impl std::ops::Deref for Engine {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// A rule at its version, read.
pub(crate) struct Loaded {
    pub row: RuleRow,
    pub def: Definition,
}

/// Reads stored rules; one that no longer reads (it can't: it was checked
/// when saved) is logged and left out.
pub(crate) fn load(rows: Vec<RuleRow>) -> Vec<Loaded> {
    rows.into_iter()
        .filter_map(|row| match Definition::parse(&row.definition) {
            Ok(def) => Some(Loaded { row, def }),
            Err(e) => {
                tracing::error!(rule = %row.id, version = row.version, problems = ?e, "a stored rule doesn't read");
                None
            }
        })
        .collect()
}

/// The fields a set of rules' own conditions look at.
fn rule_fields(rules: &[Loaded]) -> HashSet<Field> {
    rules.iter().flat_map(|r| r.def.conditions.fields()).collect()
}

impl Engine {
    /// Before a consumer's transaction: the organisation's seeded rules, in
    /// a transaction of their own, holding no other connection.
    pub async fn prepare(&self, org: OrgId) -> Result<(), HandleError> {
        self.seeded.ensure(&self.db, org, self.clock.now()).await?;
        Ok(())
    }

    /// Evaluates the organisation's rules for an event, inside the
    /// consumer's transaction.
    pub async fn on_event(&self, tx: &mut Tx, org: OrgId, mut ctx: Context) -> Result<(), HandleError> {
        let now = self.clock.now();
        // Consumers seed before their transaction opens (Handler::prepare);
        // anything else gets them in its own transaction.
        if !self.seeded.is_seeded(org) {
            Seeded::seed(tx, org, now).await?;
        }
        let rules = load(store::rules::active_for(tx, org, &ctx.trigger).await?);
        if rules.is_empty() {
            return Ok(());
        }
        let org_settings = self.orgs.get(org).await?;
        let facts = Facts::gather(&self.owners, &org_settings, &mut ctx, &rule_fields(&rules), now).await?;
        self.plan(tx, org, &ctx, &rules, &facts, now, true).await?;
        Ok(())
    }

    /// Records a run per rule (with `record_misses`, also for a rule that
    /// didn't fire) and a job per action of each rule that fired; how many
    /// fired.
    #[allow(clippy::too_many_arguments, reason = "the parts of one evaluation")]
    pub async fn plan(
        &self,
        tx: &mut Tx,
        org: OrgId,
        ctx: &Context,
        rules: &[Loaded],
        facts: &Facts,
        now: DateTime<Utc>,
        record_misses: bool,
    ) -> Result<usize, HandleError> {
        let mut fired = 0;
        for (order, rule) in rules.iter().enumerate() {
            let checked = rule.def.conditions.check(&|f| facts.value(f), facts.today);
            let matched = checked.iter().all(|c| c.passed);
            if !matched && !record_misses {
                continue;
            }
            let run_id = Uuid::now_v7();
            let conditions = serde_json::to_value(&checked).unwrap_or(Value::Null);
            let recorded = store::runs::insert(
                tx,
                org,
                &NewRun {
                    id: run_id,
                    rule_id: &rule.row.id,
                    rule_version: rule.row.version,
                    trigger: &ctx.trigger,
                    event_type: &ctx.event_type,
                    event_id: ctx.event_id,
                    contact_id: ctx.contact_id,
                    booking_id: ctx.booking_id,
                    matched,
                    conditions: &conditions,
                    at: now,
                },
            )
            .await?;
            if !recorded || !matched {
                continue;
            }
            fired += 1;
            metrics::counter!("attend_automation_rules_fired_total", "rule" => rule.row.id.clone()).increment(1);
            let job_ctx = Context {
                rule_id: Some(rule.row.id.clone()),
                rule_version: Some(rule.row.version),
                run_id: Some(run_id),
                ..ctx.clone()
            };
            let context = serde_json::to_value(&job_ctx).map_err(|e| HandleError::Reject(e.into()))?;
            for (index, step) in rule.def.steps.iter().enumerate() {
                let key = format!("auto:{}:{}:v{}:{index}", ctx.event_id, rule.row.id, rule.row.version);
                let delay = chrono::Duration::seconds(i64::try_from(step.delay_seconds).unwrap_or(i64::MAX / 2));
                store::jobs::insert(
                    tx,
                    org,
                    &NewJob {
                        id: Uuid::now_v7(),
                        run_id: Some(run_id),
                        event_id: ctx.event_id,
                        seq: i32::try_from(order * 100 + index).unwrap_or(i32::MAX),
                        kind: "action",
                        action_index: i32::try_from(index).ok(),
                        action: &step.json,
                        context: &context,
                        contact_id: ctx.contact_id,
                        booking_id: ctx.booking_id,
                        due_at: now + delay,
                        key: &key,
                        at: now,
                    },
                )
                .await?;
            }
        }
        // The scheduler sees the jobs once this transaction commits: a
        // consumer wakes it then (`committed`); the periodic checks and
        // the jobs that plan more run in its own loop, which looks again
        // at once.
        Ok(fired)
    }
}

/// A condition trace as the API shows it.
pub(crate) fn checked_from(value: &Value) -> Vec<Checked> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}
