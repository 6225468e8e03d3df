//! The figures of one period, read from the read models. What each figure
//! counts is defined in docs/reports.md; the SQL is here and only here.

use std::collections::BTreeMap;

use attend_kit::db::Db;
use attend_kit::ids::{OrgId, TypedId};
use attend_kit::localtime::{BusinessHours, instant_of, local_date};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use uuid::Uuid;

/// Speed to lead's target: a person's first contact within five minutes.
pub const FIVE_MINUTES: i64 = 300;
/// How long after a cancellation a new booking by the same contact counts
/// as the cancellation rebooked (`cancelled_rebooked`).
pub const RESCUE_WINDOW_DAYS: i64 = 90;
/// The recall text's template (spec 000's pipeline C).
pub const RECALL_TEMPLATE: &str = "recall_reminder";
/// The stage a cancelled contact waits in while the practice tries to rebook.
pub const RESCUE_STAGE: &str = "cancelled_rescue";

/// Local dates `start..=end` in the organisation's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub tz: Tz,
}

impl Span {
    /// The instants `[from, to)` the local dates cover (a day of a
    /// daylight-saving change is 23 or 25 hours long).
    pub fn instants(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let from = instant_of(self.start.and_time(NaiveTime::MIN), self.tz);
        let after = self.end.succ_opt().unwrap_or(self.end);
        (from, instant_of(after.and_time(NaiveTime::MIN), self.tz))
    }
}

/// `part / whole`, or `None` when there is nothing to divide.
pub fn ratio(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Funnel {
    pub new_leads: u32,
    /// Leads a person reached within five minutes of the clock starting.
    pub under_five_minutes: u32,
    pub contacted_same_day: u32,
    pub contacted: u32,
    pub booked: u32,
    /// Seconds from clock start to first contact, per contacted lead.
    pub speeds: Vec<i64>,
}

impl Funnel {
    pub fn median_speed(&self) -> Option<f64> {
        median(&self.speeds)
    }

    pub fn mean_speed(&self) -> Option<f64> {
        let n = u32::try_from(self.speeds.len()).ok().filter(|n| *n > 0)?;
        #[allow(clippy::cast_precision_loss)] // seconds: far inside f64's exact range
        let total = self.speeds.iter().sum::<i64>() as f64;
        Some(total / f64::from(n))
    }
}

/// The median of whole seconds (the mean of the middle two for an even count).
pub fn median(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let mid = v.len() / 2;
    #[allow(clippy::cast_precision_loss)]
    Some(if v.len() % 2 == 1 {
        v[mid] as f64
    } else {
        (v[mid - 1] as f64 + v[mid] as f64) / 2.0
    })
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bookings {
    pub created: u32,
    /// The contact's first booking.
    pub new_patients: u32,
    pub confirmed: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appointments {
    pub scheduled: u32,
    pub attended: u32,
    pub cancelled: u32,
    pub no_shows: u32,
    pub unrecorded: u32,
    /// Confirmed before the visit and recorded: attended, no-shows.
    pub confirmed_attended: u32,
    pub confirmed_no_shows: u32,
}

impl Appointments {
    pub fn attendance_rate(&self) -> Option<f64> {
        ratio(self.attended, self.attended + self.no_shows)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attention {
    pub cancellations: u32,
    pub high_urgency: u32,
    pub rebooked: u32,
    pub still_in_rescue: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reactivation {
    pub recall_sent: u32,
    pub recall_booked: u32,
    pub cancelled_rebooked: u32,
}

/// A channel's attended appointments and no-shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelCount {
    pub attended: u32,
    pub no_shows: u32,
    /// No-shows booked more than ten days ahead.
    pub no_shows_booked_far_ahead: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub funnel: Funnel,
    pub bookings: Bookings,
    pub appointments: Appointments,
    /// By first-touch channel, every channel with an attended appointment or a no-show.
    pub channels: BTreeMap<String, ChannelCount>,
    pub attention: Attention,
    pub reactivation: Reactivation,
}

/// A SQL count as the reports carry it.
pub(crate) fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// One section of the figures in its own tenant transaction, so that the
/// sections run at once on separate connections.
macro_rules! section {
    ($db:expr, $org:expr, $f:ident($($arg:expr),*)) => {
        async {
            let mut tx = $db.tenant($org).await?;
            let value = $f(&mut tx, $org.uuid(), $($arg),*).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(value)
        }
    };
}

/// Every figure of `span` for the organisation. The sections are read at
/// once, each in its own transaction (a fact arriving meanwhile may be in
/// one section and not yet in another; the next read has it in both).
pub async fn read(db: &Db, org: OrgId, span: Span, hours: &BusinessHours) -> sqlx::Result<Figures> {
    let (from, to) = span.instants();
    let (funnel, bookings, appointments, channels, attention, reactivation) = tokio::try_join!(
        section!(db, org, funnel(from, to, span.tz, hours)),
        section!(db, org, bookings(from, to)),
        section!(db, org, appointments(from, to)),
        section!(db, org, channels(from, to)),
        section!(db, org, attention(from, to)),
        section!(db, org, reactivation(from, to)),
    )?;
    Ok(Figures {
        funnel,
        bookings,
        appointments,
        channels,
        attention,
        reactivation,
    })
}

/// Only the appointments of `span`: what a report compares with the
/// period before.
pub async fn read_appointments(db: &Db, org: OrgId, span: Span) -> sqlx::Result<Figures> {
    let (from, to) = span.instants();
    Ok(Figures {
        appointments: section!(db, org, appointments(from, to)).await?,
        ..Figures::default()
    })
}

/// When a lead's clock starts and stops, as speed to lead reads it: it
/// starts when the lead arrived, or at the next opening when it arrived
/// while the practice was closed; it stops at the first contact by a person.
pub fn speed_to_lead(
    arrived: DateTime<Utc>,
    first_contact: DateTime<Utc>,
    hours: &BusinessHours,
    tz: Tz,
) -> (i64, bool) {
    let start = hours.next_open(arrived, tz);
    let seconds = (first_contact - start).num_seconds().max(0);
    let same_day = local_date(first_contact.max(start), tz) == local_date(start, tz);
    (seconds, same_day)
}

async fn funnel(
    conn: &mut PgConnection,
    org: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    tz: Tz,
    hours: &BusinessHours,
) -> sqlx::Result<Funnel> {
    let rows: Vec<(DateTime<Utc>, Option<DateTime<Utc>>, bool)> = sqlx::query_as(
        "select l.created_at, \
           (select min(p.at) from person_touches p \
             where p.org_id = l.org_id and p.contact_id = l.contact_id and p.at >= l.created_at), \
           exists (select 1 from bookings b \
             where b.org_id = l.org_id and b.contact_id = l.contact_id and b.created_at >= l.created_at) \
         from leads l where l.org_id = $1 and l.created_at >= $2 and l.created_at < $3",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let mut f = Funnel {
        new_leads: count(i64::try_from(rows.len()).unwrap_or(i64::MAX)),
        ..Funnel::default()
    };
    for (arrived, first_contact, booked) in rows {
        if booked {
            f.booked += 1;
        }
        let Some(first) = first_contact else { continue };
        let (seconds, same_day) = speed_to_lead(arrived, first, hours, tz);
        f.contacted += 1;
        f.speeds.push(seconds);
        if seconds <= FIVE_MINUTES {
            f.under_five_minutes += 1;
        }
        if same_day {
            f.contacted_same_day += 1;
        }
    }
    Ok(f)
}

async fn bookings(
    conn: &mut PgConnection,
    org: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Bookings> {
    let (created, new_patients, confirmed): (i64, i64, i64) = sqlx::query_as(
        "select count(*), \
                count(*) filter (where not exists (select 1 from bookings p where p.org_id = b.org_id \
                  and p.contact_id = b.contact_id and p.created_at < b.created_at)), \
                count(*) filter (where confirmed_at is not null) \
         from bookings b where b.org_id = $1 and b.created_at >= $2 and b.created_at < $3",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Bookings {
        created: count(created),
        new_patients: count(new_patients),
        confirmed: count(confirmed),
    })
}

async fn appointments(
    conn: &mut PgConnection,
    org: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Appointments> {
    let row: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where status <> 'cancelled'), \
                count(*) filter (where status <> 'cancelled' and outcome = 'attended'), \
                count(*) filter (where status = 'cancelled'), \
                count(*) filter (where status <> 'cancelled' and outcome = 'no_show'), \
                count(*) filter (where status <> 'cancelled' and outcome is null), \
                count(*) filter (where status <> 'cancelled' and outcome = 'attended' and confirmed_at is not null), \
                count(*) filter (where status <> 'cancelled' and outcome = 'no_show' and confirmed_at is not null) \
         from bookings where org_id = $1 and appointment_at >= $2 and appointment_at < $3",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Appointments {
        scheduled: count(row.0),
        attended: count(row.1),
        cancelled: count(row.2),
        no_shows: count(row.3),
        unrecorded: count(row.4),
        confirmed_attended: count(row.5),
        confirmed_no_shows: count(row.6),
    })
}

async fn channels(
    conn: &mut PgConnection,
    org: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<BTreeMap<String, ChannelCount>> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "select channel, count(*) filter (where outcome = 'attended'), count(*) filter (where outcome = 'no_show'), \
                count(*) filter (where outcome = 'no_show' and appointment_at - created_at > interval '10 days') \
         from bookings where org_id = $1 and appointment_at >= $2 and appointment_at < $3 \
           and status <> 'cancelled' and outcome is not null \
         group by channel",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, attended, no_shows, far)| {
            (
                name,
                ChannelCount {
                    attended: count(attended),
                    no_shows: count(no_shows),
                    no_shows_booked_far_ahead: count(far),
                },
            )
        })
        .collect())
}

async fn attention(
    conn: &mut PgConnection,
    org: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Attention> {
    let row: (i64, i64, i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where urgency = 'high'), count(*) filter (where rebooked), \
                count(*) filter (where not rebooked and in_rescue) \
         from (select b.urgency, \
                 exists (select 1 from bookings n where n.org_id = b.org_id and n.contact_id = b.contact_id \
                          and n.booking_id <> b.booking_id and n.created_at > b.cancelled_at) as rebooked, \
                 exists (select 1 from contact_stages s where s.org_id = b.org_id and s.contact_id = b.contact_id \
                          and s.stage = $4) as in_rescue \
               from bookings b where b.org_id = $1 and b.cancelled_at >= $2 and b.cancelled_at < $3) c",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .bind(RESCUE_STAGE)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Attention {
        cancellations: count(row.0),
        high_urgency: count(row.1),
        rebooked: count(row.2),
        still_in_rescue: count(row.3),
    })
}

async fn reactivation(
    conn: &mut PgConnection,
    org: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Reactivation> {
    // A recall counts as sent in the period of its first recall text.
    let (sent, booked): (i64, i64) = sqlx::query_as(
        "select count(distinct r.recall_id), count(distinct r.recall_id) filter (where r.status = 'booked') \
         from messages m \
         join recalls r on r.org_id = m.org_id and r.contact_id = m.contact_id and m.sent_at >= r.created_at \
                       and (r.closed_at is null or m.sent_at <= r.closed_at) \
         where m.org_id = $1 and m.template = $4 and m.sent_at >= $2 and m.sent_at < $3 \
           and not exists (select 1 from messages e where e.org_id = m.org_id and e.contact_id = m.contact_id \
                           and e.template = $4 and e.sent_at >= r.created_at and e.sent_at < $2)",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .bind(RECALL_TEMPLATE)
    .fetch_one(&mut *conn)
    .await?;
    let rebooked: i64 = sqlx::query_scalar(
        "select count(*) from bookings n where n.org_id = $1 and n.created_at >= $2 and n.created_at < $3 \
           and exists (select 1 from bookings c where c.org_id = n.org_id and c.contact_id = n.contact_id \
                        and c.booking_id <> n.booking_id and c.cancelled_at < n.created_at \
                        and c.cancelled_at >= n.created_at - $4)",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .bind(TimeDelta::days(RESCUE_WINDOW_DAYS))
    .fetch_one(&mut *conn)
    .await?;
    Ok(Reactivation {
        recall_sent: count(sent),
        recall_booked: count(booked),
        cancelled_rebooked: count(rebooked),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sydney(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Australia::Sydney
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .to_utc()
    }

    #[test]
    fn a_lead_at_night_starts_its_clock_at_opening() {
        let hours = BusinessHours::from_proto(None);
        let tz = chrono_tz::Australia::Sydney;
        // Tuesday 23:00; reached Wednesday 09:03: three minutes.
        let (s, same_day) = speed_to_lead(sydney(2026, 3, 3, 23, 0), sydney(2026, 3, 4, 9, 3), &hours, tz);
        assert_eq!((s, same_day), (180, true));
        // During hours: the clock starts at once.
        let (s, _) = speed_to_lead(sydney(2026, 3, 4, 10, 0), sydney(2026, 3, 4, 10, 6), &hours, tz);
        assert_eq!(s, 360);
        // Reached before opening (a keen nurse at 08:00): no time at all.
        let (s, same_day) = speed_to_lead(sydney(2026, 3, 3, 23, 0), sydney(2026, 3, 4, 8, 0), &hours, tz);
        assert_eq!((s, same_day), (0, true));
        // Reached the next day.
        let (_, same_day) = speed_to_lead(sydney(2026, 3, 4, 16, 0), sydney(2026, 3, 5, 9, 0), &hours, tz);
        assert!(!same_day);
    }

    #[test]
    fn rates_of_nothing_are_none_and_medians_are_the_middle() {
        assert_eq!(ratio(0, 0), None);
        assert_eq!(ratio(1, 4), Some(0.25));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5, 1, 3]), Some(3.0));
        assert_eq!(median(&[4, 1, 3, 2]), Some(2.5));
    }

    #[test]
    fn a_week_across_a_daylight_saving_change_is_its_local_days() {
        // Sydney leaves daylight saving on Sunday 5 April 2026 (25-hour day).
        let span = Span {
            start: NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(),
            end: NaiveDate::from_ymd_opt(2026, 4, 5).unwrap(),
            tz: chrono_tz::Australia::Sydney,
        };
        let (from, to) = span.instants();
        assert_eq!((to - from).num_hours(), 7 * 24 + 1);
        assert_eq!(from, sydney(2026, 3, 30, 0, 0));
    }
}
