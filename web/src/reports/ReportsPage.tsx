/**
 * Reports: spec 000's weekly and monthly reports for a chosen period —
 * KPI tiles, the attended trend, the lead funnel and the channels — and
 * the same report as CSV.
 */
import { useMemo, useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import type { Report } from '../api/types';
import { Button, ErrorAlert, Field, fieldClass, Loading, LoadFailed } from '../ui/controls';
import { zoneName } from '../ui/time';
import { downloadCsv, useReport, useReports } from './api';
import { BarsChart, TrendChart, type Point } from './Charts';
import { defaultPeriod, periodLabel, recentMonths, recentWeeks, shortDate, today, trendPeriods, type ReportKind } from './period';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${Math.round(v * 10) / 10}%`);

function Tile({ label, value, note }: { label: string; value: string | number; note?: string }) {
  return (
    <div className="rounded-lg border border-slate-300 bg-white px-3 py-2">
      <dt className="text-sm font-medium text-slate-800">{label}</dt>
      <dd className="text-2xl font-bold text-slate-900">{value}</dd>
      {note && <dd className="text-xs text-slate-700">{note}</dd>}
    </div>
  );
}

function change(v: number | null | undefined, span: string): string {
  if (v === null || v === undefined) return `no ${span} to compare`;
  const r = Math.round(v * 10) / 10;
  return `${r > 0 ? '+' : ''}${r}% vs last ${span}`;
}

export function ReportsPage() {
  const [params, setParams] = useSearchParams();
  const kind: ReportKind = params.get('kind') === 'monthly' ? 'monthly' : 'weekly';
  const now = useMemo(() => today(), []);
  const options = kind === 'weekly' ? recentWeeks(26, now) : recentMonths(24, now);
  const period = params.get('period') && options.includes(params.get('period')!) ? params.get('period')! : defaultPeriod(kind, now);
  const report = useReport(kind, period);
  const span = kind === 'weekly' ? 'week' : 'month';
  const trendKeys = trendPeriods(kind, period, kind === 'weekly' ? 8 : 6);
  const trend = useReports(kind, trendKeys);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);

  const trendPoints: Point[] = trendKeys.map((p, i) => ({
    label: kind === 'weekly' ? shortDate(p) : periodLabel('monthly', p).replace(/ \d{4}$/, ''),
    value: trend[i]?.data?.kpi.attended_appointments ?? null,
  }));

  return (
    <div className="space-y-5">
      <h1 className="text-2xl font-bold text-slate-900">Reports</h1>

      <form className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-300 bg-white p-4" onSubmit={(e) => e.preventDefault()} aria-label="Choose a report">
        <fieldset>
          <legend className="text-sm font-medium text-slate-800">Report</legend>
          <div className="mt-1 inline-flex rounded-md border border-slate-400">
            {(['weekly', 'monthly'] as const).map((k) => (
              <button
                key={k}
                type="button"
                aria-pressed={kind === k}
                onClick={() => setParams({ kind: k }, { replace: true })}
                className={`min-h-11 px-4 text-sm font-semibold first:rounded-l-md last:rounded-r-md ${kind === k ? 'bg-teal-800 text-white' : 'bg-white text-slate-900 hover:bg-slate-100'}`}
              >
                {k === 'weekly' ? 'Weekly' : 'Monthly'}
              </button>
            ))}
          </div>
        </fieldset>
        <div className="w-full sm:w-64">
          <Field label={kind === 'weekly' ? 'Week' : 'Month'}>
            {(p) => (
              <select {...p} value={period} onChange={(e) => setParams({ kind, period: e.target.value }, { replace: true })} className={fieldClass()}>
                {options.map((o, i) => (
                  <option key={o} value={o}>
                    {periodLabel(kind, o)}
                    {i === 0 ? ' (so far)' : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <Button
          variant="primary"
          className="sm:ml-auto"
          disabled={downloading}
          onClick={() => {
            setDownloading(true);
            setDownloadError(null);
            downloadCsv(kind, period)
              .catch(setDownloadError)
              .finally(() => setDownloading(false));
          }}
        >
          {downloading ? 'Preparing CSV…' : 'Download CSV'}
        </Button>
      </form>
      {downloadError ? <ErrorAlert error={downloadError} title="The CSV could not be downloaded" /> : null}

      {report.isPending ? (
        <Loading label="Loading the report…" />
      ) : report.isError ? (
        <LoadFailed error={report.error} title="Could not load the report" onRetry={() => void report.refetch()} />
      ) : (
        <ReportBody report={report.data} kind={kind} span={span} trend={<TrendChart points={trendPoints} unit={span} />} />
      )}
    </div>
  );
}

function ReportBody({ report: r, kind, span, trend }: { report: Report; kind: ReportKind; span: string; trend: ReactNode }) {
  const funnel: Point[] = [
    { label: 'New leads', value: r.funnel.new_leads },
    { label: 'Contacted', value: r.funnel.contacted },
    { label: 'Booked', value: r.funnel.booked_count },
  ];
  const channels: Point[] = r.channels.map((c) => ({ label: c.name, value: c.attended_count }));
  return (
    <>
      <p className="text-slate-800">
        {periodLabel(kind, kind === 'weekly' ? r.period.start : r.period.start.slice(0, 7))}: {r.period.start} to {r.period.end}
        {r.period.time_zone ? ` (${zoneName(r.period.time_zone)})` : ''}
      </p>

      <section aria-labelledby="kpi-heading">
        <h2 id="kpi-heading" className="mb-2 text-lg font-semibold text-slate-900">
          Key figures
        </h2>
        <dl className="grid grid-cols-2 gap-2 md:grid-cols-4">
          <Tile label="Attended" value={r.kpi.attended_appointments} note={change(r.kpi.change_vs_previous, span)} />
          <Tile label="Attendance rate" value={pct(r.kpi.attendance_rate)} note={`${r.appointments.scheduled} scheduled`} />
          <Tile label="New leads" value={r.funnel.new_leads} note={`${pct(r.funnel.speed_to_lead_under_5min_percentage)} reached in 5 min`} />
          <Tile label="Booked" value={r.funnel.booked_count} note={`${pct(r.funnel.booked_percentage)} of leads`} />
          <Tile label="No-shows" value={r.appointments.no_shows} />
          <Tile label="Cancellations" value={r.appointments.cancelled} note={`${r.attention_areas.rebooked} rebooked`} />
          <Tile label="Bookings made" value={r.bookings.created} note={`${r.bookings.new_patients} new, ${r.bookings.returning} returning`} />
          <Tile label="Recalls booked" value={r.reactivation.recall_booked} note={`of ${r.reactivation.recall_sent} sent`} />
        </dl>
      </section>

      <section aria-labelledby="charts-heading" className="space-y-3">
        <h2 id="charts-heading" className="text-lg font-semibold text-slate-900">
          Charts
        </h2>
        {trend}
        <div className="grid gap-3 lg:grid-cols-2">
          <BarsChart id="funnel" title="Lead funnel" points={funnel} head={['Step', 'Contacts']} empty="No leads arrived in this period." />
          <BarsChart id="channels" title="Attended by channel" points={channels} head={['Channel', 'Attended']} empty="No attended appointments to attribute in this period." />
        </div>
      </section>

      <section aria-labelledby="attention-heading" className="grid gap-3 md:grid-cols-2">
        <div className="rounded-lg border border-slate-300 bg-white p-4">
          <h2 id="attention-heading" className="mb-2 text-lg font-semibold text-slate-900">
            Needs attention
          </h2>
          <ul className="space-y-1 text-sm text-slate-800">
            <li>{r.attention_areas.cancellations} cancellations ({r.attention_areas.high_urgency_cancellations} high urgency)</li>
            <li>{r.attention_areas.still_in_rescue} still being rescued, {r.attention_areas.rebooked} rebooked</li>
            <li>{r.attention_areas.no_shows} no-shows</li>
            <li>{r.appointments.unrecorded} appointments with no outcome recorded</li>
          </ul>
        </div>
        <div className="rounded-lg border border-slate-300 bg-white p-4">
          <h2 className="mb-2 text-lg font-semibold text-slate-900">Insights</h2>
          {r.insights.length === 0 ? (
            <p className="text-sm text-slate-700">No insights for this period.</p>
          ) : (
            <ul className="list-disc space-y-1 pl-5 text-sm text-slate-800">
              {r.insights.map((t, i) => (
                <li key={i}>{t}</li>
              ))}
            </ul>
          )}
        </div>
      </section>
    </>
  );
}
