import { useState, useSyncExternalStore, type FormEvent, type KeyboardEvent } from 'react';
import type { CareAppointment, Client } from '../api/types';
import { session } from '../auth/session';
import { Badge, Button, Empty, ErrorAlert, Field, fieldClass, fieldError, Loading, LoadFailed, SubmitRow } from '../ui/controls';
import { zoneName } from '../ui/time';
import {
  byLocalDate,
  dayLabel,
  durationLabel,
  localParts,
  longDayLabel,
  monthGrid,
  rangeFor,
  step,
  timeLabel,
  todayIn,
  viewLabel,
  weekDates,
  weekdayLabel,
  type CalendarView,
} from './calendar';
import {
  APPOINTMENT_STATUSES,
  downloadCalendar,
  isFamily,
  isTeam,
  label,
  useAppointments,
  useCreateAppointment,
  useFamily,
  useSetAppointmentStatus,
  useSetReminders,
} from './records';

const VIEWS: { value: CalendarView; label: string }[] = [
  { value: 'month', label: 'Month' },
  { value: 'week', label: 'Week' },
  { value: 'day', label: 'Day' },
];

const STATUS_STYLE: Record<string, string> = {
  scheduled: 'border-sky-300 bg-sky-50 text-sky-950',
  completed: 'border-green-300 bg-green-50 text-green-900',
  cancelled: 'border-slate-300 bg-slate-100 text-slate-800 line-through',
  no_show: 'border-amber-300 bg-amber-50 text-amber-950',
};

const EMPTY_TEXT: Record<CalendarView, string> = {
  month: 'No appointments this month',
  week: 'No appointments this week',
  day: 'No appointments on this day',
};

/** Appointments in month, week and day views, on the client's clock. */
export function Appointments({ client }: { client: Client }) {
  const today = todayIn(client.time_zone);
  const [view, setView] = useState<CalendarView>('week');
  const [anchor, setAnchor] = useState(today);
  const { from, to } = rangeFor(view, anchor);
  const list = useAppointments(client.id, from, to);
  const team = isTeam(client.access);
  const [calError, setCalError] = useState<unknown>(null);

  async function download(file: Parameters<typeof downloadCalendar>[0], name: string) {
    setCalError(null);
    try {
      await downloadCalendar(file, name);
    } catch (e) {
      setCalError(e);
    }
  }

  const days = byLocalDate(list.data?.appointments ?? []);
  const openDay = (date: string) => {
    setView('day');
    setAnchor(date);
  };

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <ViewSwitch view={view} onChange={setView} />
        <Button className="sm:ml-auto" onClick={() => void download({ path: '/api/clients/{id}/appointments.ics', clientId: client.id }, 'appointments.ics')}>
          Add all to calendar
        </Button>
      </div>
      <nav aria-label="Choose dates" className="flex flex-wrap items-center gap-2">
        <Button onClick={() => setAnchor(step(view, anchor, -1))} aria-label={`Previous ${view}`}>
          ←
        </Button>
        <h2 className="min-w-0 grow text-center text-lg font-semibold text-slate-900" aria-live="polite">
          {viewLabel(view, anchor)}
        </h2>
        <Button onClick={() => setAnchor(step(view, anchor, 1))} aria-label={`Next ${view}`}>
          →
        </Button>
        <Button onClick={() => setAnchor(today)}>Today</Button>
      </nav>
      <p className="text-sm text-slate-700">
        Times are {zoneName(client.time_zone)} ({client.time_zone}).
      </p>
      <ErrorAlert error={calError} title="Could not download the calendar" />
      {list.isPending ? (
        <Loading label="Loading appointments…" />
      ) : list.isError ? (
        <LoadFailed error={list.error} title="Could not load appointments" onRetry={() => void list.refetch()} />
      ) : (
        <div aria-busy={list.isFetching}>
          {view === 'month' && <MonthGrid anchor={anchor} today={today} days={days} onOpenDay={openDay} />}
          <AppointmentList
            view={view}
            anchor={anchor}
            today={today}
            days={days}
            clientId={client.id}
            team={team}
            onDownload={(a) =>
              void download({ path: '/api/clients/{id}/appointments/{appointment}/appointment.ics', clientId: client.id, appointment: a.id }, 'appointment.ics')
            }
          />
        </div>
      )}
      {isFamily(client.access) && <Reminders clientId={client.id} />}
      {team && <NewAppointmentForm clientId={client.id} today={today} onCreated={(date) => setAnchor(date)} />}
    </div>
  );
}

/** A segmented control: one tab stop, arrow keys move between views. */
function ViewSwitch({ view, onChange }: { view: CalendarView; onChange: (v: CalendarView) => void }) {
  function onKeyDown(e: KeyboardEvent<HTMLButtonElement>) {
    const i = VIEWS.findIndex((v) => v.value === view);
    const next = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? i - 1 : null;
    if (next === null) return;
    e.preventDefault();
    const v = VIEWS[(next + VIEWS.length) % VIEWS.length]!;
    onChange(v.value);
    (e.currentTarget.parentElement?.querySelector(`[data-view="${v.value}"]`) as HTMLButtonElement | null)?.focus();
  }
  return (
    <div role="radiogroup" aria-label="Calendar view" className="inline-flex rounded-md border border-slate-400 bg-white p-0.5">
      {VIEWS.map((v) => (
        <button
          key={v.value}
          type="button"
          role="radio"
          aria-checked={view === v.value}
          tabIndex={view === v.value ? 0 : -1}
          data-view={v.value}
          onClick={() => onChange(v.value)}
          onKeyDown={onKeyDown}
          className={`min-h-11 min-w-20 rounded px-4 text-sm font-semibold ${view === v.value ? 'bg-teal-800 text-white' : 'text-slate-900 hover:bg-slate-100'}`}
        >
          {v.label}
        </button>
      ))}
    </div>
  );
}

function MonthGrid({ anchor, today, days, onOpenDay }: { anchor: string; today: string; days: Map<string, CareAppointment[]>; onOpenDay: (d: string) => void }) {
  const grid = monthGrid(anchor);
  return (
    <table className="mb-4 w-full table-fixed border-collapse rounded-lg bg-white text-sm">
      <caption className="sr-only">Appointments in {viewLabel('month', anchor)}; choose a day to see it</caption>
      <thead>
        <tr>
          {grid[0]!.map((d) => (
            <th key={d.date} scope="col" className="py-1 text-center text-xs font-semibold text-slate-700">
              {weekdayLabel(d.date)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {grid.map((week) => (
          <tr key={week[0]!.date}>
            {week.map((d) => {
              const count = days.get(d.date)?.length ?? 0;
              const isToday = d.date === today;
              return (
                <td key={d.date} className="border border-slate-200 p-0 align-top">
                  <button
                    type="button"
                    onClick={() => onOpenDay(d.date)}
                    aria-current={isToday ? 'date' : undefined}
                    aria-label={`${longDayLabel(d.date)}${isToday ? ', today' : ''}: ${count === 0 ? 'no appointments' : count === 1 ? '1 appointment' : `${count} appointments`}`}
                    className={`flex min-h-14 w-full flex-col items-center gap-1 p-1 sm:min-h-20 ${d.inMonth ? 'text-slate-900' : 'bg-slate-50 text-slate-600'} ${isToday ? 'ring-2 ring-inset ring-teal-800' : ''} hover:bg-teal-50`}
                  >
                    <span className={`inline-flex size-7 items-center justify-center rounded-full ${isToday ? 'bg-teal-800 font-bold text-white' : ''}`}>{Number(d.date.slice(8))}</span>
                    {count > 0 && (
                      <span aria-hidden="true" className="rounded-full bg-sky-800 px-1.5 text-xs font-bold text-white">
                        {count}
                      </span>
                    )}
                  </button>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AppointmentList({
  view,
  anchor,
  today,
  days,
  clientId,
  team,
  onDownload,
}: {
  view: CalendarView;
  anchor: string;
  today: string;
  days: Map<string, CareAppointment[]>;
  clientId: string;
  team: boolean;
  onDownload: (a: CareAppointment) => void;
}) {
  // The month lists its own days; the week every day; the day itself.
  const dates = view === 'day' ? [anchor] : view === 'week' ? weekDates(anchor) : [...days.keys()].filter((d) => d.slice(0, 7) === anchor.slice(0, 7));
  const any = dates.some((d) => (days.get(d)?.length ?? 0) > 0);
  if (!any) return <Empty title={EMPTY_TEXT[view]} />;
  return (
    <ol className="space-y-4" aria-label={`Appointments, ${viewLabel(view, anchor)}`}>
      {dates.map((date) => {
        const items = days.get(date) ?? [];
        if (view === 'month' && items.length === 0) return null;
        return (
          <li key={date} aria-current={date === today ? 'date' : undefined}>
            <h3 className={`mb-2 text-base font-semibold ${date === today ? 'text-teal-900' : 'text-slate-900'}`}>
              {dayLabel(date)}
              {date === today && (
                <Badge className="ml-2 border-teal-300 bg-teal-50 text-teal-950">Today</Badge>
              )}
            </h3>
            {items.length === 0 ? (
              <p className="text-sm text-slate-700">Nothing booked.</p>
            ) : (
              <ul className="space-y-2">
                {items.map((a) => (
                  <li key={a.id}>
                    <AppointmentCard appointment={a} clientId={clientId} team={team} onDownload={() => onDownload(a)} />
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function AppointmentCard({ appointment: a, clientId, team, onDownload }: { appointment: CareAppointment; clientId: string; team: boolean; onDownload: () => void }) {
  const time = localParts(a.starts_local)?.time ?? '';
  const titleId = `appt-${a.id}`;
  return (
    <article aria-labelledby={titleId} className="rounded-lg border border-slate-300 bg-white p-3 shadow-sm">
      <div className="flex flex-wrap items-center gap-2">
        <time dateTime={a.starts_local} className="font-semibold text-slate-900">
          {timeLabel(time)}
        </time>
        <span className="text-sm text-slate-700">{durationLabel(a.duration_minutes)}</span>
        <Badge className={`ml-auto ${STATUS_STYLE[a.status] ?? 'border-slate-300 bg-slate-100 text-slate-800'}`}>{label(APPOINTMENT_STATUSES, a.status)}</Badge>
      </div>
      <h4 id={titleId} className="mt-1 font-semibold text-slate-900">
        {a.appointment_type || 'Appointment'} with {a.scheduled_with}
      </h4>
      {a.location && <p className="text-sm text-slate-800">{a.location}</p>}
      {a.notes && <p className="mt-1 text-sm text-slate-700">{a.notes}</p>}
      <div className="mt-2 flex flex-wrap items-end gap-2">
        <Button onClick={onDownload} aria-describedby={titleId}>
          Add to calendar
        </Button>
        {team && a.status === 'scheduled' && <StatusChange clientId={clientId} appointment={a} />}
      </div>
    </article>
  );
}

function StatusChange({ clientId, appointment }: { clientId: string; appointment: CareAppointment }) {
  const change = useSetAppointmentStatus(clientId);
  const [status, setStatus] = useState('completed');
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      aria-label={`Change the status of ${appointment.appointment_type || 'the appointment'} with ${appointment.scheduled_with}`}
      onSubmit={(e) => {
        e.preventDefault();
        change.mutate({ appointment: appointment.id, status });
      }}
    >
      <Field label="New status" error={fieldError(change.error, 'status')}>
        {(p) => (
          <select {...p} value={status} onChange={(e) => setStatus(e.target.value)} className={fieldClass()}>
            {APPOINTMENT_STATUSES.filter((s) => s.value !== 'scheduled').map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Button type="submit" disabled={change.isPending}>
        {change.isPending ? 'Saving…' : 'Set status'}
      </Button>
      {change.error != null && !fieldError(change.error, 'status') && <ErrorAlert error={change.error} />}
    </form>
  );
}

/** A family member chooses their own reminders (1, 3 and/or 7 days before). */
function Reminders({ clientId }: { clientId: string }) {
  const { user } = useSyncExternalStore(session.subscribe, session.getState);
  const family = useFamily(clientId, true);
  const save = useSetReminders(clientId);
  const mine = family.data?.find((m) => m.user_id === user?.id);
  const [chosen, setChosen] = useState<number[] | null>(null);
  const [saved, setSaved] = useState('');
  const current = chosen ?? mine?.appointment_reminders ?? [];

  if (family.isPending) return <Loading label="Loading your reminders…" />;
  if (family.isError) return <ErrorAlert error={family.error} title="Could not load your reminders" />;
  if (!mine) return null;

  function submit(e: FormEvent) {
    e.preventDefault();
    setSaved('');
    save.mutate([...current].sort((a, b) => a - b), { onSuccess: () => setSaved('Reminders saved.') });
  }
  return (
    <form onSubmit={submit} aria-label="Appointment reminders" className="space-y-2 rounded-lg border border-slate-300 bg-white p-4 shadow-sm">
      <fieldset>
        <legend className="text-lg font-semibold text-slate-900">Remind me before each appointment</legend>
        <ErrorAlert error={save.error} title="Reminders not saved" />
        <div className="mt-2 flex flex-wrap gap-4">
          {[1, 3, 7].map((d) => (
            <label key={d} className="inline-flex min-h-11 items-center gap-2 font-medium text-slate-900">
              <input
                type="checkbox"
                className="size-5 accent-teal-800"
                checked={current.includes(d)}
                onChange={(e) => setChosen(e.target.checked ? [...current, d] : current.filter((x) => x !== d))}
              />
              {d === 1 ? '1 day' : `${d} days`}
            </label>
          ))}
        </div>
        {fieldError(save.error, 'days_before') && <p className="text-sm font-medium text-red-800">{fieldError(save.error, 'days_before')}</p>}
      </fieldset>
      <SubmitRow pending={save.isPending} label="Save reminders" pendingLabel="Saving…" status={saved} />
    </form>
  );
}

function NewAppointmentForm({ clientId, today, onCreated }: { clientId: string; today: string; onCreated: (date: string) => void }) {
  const create = useCreateAppointment(clientId);
  const [withWhom, setWithWhom] = useState('');
  const [date, setDate] = useState(today);
  const [time, setTime] = useState('10:00');
  const [duration, setDuration] = useState('30');
  const [type, setType] = useState('');
  const [location, setLocation] = useState('');
  const [notes, setNotes] = useState('');
  const [done, setDone] = useState('');
  const e = create.error;

  function submit(ev: FormEvent) {
    ev.preventDefault();
    setDone('');
    create.mutate(
      {
        scheduled_with: withWhom.trim(),
        starts_local: `${date}T${time}`,
        duration_minutes: Number(duration) || 0,
        appointment_type: type.trim(),
        location: location.trim(),
        notes: notes.trim(),
      },
      {
        onSuccess: (answer) => {
          setWithWhom('');
          setType('');
          setLocation('');
          setNotes('');
          setDone(`Booked ${answer.appointment.appointment_type || 'the appointment'} with ${answer.appointment.scheduled_with}.`);
          onCreated(localParts(answer.appointment.starts_local)?.date ?? date);
        },
      },
    );
  }

  return (
    <form onSubmit={submit} aria-label="Book an appointment" className="space-y-3 rounded-lg border border-slate-300 bg-white p-4 shadow-sm" noValidate>
      <h2 className="text-lg font-semibold text-slate-900">Book an appointment</h2>
      <ErrorAlert error={e} title="The appointment was not booked" />
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="With (doctor, specialist, clinic)" error={fieldError(e, 'scheduled_with')}>
          {(p) => <input {...p} value={withWhom} onChange={(x) => setWithWhom(x.target.value)} className={fieldClass()} />}
        </Field>
        <Field label="Kind of appointment" error={fieldError(e, 'appointment_type')}>
          {(p) => <input {...p} value={type} onChange={(x) => setType(x.target.value)} className={fieldClass()} />}
        </Field>
        <Field label="Appointment date" error={fieldError(e, 'starts_local')}>
          {(p) => <input {...p} type="date" min={today} value={date} onChange={(x) => setDate(x.target.value)} className={fieldClass()} />}
        </Field>
        <Field label="Time (client's clock)" error={fieldError(e, 'starts_local')}>
          {(p) => <input {...p} type="time" value={time} onChange={(x) => setTime(x.target.value)} className={fieldClass()} />}
        </Field>
        <Field label="Duration (minutes)" error={fieldError(e, 'duration_minutes')}>
          {(p) => <input {...p} type="number" min={5} step={5} value={duration} onChange={(x) => setDuration(x.target.value)} className={fieldClass()} />}
        </Field>
        <Field label="Location" error={fieldError(e, 'location')}>
          {(p) => <input {...p} value={location} onChange={(x) => setLocation(x.target.value)} className={fieldClass()} />}
        </Field>
      </div>
      <Field label="Appointment notes" error={fieldError(e, 'notes')}>
        {(p) => <textarea {...p} rows={2} value={notes} onChange={(x) => setNotes(x.target.value)} className={fieldClass()} />}
      </Field>
      <SubmitRow pending={create.isPending} label="Book appointment" pendingLabel="Booking…" status={done} />
    </form>
  );
}
