import { useId, useState, type FormEvent } from 'react';
import type { Outcome, Task } from '../api/types';
import { Badge, Button, ErrorAlert, Field, fieldClass, fieldError, LoadFailed } from '../ui/controls';
import { formatUnix } from '../ui/time';
import { assigneeChoices, OUTCOMES, taskTypeLabel, UNASSIGNED, useAssignees, useTaskAction, type TaskAction } from './api';
import { PRIORITY_STYLE, dueInWords, priorityOf } from './priority';
import { fromDateTimeLocal, snoozeChoices } from './snooze';

type Panel = 'none' | 'complete' | 'snooze' | 'reassign';

/** What the page announces when an action is done. */
const DONE: Record<TaskAction['kind'], string> = { complete: 'Completed', claim: 'Claimed', snooze: 'Snoozed', reassign: 'Reassigned' };

export function TaskCard({
  task,
  me,
  canWrite,
  onDone,
}: {
  task: Task;
  me: string;
  canWrite: boolean;
  /** Announces what happened, for the page's live region. */
  onDone: (message: string) => void;
}) {
  const titleId = useId();
  const [panel, setPanel] = useState<Panel>('none');
  const id = task.id ?? '';
  const action = useTaskAction(id, (a) => onDone(`${DONE[a.kind]}: ${label}`));
  const priority = priorityOf(task);
  const style = PRIORITY_STYLE[priority];
  const who = task.contact?.name || 'Unknown contact';
  const label = `${taskTypeLabel(task.type)} — ${who}`;
  const mine = task.assigned_to === me;

  function run(a: TaskAction) {
    action.mutate(a, { onSuccess: () => setPanel('none') });
  }

  return (
    <article aria-labelledby={titleId} className={`rounded-lg border border-slate-300 border-l-8 bg-white p-4 shadow-sm ${style.stripe}`}>
      <div className="flex flex-wrap items-start gap-2">
        <Badge className={style.badge}>
          <span aria-hidden="true" className={`inline-block size-2.5 rounded-full ${style.dot}`} />
          {style.label}
          <span className="sr-only"> priority</span>
        </Badge>
        {task.status === 'in_progress' && <Badge className="border-sky-300 bg-sky-100 text-sky-900">In progress</Badge>}
        <span className="ml-auto text-sm text-slate-700">Score {task.priority_score}</span>
      </div>
      <h2 id={titleId} className="mt-2 text-lg font-semibold text-slate-900">
        {label}
      </h2>
      <dl className="mt-1 grid gap-x-4 gap-y-1 text-sm text-slate-800 sm:grid-cols-2">
        <div>
          <dt className="sr-only">Due</dt>
          <dd>
            <span className={task.due_datetime != null && task.due_datetime * 1000 < Date.now() ? 'font-semibold text-red-800' : ''}>
              {dueInWords(task.due_datetime, Date.now())}
            </span>
            {task.due_datetime != null && <span className="text-slate-700"> · {formatUnix(task.due_datetime)}</span>}
          </dd>
        </div>
        {task.contact?.phone && (
          <div>
            <dt className="sr-only">Phone</dt>
            <dd>
              <a className="font-medium text-teal-900 underline" href={`tel:${task.contact.phone}`}>
                {task.contact.phone}
              </a>
            </dd>
          </div>
        )}
        {task.booking?.appointment_datetime != null && (
          <div>
            <dt className="inline font-medium">Appointment: </dt>
            <dd className="inline">{formatUnix(task.booking.appointment_datetime)}</dd>
          </div>
        )}
        {task.notes && (
          <div className="sm:col-span-2">
            <dt className="inline font-medium">Notes: </dt>
            <dd className="inline whitespace-pre-line">{task.notes}</dd>
          </div>
        )}
      </dl>

      {canWrite && (
        <div className="mt-3 flex flex-wrap gap-2">
          <Button variant="primary" aria-expanded={panel === 'complete'} onClick={() => setPanel(panel === 'complete' ? 'none' : 'complete')}>
            Complete
          </Button>
          {!(mine && task.status === 'in_progress') && (
            <Button disabled={action.isPending} onClick={() => run({ kind: 'claim' })}>
              Claim
            </Button>
          )}
          <Button aria-expanded={panel === 'snooze'} onClick={() => setPanel(panel === 'snooze' ? 'none' : 'snooze')}>
            Snooze
          </Button>
          <Button aria-expanded={panel === 'reassign'} onClick={() => setPanel(panel === 'reassign' ? 'none' : 'reassign')}>
            Reassign
          </Button>
        </div>
      )}
      {panel === 'none' && action.error && <div className="mt-3"><ErrorAlert error={action.error} /></div>}
      {panel === 'complete' && <CompleteForm label={label} pending={action.isPending} error={action.error} onSubmit={(notes, outcome) => run({ kind: 'complete', notes, outcome })} />}
      {panel === 'snooze' && <SnoozeForm label={label} pending={action.isPending} error={action.error} onSubmit={(until) => run({ kind: 'snooze', until })} />}
      {panel === 'reassign' && (
        <ReassignForm
          label={label}
          me={me}
          current={task.assigned_to ?? null}
          pending={action.isPending}
          error={action.error}
          onSubmit={(assignedTo) => run({ kind: 'reassign', assignedTo })}
        />
      )}
    </article>
  );
}

function CompleteForm({ label, pending, error, onSubmit }: { label: string; pending: boolean; error: unknown; onSubmit: (notes: string, outcome: Outcome) => void }) {
  const [notes, setNotes] = useState('');
  const [outcome, setOutcome] = useState<Outcome>('success');
  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit(notes, outcome);
  }
  return (
    <form aria-label={`Complete ${label}`} onSubmit={submit} className="mt-3 space-y-3 rounded-md bg-slate-100 p-3">
      <ErrorAlert error={error} />
      <Field label="Outcome" error={fieldError(error, 'outcome')}>
        {(p) => (
          <select {...p} value={outcome} onChange={(e) => setOutcome(e.target.value as Outcome)} className={fieldClass()}>
            {OUTCOMES.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Notes" hint="Optional: what happened, for the next person." error={fieldError(error, 'notes')}>
        {(p) => <textarea {...p} rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} className={fieldClass()} maxLength={2000} />}
      </Field>
      <Button type="submit" variant="primary" disabled={pending}>
        {pending ? 'Completing…' : 'Mark complete'}
      </Button>
    </form>
  );
}

function SnoozeForm({ label, pending, error, onSubmit }: { label: string; pending: boolean; error: unknown; onSubmit: (until: number) => void }) {
  const [choices] = useState(() => snoozeChoices(new Date()));
  const [choice, setChoice] = useState(choices[2]?.key ?? 'custom');
  const [custom, setCustom] = useState('');
  const until = choice === 'custom' ? fromDateTimeLocal(custom) : (choices.find((c) => c.key === choice)?.until ?? null);
  function submit(e: FormEvent) {
    e.preventDefault();
    if (until !== null) onSubmit(until);
  }
  return (
    <form aria-label={`Snooze ${label}`} onSubmit={submit} className="mt-3 space-y-3 rounded-md bg-slate-100 p-3">
      <ErrorAlert error={error} />
      <Field label="Snooze until" error={fieldError(error, 'until')}>
        {(p) => (
          <select {...p} value={choice} onChange={(e) => setChoice(e.target.value)} className={fieldClass()}>
            {choices.map((c) => (
              <option key={c.key} value={c.key}>
                {c.label}
              </option>
            ))}
            <option value="custom">Pick a date and time…</option>
          </select>
        )}
      </Field>
      {choice === 'custom' && (
        <Field label="Date and time">
          {(p) => <input {...p} type="datetime-local" value={custom} onChange={(e) => setCustom(e.target.value)} className={fieldClass()} required />}
        </Field>
      )}
      <Button type="submit" variant="primary" disabled={pending || until === null}>
        {pending ? 'Snoozing…' : 'Snooze'}
      </Button>
    </form>
  );
}

function ReassignForm({
  label,
  me,
  current,
  pending,
  error,
  onSubmit,
}: {
  label: string;
  me: string;
  current: string | null;
  pending: boolean;
  error: unknown;
  onSubmit: (assignedTo: string | null) => void;
}) {
  const assignees = useAssignees(true);
  const choices = assigneeChoices(assignees.data ?? [], current, me);
  // Until someone picks, the first choice (the queue, or the first colleague).
  const [picked, setPicked] = useState<string | null>(null);
  const to = picked ?? choices[0]?.value ?? null;
  function submit(e: FormEvent) {
    e.preventDefault();
    if (to !== null) onSubmit(to === UNASSIGNED ? null : to);
  }
  return (
    <form aria-label={`Reassign ${label}`} onSubmit={submit} className="mt-3 space-y-3 rounded-md bg-slate-100 p-3">
      {/* A refused colleague is said under the picker; anything else here. */}
      {!fieldError(error, 'assigned_to') && <ErrorAlert error={error} />}
      {assignees.isError ? (
        <LoadFailed error={assignees.error} title="Could not load your colleagues" onRetry={() => void assignees.refetch()} />
      ) : (
        <Field label="Assign to" error={fieldError(error, 'assigned_to')}>
          {(p) => (
            <select {...p} value={to ?? ''} onChange={(e) => setPicked(e.target.value)} className={fieldClass()} disabled={assignees.isPending}>
              {assignees.isPending && <option value="">Loading colleagues…</option>}
              {choices.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      )}
      {!assignees.isPending && !assignees.isError && choices.length === 0 && (
        <p className="text-sm text-slate-800">There is nobody else to give this task to.</p>
      )}
      <Button type="submit" variant="primary" disabled={pending || assignees.isPending || to === null}>
        {pending ? 'Reassigning…' : 'Reassign'}
      </Button>
    </form>
  );
}
