/**
 * The business hours editor's logic, kept apart from the form so it can be
 * tested: the week as the form holds it, the body `PUT
 * /api/admin/settings/business-hours` takes, and where each of the API's
 * refusals belongs (`business_hours[1][0]` is Tuesday's first interval).
 *
 * The API checks the hours (HH:MM, opens before it closes, no overlaps);
 * the form does not repeat those rules, it shows the API's words beside the
 * interval they name. Intervals are sent in the order they are shown, so
 * the indexes in a refusal are the rows on screen.
 */
import type { FieldProblem } from '../api/problem';
import type { BusinessHoursBody } from '../api/types';

export const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

export interface Interval {
  opens: string;
  closes: string;
}

/** Seven days, Monday first; a day with no intervals is closed. */
export type Week = Interval[][];

/** The saved hours as the form edits them (always seven days). */
export function weekOf(saved: string[][][]): Week {
  return DAYS.map((_, d) => (saved[d] ?? []).map(([opens = '', closes = '']) => ({ opens, closes })));
}

/** What the API takes: every day, even unchanged ones (it replaces the week). */
export function bodyOf(week: Week): BusinessHoursBody {
  return { business_hours: week.map((day) => day.map((i) => [i.opens, i.closes])) };
}

export function isChanged(saved: string[][][], week: Week): boolean {
  return JSON.stringify(bodyOf(weekOf(saved)).business_hours) !== JSON.stringify(bodyOf(week).business_hours);
}

/** The request's name for an interval, as the API's refusals spell it. */
export function fieldOf(day: number, interval: number): string {
  return `business_hours[${day}][${interval}]`;
}

const MINUTES_IN_DAY = 24 * 60;

function minutesOf(hhmm: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes < MINUTES_IN_DAY ? minutes : null;
}

function hhmmOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * A new interval for a day: 09:00–17:00 on a closed day, else the hour after
 * the day's last interval closes (touching is not overlapping), kept within
 * the day. The admin changes it to what they mean.
 */
export function nextInterval(day: readonly Interval[]): Interval {
  const last = day[day.length - 1];
  const from = last ? minutesOf(last.closes) : null;
  if (from === null) return { opens: '09:00', closes: '17:00' };
  const end = MINUTES_IN_DAY - 1;
  return { opens: hhmmOf(Math.min(from, end)), closes: hhmmOf(Math.min(from + 60, end)) };
}

/** "09:00–12:30, 13:30–17:00", or "Closed". */
export function describeDay(day: readonly Interval[]): string {
  return day.length === 0 ? 'Closed' : day.map((i) => `${i.opens}–${i.closes}`).join(', ');
}

export interface PlacedErrors {
  /** By `fieldOf(day, interval)`: the API's reason, shown under that interval. */
  intervals: Record<string, string>;
  /** By day (0 = Monday): a reason about the day as a whole. */
  days: Record<number, string>;
  /** What no row can show (the week as a whole, or a field this form doesn't have). */
  rest: FieldProblem[];
}

const FIELD = /^business_hours\[(\d+)\](?:\[(\d+)\])?/;

/**
 * Sorts the API's field refusals to the rows they name. A field deeper than
 * an interval (`business_hours[1][0][1]`, one of its times) belongs to that
 * interval; an index the form doesn't show, and `business_hours` itself (the
 * wrong number of days), go to the form's general error area.
 */
export function placeErrors(fields: readonly FieldProblem[], week: Week): PlacedErrors {
  const placed: PlacedErrors = { intervals: {}, days: {}, rest: [] };
  for (const f of fields) {
    const m = FIELD.exec(f.field);
    const day = m ? Number(m[1]) : NaN;
    const interval = m?.[2] !== undefined ? Number(m[2]) : undefined;
    if (!m || !week[day]) {
      placed.rest.push(f);
    } else if (interval === undefined) {
      placed.days[day] = placed.days[day] ?? f.reason;
    } else if (interval < week[day].length) {
      const key = fieldOf(day, interval);
      placed.intervals[key] = placed.intervals[key] ?? f.reason;
    } else {
      placed.rest.push(f);
    }
  }
  return placed;
}

/** "Tuesday, interval 1" for `business_hours[1][0]`: how the summary names a row. */
export function describeField(field: string): string {
  const m = FIELD.exec(field);
  if (!m) return field === 'business_hours' ? 'The week' : field;
  const day = DAYS[Number(m[1])] ?? `Day ${Number(m[1]) + 1}`;
  return m[2] === undefined ? day : `${day}, interval ${Number(m[2]) + 1}`;
}
