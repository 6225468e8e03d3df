/**
 * The report's charts (recharts). Each is a figure with a caption, a
 * one-sentence summary for screen readers (the drawing itself is hidden
 * from them) and the figures as a table.
 */
import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, LabelList, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface Point {
  label: string;
  value: number | null;
}

const TEAL = '#115e59'; // teal-800: 7:1 on white
const AXIS = { fontSize: 12, fill: '#334155' }; // slate-700

function Figure({ id, title, summary, children, table }: { id: string; title: string; summary: string; children: ReactNode; table: ReactNode }) {
  return (
    <figure aria-labelledby={`${id}-caption`} className="rounded-lg border border-slate-300 bg-white p-4" data-testid={`chart-${id}`}>
      <figcaption id={`${id}-caption`} className="text-base font-semibold text-slate-900">
        {title}
      </figcaption>
      <p className="mb-2 text-sm text-slate-700">{summary}</p>
      <div role="img" aria-label={summary} className="h-56 w-full">
        {children}
      </div>
      <details className="mt-2 text-sm">
        <summary className="cursor-pointer font-medium text-teal-900">Show the figures</summary>
        {table}
      </details>
    </figure>
  );
}

function Table({ caption, head, rows }: { caption: string; head: [string, string]; rows: Point[] }) {
  return (
    <table className="mt-2 w-full text-left">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col" className="py-1 font-medium">{head[0]}</th>
          <th scope="col" className="py-1 text-right font-medium">{head[1]}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.label} className="border-t border-slate-200">
            <th scope="row" className="py-1 font-normal">{r.label}</th>
            <td className="py-1 text-right tabular-nums">{r.value ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TrendChart({ points, unit }: { points: Point[]; unit: string }) {
  const known = points.filter((p) => p.value !== null);
  const first = known[0];
  const last = known[known.length - 1];
  const summary =
    known.length === 0
      ? 'No attended appointments could be loaded for these periods.'
      : `Attended appointments per ${unit} over the last ${points.length} ${unit}s: from ${first?.value} (${first?.label}) to ${last?.value} (${last?.label}), highest ${Math.max(...known.map((p) => p.value ?? 0))}.`;
  return (
    <Figure id="trend" title="Attended appointments" summary={summary} table={<Table caption="Attended appointments" head={[unit === 'week' ? 'Week of' : 'Month', 'Attended']} rows={points} />}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 16, right: 16, bottom: 4, left: -16 }} accessibilityLayer={false}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="label" tick={AXIS} />
          <YAxis allowDecimals={false} tick={AXIS} />
          <Tooltip />
          <Line type="monotone" dataKey="value" name="Attended" stroke={TEAL} strokeWidth={2} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </Figure>
  );
}

export function BarsChart({ id, title, points, head, empty }: { id: string; title: string; points: Point[]; head: [string, string]; empty: string }) {
  const summary =
    points.length === 0 || points.every((p) => !p.value)
      ? empty
      : `${title}: ${points.map((p) => `${p.label} ${p.value ?? 'unknown'}`).join(', ')}.`;
  return (
    <Figure id={id} title={title} summary={summary} table={<Table caption={title} head={head} rows={points} />}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={points} layout="vertical" margin={{ top: 4, right: 32, bottom: 4, left: 8 }} accessibilityLayer={false}>
          <CartesianGrid stroke="#e2e8f0" horizontal={false} />
          <XAxis type="number" allowDecimals={false} tick={AXIS} />
          <YAxis type="category" dataKey="label" width={110} tick={AXIS} />
          <Tooltip />
          <Bar dataKey="value" name={head[1]} fill={TEAL} isAnimationActive={false}>
            <LabelList dataKey="value" position="right" style={{ fontSize: 12, fill: '#0f172a' }} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </Figure>
  );
}
