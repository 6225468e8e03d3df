import { useState } from 'react';
import type { Client } from '../api/types';
import { Badge, Button, Empty, ErrorAlert, Loading, LoadFailed } from '../ui/controls';
import { zoneName } from '../ui/time';
import { WEEKDAYS, dayLabel, durationLabel, sortWeekly, timeLabel } from './calendar';
import { downloadCalendar, useCarePlan } from './records';

const GOAL: Record<string, { text: string; className: string }> = {
  not_started: { text: 'Not started', className: 'border-slate-300 bg-slate-100 text-slate-800' },
  in_progress: { text: 'In progress', className: 'border-sky-300 bg-sky-50 text-sky-950' },
  achieved: { text: 'Achieved', className: 'border-green-300 bg-green-50 text-green-900' },
  dropped: { text: 'Dropped', className: 'border-slate-300 bg-white text-slate-700' },
};

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The active care plan: goals and the weekly schedule, with "Add to calendar". */
export function CarePlanView({ client }: { client: Client }) {
  const plan = useCarePlan(client.id);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (plan.isPending) return <Loading label="Loading the care plan…" />;
  if (plan.isError)
    return (
      <LoadFailed error={plan.error} title="Could not load the care plan" onRetry={() => void plan.refetch()} />
    );
  const p = plan.data;
  if (!p) return <Empty title="No care plan yet">The care coordinator will share {client.name}'s plan here.</Empty>;

  async function addToCalendar() {
    setBusy(true);
    setError(null);
    try {
      await downloadCalendar({ path: '/api/clients/{id}/care-plan.ics', clientId: client.id }, 'care-plan.ics');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const schedule = sortWeekly(p.schedule);
  return (
    <div className="space-y-6">
      <section aria-labelledby="plan-heading" className="rounded-lg border border-slate-300 bg-white p-4 shadow-sm">
        <h2 id="plan-heading" className="text-xl font-semibold text-slate-900">
          {p.title}
        </h2>
        {p.description && <p className="mt-1 text-slate-800">{p.description}</p>}
        <p className="mt-1 text-sm text-slate-700">
          From {dayLabel(p.start_date)}
          {p.end_date ? ` to ${dayLabel(p.end_date)}` : ', open-ended'}
        </p>
      </section>

      <section aria-labelledby="goals-heading">
        <h2 id="goals-heading" className="mb-2 text-lg font-semibold text-slate-900">
          Goals
        </h2>
        {p.goals.length === 0 ? (
          <p className="text-slate-700">No goals set.</p>
        ) : (
          <ul className="space-y-2">
            {p.goals.map((g, i) => {
              const status = GOAL[g.status] ?? { text: g.status, className: 'border-slate-300 bg-slate-100 text-slate-800' };
              return (
                <li key={i} className="rounded-lg border border-slate-300 bg-white p-3">
                  <p className="font-medium text-slate-900">{g.goal}</p>
                  <p className="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-700">
                    <Badge className={status.className}>{status.text}</Badge>
                    {g.target_date && <span>Target {dayLabel(g.target_date)}</span>}
                  </p>
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <section aria-labelledby="schedule-heading">
        <div className="mb-2 flex flex-wrap items-center gap-3">
          <h2 id="schedule-heading" className="text-lg font-semibold text-slate-900">
            Weekly schedule
          </h2>
          <Button className="sm:ml-auto" onClick={() => void addToCalendar()} disabled={busy || schedule.length === 0}>
            {busy ? 'Preparing…' : 'Add to calendar'}
          </Button>
        </div>
        <p className="mb-2 text-sm text-slate-700">
          Times are {zoneName(p.time_zone)} ({p.time_zone}).
        </p>
        <ErrorAlert error={error} title="Could not download the calendar" />
        {schedule.length === 0 ? (
          <p className="text-slate-700">Nothing scheduled each week.</p>
        ) : (
          <table className="w-full rounded-lg border border-slate-300 bg-white text-sm shadow-sm">
            <caption className="sr-only">Weekly schedule</caption>
            <thead className="bg-slate-100 text-left">
              <tr>
                <th scope="col" className="px-2 py-2 sm:px-3">Day</th>
                <th scope="col" className="px-2 py-2 sm:px-3">Time</th>
                <th scope="col" className="px-2 py-2 sm:px-3">Activity</th>
                <th scope="col" className="px-2 py-2 sm:px-3">Who</th>
              </tr>
            </thead>
            <tbody>
              {schedule.map((s, i) => (
                <tr key={i} className="border-t border-slate-200 align-top">
                  <th scope="row" className="px-2 py-2 text-left font-medium text-slate-900 sm:px-3">
                    <DayName day={s.day_of_week} />
                  </th>
                  <td className="px-2 py-2 whitespace-nowrap text-slate-900 sm:px-3">
                    {timeLabel(s.time)}
                    <span className="block text-xs text-slate-700">{durationLabel(s.duration_minutes)}</span>
                  </td>
                  <td className="px-2 py-2 text-slate-900 sm:px-3">{s.activity}</td>
                  <td className="px-2 py-2 text-slate-900 sm:px-3">{s.assigned_name || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

/**
 * A schedule day: "Wed" on a phone, where four columns must fit in 390 px,
 * "Wednesday" from `sm` up; a screen reader always hears the whole name.
 */
function DayName({ day }: { day: string }) {
  if (!WEEKDAYS.includes(day as (typeof WEEKDAYS)[number])) return <>{day}</>;
  const name = capital(day);
  return (
    <>
      <span aria-hidden="true" className="sm:hidden">
        {name.slice(0, 3)}
      </span>
      <span className="sr-only sm:not-sr-only">{name}</span>
    </>
  );
}
