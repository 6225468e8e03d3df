//! `/api/reports/...`: spec 000's weekly and monthly reports, its KPIs and
//! the pipeline funnel, as JSON or CSV (`?format=csv` or `Accept:
//! text/csv`). The reporting service computes every figure; this module
//! only shapes the answer. docs/reports.md defines each field.

use attend_kit::authz::Permission;
use attend_kit::error::PeerAnswer;
use attend_kit::grpc::request;
use attend_kit::http::{Problem, QueryParams};
use attend_proto::contact::v1 as contact;
use attend_proto::reporting::v1 as pb;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/reports/weekly", get(weekly))
        .route("/api/reports/monthly", get(monthly))
        .route("/api/reports/kpis", get(kpis))
        .route("/api/reports/pipelines", get(pipelines))
}

// ------------------------------------------------------------ formats

/// JSON (the default) or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

fn format_of(query: Option<&str>, headers: &HeaderMap) -> Result<Format, Problem> {
    match query.map(str::trim) {
        Some("csv") => return Ok(Format::Csv),
        Some("json") => return Ok(Format::Json),
        Some(other) => {
            return Err(Problem::invalid_field(
                "validation_failed",
                "format",
                format!("must be json or csv, not {other:?}"),
            ));
        }
        None => {}
    }
    let accepts_csv = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/csv"))
        });
    Ok(if accepts_csv { Format::Csv } else { Format::Json })
}

/// A CSV cell: quoted when it holds a comma, quote or line break; text a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) starts
/// with a quote mark.
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A number as CSV writes it: unformatted, empty when absent.
fn number<T: ToString>(n: Option<T>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// A CSV document: the header, then rows (text cells escaped; numbers as they are).
struct Csv(String);

impl Csv {
    fn new(header: &[&str]) -> Self {
        Self(format!("{}\r\n", header.join(",")))
    }

    fn row(&mut self, cells: &[Cell]) {
        let line: Vec<String> = cells
            .iter()
            .map(|c| match c {
                Cell::Text(t) => cell(t),
                Cell::Number(n) => n.clone(),
            })
            .collect();
        self.0.push_str(&line.join(","));
        self.0.push_str("\r\n");
    }

    fn into_response(self, name: &str) -> Response {
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            self.0,
        )
            .into_response()
    }
}

enum Cell {
    Text(String),
    Number(String),
}

fn text(t: impl Into<String>) -> Cell {
    Cell::Text(t.into())
}

fn num<T: ToString>(n: Option<T>) -> Cell {
    Cell::Number(number(n))
}

// ------------------------------------------------------------ weekly, monthly

/// The local dates a report covers, both included.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PeriodJson {
    /// `YYYY-MM-DD`.
    pub start: String,
    /// `YYYY-MM-DD`.
    pub end: String,
    /// The IANA zone the dates are read in.
    pub time_zone: String,
}

impl From<Option<pb::Period>> for PeriodJson {
    fn from(p: Option<pb::Period>) -> Self {
        let p = p.unwrap_or_default();
        Self {
            start: p.start,
            end: p.end,
            time_zone: p.time_zone,
        }
    }
}

/// The headline figures. Rates and changes are fractions (`0.84` is 84%),
/// null when their denominator is 0 (docs/reports.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpiJson {
    pub attended_appointments: u32,
    /// Spec 000's name in the weekly report (absent in the monthly one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_vs_last_week: Option<Option<f64>>,
    /// The monthly report's name for the same figure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_vs_last_month: Option<Option<f64>>,
    pub change_vs_previous: Option<f64>,
    pub previous_attended_appointments: u32,
    pub attendance_rate: Option<f64>,
}

/// The period's leads, how fast they were reached and how many booked;
/// shares are fractions from 0 to 1 (docs/reports.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FunnelJson {
    pub new_leads: u32,
    pub speed_to_lead_under_5min_percentage: Option<f64>,
    /// The endpoint example's name for the same figure.
    pub speed_to_lead_under_5min: Option<f64>,
    pub contacted_same_day_percentage: Option<f64>,
    pub contacted_same_day: Option<f64>,
    pub booked_count: u32,
    pub booked: u32,
    pub booked_percentage: Option<f64>,
    pub conversion_lead_to_booking: Option<f64>,
    pub contacted: u32,
    pub median_speed_to_lead_seconds: Option<f64>,
}

impl From<pb::Funnel> for FunnelJson {
    fn from(f: pb::Funnel) -> Self {
        Self {
            new_leads: f.new_leads,
            speed_to_lead_under_5min_percentage: f.speed_to_lead_under_5min,
            speed_to_lead_under_5min: f.speed_to_lead_under_5min,
            contacted_same_day_percentage: f.contacted_same_day,
            contacted_same_day: f.contacted_same_day,
            booked_count: f.booked_count,
            booked: f.booked_count,
            booked_percentage: f.booked_percentage,
            conversion_lead_to_booking: f.booked_percentage,
            contacted: f.contacted,
            median_speed_to_lead_seconds: f.median_speed_to_lead_seconds,
        }
    }
}

/// Bookings created in the period (docs/reports.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookingsJson {
    pub created: u32,
    pub new_patients: u32,
    pub returning: u32,
    pub confirmed_percentage: Option<f64>,
}

/// Appointments whose time falls in the period, by outcome (docs/reports.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppointmentsJson {
    pub scheduled: u32,
    pub attended: u32,
    pub cancelled: u32,
    pub no_shows: u32,
    pub attendance_rate: Option<f64>,
    pub unrecorded: u32,
}

impl From<pb::Appointments> for AppointmentsJson {
    fn from(a: pb::Appointments) -> Self {
        Self {
            scheduled: a.scheduled,
            attended: a.attended,
            cancelled: a.cancelled,
            no_shows: a.no_shows,
            attendance_rate: a.attendance_rate,
            unrecorded: a.unrecorded,
        }
    }
}

/// Attended appointments by the channel that brought the patient
/// (docs/reports.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelJson {
    pub name: String,
    pub attended_count: u32,
    /// The endpoint example's name for the same figure.
    pub attended_appointments: u32,
    pub percentage: Option<f64>,
}

/// What needs a person's attention: cancellations, rescues, no-shows
/// (docs/reports.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttentionJson {
    pub cancellations: u32,
    pub high_urgency_cancellations: u32,
    pub rebooked: u32,
    pub still_in_rescue: u32,
    pub no_shows: u32,
}

/// Recalls sent and booked, and cancellations rebooked (docs/reports.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReactivationJson {
    pub recall_sent: u32,
    pub recall_booked: u32,
    pub recall_conversion_rate: Option<f64>,
    pub cancelled_rebooked: u32,
}

/// The period before, for comparison.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviousJson {
    pub period: PeriodJson,
    pub appointments: AppointmentsJson,
}

/// Spec 000's `WeeklyReport` (and the same over a month).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportJson {
    pub period: PeriodJson,
    pub kpi: KpiJson,
    pub funnel: FunnelJson,
    pub bookings: BookingsJson,
    pub appointments: AppointmentsJson,
    pub channels: Vec<ChannelJson>,
    pub attention_areas: AttentionJson,
    pub reactivation: ReactivationJson,
    pub insights: Vec<String>,
    pub previous: PreviousJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Week,
    Month,
}

fn report_json(r: pb::PeriodReport, span: Span) -> ReportJson {
    let kpi = r.kpi.unwrap_or_default();
    let bookings = r.bookings.unwrap_or_default();
    let attention = r.attention_areas.unwrap_or_default();
    let reactivation = r.reactivation.unwrap_or_default();
    ReportJson {
        period: r.period.into(),
        kpi: KpiJson {
            attended_appointments: kpi.attended_appointments,
            change_vs_last_week: (span == Span::Week).then_some(kpi.change_vs_previous),
            change_vs_last_month: (span == Span::Month).then_some(kpi.change_vs_previous),
            change_vs_previous: kpi.change_vs_previous,
            previous_attended_appointments: kpi.previous_attended_appointments,
            attendance_rate: kpi.attendance_rate,
        },
        funnel: r.funnel.unwrap_or_default().into(),
        bookings: BookingsJson {
            created: bookings.created,
            new_patients: bookings.new_patients,
            returning: bookings.returning,
            confirmed_percentage: bookings.confirmed_percentage,
        },
        appointments: r.appointments.unwrap_or_default().into(),
        channels: r
            .channels
            .into_iter()
            .map(|c| ChannelJson {
                attended_appointments: c.attended_count,
                attended_count: c.attended_count,
                name: c.name,
                percentage: c.percentage,
            })
            .collect(),
        attention_areas: AttentionJson {
            cancellations: attention.cancellations,
            high_urgency_cancellations: attention.high_urgency_cancellations,
            rebooked: attention.rebooked,
            still_in_rescue: attention.still_in_rescue,
            no_shows: attention.no_shows,
        },
        reactivation: ReactivationJson {
            recall_sent: reactivation.recall_sent,
            recall_booked: reactivation.recall_booked,
            recall_conversion_rate: reactivation.recall_conversion_rate,
            cancelled_rebooked: reactivation.cancelled_rebooked,
        },
        insights: r.insights,
        previous: PreviousJson {
            period: r.previous_period.into(),
            appointments: r.previous_appointments.unwrap_or_default().into(),
        },
    }
}

/// One row per figure (`section,figure,value,share`); a channel's row
/// carries its attended count and its share.
fn report_csv(r: &ReportJson) -> Csv {
    let mut csv = Csv::new(&["section", "figure", "value", "share"]);
    let mut row =
        |section: &str, figure: &str, value: Cell| csv.row(&[text(section), text(figure), value, num::<u8>(None)]);
    row("period", "start", text(&r.period.start));
    row("period", "end", text(&r.period.end));
    row("period", "time_zone", text(&r.period.time_zone));
    let k = &r.kpi;
    row("kpi", "attended_appointments", num(Some(k.attended_appointments)));
    row("kpi", "change_vs_previous", num(k.change_vs_previous));
    row(
        "kpi",
        "previous_attended_appointments",
        num(Some(k.previous_attended_appointments)),
    );
    row("kpi", "attendance_rate", num(k.attendance_rate));
    let f = &r.funnel;
    row("funnel", "new_leads", num(Some(f.new_leads)));
    row(
        "funnel",
        "speed_to_lead_under_5min_percentage",
        num(f.speed_to_lead_under_5min_percentage),
    );
    row(
        "funnel",
        "contacted_same_day_percentage",
        num(f.contacted_same_day_percentage),
    );
    row("funnel", "booked_count", num(Some(f.booked_count)));
    row("funnel", "booked_percentage", num(f.booked_percentage));
    row("funnel", "contacted", num(Some(f.contacted)));
    row(
        "funnel",
        "median_speed_to_lead_seconds",
        num(f.median_speed_to_lead_seconds),
    );
    let b = &r.bookings;
    row("bookings", "created", num(Some(b.created)));
    row("bookings", "new_patients", num(Some(b.new_patients)));
    row("bookings", "returning", num(Some(b.returning)));
    row("bookings", "confirmed_percentage", num(b.confirmed_percentage));
    let a = &r.appointments;
    row("appointments", "scheduled", num(Some(a.scheduled)));
    row("appointments", "attended", num(Some(a.attended)));
    row("appointments", "cancelled", num(Some(a.cancelled)));
    row("appointments", "no_shows", num(Some(a.no_shows)));
    row("appointments", "attendance_rate", num(a.attendance_rate));
    row("appointments", "unrecorded", num(Some(a.unrecorded)));
    let t = &r.attention_areas;
    row("attention_areas", "cancellations", num(Some(t.cancellations)));
    row(
        "attention_areas",
        "high_urgency_cancellations",
        num(Some(t.high_urgency_cancellations)),
    );
    row("attention_areas", "rebooked", num(Some(t.rebooked)));
    row("attention_areas", "still_in_rescue", num(Some(t.still_in_rescue)));
    row("attention_areas", "no_shows", num(Some(t.no_shows)));
    let x = &r.reactivation;
    row("reactivation", "recall_sent", num(Some(x.recall_sent)));
    row("reactivation", "recall_booked", num(Some(x.recall_booked)));
    row("reactivation", "recall_conversion_rate", num(x.recall_conversion_rate));
    row("reactivation", "cancelled_rebooked", num(Some(x.cancelled_rebooked)));
    for (i, insight) in r.insights.iter().enumerate() {
        row("insights", &(i + 1).to_string(), text(insight));
    }
    for c in &r.channels {
        csv.row(&[
            text("channels"),
            text(&c.name),
            num(Some(c.attended_count)),
            num(c.percentage),
        ]);
    }
    csv
}

fn answer(format: Format, json: ReportJson, name: &str) -> Response {
    match format {
        Format::Json => Json(json).into_response(),
        Format::Csv => report_csv(&json).into_response(name),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct WeekQuery {
    /// YYYY-MM-DD, a Monday; absent: the last full week.
    week_start: Option<String>,
    format: Option<String>,
}

/// `GET /api/reports/weekly?week_start=YYYY-MM-DD`.
#[utoipa::path(operation_id = "reports_weekly", get, path = "/api/reports/weekly", tag = "reports", params(WeekQuery), responses((status = 200, description = "The report: JSON, or CSV (`section,figure,value,share`) with `format=csv` or `Accept: text/csv`", content((ReportJson = "application/json"), (String = "text/csv"))), crate::openapi::Problems))]
async fn weekly(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    QueryParams(q): QueryParams<WeekQuery>,
) -> Result<Response, Problem> {
    caller.require_permission(Permission::ReportsRead)?;
    let format = format_of(q.format.as_deref(), &headers)?;
    let report = state
        .reports
        .clone()
        .weekly_report(request(
            pb::WeeklyReportRequest {
                week_start: q.week_start.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("reporting")?;
    let json = report_json(report, Span::Week);
    let name = format!("weekly-report-{}", json.period.start);
    Ok(answer(format, json, &name))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct MonthQuery {
    /// YYYY-MM; absent: the last full month.
    month: Option<String>,
    format: Option<String>,
}

/// `GET /api/reports/monthly?month=YYYY-MM`.
#[utoipa::path(operation_id = "reports_monthly", get, path = "/api/reports/monthly", tag = "reports", params(MonthQuery), responses((status = 200, description = "The report: JSON, or CSV (`section,figure,value,share`) with `format=csv` or `Accept: text/csv`", content((ReportJson = "application/json"), (String = "text/csv"))), crate::openapi::Problems))]
async fn monthly(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    QueryParams(q): QueryParams<MonthQuery>,
) -> Result<Response, Problem> {
    caller.require_permission(Permission::ReportsRead)?;
    let format = format_of(q.format.as_deref(), &headers)?;
    let report = state
        .reports
        .clone()
        .monthly_report(request(
            pb::MonthlyReportRequest {
                month: q.month.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("reporting")?;
    let json = report_json(report, Span::Month);
    let name = format!("monthly-report-{}", json.period.start.get(..7).unwrap_or_default());
    Ok(answer(format, json, &name))
}

// ------------------------------------------------------------ KPIs

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RangeQuery {
    /// YYYY-MM-DD, both included.
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// One of spec 000's success metrics against its target (docs/reports.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MetricJson {
    pub name: String,
    pub value: Option<f64>,
    pub target: f64,
    pub comparison: String,
    pub met: bool,
    pub numerator: u32,
    pub denominator: u32,
    pub unit: String,
}

/// Spec 000's success metrics over a range of dates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KpisJson {
    pub period: PeriodJson,
    pub attended_appointments: u32,
    pub metrics: Vec<MetricJson>,
}

/// `GET /api/reports/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD`: spec 000's success metrics.
#[utoipa::path(operation_id = "reports_kpis", get, path = "/api/reports/kpis", tag = "reports", params(RangeQuery), responses((status = 200, description = "The KPIs: JSON, or CSV (a row per metric) with `format=csv` or `Accept: text/csv`", content((KpisJson = "application/json"), (String = "text/csv"))), crate::openapi::Problems))]
async fn kpis(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    QueryParams(q): QueryParams<RangeQuery>,
) -> Result<Response, Problem> {
    caller.require_permission(Permission::ReportsRead)?;
    let format = format_of(q.format.as_deref(), &headers)?;
    let r = state
        .reports
        .clone()
        .kpis(request(
            pb::KpisRequest {
                from: q.from.unwrap_or_default(),
                to: q.to.unwrap_or_default(),
            },
            &caller,
        ))
        .await
        .into_answer("reporting")?;
    let json = KpisJson {
        period: r.period.into(),
        attended_appointments: r.attended_appointments,
        metrics: r
            .metrics
            .into_iter()
            .map(|m| MetricJson {
                name: m.name,
                value: m.value,
                target: m.target,
                comparison: m.comparison,
                met: m.met,
                numerator: m.numerator,
                denominator: m.denominator,
                unit: m.unit,
            })
            .collect(),
    };
    if format == Format::Json {
        return Ok(Json(json).into_response());
    }
    let mut csv = Csv::new(&[
        "metric",
        "value",
        "target",
        "comparison",
        "met",
        "numerator",
        "denominator",
        "unit",
    ]);
    csv.row(&[
        text("attended_appointments"),
        num(Some(json.attended_appointments)),
        num::<u8>(None),
        text(""),
        text(""),
        num::<u8>(None),
        num::<u8>(None),
        text("count"),
    ]);
    for m in &json.metrics {
        csv.row(&[
            text(&m.name),
            num(m.value),
            num(Some(m.target)),
            text(&m.comparison),
            text(m.met.to_string()),
            num(Some(m.numerator)),
            num(Some(m.denominator)),
            text(&m.unit),
        ]);
    }
    Ok(csv.into_response(&format!("kpis-{}-{}", json.period.start, json.period.end)))
}

// ------------------------------------------------------------ pipelines

/// One stage of a pipeline over the range (docs/reports.md).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StageJson {
    pub stage: String,
    pub name: Option<String>,
    pub contacts_now: u32,
    pub entered: u32,
    pub moved_to_next: u32,
    pub conversion_to_next: Option<f64>,
    pub median_seconds_in_stage: Option<f64>,
    pub stays_ended: u32,
}

/// One pipeline's stages in board order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PipelineJson {
    pub pipeline: String,
    pub name: Option<String>,
    pub stages: Vec<StageJson>,
}

/// The pipeline funnel over a range of dates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PipelinesJson {
    pub period: PeriodJson,
    pub pipelines: Vec<PipelineJson>,
}

/// `GET /api/reports/pipelines?from=&to=`: per pipeline, contacts per
/// stage now, conversion between consecutive stages and median stays.
#[utoipa::path(operation_id = "reports_pipelines", get, path = "/api/reports/pipelines", tag = "reports", params(RangeQuery), responses((status = 200, description = "The funnel: JSON, or CSV (a row per stage) with `format=csv` or `Accept: text/csv`", content((PipelinesJson = "application/json"), (String = "text/csv"))), crate::openapi::Problems))]
async fn pipelines(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    headers: HeaderMap,
    QueryParams(q): QueryParams<RangeQuery>,
) -> Result<Response, Problem> {
    caller.require_permission(Permission::ReportsRead)?;
    let format = format_of(q.format.as_deref(), &headers)?;
    let defined = state
        .contacts
        .clone()
        .list_pipelines(request(contact::ListPipelinesRequest {}, &caller))
        .await
        .into_answer("contact")?
        .pipelines;
    let r = state
        .reports
        .clone()
        .pipeline_report(request(
            pb::PipelineReportRequest {
                from: q.from.unwrap_or_default(),
                to: q.to.unwrap_or_default(),
                pipelines: defined
                    .iter()
                    .map(|p| pb::PipelineStages {
                        pipeline: p.id.clone(),
                        stages: p.stages.iter().map(|s| s.id.clone()).collect(),
                    })
                    .collect(),
            },
            &caller,
        ))
        .await
        .into_answer("reporting")?;
    let json = PipelinesJson {
        period: r.period.into(),
        pipelines: r
            .pipelines
            .into_iter()
            .map(|p| {
                let def = defined.iter().find(|d| d.id == p.pipeline);
                PipelineJson {
                    name: def.map(|d| d.name.clone()),
                    stages: p
                        .stages
                        .into_iter()
                        .map(|s| StageJson {
                            name: def
                                .and_then(|d| d.stages.iter().find(|x| x.id == s.stage))
                                .map(|x| x.name.clone()),
                            stage: s.stage,
                            contacts_now: s.contacts_now,
                            entered: s.entered,
                            moved_to_next: s.moved_to_next,
                            conversion_to_next: s.conversion_to_next,
                            median_seconds_in_stage: s.median_seconds_in_stage,
                            stays_ended: s.stays_ended,
                        })
                        .collect(),
                    pipeline: p.pipeline,
                }
            })
            .collect(),
    };
    if format == Format::Json {
        return Ok(Json(json).into_response());
    }
    let mut csv = Csv::new(&[
        "pipeline",
        "stage",
        "contacts_now",
        "entered",
        "moved_to_next",
        "conversion_to_next",
        "median_seconds_in_stage",
        "stays_ended",
    ]);
    for p in &json.pipelines {
        for s in &p.stages {
            csv.row(&[
                text(&p.pipeline),
                text(&s.stage),
                num(Some(s.contacts_now)),
                num(Some(s.entered)),
                num(Some(s.moved_to_next)),
                num(s.conversion_to_next),
                num(s.median_seconds_in_stage),
                num(Some(s.stays_ended)),
            ]);
        }
    }
    Ok(csv.into_response(&format!("pipelines-{}-{}", json.period.start, json.period.end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("Meta Ads"), "Meta Ads");
        assert_eq!(cell("Ads, Meta"), "\"Ads, Meta\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("@sum"), "'@sum");
    }

    #[test]
    fn csv_is_asked_for_by_query_or_accept() {
        let mut h = HeaderMap::new();
        assert_eq!(format_of(None, &h).unwrap(), Format::Json);
        assert_eq!(format_of(Some("csv"), &h).unwrap(), Format::Csv);
        h.insert(header::ACCEPT, "application/json;q=0.5, text/csv".parse().unwrap());
        assert_eq!(format_of(None, &h).unwrap(), Format::Csv);
        assert_eq!(format_of(Some("json"), &h).unwrap(), Format::Json);
        assert!(format_of(Some("xlsx"), &h).is_err());
    }

    #[test]
    fn an_empty_report_writes_null_rates_as_empty_cells() {
        let json = report_json(pb::PeriodReport::default(), Span::Week);
        let csv = report_csv(&json).0;
        assert!(csv.starts_with("section,figure,value,share\r\n"), "{csv}");
        assert!(csv.contains("\r\nkpi,change_vs_previous,,\r\n"), "{csv}");
        assert!(csv.contains("\r\nappointments,attended,0,\r\n"), "{csv}");
        let value = serde_json::to_value(&json).unwrap();
        assert_eq!(value["kpi"]["change_vs_last_week"], serde_json::Value::Null);
        assert!(value["kpi"].get("change_vs_last_month").is_none());
    }
}

/// This module's routes in the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(weekly, monthly, kpis, pipelines))]
pub struct Api;
