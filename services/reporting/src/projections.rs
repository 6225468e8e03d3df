//! The projections: each event, applied to the read model of its fact
//! family. The same code feeds the live tables (the consumers in
//! [`crate::consumers::projections`]) and the rebuild's tables
//! ([`crate::rebuild`]): its SQL names tables without a schema, and the
//! caller's `search_path` chooses which.
//!
//! Every statement is idempotent on its own (an insert of a keyed row does
//! nothing the second time, an update keeps the earlier or the newer value
//! as the figure needs), and the kit's inbox already makes each event count
//! once; so a replay in any order of the same events ends in the same rows.

use attend_kit::bus::consumer::{HandleError, Received};
use attend_kit::bus::{Event, from_timestamp};
use attend_kit::ids::TypedId;
use attend_proto::automation::v1 as automation;
use attend_proto::booking::v1 as booking;
use attend_proto::contact::v1 as contact;
use attend_proto::messaging::v1 as messaging;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

fn reject(why: String) -> HandleError {
    HandleError::Reject(anyhow::anyhow!(why))
}

fn uuid(what: &str, text: &str) -> Result<Uuid, HandleError> {
    Uuid::parse_str(text).map_err(|e| reject(format!("{what} {text:?}: {e}")))
}

fn optional_uuid(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text).ok()
}

fn at(ts: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    ts.and_then(from_timestamp)
}

/// Whether an actor (kit::actor's text) is a person.
fn is_person(actor: &str) -> bool {
    actor.starts_with("user_")
}

/// When the event happened, by its producer's clock.
fn occurred(event: &Received) -> Result<DateTime<Utc>, HandleError> {
    at(event.envelope.occurred_at.as_ref()).ok_or_else(|| reject("event without occurred_at".to_owned()))
}

/// Applies one event; events no projection needs are ignored.
pub async fn apply(conn: &mut PgConnection, event: &Received) -> Result<(), HandleError> {
    let t = event.envelope.r#type.as_str();
    let when = occurred(event)?;
    let org = event.org.uuid();
    if t == contact::LeadCreated::TYPE {
        let e = event.payload::<contact::LeadCreated>()?;
        let c = e.contact.ok_or_else(|| reject("lead without its contact".to_owned()))?;
        let id = uuid("contact id", &c.id)?;
        sqlx::query(
            "insert into leads (org_id, contact_id, created_at, source, via) values ($1, $2, $3, $4, $5) \
             on conflict do nothing",
        )
        .bind(org)
        .bind(id)
        .bind(when)
        .bind(channel_name(&c.source))
        .bind(&e.via)
        .execute(&mut *conn)
        .await?;
        enter_stage(conn, event, id, &c.current_pipeline, &c.current_stage, when).await?;
    } else if t == contact::ContactCreated::TYPE {
        let c = event
            .payload::<contact::ContactCreated>()?
            .contact
            .ok_or_else(|| reject("contact.created without its contact".to_owned()))?;
        let id = uuid("contact id", &c.id)?;
        enter_stage(conn, event, id, &c.current_pipeline, &c.current_stage, when).await?;
    } else if t == contact::ContactStageChanged::TYPE {
        let e = event.payload::<contact::ContactStageChanged>()?;
        let c = e
            .contact
            .ok_or_else(|| reject("stage change without its contact".to_owned()))?;
        let id = uuid("contact id", &c.id)?;
        enter_stage(conn, event, id, &e.to_pipeline, &e.to_stage, when).await?;
    } else if t == contact::TouchpointLogged::TYPE {
        let e = event.payload::<contact::TouchpointLogged>()?;
        let tp = e
            .touchpoint
            .ok_or_else(|| reject("touchpoint_logged without its touchpoint".to_owned()))?;
        if is_person(&e.actor) {
            let contact = uuid("contact id", &tp.contact_id)?;
            let moment = at(tp.occurred_at.as_ref()).unwrap_or(when);
            person_touch(conn, event, contact, moment, &format!("touchpoint:{}", tp.r#type)).await?;
        }
    } else if t == messaging::SmsSent::TYPE {
        let m = event
            .payload::<messaging::SmsSent>()?
            .message
            .ok_or_else(|| reject("sms_sent without its message".to_owned()))?;
        sms_sent(conn, event, &m, when).await?;
    } else if t == automation::TaskCreated::TYPE {
        let task = event
            .payload::<automation::TaskCreated>()?
            .task
            .ok_or_else(|| reject("task_created without its task".to_owned()))?;
        upsert_task(conn, event, &task, None).await?;
    } else if t == automation::TaskCompleted::TYPE {
        let e = event.payload::<automation::TaskCompleted>()?;
        let task = e
            .task
            .ok_or_else(|| reject("task_completed without its task".to_owned()))?;
        upsert_task(conn, event, &task, Some(&e.completed_by)).await?;
        if is_person(&e.completed_by) && !task.contact_id.is_empty() {
            let moment = at(task.completed_at.as_ref()).unwrap_or(when);
            let contact = uuid("contact id", &task.contact_id)?;
            person_touch(conn, event, contact, moment, &format!("task_completed:{}", task.r#type)).await?;
        }
    } else if t == automation::TaskCancelled::TYPE {
        let task = event
            .payload::<automation::TaskCancelled>()?
            .task
            .ok_or_else(|| reject("task_cancelled without its task".to_owned()))?;
        upsert_task(conn, event, &task, None).await?;
    } else if t == booking::RecallSet::TYPE || t == booking::RecallClosed::TYPE {
        let r = if t == booking::RecallSet::TYPE {
            event.payload::<booking::RecallSet>()?.recall
        } else {
            event.payload::<booking::RecallClosed>()?.recall
        }
        .ok_or_else(|| reject(format!("{t} without its recall")))?;
        recall(conn, event, &r, when).await?;
    } else if let Some(b) = booking_of(event)? {
        booking(conn, event, &b, when).await?;
    }
    Ok(())
}

/// The booking an event of `booking.*` carries, if it is one.
fn booking_of(event: &Received) -> Result<Option<booking::Booking>, HandleError> {
    let t = event.envelope.r#type.as_str();
    let b = if t == booking::BookingCreated::TYPE {
        event.payload::<booking::BookingCreated>()?.booking
    } else if t == booking::BookingConfirmed::TYPE {
        event.payload::<booking::BookingConfirmed>()?.booking
    } else if t == booking::BookingRescheduled::TYPE {
        event.payload::<booking::BookingRescheduled>()?.booking
    } else if t == booking::BookingCancelled::TYPE {
        event.payload::<booking::BookingCancelled>()?.booking
    } else if t == booking::BookingOutcomeRecorded::TYPE {
        event.payload::<booking::BookingOutcomeRecorded>()?.booking
    } else if t == booking::BookingUpdated::TYPE {
        event.payload::<booking::BookingUpdated>()?.booking
    } else {
        return Ok(None);
    };
    b.map(Some).ok_or_else(|| reject(format!("{t} without its booking")))
}

/// A channel's name as reports show it.
pub fn channel_name(source: &str) -> String {
    match source.trim() {
        "" => "Unknown".to_owned(),
        s => s.to_owned(),
    }
}

async fn enter_stage(
    conn: &mut PgConnection,
    event: &Received,
    contact: Uuid,
    pipeline: &str,
    stage: &str,
    when: DateTime<Utc>,
) -> Result<(), HandleError> {
    if pipeline.is_empty() || stage.is_empty() {
        return Ok(());
    }
    let org = event.org.uuid();
    // A contact's creation and its lead event both name its first stage:
    // one entry, not two.
    let repeated: bool = sqlx::query_scalar(
        "select exists (select 1 from contact_stages where org_id = $1 and contact_id = $2 \
         and pipeline = $3 and stage = $4 and since <= $5)",
    )
    .bind(org)
    .bind(contact)
    .bind(pipeline)
    .bind(stage)
    .bind(when)
    .fetch_one(&mut *conn)
    .await?;
    if repeated && event.envelope.r#type != contact::ContactStageChanged::TYPE {
        return Ok(());
    }
    sqlx::query(
        "insert into stage_entries (org_id, event_id, contact_id, pipeline, stage, entered_at) \
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
    )
    .bind(org)
    .bind(event.id.uuid())
    .bind(contact)
    .bind(pipeline)
    .bind(stage)
    .bind(when)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into contact_stages (org_id, contact_id, pipeline, stage, since) values ($1, $2, $3, $4, $5) \
         on conflict (org_id, contact_id) do update set pipeline = excluded.pipeline, stage = excluded.stage, \
         since = excluded.since where contact_stages.since <= excluded.since",
    )
    .bind(org)
    .bind(contact)
    .bind(pipeline)
    .bind(stage)
    .bind(when)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn person_touch(
    conn: &mut PgConnection,
    event: &Received,
    contact: Uuid,
    when: DateTime<Utc>,
    how: &str,
) -> Result<(), HandleError> {
    sqlx::query(
        "insert into person_touches (org_id, event_id, contact_id, at, how) values ($1, $2, $3, $4, $5) \
         on conflict do nothing",
    )
    .bind(event.org.uuid())
    .bind(event.id.uuid())
    .bind(contact)
    .bind(when)
    .bind(how)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn sms_sent(
    conn: &mut PgConnection,
    event: &Received,
    m: &messaging::SmsMessage,
    when: DateTime<Utc>,
) -> Result<(), HandleError> {
    let id = uuid("message id", &m.id)?;
    let contact = optional_uuid(&m.contact_id);
    let sent_at = at(m.sent_at.as_ref()).unwrap_or(when);
    sqlx::query(
        "insert into messages (org_id, message_id, contact_id, sent_at, template, purpose, sent_by) \
         values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing",
    )
    .bind(event.org.uuid())
    .bind(id)
    .bind(contact)
    .bind(sent_at)
    .bind(&m.template_id)
    .bind(&m.purpose)
    .bind(&m.sent_by)
    .execute(&mut *conn)
    .await?;
    if let Some(contact) = contact
        && is_person(&m.sent_by)
    {
        person_touch(conn, event, contact, sent_at, "sms_sent").await?;
    }
    Ok(())
}

async fn upsert_task(
    conn: &mut PgConnection,
    event: &Received,
    task: &automation::Task,
    completed_by: Option<&str>,
) -> Result<(), HandleError> {
    let id = uuid("task id", &task.id)?;
    let created = at(task.created_at.as_ref()).unwrap_or(occurred(event)?);
    let status = match task.status.as_str() {
        "completed" | "cancelled" => task.status.as_str(),
        _ => "todo",
    };
    sqlx::query(
        "insert into tasks (org_id, task_id, contact_id, type, created_at, status, completed_at, completed_by, outcome) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, nullif($9, '')) \
         on conflict (org_id, task_id) do update set \
           status = case when tasks.status = 'todo' then excluded.status else tasks.status end, \
           completed_at = coalesce(tasks.completed_at, excluded.completed_at), \
           completed_by = coalesce(tasks.completed_by, excluded.completed_by), \
           outcome = coalesce(tasks.outcome, excluded.outcome)",
    )
    .bind(event.org.uuid())
    .bind(id)
    .bind(optional_uuid(&task.contact_id))
    .bind(&task.r#type)
    .bind(created)
    .bind(status)
    .bind(at(task.completed_at.as_ref()))
    .bind(completed_by)
    .bind(&task.outcome)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn recall(
    conn: &mut PgConnection,
    event: &Received,
    r: &booking::Recall,
    when: DateTime<Utc>,
) -> Result<(), HandleError> {
    let id = uuid("recall id", &r.id)?;
    let contact = uuid("contact id", &r.contact_id)?;
    let due = NaiveDate::parse_from_str(&r.due_on, "%Y-%m-%d")
        .map_err(|e| reject(format!("recall due_on {:?}: {e}", r.due_on)))?;
    let closed = (r.status != "open").then_some(when);
    sqlx::query(
        "insert into recalls (org_id, recall_id, contact_id, due_on, status, created_at, closed_at) \
         values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict (org_id, recall_id) do update set \
           status = case when recalls.status = 'open' then excluded.status else recalls.status end, \
           due_on = case when recalls.status = 'open' then excluded.due_on else recalls.due_on end, \
           closed_at = coalesce(recalls.closed_at, excluded.closed_at)",
    )
    .bind(event.org.uuid())
    .bind(id)
    .bind(contact)
    .bind(due)
    .bind(&r.status)
    .bind(at(r.created_at.as_ref()).unwrap_or(when))
    .bind(closed)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn booking(
    conn: &mut PgConnection,
    event: &Received,
    b: &booking::Booking,
    when: DateTime<Utc>,
) -> Result<(), HandleError> {
    let t = event.envelope.r#type.as_str();
    let id = uuid("booking id", &b.id)?;
    let contact = uuid("contact id", &b.contact_id)?;
    let appointment =
        at(b.appointment_at.as_ref()).ok_or_else(|| reject(format!("{t}: booking without appointment_at")))?;
    let created = at(b.created_at.as_ref()).unwrap_or(when);
    let updated = at(b.updated_at.as_ref()).unwrap_or(when);
    let confirmed = (b.status == "confirmed").then_some(when);
    let cancelled = (b.status == "cancelled").then_some(when);
    let outcome = Some(b.outcome.as_str()).filter(|o| !o.is_empty());
    let outcome_at = outcome.map(|_| at(b.outcome_recorded_at.as_ref()).unwrap_or(when));
    sqlx::query(
        "insert into bookings (org_id, booking_id, contact_id, created_at, appointment_at, status, \
           urgency, service_type, channel, confirmed_at, cancelled_at, outcome, outcome_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         on conflict (org_id, booking_id) do update set \
           confirmed_at = coalesce(bookings.confirmed_at, excluded.confirmed_at), \
           cancelled_at = case when excluded.updated_at >= bookings.updated_at and excluded.status <> 'cancelled' \
                               then null else coalesce(bookings.cancelled_at, excluded.cancelled_at) end, \
           contact_id = case when excluded.updated_at >= bookings.updated_at then excluded.contact_id else bookings.contact_id end, \
           appointment_at = case when excluded.updated_at >= bookings.updated_at then excluded.appointment_at else bookings.appointment_at end, \
           status = case when excluded.updated_at >= bookings.updated_at then excluded.status else bookings.status end, \
           urgency = case when excluded.updated_at >= bookings.updated_at then excluded.urgency else bookings.urgency end, \
           service_type = case when excluded.updated_at >= bookings.updated_at then excluded.service_type else bookings.service_type end, \
           outcome = case when excluded.updated_at >= bookings.updated_at then excluded.outcome else bookings.outcome end, \
           outcome_at = case when excluded.updated_at >= bookings.updated_at \
                             then coalesce(excluded.outcome_at, bookings.outcome_at) else bookings.outcome_at end, \
           updated_at = greatest(bookings.updated_at, excluded.updated_at)",
    )
    .bind(event.org.uuid())
    .bind(id)
    .bind(contact)
    .bind(created)
    .bind(appointment)
    .bind(&b.status)
    .bind(&b.urgency_level)
    .bind(&b.service_type)
    .bind(channel_name(&b.first_touch_attribution))
    .bind(confirmed)
    .bind(cancelled)
    .bind(outcome)
    .bind(outcome_at)
    .bind(updated)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
