import { useState, useSyncExternalStore } from 'react';
import { canWorkTasks } from '../auth/roles';
import { session } from '../auth/session';
import { Button, Empty, Field, fieldClass, Loading, LoadFailed } from '../ui/controls';
import { useTaskQueue, type Queue, type Timeframe } from './api';
import { byPriority } from './priority';
import { TaskCard } from './TaskCard';

/** The three counts the API gives; "All open" is their sum. */
const TIMEFRAMES: { key: Timeframe; label: string; count?: 'overdue' | 'today' | 'upcoming' }[] = [
  { key: 'overdue', label: 'Overdue', count: 'overdue' },
  { key: 'today', label: 'Due today', count: 'today' },
  { key: 'upcoming', label: 'Upcoming', count: 'upcoming' },
  { key: 'all', label: 'All open' },
];

const EMPTY: Record<Timeframe, string> = {
  overdue: 'Nothing overdue',
  today: 'Nothing due today',
  upcoming: 'Nothing upcoming',
  all: 'No open tasks',
};

export function TodayPage() {
  const { user } = useSyncExternalStore(session.subscribe, session.getState);
  const [timeframe, setTimeframe] = useState<Timeframe>('today');
  const [queue, setQueue] = useState<Queue>('me');
  const [announcement, setAnnouncement] = useState('');
  const tasks = useTaskQueue(timeframe, queue);
  const counts = tasks.data?.counts;
  const role = user?.role ?? '';

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end gap-4">
        <h1 className="text-2xl font-bold text-slate-900">Today</h1>
        <div className="ml-auto w-full sm:w-56">
          <Field label="Showing">
            {(p) => (
              <select {...p} value={queue} onChange={(e) => setQueue(e.target.value as Queue)} className={fieldClass()}>
                <option value="me">My tasks</option>
                <option value="unassigned">Unassigned</option>
                <option value="all">Everyone&rsquo;s</option>
              </select>
            )}
          </Field>
        </div>
      </div>

      <section aria-labelledby="counts-heading">
        <h2 id="counts-heading" className="sr-only">
          Task counts
        </h2>
        <ul className="grid grid-cols-2 gap-2 sm:grid-cols-4">
          {TIMEFRAMES.map((t) => {
            const n = !counts ? undefined : t.count ? counts[t.count] : counts.overdue + counts.today + counts.upcoming;
            const selected = timeframe === t.key;
            return (
              <li key={t.key}>
                <button
                  type="button"
                  aria-pressed={selected}
                  onClick={() => setTimeframe(t.key)}
                  className={`flex min-h-16 w-full flex-col items-start rounded-lg border px-3 py-2 text-left ${
                    selected ? 'border-teal-800 bg-teal-50 ring-2 ring-teal-800' : 'border-slate-300 bg-white hover:bg-slate-100'
                  }`}
                >
                  <span className="text-sm font-medium text-slate-800">{t.label}</span>
                  <span
                    className={`text-2xl font-bold ${t.key === 'overdue' && n ? 'text-red-800' : 'text-slate-900'}`}
                    data-testid={`count-${t.key}`}
                  >
                    {n ?? '–'}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      </section>

      <p role="status" aria-live="polite" className="sr-only">
        {announcement}
      </p>

      <section aria-labelledby="tasks-heading">
        <h2 id="tasks-heading" className="mb-2 text-lg font-semibold text-slate-900">
          {TIMEFRAMES.find((t) => t.key === timeframe)?.label} — highest priority first
        </h2>
        {tasks.isPending ? (
          <Loading label="Loading tasks…" />
        ) : tasks.isError ? (
          <LoadFailed error={tasks.error} title="Could not load tasks" onRetry={() => void tasks.refetch()} />
        ) : tasks.data.tasks.length === 0 ? (
          <Empty title={EMPTY[timeframe]}>
            {timeframe === 'today' && counts && counts.overdue > 0 && (
              <Button className="mt-2" onClick={() => setTimeframe('overdue')}>
                Show {counts.overdue} overdue
              </Button>
            )}
          </Empty>
        ) : (
          <ol className="space-y-3" aria-label="Tasks">
            {byPriority(tasks.data.tasks).map((task) => (
              <li key={task.id}>
                <TaskCard
                  task={task}
                  me={user?.id ?? ''}
                  canWrite={canWorkTasks(role)}
                  onDone={setAnnouncement}
                />
              </li>
            ))}
          </ol>
        )}
        {tasks.isFetching && !tasks.isPending && <p className="mt-2 text-sm text-slate-700">Refreshing…</p>}
      </section>
    </div>
  );
}
