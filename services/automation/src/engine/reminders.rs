//! Booking reminders: planned from the booking (spec 000's 48, 24 and 2
//! hours before, as elapsed time), planned again when it moves, dropped
//! when it is cancelled, and checked once more when each is due (the
//! booking still stands, at the time planned, and hasn't begun).
//!
//! A reminder whose time has already passed when it is planned (a booking
//! made 30 hours ahead has no 48-hour reminder) is not planned at all.

use attend_kit::db::Tx;
use attend_kit::ids::OrgId;
use attend_proto::booking::v1 as booking;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::Context;
use super::facts::STANDING;
use crate::rules::Trigger;
use crate::rules::actions::Reminder;
use crate::store::{self, JobRow, NewJob};

/// One reminder to schedule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub template: String,
    pub before_seconds: u64,
    pub appointment_at: DateTime<Utc>,
    pub fire_at: DateTime<Utc>,
}

/// The reminders still in the future for a standing booking, and a note of
/// what was planned and what wasn't.
pub(crate) fn plan(b: &booking::Booking, reminders: &[Reminder], now: DateTime<Utc>) -> (Vec<Plan>, String) {
    let Some(appointment) = b.appointment_at.as_ref().and_then(attend_kit::bus::from_timestamp) else {
        return (Vec::new(), "the booking has no appointment time".to_owned());
    };
    if !STANDING.contains(&b.status.as_str()) || !b.outcome.is_empty() {
        return (Vec::new(), format!("the booking is {}: no reminders", b.status));
    }
    let specs: Vec<(String, u64)> = reminders
        .iter()
        .map(|r| (r.template.clone(), r.before_seconds))
        .collect();
    plan_for(appointment, &specs, now)
}

fn plan_for(appointment: DateTime<Utc>, specs: &[(String, u64)], now: DateTime<Utc>) -> (Vec<Plan>, String) {
    let mut plans = Vec::new();
    let mut notes = Vec::new();
    for (template, before) in specs {
        let fire_at = appointment - chrono::Duration::seconds(i64::try_from(*before).unwrap_or(i64::MAX / 2));
        if fire_at <= now {
            notes.push(format!("{template}: its time had passed"));
        } else {
            notes.push(format!("{template} at {}", fire_at.to_rfc3339()));
            plans.push(Plan {
                template: template.clone(),
                before_seconds: *before,
                appointment_at: appointment,
                fire_at,
            });
        }
    }
    (plans, notes.join("; "))
}

/// The key of a reminder: one per booking, template and appointment time.
fn key(booking: Uuid, template: &str, appointment: DateTime<Utc>) -> String {
    format!("rem:{booking}:{template}:{}", appointment.timestamp())
}

/// Schedules planned reminders, each its own job.
pub(crate) async fn schedule(
    tx: &mut Tx,
    org: OrgId,
    job: &JobRow,
    plans: &[Plan],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let (Some(contact), Some(booking)) = (job.contact_id, job.booking_id) else {
        return Ok(());
    };
    for plan in plans {
        insert(tx, org, contact, booking, plan, now).await?;
    }
    Ok(())
}

async fn insert(
    tx: &mut Tx,
    org: OrgId,
    contact: Uuid,
    booking: Uuid,
    plan: &Plan,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let id = Uuid::now_v7();
    let mut ctx = Context::new(Trigger::ReminderSent, "reminder", id);
    ctx.contact_id = Some(contact);
    ctx.booking_id = Some(booking);
    ctx.template = Some(plan.template.clone());
    ctx.appointment_at = Some(plan.appointment_at);
    ctx.before_seconds = Some(plan.before_seconds);
    let context = serde_json::to_value(&ctx).unwrap_or_default();
    let action = json!({"type": "send_sms", "template": plan.template, "time_before_appointment": plan.before_seconds});
    store::jobs::insert(
        tx,
        org,
        &NewJob {
            id,
            run_id: None,
            event_id: id,
            seq: 0,
            kind: "reminder",
            action_index: None,
            action: &action,
            context: &context,
            contact_id: Some(contact),
            booking_id: Some(booking),
            due_at: plan.fire_at,
            key: &key(booking, &plan.template, plan.appointment_at),
            at: now,
        },
    )
    .await
}

/// A booking moved: its reminders still to send are dropped, and the
/// reminders it has had are planned again for the new time (those still
/// in the future). A note of what changed, when anything did.
pub(crate) async fn replan(
    tx: &mut Tx,
    org: OrgId,
    booking: Uuid,
    contact: Uuid,
    appointment: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    let had = store::jobs::reminders_of(tx, org, booking).await?;
    if had.is_empty() {
        return Ok(None);
    }
    let mut specs: Vec<(String, u64)> = Vec::new();
    for job in &had {
        let ctx: Context = serde_json::from_value(job.context.clone()).unwrap_or_default();
        if let (Some(t), Some(b)) = (ctx.template, ctx.before_seconds)
            && !specs.iter().any(|(s, _)| *s == t)
        {
            specs.push((t, b));
        }
    }
    specs.sort_by_key(|s| std::cmp::Reverse(s.1));
    store::jobs::cancel_reminders(
        tx,
        org,
        booking,
        "the booking moved; planned again for its new time",
        now,
    )
    .await?;
    let (plans, notes) = plan_for(appointment, &specs, now);
    for plan in &plans {
        insert(tx, org, contact, booking, plan, now).await?;
    }
    Ok(Some(notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_773_100_800 + h * 3600, 0).unwrap()
    }

    fn specs() -> Vec<(String, u64)> {
        vec![
            ("reminder_48hr".to_owned(), 172_800),
            ("reminder_24hr".to_owned(), 86_400),
            ("reminder_2hr".to_owned(), 7_200),
        ]
    }

    #[test]
    fn a_booking_three_days_ahead_gets_all_three_at_elapsed_times() {
        let (plans, _) = plan_for(at(72), &specs(), at(0));
        let fire: Vec<_> = plans.iter().map(|p| p.fire_at).collect();
        assert_eq!(fire, [at(24), at(48), at(70)]);
    }

    /// The local times of an appointment's reminders, planned five days ahead.
    fn sydney_reminders(y: i32, m: u32, d: u32) -> Vec<String> {
        use chrono::TimeZone;
        let sydney = chrono_tz::Australia::Sydney;
        let at = sydney.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap().with_timezone(&Utc);
        let (plans, _) = plan_for(at, &specs(), at - chrono::Duration::days(5));
        plans
            .iter()
            .map(|p| p.fire_at.with_timezone(&sydney).format("%a %H:%M %Z").to_string())
            .collect()
    }

    #[test]
    fn reminders_are_elapsed_hours_across_both_sydney_transitions() {
        // Monday 6 April 2026, 10:00 AEST; daylight saving ended on the
        // Sunday: 48 elapsed hours before is Saturday 11:00 on the summer clock.
        assert_eq!(
            sydney_reminders(2026, 4, 6),
            ["Sat 11:00 AEDT", "Sun 10:00 AEST", "Mon 08:00 AEST"]
        );
        // Monday 5 October 2026, 10:00 AEDT; it began on the Sunday.
        assert_eq!(
            sydney_reminders(2026, 10, 5),
            ["Sat 09:00 AEST", "Sun 10:00 AEDT", "Mon 08:00 AEDT"]
        );
    }

    #[test]
    fn a_booking_made_thirty_hours_ahead_gets_only_those_still_to_come() {
        let (plans, notes) = plan_for(at(30), &specs(), at(0));
        let templates: Vec<_> = plans.iter().map(|p| p.template.as_str()).collect();
        assert_eq!(templates, ["reminder_24hr", "reminder_2hr"]);
        assert!(notes.starts_with("reminder_48hr: its time had passed"), "{notes}");
        let (plans, _) = plan_for(at(1), &specs(), at(0));
        assert!(plans.is_empty(), "an appointment within two hours gets none");
    }
}
