//! Running one job: an action of a rule that fired, or a booking reminder.
//!
//! Owners act through their own APIs, each call carrying the job's key as
//! its idempotency key: a job run again after a crash (its claim lapsed
//! before it was recorded) has one effect. What is automation's own (its
//! tasks, its scheduled reminders, the rules a reminder sets off) is
//! written in the same transaction that records how the job ended.
//!
//! Actions already done by the owner when the event arrived (matching the
//! contact, scoring warmness, creating the booking, logging the touchpoint
//! the event itself is) are recorded as done, and not done twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use attend_kit::Error;
use attend_kit::bus::Draft;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::{Caller, request, with_idempotency_key};
use attend_kit::ids::{ContactId, OrgId, SmsId, TypedId};
use attend_kit::orgs::Org;
use attend_proto::automation::v1 as pb;
use attend_proto::booking::v1 as booking;
use attend_proto::contact::v1 as contact;
use attend_proto::identity::v1 as identity;
use attend_proto::messaging::v1 as messaging;
use chrono::{DateTime, Datelike, Months, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::facts::{Facts, STANDING, get_booking, get_recall};
use super::{Context, Engine, Owners};
use crate::rules::Trigger;
use crate::rules::actions::{self, Action, Due, RecallAfter};
use crate::rules::conditions::{Checked, Field};
use crate::store::{self, JobRow};

/// How a job ended.
#[derive(Debug, Clone)]
pub(crate) enum Ended {
    Done(String),
    Skipped(String),
    Failed(String),
    /// A peer or the database is unwell: try again later.
    Retry(String),
}

/// What a job changes here, in the transaction that records it.
pub(crate) enum Effect {
    Task(Box<TaskPlan>),
    CancelTasks {
        types: Option<Vec<String>>,
        booking: Option<Uuid>,
        reason: String,
    },
    Reminders(Vec<reminders_plan::Plan>),
    /// A rule trigger of automation's own (a reminder sent).
    Trigger(Context),
    Publish(Draft),
}

pub(crate) use super::reminders as reminders_plan;

/// A task to create.
pub(crate) struct TaskPlan {
    pub contact: Uuid,
    pub booking: Option<Uuid>,
    pub kind: String,
    pub hint: Option<String>,
    pub due_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub candidates: Vec<Uuid>,
    /// Not when an open task of this type is already there for the booking.
    pub unless_open: bool,
}

/// Active practice staff (admins and staff) per organisation, for
/// assigning tasks, asked of identity at most once a minute.
#[derive(Default)]
pub(crate) struct StaffCache(Mutex<HashMap<OrgId, (Instant, Vec<Colleague>)>>);

/// Somebody a task can go to.
#[derive(Debug, Clone, Copy)]
struct Colleague {
    id: Uuid,
    /// Staff, rather than an admin.
    staff: bool,
}

impl StaffCache {
    /// Everyone who may be given a task, each with whether they are staff
    /// (rather than an admin).
    async fn everyone(&self, owners: &Owners, org: OrgId) -> Result<Vec<Colleague>, Error> {
        if let Some(users) = self.0.lock().ok().and_then(|c| {
            c.get(&org)
                .filter(|(at, _)| at.elapsed() < Duration::from_secs(60))
                .map(|(_, u)| u.clone())
        }) {
            return Ok(users);
        }
        let list = owners
            .identity
            .clone()
            .list_assignees(request(identity::ListAssigneesRequest {}, &Caller::system(org)))
            .await
            .into_answer("identity")?;
        let users: Vec<Colleague> = list
            .users
            .iter()
            .filter_map(|u| {
                Some(Colleague {
                    id: attend_kit::ids::UserId::parse_uuid(&u.id).ok()?.uuid(),
                    staff: u.role == "staff",
                })
            })
            .collect();
        if let Ok(mut c) = self.0.lock() {
            c.insert(org, (Instant::now(), users.clone()));
        }
        Ok(users)
    }

    /// Whom new work goes to in turn: the staff; the admins only when
    /// there are no staff.
    pub async fn assignees(&self, owners: &Owners, org: OrgId) -> Result<Vec<Uuid>, Error> {
        let everyone = self.everyone(owners, org).await?;
        let staff: Vec<Uuid> = everyone.iter().filter(|c| c.staff).map(|c| c.id).collect();
        Ok(if staff.is_empty() {
            everyone.into_iter().map(|c| c.id).collect()
        } else {
            staff
        })
    }

    /// Whether a person may be handed a task: any active admin or staff
    /// member of the organisation. Someone the cached list lacks (a
    /// colleague added a moment ago) is asked of identity again.
    pub async fn may_take(&self, owners: &Owners, org: OrgId, user: Uuid) -> Result<bool, Error> {
        if self.everyone(owners, org).await?.iter().any(|c| c.id == user) {
            return Ok(true);
        }
        if let Ok(mut c) = self.0.lock() {
            c.remove(&org);
        }
        Ok(self.everyone(owners, org).await?.iter().any(|c| c.id == user))
    }
}

/// Attempts before a job that keeps failing for passing reasons fails.
const MAX_ATTEMPTS: i32 = 8;

/// The wait before attempt `n + 1`: 10 s, 30 s, 2 min, 10 min, 30 min, 1 h.
fn backoff(attempts: i32) -> chrono::Duration {
    chrono::Duration::seconds(match attempts {
        ..=1 => 10,
        2 => 30,
        3 => 120,
        4 => 600,
        5 => 1800,
        _ => 3600,
    })
}

/// Touchpoints the contact service logs itself when the event arrives.
const LOGGED_ON_ARRIVAL: &[(Trigger, &str)] = &[
    (Trigger::LeadCreated, "lead_created"),
    (Trigger::SmsReceived, "sms_received"),
    (Trigger::BookingCreated, "booking_created"),
    (Trigger::BookingCancelled, "booking_cancelled"),
    (Trigger::BookingRescheduled, "booking_rescheduled"),
    (Trigger::BookingConfirmed, "booking_confirmed"),
    (Trigger::BookingOutcomeUpdated, "appointment_attended"),
    (Trigger::BookingOutcomeUpdated, "appointment_no_show"),
];

/// Who does the actions the spec lists but an owner performs on arrival.
fn performed_by(what: &str) -> &'static str {
    match what {
        "create_booking" => "the booking service created the booking when the booking system's webhook arrived",
        "calculate_warmness" => {
            "the contact service scored the contact when the lead arrived (and rescores it on every touchpoint)"
        }
        _ => "the contact service matched or created the contact by phone when the webhook arrived",
    }
}

/// The result of running a job, before it is recorded.
type Outcome = (Ended, Vec<Effect>, Option<Value>);

fn classify(e: Error) -> Ended {
    match e {
        Error::Unavailable(_) | Error::RateLimited { .. } | Error::Internal(_) => Ended::Retry(format!("{e:#}")),
        other => Ended::Failed(other.to_string()),
    }
}

impl Engine {
    /// Runs a claimed job and records how it ended.
    pub async fn execute(&self, job: JobRow) -> anyhow::Result<()> {
        let org = OrgId::from(job.org_id);
        let now = self.clock.now();
        let outcome = match serde_json::from_value::<Context>(job.context.clone()).map(|mut ctx| {
            if job.contact_id.is_some() {
                ctx.contact_id = job.contact_id;
            }
            ctx
        }) {
            Err(e) => Ok((
                Ended::Failed(format!("the job's context doesn't read: {e}")),
                Vec::new(),
                None,
            )),
            // The contact is the job row's: a merge moves jobs to the
            // survivor by that column, not inside the stored context.
            Ok(ctx) => match self.orgs.get(org).await {
                Err(e) => Err(e),
                Ok(settings) => match job.kind.as_str() {
                    "reminder" => self.remind(&settings, &job, &ctx, now).await,
                    _ => self.act(&settings, &job, &ctx, now).await,
                },
            },
        };
        let (ended, effects, conditions) = outcome.unwrap_or_else(|e| (classify(e), Vec::new(), None));
        self.record(org, &job, ended, effects, conditions, now).await
    }

    async fn record(
        &self,
        org: OrgId,
        job: &JobRow,
        ended: Ended,
        effects: Vec<Effect>,
        conditions: Option<Value>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.db.tenant(org).await?;
        let (status, mut detail) = match ended {
            Ended::Retry(why) if job.attempts < MAX_ATTEMPTS => {
                tracing::info!(job = %job.id, attempts = job.attempts, %why, "automation job will retry");
                store::jobs::retry_at(&mut tx, job.id, now + backoff(job.attempts), &why).await?;
                tx.commit().await?;
                return Ok(());
            }
            Ended::Retry(why) => ("failed", format!("gave up after {} attempts: {why}", job.attempts)),
            Ended::Done(d) => ("done", d),
            Ended::Skipped(d) => ("skipped", d),
            Ended::Failed(d) => ("failed", d),
        };
        for effect in effects {
            if let Some(note) = self.apply(&mut tx, org, job, effect, now).await? {
                detail = format!("{detail}; {note}");
            }
        }
        let finished = store::jobs::finish(
            &mut tx,
            job.id,
            &store::jobs::Finish {
                status,
                detail: &detail,
                conditions: conditions.as_ref(),
                at: now,
            },
        )
        .await?;
        if finished {
            tx.commit().await?;
            metrics::counter!("attend_automation_jobs_total", "status" => status).increment(1);
        } else {
            tx.rollback().await?;
        }
        Ok(())
    }

    /// Applies an effect; a note for the job's detail.
    async fn apply(
        &self,
        tx: &mut attend_kit::db::Tx,
        org: OrgId,
        job: &JobRow,
        effect: Effect,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<String>> {
        match effect {
            Effect::Task(plan) => {
                let ctx: Context = serde_json::from_value(job.context.clone()).unwrap_or_default();
                let task = crate::tasks::create_planned(self, tx, org, &plan, &ctx, Some(job.id), now).await?;
                Ok(task.map(|t| format!("task {}", attend_kit::ids::TaskId::from(t))))
            }
            Effect::CancelTasks { types, booking, reason } => {
                let contact = job.contact_id.unwrap_or_default();
                let ids = store::tasks::cancel_open(tx, org, contact, types.as_deref(), booking, &reason).await?;
                for id in &ids {
                    crate::tasks::publish_cancelled(self, tx, org, *id, &reason, now).await?;
                }
                Ok(Some(format!("{} open task(s) cancelled", ids.len())))
            }
            Effect::Reminders(plans) => {
                super::reminders::schedule(tx, org, job, &plans, now).await?;
                Ok(None)
            }
            Effect::Trigger(ctx) => {
                self.on_event(tx, org, ctx)
                    .await
                    .map_err(|e| anyhow::anyhow!("rules on a reminder sent: {e}"))?;
                Ok(None)
            }
            Effect::Publish(draft) => {
                self.outbox.add(tx, draft).await?;
                Ok(None)
            }
        }
    }

    /// Runs one action of a rule.
    async fn act(&self, org: &Org, job: &JobRow, ctx: &Context, now: DateTime<Utc>) -> Result<Outcome, Error> {
        let mut problems = Vec::new();
        let Some(step) = actions::parse(&job.action, "action", &mut problems) else {
            return Ok((
                Ended::Failed(format!("the stored action doesn't read: {problems:?}")),
                Vec::new(),
                None,
            ));
        };
        let mut ctx = ctx.clone();
        let fields: HashSet<Field> = step.conditions.fields().collect();
        let facts = Facts::gather(&self.owners, org, &mut ctx, &fields, now).await?;
        let checked = step.conditions.check(&|f| facts.value(f), facts.today);
        let conditions = (!checked.is_empty()).then(|| serde_json::to_value(&checked).unwrap_or(Value::Null));
        if let Some(why) = failed(&checked) {
            return Ok((
                Ended::Skipped(format!("its conditions did not hold: {why}")),
                Vec::new(),
                conditions,
            ));
        }
        let caller = Caller::system(org.id);
        let cause = format!(
            "rule {} v{}",
            ctx.rule_id.as_deref().unwrap_or("?"),
            ctx.rule_version.unwrap_or(0)
        );
        let key = job.key.as_str();
        let contact = ctx.contact_id;
        let need_contact = || Ended::Skipped("the event is about no contact".to_owned());
        let (ended, effects) = match step.action {
            Action::Performed { what } => (
                Ended::Done(format!("done on arrival: {}", performed_by(what))),
                Vec::new(),
            ),
            Action::SendSms { template } => match contact {
                None => (need_contact(), Vec::new()),
                Some(contact) => self.send_sms(org, &ctx, contact, &template, key, now).await?,
            },
            Action::CreateTask {
                task_type,
                priority: hint,
                due,
                notes,
            } => match contact {
                None => (need_contact(), Vec::new()),
                Some(contact) => {
                    let due_at = match due {
                        Due::In(s) => now + chrono::Duration::seconds(i64::try_from(s).unwrap_or(0)),
                        Due::EndOfBusinessDay => org.business_hours.end_of_business_day(now, org.time_zone),
                    };
                    let candidates = self.staff.assignees(&self.owners, org.id).await?;
                    let plan = TaskPlan {
                        contact,
                        booking: ctx.booking_id,
                        kind: task_type.clone(),
                        hint,
                        due_at,
                        notes,
                        candidates,
                        unless_open: false,
                    };
                    (
                        Ended::Done(format!("{task_type}, due {}", due_at.to_rfc3339())),
                        vec![Effect::Task(Box::new(plan))],
                    )
                }
            },
            Action::UpdatePipeline { pipeline, stage } => match contact {
                None => (need_contact(), Vec::new()),
                Some(contact) => {
                    let call = request(
                        contact::MoveContactRequest {
                            contact_id: contact.to_string(),
                            pipeline: pipeline.clone().unwrap_or_default(),
                            stage: stage.clone(),
                            cause,
                        },
                        &caller,
                    );
                    match self
                        .owners
                        .contacts
                        .clone()
                        .move_contact(with_idempotency_key(call, key)?)
                        .await
                        .into_answer("contact")
                    {
                        Ok(c) => (
                            Ended::Done(format!("in {}.{}", c.current_pipeline, c.current_stage)),
                            Vec::new(),
                        ),
                        Err(Error::Conflict(why)) => (Ended::Skipped(why), Vec::new()),
                        Err(e) => return Err(e),
                    }
                }
            },
            Action::UpdateBooking { status } => match (status.as_str(), ctx.booking_id, ctx.trigger()) {
                ("cancelled", _, Some(Trigger::BookingCancelled)) => (
                    Ended::Done("done on arrival: the booking system cancelled it; the event is that".to_owned()),
                    Vec::new(),
                ),
                ("cancelled", _, _) => (
                    Ended::Skipped("attend doesn't cancel bookings: the booking system does".to_owned()),
                    Vec::new(),
                ),
                (_, None, _) => (Ended::Skipped("no appointment to confirm".to_owned()), Vec::new()),
                (_, Some(booking_id), _) => {
                    let call = request(
                        booking::ConfirmBookingRequest {
                            booking_id: booking_id.to_string(),
                            note: cause,
                        },
                        &caller,
                    );
                    match self
                        .owners
                        .bookings
                        .clone()
                        .confirm_booking(with_idempotency_key(call, key)?)
                        .await
                        .into_answer("booking")
                    {
                        Ok(b) => (Ended::Done(format!("booking {}", b.status)), Vec::new()),
                        Err(Error::Conflict(why)) => (Ended::Skipped(why), Vec::new()),
                        Err(e) => return Err(e),
                    }
                }
            },
            Action::CancelPendingTasks { task_types } => {
                let reason = format!("{cause}: {}", task_types.join(", "));
                (
                    Ended::Done(format!("cancels open {}", task_types.join(", "))),
                    vec![Effect::CancelTasks {
                        types: Some(task_types),
                        booking: None,
                        reason,
                    }],
                )
            }
            Action::CancelAllTasks { booking_only } => match (booking_only, ctx.booking_id) {
                (true, None) => (Ended::Skipped("the event is about no booking".to_owned()), Vec::new()),
                (only, booking) => (
                    Ended::Done(
                        if only {
                            "cancels the booking's open tasks"
                        } else {
                            "cancels the contact's open tasks"
                        }
                        .to_owned(),
                    ),
                    vec![Effect::CancelTasks {
                        types: None,
                        booking: booking.filter(|_| only),
                        reason: cause,
                    }],
                ),
            },
            Action::UpdateWarmness { delta, reason } => match contact {
                None => (need_contact(), Vec::new()),
                Some(contact) => {
                    let call = request(
                        contact::AdjustWarmnessRequest {
                            contact_id: contact.to_string(),
                            delta,
                            reason: reason.clone(),
                        },
                        &caller,
                    );
                    let c = self
                        .owners
                        .contacts
                        .clone()
                        .adjust_warmness(with_idempotency_key(call, key)?)
                        .await
                        .into_answer("contact")?;
                    (
                        Ended::Done(format!("{delta:+} ({reason}): now {}", c.warmness_score)),
                        Vec::new(),
                    )
                }
            },
            Action::LogTouchpoint {
                touchpoint_type,
                is_attribution,
            } => match (contact, ctx.trigger()) {
                (_, Some(t)) if LOGGED_ON_ARRIVAL.contains(&(t, touchpoint_type.as_str())) => (
                    Ended::Done(format!(
                        "done on arrival: the contact service logged {touchpoint_type} when the event arrived"
                    )),
                    Vec::new(),
                ),
                (None, _) => (need_contact(), Vec::new()),
                (Some(contact), _) => {
                    let call = request(
                        contact::LogTouchpointRequest {
                            contact_id: contact.to_string(),
                            r#type: touchpoint_type.clone(),
                            source: "Automation".to_owned(),
                            channel: ctx.rule_id.clone().unwrap_or_default(),
                            details_json: json!({"rule": ctx.rule_id, "version": ctx.rule_version}).to_string(),
                            is_attribution_event: is_attribution,
                            booking_id: ctx.booking_id.map(|b| b.to_string()).unwrap_or_default(),
                            // The owner's now: a retried call is the same
                            // request, so its idempotency key replays it.
                            occurred_at: None,
                        },
                        &caller,
                    );
                    self.owners
                        .contacts
                        .clone()
                        .log_touchpoint(with_idempotency_key(call, key)?)
                        .await
                        .into_answer("contact")?;
                    (Ended::Done(format!("logged {touchpoint_type}")), Vec::new())
                }
            },
            Action::ScheduleReminders { reminders } => match ctx.booking_id {
                None => (Ended::Skipped("the event is about no booking".to_owned()), Vec::new()),
                Some(booking_id) => match get_booking(&self.owners, &caller, booking_id).await? {
                    None => (Ended::Skipped("the booking is gone".to_owned()), Vec::new()),
                    Some(b) => {
                        let (plans, notes) = super::reminders::plan(&b, &reminders, now);
                        (Ended::Done(notes), vec![Effect::Reminders(plans)])
                    }
                },
            },
            Action::CalculateRecallDate { mapping } => match (contact, ctx.booking_id) {
                (None, _) => (need_contact(), Vec::new()),
                (_, None) => (Ended::Skipped("the event is about no booking".to_owned()), Vec::new()),
                (Some(contact), Some(booking_id)) => {
                    self.set_recall(org, contact, booking_id, &mapping, key, now).await?
                }
            },
        };
        Ok((ended, effects, conditions))
    }

    /// Sends a text from a template about the contact (and the booking,
    /// when it still stands: a message about an appointment is never sent
    /// once it has begun).
    async fn send_sms(
        &self,
        org: &Org,
        ctx: &Context,
        contact: Uuid,
        template: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Ended, Vec<Effect>), Error> {
        let caller = Caller::system(org.id);
        let standing = match ctx.booking_id {
            Some(b) => get_booking(&self.owners, &caller, b).await?,
            None => None,
        }
        .filter(|b| STANDING.contains(&b.status.as_str()) && b.outcome.is_empty());
        let not_after = standing
            .as_ref()
            .and_then(|b| b.appointment_at)
            .filter(|at| attend_kit::bus::from_timestamp(at).is_some_and(|at| at > now));
        let values = self.values_for(org, template, contact, now).await?;
        let call = request(
            messaging::SendSmsRequest {
                contact_id: contact.to_string(),
                template_id: template.to_owned(),
                values,
                booking_id: ctx.booking_id.map(|b| b.to_string()).unwrap_or_default(),
                not_after,
                ..Default::default()
            },
            &caller,
        );
        let sent = self
            .owners
            .messaging
            .clone()
            .send_sms(with_idempotency_key(call, key)?)
            .await
            .into_answer("messaging")?;
        let id = Uuid::parse_str(&sent.id)
            .map(|u| SmsId::from(u).to_string())
            .unwrap_or(sent.id.clone());
        Ok(match sent.status.as_str() {
            "blocked" => {
                // Texts can't reach them: someone should call instead.
                let plan = TaskPlan {
                    contact,
                    booking: ctx.booking_id,
                    kind: "call".to_owned(),
                    hint: None,
                    due_at: now,
                    notes: Some(format!(
                        "Texts are blocked ({}): {template} was not sent; call instead.",
                        sent.status_reason
                    )),
                    candidates: self.staff.assignees(&self.owners, org.id).await?,
                    unless_open: true,
                };
                (
                    Ended::Skipped(format!(
                        "{template} not sent ({id}): {}; a call task instead",
                        sent.status_reason
                    )),
                    vec![Effect::Task(Box::new(plan))],
                )
            }
            "skipped" => (
                Ended::Skipped(format!("{template} not sent ({id}): {}", sent.status_reason)),
                Vec::new(),
            ),
            status => (Ended::Done(format!("{template} {status} as {id}")), Vec::new()),
        })
    }

    /// Values a template needs that only automation knows: a suggested day
    /// and time (the next business day's opening), and the months since a
    /// recall's visit.
    async fn values_for(
        &self,
        org: &Org,
        template: &str,
        contact: Uuid,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<String, String>, Error> {
        let mut values = BTreeMap::new();
        if template == "follow_up_no_response" {
            let tomorrow = attend_kit::localtime::local_date(now, org.time_zone)
                .succ_opt()
                .map(|d| attend_kit::localtime::instant_of(d.and_hms_opt(0, 0, 0).unwrap_or_default(), org.time_zone))
                .unwrap_or(now);
            let open = org
                .business_hours
                .next_open(tomorrow, org.time_zone)
                .with_timezone(&org.time_zone);
            values.insert("suggested_day".to_owned(), open.format("%A").to_string());
            values.insert("suggested_time".to_owned(), open.format("%-I:%M %P").to_string());
        }
        if template == "recall_reminder"
            && let Some(recall) = get_recall(&self.owners, &Caller::system(org.id), ContactId::from(contact)).await?
        {
            let months = recall.months.max(1);
            values.insert(
                "months".to_owned(),
                if months == 12 {
                    "a year".to_owned()
                } else {
                    format!("{months} months")
                },
            );
        }
        Ok(values)
    }

    async fn set_recall(
        &self,
        org: &Org,
        contact: Uuid,
        booking_id: Uuid,
        mapping: &[(String, RecallAfter)],
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Ended, Vec<Effect>), Error> {
        let caller = Caller::system(org.id);
        let Some(b) = get_booking(&self.owners, &caller, booking_id).await? else {
            return Ok((Ended::Skipped("the booking is gone".to_owned()), Vec::new()));
        };
        let service = b.service_type.as_str();
        let entry = mapping
            .iter()
            .find(|(k, _)| k == service)
            .or_else(|| match service {
                "procedure" | "follow_up" => mapping.iter().find(|(k, _)| k == "procedure_followup"),
                _ => None,
            })
            .or_else(|| mapping.iter().find(|(k, _)| k == "routine"));
        let Some((reason, after)) = entry else {
            return Ok((
                Ended::Skipped(format!("no recall for service type {service}")),
                Vec::new(),
            ));
        };
        let months = match after {
            RecallAfter::Seconds(s) => months_of(*s),
            RecallAfter::PerProvider => {
                let types = self
                    .owners
                    .bookings
                    .clone()
                    .list_service_types(request(booking::ListServiceTypesRequest {}, &caller))
                    .await
                    .into_answer("booking")?;
                types
                    .mappings
                    .iter()
                    .find(|m| m.provider == b.provider && m.external_service_id == b.external_service_id)
                    .map(|m| m.recall_months)
                    .filter(|m| *m > 0)
                    .unwrap_or(12)
            }
        };
        let visit = b
            .appointment_at
            .as_ref()
            .and_then(attend_kit::bus::from_timestamp)
            .unwrap_or(now);
        let visit_day = attend_kit::localtime::local_date(visit, org.time_zone);
        let due = visit_day
            .checked_add_months(Months::new(u32::try_from(months).unwrap_or(12)))
            .unwrap_or(visit_day);
        let call = request(
            booking::SetRecallRequest {
                contact_id: contact.to_string(),
                booking_id: booking_id.to_string(),
                due_on: format!("{:04}-{:02}-{:02}", due.year(), due.month(), due.day()),
                reason: reason.clone(),
                months,
            },
            &caller,
        );
        let recall = self
            .owners
            .bookings
            .clone()
            .set_recall(with_idempotency_key(call, key)?)
            .await
            .into_answer("booking")?;
        Ok((
            Ended::Done(format!("recall due {} ({months} months, {reason})", recall.due_on)),
            Vec::new(),
        ))
    }

    /// Sends a booking reminder, if the booking still stands as planned.
    async fn remind(&self, org: &Org, job: &JobRow, ctx: &Context, now: DateTime<Utc>) -> Result<Outcome, Error> {
        let caller = Caller::system(org.id);
        let template = ctx.template.clone().unwrap_or_default();
        let (Some(contact), Some(booking_id)) = (ctx.contact_id, ctx.booking_id) else {
            return Ok((
                Ended::Failed("a reminder without its contact and booking".to_owned()),
                Vec::new(),
                None,
            ));
        };
        let Some(b) = get_booking(&self.owners, &caller, booking_id).await? else {
            return Ok((Ended::Skipped("the booking is gone".to_owned()), Vec::new(), None));
        };
        let appointment = b.appointment_at.as_ref().and_then(attend_kit::bus::from_timestamp);
        let skip = |why: String| Ok((Ended::Skipped(why), Vec::new(), None));
        if !STANDING.contains(&b.status.as_str()) || !b.outcome.is_empty() {
            return skip(format!(
                "the booking is {}",
                if b.outcome.is_empty() { &b.status } else { &b.outcome }
            ));
        }
        if appointment != ctx.appointment_at {
            return skip("the booking moved; its reminders were planned again".to_owned());
        }
        if appointment.is_none_or(|at| at <= now) {
            return skip("the appointment has begun".to_owned());
        }
        let (ended, mut effects) = self.send_sms(org, ctx, contact, &template, &job.key, now).await?;
        if let Ended::Done(_) = ended {
            let mut next = Context::new(Trigger::ReminderSent, "reminder", job.id);
            next.contact_id = Some(contact);
            next.booking_id = Some(booking_id);
            next.template = Some(template.clone());
            effects.push(Effect::Trigger(next));
            let fact = pb::ReminderSent {
                contact_id: contact.to_string(),
                booking_id: booking_id.to_string(),
                template_id: template,
                message_id: String::new(),
                appointment_at: b.appointment_at,
            };
            effects.push(Effect::Publish(
                Draft::new(org.id, &fact)
                    .about("contact_id", ContactId::from(contact))
                    .about("booking_id", attend_kit::ids::BookingId::from(booking_id)),
            ));
        }
        Ok((ended, effects, None))
    }
}

/// The conditions that failed, as a person reads them.
fn failed(checked: &[Checked]) -> Option<String> {
    let misses: Vec<String> = checked
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{} {} {} (saw {})", c.field, c.op, c.expected, c.seen))
        .collect();
    (!misses.is_empty()).then(|| misses.join("; "))
}

/// Seconds after a visit as whole months: 15,552,000 (180 days) is 6,
/// 31,536,000 (365 days) is 12.
pub(crate) fn months_of(seconds: u64) -> i32 {
    const MONTH: f64 = 2_629_746.0;
    ((seconds as f64 / MONTH).round() as i32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_s_recall_seconds_are_six_and_twelve_months() {
        assert_eq!(months_of(15_552_000), 6);
        assert_eq!(months_of(31_536_000), 12);
        assert_eq!(months_of(1), 1);
    }

    #[test]
    fn failed_conditions_read_as_a_sentence() {
        let checked = vec![Checked {
            field: "warmness".to_owned(),
            op: "gte".to_owned(),
            expected: json!(70),
            seen: json!(45),
            passed: false,
        }];
        assert_eq!(failed(&checked).unwrap(), "warmness gte 70 (saw 45)");
        assert_eq!(failed(&[]), None);
    }

    #[test]
    fn backoff_grows_then_holds_at_an_hour() {
        assert_eq!(backoff(1).num_seconds(), 10);
        assert_eq!(backoff(3).num_seconds(), 120);
        assert_eq!(backoff(7).num_seconds(), 3600);
    }
}
