/**
 * "Why did (or didn't) this fire": each rule run for the contact, the
 * conditions it checked with what it expected and what it saw, and what
 * each action did.
 */
import type { AutomationRun, RunCondition } from '../api/types';
import { Badge, Button, Empty, ErrorAlert, Loading } from '../ui/controls';
import { formatUnix } from '../ui/time';
import { useAutomationRuns } from './api';

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const OPS: Record<string, string> = { eq: '=', ne: '≠', gte: '≥', gt: '>', lte: '≤', lt: '<', in: 'in', not_in: 'not in' };

function Conditions({ conditions, caption }: { conditions: RunCondition[]; caption: string }) {
  if (conditions.length === 0) return null;
  return (
    <table className="mt-2 w-full text-left text-sm">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr className="text-xs text-slate-700">
          <th scope="col" className="py-1 pr-2 font-medium">Condition</th>
          <th scope="col" className="py-1 pr-2 font-medium">Saw</th>
          <th scope="col" className="py-1 font-medium">Result</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c, i) => (
          <tr key={i} className="border-t border-slate-200 align-top">
            <td className="py-1 pr-2">
              {c.field.replace(/_/g, ' ')} {OPS[c.op] ?? c.op} {show(c.expected)}
            </td>
            <td className="py-1 pr-2">{show(c.seen)}</td>
            <td className={`py-1 font-semibold ${c.passed ? 'text-green-800' : 'text-red-800'}`}>{c.passed ? 'Passed' : 'Failed'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Why a run did or didn't fire and what it did: the failed conditions in a
 * sentence, every condition's expected and seen, each action's status.
 * Shared with Settings' recent runs of a rule.
 */
export function RunDetails({ run: r }: { run: AutomationRun }) {
  const failed = r.conditions.filter((c) => !c.passed);
  return (
    <>
      {!r.matched && failed.length > 0 && (
        <p className="mt-2 text-sm text-slate-800">
          Did not fire because {failed.map((c) => `${c.field.replace(/_/g, ' ')} was ${show(c.seen)}, not ${OPS[c.op] ?? c.op} ${show(c.expected)}`).join('; ')}.
        </p>
      )}
      <Conditions conditions={r.conditions} caption={`Conditions of ${r.rule_id}`} />
      {r.actions.length > 0 && (
        <ol className="mt-2 space-y-1 text-sm">
          {r.actions.map((a) => (
            <li key={a.index}>
              <span className="font-medium">{a.type.replace(/_/g, ' ')}</span>: {a.status.replace(/_/g, ' ')}
              {a.detail ? ` — ${a.detail}` : ''}
              {a.conditions.length > 0 && <Conditions conditions={a.conditions} caption={`Conditions of action ${a.index + 1}`} />}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

export function AutomationRuns({ contactId }: { contactId: string }) {
  const runs = useAutomationRuns(contactId);
  if (runs.isPending) return <Loading label="Loading automation runs…" />;
  if (runs.isError) return <ErrorAlert error={runs.error} title="Could not load automation runs" />;
  const all = runs.data.pages.flatMap((p) => p.runs);
  if (all.length === 0) return <Empty title="No rules have run for this contact" />;
  return (
    <div>
      <ul aria-label="Automation runs" className="space-y-3">
        {all.map((r) => {
          return (
            <li key={r.id}>
              <details className="rounded-md border border-slate-300 bg-white p-3" open={!r.matched}>
                <summary className="cursor-pointer list-inside">
                  <span className="font-semibold text-slate-900">{r.rule_id.replace(/^rule_/, '').replace(/_/g, ' ')}</span>{' '}
                  <Badge className={r.matched ? 'border-green-300 bg-green-50 text-green-900' : 'border-slate-300 bg-slate-100 text-slate-900'}>
                    {r.matched ? 'Fired' : 'Did not fire'}
                  </Badge>
                  <span className="block text-xs text-slate-700 sm:inline sm:pl-2">
                    on {r.event_type || r.trigger} · {r.at ? formatUnix(r.at) : ''} · v{r.rule_version}
                  </span>
                </summary>
                <RunDetails run={r} />
              </details>
            </li>
          );
        })}
      </ul>
      {runs.hasNextPage && (
        <Button className="mt-3" disabled={runs.isFetchingNextPage} onClick={() => void runs.fetchNextPage()}>
          {runs.isFetchingNextPage ? 'Loading…' : 'Load more runs'}
        </Button>
      )}
    </div>
  );
}
