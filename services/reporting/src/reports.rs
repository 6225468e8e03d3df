//! The reports: which local dates a request means, the figures of that
//! span and the one before ([`crate::figures`]), and the answer as the API
//! gives it, with insights ([`crate::insights`]) and spec 000's KPIs.

use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::grpc::Caller;
use attend_kit::ids::TypedId;
use attend_kit::localtime::local_date;
use attend_kit::orgs::Org;
use attend_proto::reporting::v1 as pb;
use chrono::{Datelike, Months, NaiveDate, TimeDelta, Utc, Weekday};

use crate::api::Api;
use crate::figures::{self, Figures, Span, ratio};
use crate::insights::insights;

/// A date parameter: `YYYY-MM-DD`, named in the error.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, format!("must be a date written YYYY-MM-DD, not {text:?}")))
}

/// The week a request names (a Monday), or the last full week before today.
pub fn week(week_start: &str, today: NaiveDate, tz: chrono_tz::Tz) -> Result<Span, Error> {
    let start = if week_start.trim().is_empty() {
        let this_monday = today - TimeDelta::days(i64::from(today.weekday().num_days_from_monday()));
        this_monday - TimeDelta::days(7)
    } else {
        let date = parse_date("week_start", week_start)?;
        if date.weekday() != Weekday::Mon {
            return Err(Error::invalid(
                "week_start",
                format!("must be a Monday; {date} is a {}", date.weekday()),
            ));
        }
        date
    };
    Ok(Span {
        start,
        end: start + TimeDelta::days(6),
        tz,
    })
}

/// The calendar month a request names (`YYYY-MM`), or the last full month.
pub fn month(month: &str, today: NaiveDate, tz: chrono_tz::Tz) -> Result<Span, Error> {
    let start = if month.trim().is_empty() {
        let first = today.with_day(1).unwrap_or(today);
        first.checked_sub_months(Months::new(1)).unwrap_or(first)
    } else {
        NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
            .ok()
            .filter(|_| month.trim().len() == 7)
            .ok_or_else(|| Error::invalid("month", format!("must be a month written YYYY-MM, not {month:?}")))?
    };
    let next = start.checked_add_months(Months::new(1)).unwrap_or(start);
    Ok(Span {
        start,
        end: next.pred_opt().unwrap_or(start),
        tz,
    })
}

/// A range of local dates from `from` to `to`, both included, at most
/// about three years long.
pub fn range(from: &str, to: &str, tz: chrono_tz::Tz) -> Result<Span, Error> {
    let (start, end) = match (parse_date("from", from), parse_date("to", to)) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(Error::Invalid(mut a)), Err(Error::Invalid(b))) => {
            a.extend(b);
            return Err(Error::Invalid(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    if end < start {
        return Err(Error::invalid("to", format!("must not be before from ({start})")));
    }
    if (end - start).num_days() > 1100 {
        return Err(Error::invalid("to", "must be at most 1100 days after from"));
    }
    Ok(Span { start, end, tz })
}

fn period(span: Span) -> pb::Period {
    pb::Period {
        start: span.start.to_string(),
        end: span.end.to_string(),
        time_zone: span.tz.name().to_owned(),
    }
}

fn funnel(f: &Figures) -> pb::Funnel {
    let n = &f.funnel;
    pb::Funnel {
        new_leads: n.new_leads,
        speed_to_lead_under_5min: ratio(n.under_five_minutes, n.new_leads),
        contacted_same_day: ratio(n.contacted_same_day, n.new_leads),
        booked_count: n.booked,
        booked_percentage: ratio(n.booked, n.new_leads),
        contacted: n.contacted,
        median_speed_to_lead_seconds: n.median_speed(),
    }
}

fn appointments(f: &Figures) -> pb::Appointments {
    let a = &f.appointments;
    pb::Appointments {
        scheduled: a.scheduled,
        attended: a.attended,
        cancelled: a.cancelled,
        no_shows: a.no_shows,
        attendance_rate: a.attendance_rate(),
        unrecorded: a.unrecorded,
    }
}

/// A weekly or monthly report: `span` against `previous`.
fn period_report(span: Span, previous: Span, now: &Figures, before: &Figures) -> pb::PeriodReport {
    let attended = now.appointments.attended;
    let mut channels: Vec<pb::Channel> = now
        .channels
        .iter()
        .filter(|(_, c)| c.attended > 0)
        .map(|(name, c)| pb::Channel {
            name: name.clone(),
            attended_count: c.attended,
            percentage: ratio(c.attended, attended),
        })
        .collect();
    channels.sort_by(|a, b| {
        b.attended_count
            .cmp(&a.attended_count)
            .then_with(|| a.name.cmp(&b.name))
    });
    pb::PeriodReport {
        period: Some(period(span)),
        previous_period: Some(period(previous)),
        kpi: Some(pb::Kpi {
            attended_appointments: attended,
            change_vs_previous: ratio(attended, before.appointments.attended).map(|r| r - 1.0),
            attendance_rate: now.appointments.attendance_rate(),
            previous_attended_appointments: before.appointments.attended,
        }),
        funnel: Some(funnel(now)),
        bookings: Some(pb::Bookings {
            created: now.bookings.created,
            new_patients: now.bookings.new_patients,
            returning: now.bookings.created - now.bookings.new_patients,
            confirmed_percentage: ratio(now.bookings.confirmed, now.bookings.created),
        }),
        appointments: Some(appointments(now)),
        channels,
        attention_areas: Some(pb::AttentionAreas {
            cancellations: now.attention.cancellations,
            high_urgency_cancellations: now.attention.high_urgency,
            rebooked: now.attention.rebooked,
            still_in_rescue: now.attention.still_in_rescue,
            no_shows: now.appointments.no_shows,
        }),
        reactivation: Some(pb::Reactivation {
            recall_sent: now.reactivation.recall_sent,
            recall_booked: now.reactivation.recall_booked,
            recall_conversion_rate: ratio(now.reactivation.recall_booked, now.reactivation.recall_sent),
            cancelled_rebooked: now.reactivation.cancelled_rebooked,
        }),
        insights: insights(now, before),
        previous_appointments: Some(appointments(before)),
    }
}

/// A metric against spec 000's target.
fn metric(name: &str, value: Option<f64>, target: f64, at_least: bool, parts: (u32, u32), unit: &str) -> pb::Metric {
    pb::Metric {
        name: name.to_owned(),
        value,
        target,
        comparison: if at_least { "at_least" } else { "at_most" }.to_owned(),
        met: value.is_some_and(|v| if at_least { v >= target } else { v <= target }),
        numerator: parts.0,
        denominator: parts.1,
        unit: unit.to_owned(),
    }
}

/// Spec 000's success metrics over `span`.
pub fn kpis(span: Span, f: &Figures) -> pb::KpisReport {
    let a = &f.appointments;
    let confirmed = a.confirmed_attended + a.confirmed_no_shows;
    let leads = &f.funnel;
    let contacted = u32::try_from(leads.speeds.len()).unwrap_or(u32::MAX);
    pb::KpisReport {
        period: Some(period(span)),
        attended_appointments: a.attended,
        metrics: vec![
            metric(
                "confirmed_attendance_rate",
                ratio(a.confirmed_attended, confirmed),
                0.90,
                true,
                (a.confirmed_attended, confirmed),
                "ratio",
            ),
            metric(
                "attendance_rate",
                a.attendance_rate(),
                0.85,
                true,
                (a.attended, a.attended + a.no_shows),
                "ratio",
            ),
            metric(
                "average_speed_to_lead_seconds",
                leads.mean_speed(),
                300.0,
                false,
                (contacted, leads.new_leads),
                "seconds",
            ),
            metric(
                "speed_to_lead_under_5min",
                ratio(leads.under_five_minutes, leads.new_leads),
                0.80,
                true,
                (leads.under_five_minutes, leads.new_leads),
                "ratio",
            ),
            metric(
                "cancellation_rescue_rate",
                ratio(f.attention.rebooked, f.attention.cancellations),
                0.50,
                true,
                (f.attention.rebooked, f.attention.cancellations),
                "ratio",
            ),
            metric(
                "recall_conversion_rate",
                ratio(f.reactivation.recall_booked, f.reactivation.recall_sent),
                0.30,
                true,
                (f.reactivation.recall_booked, f.reactivation.recall_sent),
                "ratio",
            ),
        ],
    }
}

impl Api {
    async fn org_of(&self, caller: &Caller) -> Result<Org, Error> {
        caller.require_permission(Permission::ReportsRead)?;
        self.orgs.get(caller.org()?).await
    }

    async fn figures(&self, org: &Org, span: Span) -> Result<Figures, Error> {
        Ok(figures::read(&self.db, org.id, span, &org.business_hours).await?)
    }

    /// The figures of `span`, and the appointments of `previous` beside them.
    async fn compare(&self, org: &Org, span: Span, previous: Span) -> Result<pb::PeriodReport, Error> {
        let (now, before) = tokio::try_join!(
            figures::read(&self.db, org.id, span, &org.business_hours),
            figures::read_appointments(&self.db, org.id, previous),
        )?;
        Ok(period_report(span, previous, &now, &before))
    }

    pub(crate) async fn weekly(&self, caller: Caller, req: pb::WeeklyReportRequest) -> Result<pb::PeriodReport, Error> {
        let org = self.org_of(&caller).await?;
        let today = local_date(Utc::now(), org.time_zone);
        let span = week(&req.week_start, today, org.time_zone)?;
        let previous = Span {
            start: span.start - TimeDelta::days(7),
            end: span.end - TimeDelta::days(7),
            tz: span.tz,
        };
        self.compare(&org, span, previous).await
    }

    pub(crate) async fn monthly(
        &self,
        caller: Caller,
        req: pb::MonthlyReportRequest,
    ) -> Result<pb::PeriodReport, Error> {
        let org = self.org_of(&caller).await?;
        let today = local_date(Utc::now(), org.time_zone);
        let span = month(&req.month, today, org.time_zone)?;
        let previous = month(
            &span.start.pred_opt().unwrap_or(span.start).format("%Y-%m").to_string(),
            today,
            org.time_zone,
        )?;
        self.compare(&org, span, previous).await
    }

    pub(crate) async fn kpis(&self, caller: Caller, req: pb::KpisRequest) -> Result<pb::KpisReport, Error> {
        let org = self.org_of(&caller).await?;
        let span = range(&req.from, &req.to, org.time_zone)?;
        let f = self.figures(&org, span).await?;
        Ok(kpis(span, &f))
    }

    pub(crate) async fn pipelines(
        &self,
        caller: Caller,
        req: pb::PipelineReportRequest,
    ) -> Result<pb::PipelineReportResponse, Error> {
        let org = self.org_of(&caller).await?;
        let span = range(&req.from, &req.to, org.time_zone)?;
        let mut tx = self.db.tenant(org.id).await?;
        let pipelines = crate::pipelines::read(&mut tx, org.id.uuid(), span, &req.pipelines).await?;
        tx.commit().await?;
        Ok(pb::PipelineReportResponse {
            period: Some(period(span)),
            pipelines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: chrono_tz::Tz = chrono_tz::Australia::Sydney;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_default_week_is_the_last_full_one() {
        // Wednesday 2 December 2026: the last full week began Monday 23 November.
        let w = week("", date(2026, 12, 2), TZ).unwrap();
        assert_eq!((w.start, w.end), (date(2026, 11, 23), date(2026, 11, 29)));
        // On a Monday, the week just ended.
        let w = week("", date(2026, 11, 30), TZ).unwrap();
        assert_eq!(w.start, date(2026, 11, 23));
    }

    #[test]
    fn a_week_must_start_on_a_monday_and_say_so() {
        let Err(Error::Invalid(fields)) = week("2026-11-25", date(2026, 12, 2), TZ) else {
            panic!("a Wednesday was taken");
        };
        assert_eq!(fields[0].field, "week_start");
        assert!(fields[0].reason.contains("Monday"), "{}", fields[0].reason);
        let Err(Error::Invalid(fields)) = week("next week", date(2026, 12, 2), TZ) else {
            panic!("text was taken");
        };
        assert_eq!(fields[0].field, "week_start");
    }

    #[test]
    fn months_are_calendar_months() {
        let m = month("2026-02", date(2026, 12, 2), TZ).unwrap();
        assert_eq!((m.start, m.end), (date(2026, 2, 1), date(2026, 2, 28)));
        let m = month("", date(2026, 1, 15), TZ).unwrap();
        assert_eq!((m.start, m.end), (date(2025, 12, 1), date(2025, 12, 31)));
        for bad in ["2026-13", "2026-1", "2026-02-01", "feb"] {
            let Err(Error::Invalid(fields)) = month(bad, date(2026, 12, 2), TZ) else {
                panic!("{bad} was taken");
            };
            assert_eq!(fields[0].field, "month");
        }
    }

    #[test]
    fn a_range_names_each_bad_end() {
        let Err(Error::Invalid(fields)) = range("x", "y", TZ) else {
            panic!("taken");
        };
        assert_eq!(
            fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["from", "to"]
        );
        let Err(Error::Invalid(fields)) = range("2026-03-02", "2026-03-01", TZ) else {
            panic!("taken");
        };
        assert_eq!(fields[0].field, "to");
        assert!(range("2026-03-01", "2026-03-01", TZ).is_ok());
    }

    #[test]
    fn an_empty_period_has_null_rates_and_no_change() {
        let span = week("2026-11-23", date(2026, 12, 2), TZ).unwrap();
        let r = period_report(span, span, &Figures::default(), &Figures::default());
        let kpi = r.kpi.unwrap();
        assert_eq!(kpi.attended_appointments, 0);
        assert_eq!(kpi.change_vs_previous, None);
        assert_eq!(kpi.attendance_rate, None);
        let f = r.funnel.unwrap();
        assert_eq!(f.speed_to_lead_under_5min, None);
        assert_eq!(f.booked_percentage, None);
        assert!(r.channels.is_empty());
        assert!(r.insights.is_empty());
        let k = kpis(span, &Figures::default());
        assert!(k.metrics.iter().all(|m| m.value.is_none() && !m.met));
    }
}
