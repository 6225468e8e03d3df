/**
 * One contact: details, warmness with its breakdown, bookings, tasks, the
 * SMS conversation and send box, the touchpoint timeline (paged) and the
 * automation runs.
 */
import { useSyncExternalStore, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { canSendSms } from '../auth/roles';
import { session } from '../auth/session';
import { Conversation } from '../sms/Conversation';
import { taskTypeLabel } from '../tasks/api';
import { Badge, Button, ErrorAlert, Loading } from '../ui/controls';
import { formatUnix } from '../ui/time';
import { stageNames, useContact, usePipelines } from './api';
import { AutomationRuns } from './AutomationRuns';
import { Timeline } from './Timeline';
import { breakdownRows } from './warmness';
import { WarmnessBadge } from './WarmnessBadge';

function Section({ id, title, children, className = '' }: { id: string; title: string; children: ReactNode; className?: string }) {
  return (
    <section aria-labelledby={id} className={`rounded-lg border border-slate-300 bg-white p-4 ${className}`}>
      <h2 id={id} className="mb-3 text-lg font-semibold text-slate-900">
        {title}
      </h2>
      {children}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex flex-wrap gap-x-2 border-b border-slate-100 py-1.5 last:border-0">
      <dt className="w-36 shrink-0 text-sm text-slate-700">{label}</dt>
      <dd className="text-sm font-medium text-slate-900">{children}</dd>
    </div>
  );
}

export function ContactPage() {
  const { id = '' } = useParams();
  const { user } = useSyncExternalStore(session.subscribe, session.getState);
  const found = useContact(id);
  const pipelines = usePipelines();
  const { pipelineName, stageName } = stageNames(pipelines.data);

  if (found.isPending) return <Loading label="Loading contact…" />;
  if (found.isError) {
    return (
      <div className="space-y-3">
        <h1 className="text-2xl font-bold text-slate-900">Contact</h1>
        <ErrorAlert error={found.error} title="Could not load this contact" />
        <Button onClick={() => void found.refetch()}>Try again</Button>
        <p>
          <Link to="/contacts" className="font-semibold text-teal-900 underline">
            Back to contacts
          </Link>
        </p>
      </div>
    );
  }

  const { contact, bookings, tasks, touchpoints, touchpoints_next_cursor } = found.data;
  const rows = breakdownRows(contact.warmness_breakdown as Record<string, unknown>);
  const openTasks = tasks.filter((t) => !t.completed_at && t.status !== 'cancelled');

  return (
    <div className="space-y-5">
      <div>
        <Link to="/contacts" className="text-sm font-semibold text-teal-900 underline">
          ← Contacts
        </Link>
        <div className="mt-1 flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-bold text-slate-900">{contact.name || 'Unnamed contact'}</h1>
          <WarmnessBadge score={contact.warmness_score} label={contact.warmness_label} />
          {contact.is_existing_patient && <Badge className="border-slate-300 bg-slate-100 text-slate-900">Existing patient</Badge>}
        </div>
        <p className="text-slate-800">
          {pipelineName(contact.current_pipeline)} · <span className="font-semibold">{stageName(contact.current_pipeline, contact.current_stage)}</span>
        </p>
      </div>

      <div className="grid gap-5 lg:grid-cols-2">
        <div className="space-y-5">
          <Section id="details-heading" title="Details">
            <dl>
              <Fact label="Phone">{contact.phone ? <a className="text-teal-900 underline" href={`tel:${contact.phone}`}>{contact.phone}</a> : '—'}</Fact>
              <Fact label="Email">{contact.email ? <a className="break-all text-teal-900 underline" href={`mailto:${contact.email}`}>{contact.email}</a> : '—'}</Fact>
              <Fact label="Source">{contact.source || '—'}</Fact>
              <Fact label="Intent">{contact.intent ? contact.intent.replace(/_/g, ' ') : '—'}</Fact>
              <Fact label="Added">{contact.created_at ? formatUnix(contact.created_at) : '—'}</Fact>
            </dl>
          </Section>

          <Section id="warmness-heading" title={`Warmness: ${contact.warmness_score} (${contact.warmness_label})`}>
            {rows.length === 0 ? (
              <p className="text-sm text-slate-700">No breakdown recorded for this score.</p>
            ) : (
              <table className="w-full text-left text-sm">
                <caption className="sr-only">How the warmness score is made up</caption>
                <thead>
                  <tr className="text-xs text-slate-700">
                    <th scope="col" className="py-1 font-medium">Part</th>
                    <th scope="col" className="py-1 font-medium">Why</th>
                    <th scope="col" className="py-1 text-right font-medium">Points</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r, i) => (
                    <tr key={i} className="border-t border-slate-200">
                      <th scope="row" className="py-1 pr-2 font-medium">{r.label}</th>
                      <td className="py-1 pr-2">{r.detail}</td>
                      <td className="py-1 text-right tabular-nums">{r.points > 0 ? `+${r.points}` : r.points}</td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr className="border-t-2 border-slate-300 font-semibold">
                    <th scope="row" colSpan={2} className="py-1 text-left">Score (0–100)</th>
                    <td className="py-1 text-right tabular-nums">{contact.warmness_score}</td>
                  </tr>
                </tfoot>
              </table>
            )}
          </Section>

          <Section id="bookings-heading" title="Bookings">
            {bookings.length === 0 ? (
              <p className="text-sm text-slate-700">No bookings.</p>
            ) : (
              <ul className="space-y-2">
                {bookings.map((b) => (
                  <li key={b.id} className="text-sm">
                    <span className="font-semibold">{b.service_name ?? b.service_type}</span>
                    {' · '}
                    {b.appointment_datetime ? formatUnix(b.appointment_datetime) : 'no time'}
                    {' · '}
                    {b.status.replace(/_/g, ' ')}
                    {b.outcome ? ` (${b.outcome.replace(/_/g, ' ')})` : ''}
                  </li>
                ))}
              </ul>
            )}
          </Section>

          <Section id="tasks-heading" title={`Tasks (${openTasks.length} open)`}>
            {tasks.length === 0 ? (
              <p className="text-sm text-slate-700">No tasks.</p>
            ) : (
              <ul className="space-y-2">
                {tasks.map((t) => (
                  <li key={t.id} className="text-sm">
                    <span className="font-semibold">{taskTypeLabel(t.type)}</span>
                    {' · '}
                    {t.completed_at ? `done${t.completed_at ? ` ${formatUnix(t.completed_at)}` : ''}` : t.status.replace(/_/g, ' ')}
                    {!t.completed_at && t.due_datetime ? ` · due ${formatUnix(t.due_datetime)}` : ''}
                    {t.priority_category ? ` · ${t.priority_category.toLowerCase()} priority` : ''}
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </div>

        <div className="space-y-5">
          <Section id="sms-heading" title="SMS conversation">
            <Conversation contactId={contact.id} contactName={contact.name} canSend={canSendSms(user?.role ?? '') && Boolean(contact.phone)} />
          </Section>
          <Section id="timeline-heading" title="Timeline">
            <Timeline contactId={contact.id} first={touchpoints} nextCursor={touchpoints_next_cursor ?? null} stageName={stageName} />
          </Section>
        </div>
      </div>

      <Section id="automation-heading" title="Automation: why rules did or didn't fire">
        <AutomationRuns contactId={contact.id} />
      </Section>
    </div>
  );
}
