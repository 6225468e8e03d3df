//! The staff task queue (spec 000's `tasks`): made by rules and by hand,
//! assigned to the active staff member with the least open work, sorted
//! by spec 000's priority as of the moment it is read ([`priority`]), and
//! worked: claimed, completed, reassigned, snoozed, cancelled.

pub mod priority;

use attend_kit::Error;
use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::bus::{Draft, from_timestamp, timestamp};
use attend_kit::cursor;
use attend_kit::db::Tx;
use attend_kit::grpc::Caller;
use attend_kit::idempotency::{Claim, claim};
use attend_kit::ids::{BookingId, ContactId, OrgId, TaskId, TypedId, UserId};
use attend_kit::localtime::{instant_of, local_date};
use attend_kit::text;
use attend_proto::automation::v1 as pb;
use chrono::{DateTime, NaiveTime, Utc};
use uuid::Uuid;

use crate::api::Api;
use crate::engine::perform::TaskPlan;
use crate::engine::{Context, Engine};
use crate::store::tasks::{Assignee, Change, Query};
use crate::store::{self, NewTask, TaskRow};

/// Outcomes a person may give when completing a task.
const OUTCOMES: &[&str] = &["success", "no_answer", "voicemail", "rescheduled", "declined", "other"];

/// Statuses a task has.
const STATUSES: &[&str] = &["todo", "in_progress", "completed", "cancelled"];

impl Api {
    pub(crate) async fn list_tasks(
        &self,
        caller: Caller,
        req: pb::ListTasksRequest,
    ) -> Result<pb::ListTasksResponse, Error> {
        caller.require_permission(Permission::TasksRead)?;
        let org = caller.org()?;
        let contact = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let now = self.engine.clock.now();
        let mut tx = self.engine.db.tenant(org).await?;
        let rows = store::tasks::for_contact(&mut tx, org, contact, now).await?;
        tx.commit().await?;
        Ok(pb::ListTasksResponse {
            tasks: rows.into_iter().map(|r| task_proto(r, now)).collect(),
        })
    }

    /// Spec 000's `GET /api/tasks`.
    pub(crate) async fn query_tasks(
        &self,
        caller: Caller,
        req: pb::QueryTasksRequest,
    ) -> Result<pb::QueryTasksResponse, Error> {
        caller.require_permission(Permission::TasksRead)?;
        let org = caller.org()?;
        let assignee = match req.assigned_to.trim() {
            "" | "me" => Assignee::User(
                caller
                    .user
                    .ok_or_else(|| Error::invalid("assigned_to", "is required for a caller who is not a user"))?
                    .uuid(),
            ),
            "all" => Assignee::Anyone,
            "unassigned" => Assignee::Unassigned,
            raw => Assignee::User(UserId::parse_uuid_at("assigned_to", raw)?.uuid()),
        };
        let statuses: Vec<&str> = match req.status.trim() {
            "" | "todo" => vec!["todo"],
            "open" => vec!["todo", "in_progress"],
            s if STATUSES.contains(&s) => vec![s],
            _ => {
                return Err(Error::invalid(
                    "status",
                    "must be todo, in_progress, completed, cancelled or open",
                ));
            }
        };
        let limit = match req.limit {
            0 => 50,
            n @ 1..=200 => i64::from(n),
            _ => return Err(Error::invalid("limit", "must be 1 to 200")),
        };
        let now = self.engine.clock.now();
        let zone = self.engine.orgs.get(org).await?.time_zone;
        let tomorrow = local_date(now, zone)
            .succ_opt()
            .map(|d| instant_of(d.and_time(NaiveTime::MIN), zone))
            .unwrap_or(now);
        let (due_from, due_to) = match req.timeframe.trim() {
            "" | "today" => (Some(now), Some(tomorrow)),
            "overdue" => (None, Some(now)),
            "upcoming" => (Some(tomorrow), None),
            "all" => (None, None),
            _ => return Err(Error::invalid("timeframe", "must be overdue, today, upcoming or all")),
        };
        let (as_of, after) = match req.cursor.trim() {
            "" => (now, None),
            raw => {
                let (key, id) = cursor::decode("cursor", "tasks", raw)?;
                let bad = || Error::invalid("cursor", "is not a cursor from this listing");
                let mut parts = key.split(':');
                let (Some(at), Some(score), Some(due)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(bad());
                };
                let at = cursor::parse_time_key("cursor", at)?;
                let score: i32 = score.parse().map_err(|_| bad())?;
                let due = cursor::parse_time_key("cursor", due)?;
                (at, Some((score, due, id)))
            }
        };
        let mut tx = self.engine.db.tenant(org).await?;
        let mut rows = store::tasks::queue(
            &mut tx,
            org,
            &Query {
                assignee,
                statuses: &statuses,
                due_from,
                due_to,
                now: as_of,
                after,
                limit: limit + 1,
            },
        )
        .await?;
        let (overdue, today, upcoming) = store::tasks::counts(&mut tx, org, assignee, &statuses, now, tomorrow).await?;
        tx.commit().await?;
        let next_cursor = cursor::next_page(&mut rows, limit, |r| {
            let key = format!("{}:{}:{}", cursor::time_key(as_of), r.score, cursor::time_key(r.due_at));
            cursor::encode("tasks", &key, r.id)
        });
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(pb::QueryTasksResponse {
            tasks: rows.into_iter().map(|r| task_proto(r, as_of)).collect(),
            counts: Some(pb::TaskCounts {
                overdue: count(overdue),
                today: count(today),
                upcoming: count(upcoming),
            }),
            next_cursor,
        })
    }

    pub(crate) async fn get_task(&self, caller: Caller, req: pb::GetTaskRequest) -> Result<pb::Task, Error> {
        caller.require_permission(Permission::TasksRead)?;
        let org = caller.org()?;
        let id = TaskId::parse_uuid_at("id", &req.id)?;
        let mut tx = self.engine.db.tenant(org).await?;
        let now = self.engine.clock.now();
        let row = store::tasks::get(&mut tx, org, id.uuid(), now)
            .await?
            .ok_or_else(|| Error::NotFound("task".to_owned()))?;
        tx.commit().await?;
        Ok(task_proto(row, now))
    }

    /// A task made by hand.
    pub(crate) async fn create_task(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::CreateTaskRequest,
    ) -> Result<pb::Task, Error> {
        caller.require_permission(Permission::TasksWrite)?;
        let org = caller.org()?;
        let mut problems = Vec::new();
        let contact = text::collect(
            &mut problems,
            "contact_id",
            ContactId::parse_uuid(&req.contact_id).map_err(|_| "is not a contact id".to_owned()),
        );
        let booking = match req.booking_id.trim() {
            "" => None,
            raw => text::collect(
                &mut problems,
                "booking_id",
                BookingId::parse_uuid(raw).map_err(|_| "is not a booking id".to_owned()),
            ),
        };
        let kind = req.r#type.trim();
        if !priority::TASK_TYPES.contains(&kind) {
            problems.push(attend_kit::FieldError::new(
                "type",
                format!("is not a task type; one of {}", priority::TASK_TYPES.join(", ")),
            ));
        }
        let notes = match req.notes.trim() {
            "" => None,
            n => text::collect(&mut problems, "notes", text::multiline(n, 2000)),
        };
        let assigned = match req.assigned_to.trim() {
            "" => None,
            raw => text::collect(
                &mut problems,
                "assigned_to",
                UserId::parse_uuid(raw).map_err(|_| "is not a user id".to_owned()),
            ),
        };
        let now = self.engine.clock.now();
        let due_at = req.due_at.as_ref().and_then(from_timestamp).unwrap_or(now);
        // Within ten years either way: a typo is named, not a database error.
        if (due_at - now).num_days().abs() > 3_660 {
            problems.push(attend_kit::FieldError::new("due_at", "must be within ten years of now"));
        }
        let (Some(contact), true) = (contact, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        let candidates = match assigned {
            Some(user) => vec![user.uuid()],
            None => self.engine.staff.assignees(&self.engine.owners, org).await?,
        };
        let mut tx = self.engine.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, "CreateTask", key.as_deref(), &req).await? {
            Claim::Replay(answer) => return Ok(answer),
            Claim::Fresh(guard) => guard,
        };
        let plan = TaskPlan {
            contact: contact.uuid(),
            booking: booking.map(|b| b.uuid()),
            kind: kind.to_owned(),
            hint: None,
            due_at,
            notes,
            candidates,
            unless_open: false,
        };
        let ctx = Context::default();
        let id = create_planned_by(
            &self.engine,
            &mut tx,
            org,
            &plan,
            &ctx,
            None,
            now,
            &attend_kit::actor::Actor::of(&caller).to_string(),
        )
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a new task was not created")))?;
        let row = store::tasks::get(&mut tx, org, id, now)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("the new task is not there")))?;
        let answer = task_proto(row, now);
        audit::record(
            &self.engine.outbox,
            &mut tx,
            &caller,
            Entry::on("task.create", "task", TaskId::from(id)),
        )
        .await?;
        guard.complete(&mut tx, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Applies a person's change to a task, audited (and with an
    /// idempotency key, answered again as the first time); the task after.
    async fn change<R: prost::Message>(
        &self,
        caller: &Caller,
        id: &str,
        action: &'static str,
        change: Change<'_>,
        key: Option<&str>,
        req: &R,
    ) -> Result<pb::Task, Error> {
        caller.require_permission(Permission::TasksWrite)?;
        let org = caller.org()?;
        let id = TaskId::parse_uuid_at("id", id)?;
        let now = self.engine.clock.now();
        let mut tx = self.engine.db.tenant(org).await?;
        let guard = match claim(&mut tx, org, action, key, req).await? {
            Claim::Replay(answer) => return Ok(answer),
            Claim::Fresh(guard) => guard,
        };
        let before = store::tasks::get(&mut tx, org, id.uuid(), now)
            .await?
            .ok_or_else(|| Error::NotFound("task".to_owned()))?;
        if !store::tasks::change(&mut tx, org, id.uuid(), &change).await? {
            return Err(Error::Conflict(match (&change, before.status.as_str()) {
                // Somebody is working it: reassign it to take it over.
                (Change::Claim { .. }, "in_progress") => {
                    "the task is in progress with someone else: reassign it to take it over".to_owned()
                }
                (_, status) => format!("the task is {status}: only an open task changes"),
            }));
        }
        let row = store::tasks::get(&mut tx, org, id.uuid(), now)
            .await?
            .ok_or_else(|| Error::NotFound("task".to_owned()))?;
        let answer = task_proto(row, now);
        match &change {
            Change::Complete { .. } => {
                let fact = pb::TaskCompleted {
                    task: Some(answer.clone()),
                    completed_by: attend_kit::actor::Actor::of(caller).to_string(),
                };
                self.engine.outbox.add(&mut tx, task_draft(org, &fact, &answer)).await?;
            }
            Change::Cancel { reason } => {
                let fact = pb::TaskCancelled {
                    task: Some(answer.clone()),
                    reason: (*reason).to_owned(),
                };
                self.engine.outbox.add(&mut tx, task_draft(org, &fact, &answer)).await?;
            }
            // So a colleague's queue shows who took it, and when it's due.
            Change::Claim { .. } | Change::Reassign { .. } | Change::Snooze { .. } => {
                let fact = pb::TaskChanged {
                    task: Some(answer.clone()),
                    change: match &change {
                        Change::Claim { .. } => "claimed",
                        Change::Reassign { .. } => "reassigned",
                        _ => "snoozed",
                    }
                    .to_owned(),
                    changed_by: attend_kit::actor::Actor::of(caller).to_string(),
                };
                self.engine.outbox.add(&mut tx, task_draft(org, &fact, &answer)).await?;
            }
        }
        audit::record(&self.engine.outbox, &mut tx, caller, Entry::on(action, "task", id)).await?;
        guard.complete(&mut tx, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(crate) async fn complete_task(
        &self,
        caller: Caller,
        key: Option<String>,
        req: pb::CompleteTaskRequest,
    ) -> Result<pb::Task, Error> {
        let outcome = match req.outcome.trim() {
            "" => "success",
            o if OUTCOMES.contains(&o) => o,
            _ => {
                return Err(Error::invalid(
                    "outcome",
                    format!("must be one of {}", OUTCOMES.join(", ")),
                ));
            }
        };
        let notes = match req.notes.trim() {
            "" => None,
            n => Some(text::multiline(n, 2000).map_err(text::at("notes"))?),
        };
        let at = self.engine.clock.now();
        let change = Change::Complete {
            notes: notes.as_deref(),
            outcome,
            at,
        };
        self.change(&caller, &req.id, "task.complete", change, key.as_deref(), &req)
            .await
    }

    pub(crate) async fn claim_task(&self, caller: Caller, req: pb::ClaimTaskRequest) -> Result<pb::Task, Error> {
        let user = caller
            .user
            .ok_or_else(|| Error::Forbidden("only a person claims a task".to_owned()))?;
        self.change(
            &caller,
            &req.id,
            "task.claim",
            Change::Claim { user: user.uuid() },
            None,
            &req,
        )
        .await
    }

    pub(crate) async fn reassign_task(&self, caller: Caller, req: pb::ReassignTaskRequest) -> Result<pb::Task, Error> {
        let user = match req.assigned_to.trim() {
            "" => None,
            raw => {
                let user = UserId::parse_uuid_at("assigned_to", raw)?.uuid();
                let org = caller.org()?;
                if !self.engine.staff.may_take(&self.engine.owners, org, user).await? {
                    return Err(Error::invalid(
                        "assigned_to",
                        "is not an active staff member of this organisation",
                    ));
                }
                Some(user)
            }
        };
        self.change(&caller, &req.id, "task.reassign", Change::Reassign { user }, None, &req)
            .await
    }

    pub(crate) async fn snooze_task(&self, caller: Caller, req: pb::SnoozeTaskRequest) -> Result<pb::Task, Error> {
        let now = self.engine.clock.now();
        let until = req
            .until
            .as_ref()
            .and_then(from_timestamp)
            .filter(|u| *u > now && (*u - now).num_days() <= 3_660)
            .ok_or_else(|| Error::invalid("until", "must be a time in the next ten years"))?;
        self.change(&caller, &req.id, "task.snooze", Change::Snooze { until }, None, &req)
            .await
    }

    pub(crate) async fn cancel_task(&self, caller: Caller, req: pb::CancelTaskRequest) -> Result<pb::Task, Error> {
        let reason = text::required_line(&req.reason, 500).map_err(text::at("reason"))?;
        self.change(
            &caller,
            &req.id,
            "task.cancel",
            Change::Cancel { reason: &reason },
            None,
            &req,
        )
        .await
    }
}

/// Creates a task a rule planned (in the transaction recording its job);
/// its id, or `None` when it was already made, or an open task of its type
/// already stands for the booking and the plan says not to add another.
pub(crate) async fn create_planned(
    engine: &Engine,
    tx: &mut Tx,
    org: OrgId,
    plan: &TaskPlan,
    ctx: &Context,
    job: Option<Uuid>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Uuid>> {
    create_planned_by(engine, tx, org, plan, ctx, job, now, "system")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

#[allow(clippy::too_many_arguments, reason = "one task's parts")]
async fn create_planned_by(
    engine: &Engine,
    tx: &mut Tx,
    org: OrgId,
    plan: &TaskPlan,
    ctx: &Context,
    job: Option<Uuid>,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Option<Uuid>, Error> {
    if plan.unless_open {
        let open = store::tasks::open_exists(tx, org, plan.contact, &plan.kind, plan.booking).await?;
        if open {
            return Ok(None);
        }
    }
    // The least open work; ties to the first in identity's order.
    let assigned_to = match plan.candidates.as_slice() {
        [] => None,
        [only] => Some(*only),
        many => store::tasks::open_counts(tx, org, many)
            .await?
            .into_iter()
            .enumerate()
            .min_by_key(|(i, (_, n))| (*n, *i))
            .map(|(_, (u, _))| u),
    };
    let scored_type = priority::scored_type(&plan.kind, plan.hint.as_deref());
    let id = Uuid::now_v7();
    let created = store::tasks::insert(
        tx,
        org,
        &NewTask {
            id,
            contact_id: plan.contact,
            booking_id: plan.booking,
            kind: &plan.kind,
            scored_type,
            priority_hint: plan.hint.as_deref(),
            assigned_to,
            due_at: plan.due_at,
            priority_score: 0,
            created_by: actor,
            notes: plan.notes.as_deref(),
            run_id: ctx.run_id,
            rule_id: ctx.rule_id.as_deref(),
            rule_version: ctx.rule_version,
            job_id: job,
            at: now,
        },
    )
    .await?;
    if !created {
        return Ok(None);
    }
    let row = store::tasks::get(tx, org, id, now)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the new task is not there")))?;
    store::tasks::set_initial_score(tx, org, id, row.score).await?;
    let task = task_proto(row, now);
    let fact = pb::TaskCreated {
        task: Some(task.clone()),
    };
    engine.outbox.add(tx, task_draft(org, &fact, &task)).await?;
    Ok(Some(id))
}

/// Publishes that a rule cancelled a task.
pub(crate) async fn publish_cancelled(
    engine: &Engine,
    tx: &mut Tx,
    org: OrgId,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if let Some(row) = store::tasks::get(tx, org, id, now).await? {
        let task = task_proto(row, now);
        let fact = pb::TaskCancelled {
            task: Some(task.clone()),
            reason: reason.to_owned(),
        };
        engine.outbox.add(tx, task_draft(org, &fact, &task)).await?;
    }
    Ok(())
}

fn task_draft<E: attend_kit::bus::Event>(org: OrgId, fact: &E, task: &pb::Task) -> Draft {
    let mut draft = Draft::new(org, fact);
    if let Ok(id) = Uuid::parse_str(&task.id) {
        draft = draft.about("task_id", TaskId::from(id));
    }
    if let Ok(contact) = Uuid::parse_str(&task.contact_id) {
        draft = draft.about("contact_id", ContactId::from(contact));
    }
    draft
}

/// A task as the API shows it, scored at `now` by spec 000's formula (the
/// database sorts by the same formula: [`priority::SQL`]).
pub(crate) fn task_proto(t: TaskRow, now: DateTime<Utc>) -> pb::Task {
    let score = priority::score(
        priority::Inputs {
            scored_type: &t.scored_type,
            urgency: t.booking_id.and(t.urgency_level.as_deref()),
            due_at: t.due_at,
            warmness: t.warmness.unwrap_or(50),
        },
        now,
    );
    pb::Task {
        id: t.id.to_string(),
        contact_id: t.contact_id.to_string(),
        booking_id: t.booking_id.map(|b| b.to_string()).unwrap_or_default(),
        r#type: t.kind,
        assigned_to: t.assigned_to.map(|u| u.to_string()).unwrap_or_default(),
        due_at: Some(timestamp(t.due_at)),
        priority_score: score,
        priority_category: priority::category(score).to_owned(),
        status: t.status,
        created_by: t.created_by,
        completed_at: t.completed_at.map(timestamp),
        notes: t.notes.unwrap_or_default(),
        run_id: t.run_id.map(|r| r.to_string()).unwrap_or_default(),
        rule_id: t.rule_id.unwrap_or_default(),
        rule_version: t.rule_version.unwrap_or_default(),
        outcome: t.outcome.unwrap_or_default(),
        contact: Some(pb::TaskContact {
            id: t.contact_id.to_string(),
            name: t.contact_name.unwrap_or_default(),
            phone: t.contact_phone.unwrap_or_default(),
            warmness_score: t.warmness.unwrap_or(50),
        }),
        booking: t.booking_id.map(|b| pb::TaskBooking {
            id: b.to_string(),
            appointment_at: t.appointment_at.map(timestamp),
            urgency_level: t.urgency_level.unwrap_or_default(),
            status: t.booking_status.unwrap_or_default(),
        }),
        created_at: Some(timestamp(t.created_at)),
        priority_hint: t.priority_hint.unwrap_or_default(),
    }
}
