/**
 * The week's vitals charts (recharts, loaded with this screen). Each chart
 * is drawn for the eye only; its text alternative — a summary and a table
 * of the day's values — is what a screen reader reads.
 */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { HealthWeek } from '../api/types';
import { VITAL_CHARTS, chartRows, chartSummary, chartValue } from './health';

const COLOURS = ['#0f766e', '#7c3aed'];
const NAMES: Record<string, string> = { systolic: 'Systolic', diastolic: 'Diastolic', heart_rate: 'Heart rate', temperature: 'Temperature', weight: 'Weight' };

export function VitalsCharts({ week }: { week: HealthWeek }) {
  const rows = chartRows(week);
  return (
    <div className="grid gap-4 md:grid-cols-2">
      {VITAL_CHARTS.map((chart) => {
        const unit = week.series[chart.series[0]]?.unit === 'C' ? '°C' : (week.series[chart.series[0]]?.unit ?? chart.unit);
        const titleId = `chart-${chart.id}`;
        return (
          <figure key={chart.id} aria-labelledby={titleId} className="rounded-lg border border-slate-300 bg-white p-3 shadow-sm" data-chart={chart.id}>
            <figcaption id={titleId} className="font-semibold text-slate-900">
              {chart.title} <span className="font-normal text-slate-700">({unit})</span>
            </figcaption>
            <p className="text-sm text-slate-700">{chartSummary(rows, chart.series, unit)}</p>
            <div aria-hidden="true" className="mt-2 h-44">
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={rows} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                  <CartesianGrid stroke="#cbd5e1" strokeDasharray="3 3" />
                  <XAxis dataKey="label" tick={{ fontSize: 11, fill: '#334155' }} tickFormatter={(l: string) => l.split(/[ ,]/)[0] ?? l} />
                  <YAxis tick={{ fontSize: 11, fill: '#334155' }} domain={['auto', 'auto']} />
                  <Tooltip />
                  {chart.series.length > 1 && <Legend />}
                  {chart.series.map((s, i) => (
                    <Line
                      key={s}
                      type="monotone"
                      dataKey={s}
                      name={NAMES[s] ?? s}
                      stroke={COLOURS[i % COLOURS.length]}
                      strokeWidth={2}
                      dot={{ r: 3 }}
                      connectNulls={false}
                      isAnimationActive={false}
                    />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
            <table className="sr-only">
              <caption>
                {chart.title} by day, {unit}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">{chart.title}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.date}>
                    <th scope="row">{r.label}</th>
                    <td>{chartValue(r, chart.series, unit)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </figure>
        );
      })}
    </div>
  );
}
