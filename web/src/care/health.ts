/** A health-log week as the charts and tables read it (pure). */
import type { HealthLog, HealthWeek } from '../api/types';
import { dayLabel } from './calendar';

export const VITAL_CHARTS = [
  { id: 'blood-pressure', title: 'Blood pressure', series: ['systolic', 'diastolic'], unit: 'mmHg' },
  { id: 'heart-rate', title: 'Heart rate', series: ['heart_rate'], unit: 'bpm' },
  { id: 'temperature', title: 'Temperature', series: ['temperature'], unit: '°C' },
  { id: 'weight', title: 'Weight', series: ['weight'], unit: 'kg' },
] as const;

export type ChartRow = { date: string; label: string } & Record<string, number | null | string>;

/** One row per day (Monday first) with each series' value, null for a gap. */
export function chartRows(week: Pick<HealthWeek, 'days' | 'series'>): ChartRow[] {
  return week.days.map((d, i) => {
    const row: ChartRow = { date: d.date, label: dayLabel(d.date) };
    for (const [name, s] of Object.entries(week.series)) {
      const point = s.points.find((p) => p.date === d.date) ?? s.points[i];
      row[name] = point?.value ?? null;
    }
    return row;
  });
}

/** A chart's value on a day, in words ("138/84 mmHg", "No reading"). */
export function chartValue(row: ChartRow, series: readonly string[], unit: string): string {
  const values = series.map((s) => row[s]);
  if (values.some((v) => v === null || v === undefined)) return 'No reading';
  return `${values.map((v) => round(Number(v))).join('/')} ${unit}`;
}

/** "6 of 7 days recorded; latest 138/84 mmHg on Sun 12 Jan." */
export function chartSummary(rows: ChartRow[], series: readonly string[], unit: string): string {
  const recorded = rows.filter((r) => chartValue(r, series, unit) !== 'No reading');
  const latest = recorded[recorded.length - 1];
  if (!latest) return 'No readings this week.';
  return `${recorded.length} of ${rows.length} days recorded; latest ${chartValue(latest, series, unit)} on ${latest.label}.`;
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** The day's vital signs in words, with their units (each "No reading" when not taken). */
export function vitalsInWords(log: HealthLog): { name: string; value: string }[] {
  const v = log.vital_signs;
  const reading = (r: { value: number; unit: string } | null | undefined) => (r ? `${round(r.value)} ${r.unit === 'C' || r.unit === 'F' ? `°${r.unit}` : r.unit}` : 'No reading');
  return [
    { name: 'Blood pressure', value: v.blood_pressure ? `${v.blood_pressure.systolic}/${v.blood_pressure.diastolic} ${v.blood_pressure.unit || 'mmHg'}` : 'No reading' },
    { name: 'Heart rate', value: reading(v.heart_rate) },
    { name: 'Temperature', value: reading(v.temperature) },
    { name: 'Weight', value: reading(v.weight) },
  ];
}

/** "one, two\nthree" → ["one", "two", "three"]: a list typed in one box. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A number from a form box: empty is null (not taken), otherwise the number (NaN stays, for the API to refuse). */
export function numberOrNull(text: string): number | null {
  return text.trim() === '' ? null : Number(text);
}
