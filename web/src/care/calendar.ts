/**
 * Calendar arithmetic for the portal's health-log weeks and appointment
 * views. Everything works on the client's *local dates* (`YYYY-MM-DD`, as
 * the API gives and takes them) and wall-clock times, never on the
 * browser's zone: a date is held as midnight UTC and formatted in UTC, so
 * the digits never move. Weeks run Monday to Sunday, as the API's do.
 */

export type CalendarView = 'month' | 'week' | 'day';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` → a Date at midnight UTC (or null). */
export function parseDate(date: string): Date | null {
  const m = ISO_DATE.exec(date);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCDate() === Number(m[3]) ? d : null;
}

function mustParse(date: string): Date {
  const d = parseDate(date);
  if (!d) throw new RangeError(`not a date: ${date}`);
  return d;
}

/** A Date's UTC calendar day as `YYYY-MM-DD`. */
export function formatDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const d = mustParse(date);
  d.setUTCDate(d.getUTCDate() + days);
  return formatDate(d);
}

/** The same day of another month, clamped to that month's end (31 Jan + 1 → 28/29 Feb). */
export function addMonths(date: string, months: number): string {
  const d = mustParse(date);
  const day = d.getUTCDate();
  const first = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(day, last));
  return formatDate(first);
}

/** 0 for Monday … 6 for Sunday. */
export function weekdayIndex(date: string): number {
  return (mustParse(date).getUTCDay() + 6) % 7;
}

/** The Monday of the date's week. */
export function weekStart(date: string): string {
  return addDays(date, -weekdayIndex(date));
}

/** The Sunday of the date's week. */
export function weekEnd(date: string): string {
  return addDays(weekStart(date), 6);
}

/** The seven dates of the date's week, Monday first. */
export function weekDates(date: string): string[] {
  const monday = weekStart(date);
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
}

export function monthStart(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

export function monthEnd(date: string): string {
  return addDays(addMonths(monthStart(date), 1), -1);
}

export interface GridDay {
  date: string;
  /** False for the leading and trailing days of the neighbouring months. */
  inMonth: boolean;
}

/**
 * The month as whole weeks, Monday first: the leading days of the
 * previous month and the trailing days of the next fill the first and
 * last weeks.
 */
export function monthGrid(date: string): GridDay[][] {
  const month = date.slice(0, 7);
  const first = weekStart(monthStart(date));
  const last = weekEnd(monthEnd(date));
  const weeks: GridDay[][] = [];
  for (let day = first; day <= last; day = addDays(day, 7)) {
    weeks.push(Array.from({ length: 7 }, (_, i) => {
      const d = addDays(day, i);
      return { date: d, inMonth: d.slice(0, 7) === month };
    }));
  }
  return weeks;
}

/** The local dates (inclusive) a view around `anchor` shows: what to ask the API for. */
export function rangeFor(view: CalendarView, anchor: string): { from: string; to: string } {
  switch (view) {
    case 'day':
      return { from: anchor, to: anchor };
    case 'week':
      return { from: weekStart(anchor), to: weekEnd(anchor) };
    case 'month': {
      // The whole grid, so the neighbouring months' days show theirs too.
      const grid = monthGrid(anchor);
      return { from: grid[0]![0]!.date, to: grid[grid.length - 1]![6]!.date };
    }
  }
}

/** The anchor one view earlier (-1) or later (+1). */
export function step(view: CalendarView, anchor: string, direction: -1 | 1): string {
  switch (view) {
    case 'day':
      return addDays(anchor, direction);
    case 'week':
      return addDays(anchor, 7 * direction);
    case 'month':
      return addMonths(anchor, direction);
  }
}

/** Today's date on a zone's clock (the client's), whatever the browser's zone. */
export function todayIn(zone: string | undefined, now: Date = new Date()): string {
  try {
    // en-CA formats as YYYY-MM-DD.
    return new Intl.DateTimeFormat('en-CA', { timeZone: zone || undefined, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return formatDate(now);
  }
}

const LOCAL_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})/;

/** The local date and `HH:MM` of an RFC 3339 wall-clock time, digits untouched. */
export function localParts(rfc3339: string): { date: string; time: string } | null {
  const m = LOCAL_TIME.exec(rfc3339);
  return m ? { date: m[1]!, time: `${m[2]}:${m[3]}` } : null;
}

/** Items placed on their local dates, each day's in time order. */
export function byLocalDate<T extends { starts_local: string }>(items: T[]): Map<string, T[]> {
  const days = new Map<string, T[]>();
  for (const item of [...items].sort((a, b) => a.starts_local.localeCompare(b.starts_local))) {
    const date = localParts(item.starts_local)?.date;
    if (!date) continue;
    const list = days.get(date);
    if (list) list.push(item);
    else days.set(date, [item]);
  }
  return days;
}

const fmt = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-AU', { ...options, timeZone: 'UTC' });
const DAY = fmt({ weekday: 'short', day: 'numeric', month: 'short' });
const LONG_DAY = fmt({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const MONTH = fmt({ month: 'long', year: 'numeric' });
const WEEKDAY = fmt({ weekday: 'short' });

/** "Tue 14 Jan". */
export function dayLabel(date: string): string {
  const d = parseDate(date);
  return d ? DAY.format(d) : date;
}

/** "Tuesday 14 January 2025". */
export function longDayLabel(date: string): string {
  const d = parseDate(date);
  return d ? LONG_DAY.format(d) : date;
}

/** "January 2025". */
export function monthLabel(date: string): string {
  const d = parseDate(date);
  return d ? MONTH.format(d) : date;
}

/** "Mon". */
export function weekdayLabel(date: string): string {
  const d = parseDate(date);
  return d ? WEEKDAY.format(d) : date;
}

/** What a view shows, in words: "January 2025", "Mon 13 Jan – Sun 19 Jan", "Tuesday 14 January 2025". */
export function viewLabel(view: CalendarView, anchor: string): string {
  if (view === 'month') return monthLabel(anchor);
  if (view === 'day') return longDayLabel(anchor);
  return `${dayLabel(weekStart(anchor))} – ${dayLabel(weekEnd(anchor))}`;
}

/** "09:30" → "9:30 am". */
export function timeLabel(hhmm: string): string {
  const m = /^(\d{2}):(\d{2})/.exec(hhmm);
  if (!m) return hhmm;
  const h = Number(m[1]);
  return `${h % 12 === 0 ? 12 : h % 12}:${m[2]} ${h < 12 ? 'am' : 'pm'}`;
}

/** "45 min", "1 hr", "1 hr 30 min". */
export function durationLabel(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? `${h} hr` : '', m ? `${m} min` : ''].filter(Boolean).join(' ') || '0 min';
}

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** Weekly schedule items in week order (Monday first), then by time. */
export function sortWeekly<T extends { day_of_week: string; time: string }>(items: T[]): T[] {
  const order = (d: string) => {
    const i = WEEKDAYS.indexOf(d.toLowerCase() as (typeof WEEKDAYS)[number]);
    return i < 0 ? 7 : i;
  };
  return [...items].sort((a, b) => order(a.day_of_week) - order(b.day_of_week) || a.time.localeCompare(b.time));
}
