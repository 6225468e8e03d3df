import { lazy, Suspense, useState } from 'react';
import type { Client, HealthDay } from '../api/types';
import { Button, Empty, Loading, LoadFailed } from '../ui/controls';
import { zoneName } from '../ui/time';
import { addDays, dayLabel, todayIn } from './calendar';
import { HealthLogForm } from './HealthLogForm';
import { vitalsInWords } from './health';
import { isTeam, useHealthWeek } from './records';

// The charting library comes with this screen, not with the first page.
const VitalsCharts = lazy(() => import('./VitalsCharts').then((m) => ({ default: m.VitalsCharts })));

const MEAL: Record<string, string> = { breakfast: 'Breakfast', lunch: 'Lunch', dinner: 'Dinner', snack: 'Snack' };

/** A week of health logs: the vitals charts and a table per day; the care team records a day. */
export function HealthLogs({ client }: { client: Client }) {
  // '' is "this week" on the client's clock (the API's default).
  const [week, setWeek] = useState('');
  const health = useHealthWeek(client.id, week);
  const team = isTeam(client.access);
  const today = todayIn(client.time_zone);

  if (health.isPending) return <Loading label="Loading health logs…" />;
  if (health.isError)
    return (
      <LoadFailed error={health.error} title="Could not load health logs" onRetry={() => void health.refetch()} />
    );
  const data = health.data;
  const isThisWeek = data.week_start <= today && today <= data.week_end;
  const recorded = data.days.filter((d) => d.log).length;

  return (
    <div className="space-y-6">
      {team && <HealthLogForm clientId={client.id} today={today} />}
      <nav aria-label="Choose a week" className="flex flex-wrap items-center gap-2">
        <Button onClick={() => setWeek(addDays(data.week_start, -7))}>← Previous week</Button>
        <p className="min-w-0 grow text-center font-semibold text-slate-900" aria-live="polite">
          Week of {dayLabel(data.week_start)} – {dayLabel(data.week_end)}
          {health.isFetching && <span className="sr-only"> (loading)</span>}
        </p>
        <Button onClick={() => setWeek(addDays(data.week_start, 7))} disabled={isThisWeek}>
          Next week →
        </Button>
        {!isThisWeek && <Button onClick={() => setWeek('')}>This week</Button>}
      </nav>
      <p className="text-sm text-slate-700">
        Dates are {zoneName(data.time_zone)} ({data.time_zone}).
      </p>
      {recorded === 0 ? (
        <Empty title="No health logs this week">Days the care team records will appear here.</Empty>
      ) : (
        <>
          <section aria-labelledby="vitals-heading">
            <h2 id="vitals-heading" className="mb-2 text-lg font-semibold text-slate-900">
              Vitals
            </h2>
            <Suspense fallback={<Loading label="Loading charts…" />}>
              <VitalsCharts week={data} />
            </Suspense>
          </section>
          <section aria-labelledby="days-heading">
            <h2 id="days-heading" className="mb-2 text-lg font-semibold text-slate-900">
              Day by day
            </h2>
            <ol className="grid gap-3 md:grid-cols-2" aria-label="Health logs by day">
              {[...data.days].reverse().map((d) => (
                <li key={d.date}>
                  <DayTable day={d} today={today} />
                </li>
              ))}
            </ol>
          </section>
        </>
      )}
    </div>
  );
}

function DayTable({ day, today }: { day: HealthDay; today: string }) {
  const log = day.log;
  const caption = `${dayLabel(day.date)}${day.date === today ? ' (today)' : ''}`;
  if (!log) {
    return (
      <div className="rounded-lg border border-dashed border-slate-400 bg-white p-3" data-day={day.date}>
        <p className="font-semibold text-slate-900">{caption}</p>
        <p className="text-sm text-slate-700">{day.date > today ? 'Not yet.' : 'Nothing recorded.'}</p>
      </div>
    );
  }
  const rows: { name: string; value: string }[] = [
    ...vitalsInWords(log),
    { name: 'Medications taken', value: log.medications_taken.join(', ') || 'None recorded' },
    { name: 'Medications missed', value: log.medications_missed.join(', ') || 'None' },
    ...(log.meals.length
      ? log.meals.map((m) => ({ name: MEAL[m.meal_type] ?? m.meal_type, value: `${m.content}${m.time ? ` (${m.time})` : ''}` }))
      : [{ name: 'Meals', value: 'None recorded' }]),
    { name: 'Mood', value: log.mood || '—' },
    { name: 'Sleep', value: log.sleep_hours != null ? `${log.sleep_hours} hours` : 'Not recorded' },
    { name: 'Activities', value: log.activities.join(', ') || 'None recorded' },
    ...(log.notes ? [{ name: 'Notes', value: log.notes }] : []),
  ];
  return (
    <table className="w-full rounded-lg border border-slate-300 bg-white text-sm shadow-sm" data-day={day.date}>
      <caption className="px-3 pt-3 pb-1 text-left text-base font-semibold text-slate-900">{caption}</caption>
      <tbody>
        {rows.map((r) => (
          <tr key={r.name} className="border-t border-slate-200">
            <th scope="row" className="w-2/5 px-3 py-1.5 text-left align-top font-medium text-slate-800">
              {r.name}
            </th>
            <td className={`px-3 py-1.5 ${r.value === 'No reading' ? 'text-slate-600 italic' : 'text-slate-900'} ${r.name === 'Medications missed' && r.value !== 'None' ? 'font-semibold text-red-900' : ''}`}>
              {r.value}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
