/**
 * The report periods the picker offers (routes/reports.rs): a week is
 * named by its Monday (`week_start=YYYY-MM-DD`), a month by `YYYY-MM`.
 * Dates here are calendar dates, not instants: they are built and printed
 * in UTC so no zone can shift a day.
 */

export type ReportKind = 'weekly' | 'monthly';

const pad = (n: number) => String(n).padStart(2, '0');

/** A calendar date as YYYY-MM-DD. */
export function isoDate(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Today's calendar date where the browser is, as a UTC-midnight Date. */
export function today(now = new Date()): Date {
  return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
}

function parseDate(iso: string): Date {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1));
}

/** The Monday on or before a date. */
export function mondayOf(date: Date): Date {
  const back = (date.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return new Date(date.getTime() - back * 86_400_000);
}

export function addDays(iso: string, days: number): string {
  return isoDate(new Date(parseDate(iso).getTime() + days * 86_400_000));
}

/** The last `n` weeks' Mondays, the current week first. */
export function recentWeeks(n: number, day: Date): string[] {
  const monday = isoDate(mondayOf(day));
  return Array.from({ length: n }, (_, i) => addDays(monday, -7 * i));
}

/** The last `n` months as YYYY-MM, the current month first. */
export function recentMonths(n: number, day: Date): string[] {
  const y = day.getUTCFullYear();
  const m = day.getUTCMonth();
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(y, m - i, 1));
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
  });
}

/** The period the API reports by default: the last complete week or month. */
export function defaultPeriod(kind: ReportKind, day: Date): string {
  return kind === 'weekly' ? recentWeeks(2, day)[1]! : recentMonths(2, day)[1]!;
}

const WEEK = new Intl.DateTimeFormat('en-AU', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const MONTH = new Intl.DateTimeFormat('en-AU', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const SHORT = new Intl.DateTimeFormat('en-AU', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** "Week of 23 Nov 2026" or "November 2026". */
export function periodLabel(kind: ReportKind, period: string): string {
  return kind === 'weekly' ? `Week of ${WEEK.format(parseDate(period))}` : MONTH.format(parseDate(`${period}-01`));
}

/** "23 Nov" — a week's Monday on a chart axis. */
export function shortDate(iso: string): string {
  return SHORT.format(parseDate(iso));
}

/** The query string for a report (and its CSV). */
export function reportQuery(kind: ReportKind, period: string, csv = false): string {
  const q = new URLSearchParams(kind === 'weekly' ? { week_start: period } : { month: period });
  if (csv) q.set('format', 'csv');
  return `/api/reports/${kind}?${q.toString()}`;
}

/** attend-weekly-2026-11-23.csv, attend-monthly-2026-11.csv */
export function csvFilename(kind: ReportKind, period: string): string {
  return `attend-${kind}-${period}.csv`;
}

/** The `n` periods ending with `period`, oldest first (the attended trend). */
export function trendPeriods(kind: ReportKind, period: string, n: number): string[] {
  if (kind === 'weekly') return Array.from({ length: n }, (_, i) => addDays(period, -7 * (n - 1 - i)));
  return recentMonths(n, parseDate(`${period}-01`)).reverse();
}
