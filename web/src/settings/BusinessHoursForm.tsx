/**
 * Settings → Hours → Business hours: the week, Monday first, each day's
 * opening intervals as pairs of times (a lunch break is two intervals, a
 * day with none is closed). Save sends all seven days; a refusal is shown
 * under the interval it names and saves nothing.
 */
import { useId, useState } from 'react';
import { ApiError } from '../api/problem';
import type { OrgSettings } from '../api/types';
import { Button, ErrorAlert } from '../ui/controls';
import { useSaveBusinessHours } from './api';
import { bodyOf, DAYS, describeField, fieldOf, isChanged, nextInterval, placeErrors, weekOf, type Interval, type Week } from './businessHours';

const TIME =
  'mt-0.5 block w-full min-w-0 rounded-md border border-slate-400 bg-white px-2 py-2 text-base text-slate-900 shadow-sm ' +
  'focus:border-sky-700 aria-[invalid=true]:border-red-700';

export function BusinessHoursForm({ settings }: { settings: OrgSettings }) {
  const save = useSaveBusinessHours();
  // null: showing what is saved; a week once the admin changes something.
  const [draft, setDraft] = useState<Week | null>(null);
  const week = draft ?? weekOf(settings.business_hours);
  const fields = save.error instanceof ApiError ? save.error.fields : [];
  const placed = placeErrors(fields, week);
  const rowErrors = Object.keys(placed.intervals).length + Object.keys(placed.days).length;
  // An error that names no field at all (e.g. the service is down) is shown whole.
  const general = save.error && fields.length === 0 ? save.error : null;

  function change(next: Week, { structural }: { structural: boolean }) {
    // Adding or removing an interval moves the rows a refusal's indexes
    // point at: the old refusal no longer belongs to them.
    if (structural) save.reset();
    setDraft(next);
  }
  const setDay = (d: number, day: Interval[], structural: boolean) =>
    change(
      week.map((x, i) => (i === d ? day : x)),
      { structural },
    );

  return (
    <form
      aria-labelledby="business-hours-heading"
      noValidate
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(bodyOf(week), { onSuccess: () => setDraft(null) });
      }}
    >
      <div>
        <h3 id="business-hours-heading" className="font-semibold text-slate-900">
          Business hours
        </h3>
        <p className="text-sm text-slate-700">
          When the practice is open ({settings.time_zone}). A day can have more than one interval, e.g. around lunch; a day with
          none is closed.
        </p>
      </div>
      <ul className="divide-y divide-slate-200 border-y border-slate-200" aria-label="Opening hours by day">
        {week.map((day, d) => (
          <DayRow
            key={DAYS[d]}
            name={DAYS[d]!}
            intervals={day}
            dayError={placed.days[d]}
            errorOf={(i) => placed.intervals[fieldOf(d, i)]}
            onChange={(next) => setDay(d, next, false)}
            onAdd={() => setDay(d, [...day, nextInterval(day)], true)}
            onRemove={(i) => setDay(d, day.filter((_, j) => j !== i), true)}
          />
        ))}
      </ul>

      {rowErrors > 0 || placed.rest.length > 0 ? (
        <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
          <p className="font-semibold">Business hours not saved</p>
          <ul className="mt-1 list-disc pl-5">
            {fields.map((f) => (
              <li key={f.field}>
                {describeField(f.field)}: {f.reason}
              </li>
            ))}
          </ul>
        </div>
      ) : general ? (
        <ErrorAlert error={general} title="Business hours not saved" />
      ) : null}
      {save.isSuccess && !draft && (
        <p role="status" className="text-sm text-green-900">
          Business hours saved.
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" disabled={save.isPending || !draft || !isChanged(settings.business_hours, week)}>
          {save.isPending ? 'Saving…' : 'Save business hours'}
        </Button>
        {draft && (
          <Button
            onClick={() => {
              save.reset();
              setDraft(null);
            }}
          >
            Undo changes
          </Button>
        )}
      </div>
    </form>
  );
}

function DayRow({
  name,
  intervals,
  dayError,
  errorOf,
  onChange,
  onAdd,
  onRemove,
}: {
  name: string;
  intervals: Interval[];
  dayError: string | undefined;
  errorOf: (interval: number) => string | undefined;
  onChange: (intervals: Interval[]) => void;
  onAdd: () => void;
  onRemove: (interval: number) => void;
}) {
  const id = useId();
  const dayErrorId = `${id}-error`;
  return (
    <li data-day={name} className="grid gap-2 py-2 sm:grid-cols-[7rem_1fr] sm:items-start">
      <p className="font-medium text-slate-900 sm:pt-6">
        {name}
      </p>
      <div className="space-y-2">
        {intervals.length === 0 && <p className="text-sm text-slate-800 sm:pt-6">Closed</p>}
        {intervals.map((interval, i) => (
          <IntervalRow
            key={i}
            day={name}
            index={i}
            interval={interval}
            error={errorOf(i)}
            onChange={(next) => onChange(intervals.map((x, j) => (j === i ? next : x)))}
            onRemove={() => onRemove(i)}
          />
        ))}
        {dayError && (
          <p id={dayErrorId} className="text-sm font-medium text-red-800">
            {dayError}
          </p>
        )}
        <Button variant="ghost" className="-ml-2 text-teal-900 underline" onClick={onAdd}>
          {intervals.length === 0 ? 'Add hours' : 'Add an interval'}
          <span className="sr-only"> to {name}</span>
        </Button>
      </div>
    </li>
  );
}

/** One interval: its two times, labelled for a screen reader as "Tuesday opens, interval 1". */
function IntervalRow({
  day,
  index,
  interval,
  error,
  onChange,
  onRemove,
}: {
  day: string;
  index: number;
  interval: Interval;
  error: string | undefined;
  onChange: (interval: Interval) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const n = index + 1;
  const errorId = `${id}-error`;
  const invalid = error ? true : undefined;
  const describedBy = error ? errorId : undefined;
  return (
    <div data-interval={index} className="rounded-md data-[invalid=true]:bg-red-50 sm:w-fit" data-invalid={invalid}>
      <div className="grid grid-cols-[minmax(0,1fr)_minmax(0,1fr)_auto] items-end gap-2 sm:grid-cols-[minmax(0,11rem)_minmax(0,11rem)_auto] sm:justify-start">
        {(['opens', 'closes'] as const).map((end) => (
          <div key={end}>
            <label htmlFor={`${id}-${end}`} className="block text-xs font-medium text-slate-800">
              <span className="sr-only">{day} </span>
              {end === 'opens' ? 'Opens' : 'Closes'}
              <span className="sr-only">, interval {n}</span>
            </label>
            <input
              id={`${id}-${end}`}
              type="time"
              value={interval[end]}
              onChange={(e) => onChange({ ...interval, [end]: e.target.value })}
              aria-invalid={invalid}
              aria-describedby={describedBy}
              className={TIME}
            />
          </div>
        ))}
        {/* A cross on a phone (two times and a word don't fit in 390 px), the word beside it. */}
        <button
          type="button"
          onClick={onRemove}
          aria-label={`Remove ${day} interval ${n}`}
          title="Remove this interval"
          className="inline-flex min-h-11 min-w-11 items-center justify-center rounded-md border border-slate-400 bg-white px-2 text-sm font-semibold text-slate-900 hover:bg-slate-100 sm:px-3"
        >
          <span aria-hidden="true" className="text-lg leading-none sm:hidden">
            ✕
          </span>
          <span aria-hidden="true" className="hidden sm:inline">
            Remove
          </span>
        </button>
      </div>
      {error && (
        <p id={errorId} className="mt-1 px-1 pb-1 text-sm font-medium text-red-800">
          {error}
        </p>
      )}
    </div>
  );
}
