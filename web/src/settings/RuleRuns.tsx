/**
 * Settings → Automation rules → a rule's recent runs: newest first, ten at
 * a time, all or only those that fired (or didn't), each with when (in the
 * practice's zone), the contact it ran for, and why it did or didn't fire
 * (the same details as a contact page's automation runs).
 */
import { useId, useState } from 'react';
import { Link } from 'react-router';
import type { Rule, RuleRun } from '../api/types';
import { RunDetails } from '../contacts/AutomationRuns';
import { Badge, Button, Empty, ErrorAlert, Loading, LoadFailed } from '../ui/controls';
import { formatUnix } from '../ui/time';
import { useRuleRuns, type RunFilter } from './api';

const FILTERS: { value: RunFilter; label: string; empty: string }[] = [
  { value: 'all', label: 'All', empty: "This rule hasn't run yet" },
  { value: 'fired', label: 'Fired', empty: 'None of its runs fired' },
  { value: 'not_fired', label: "Didn't fire", empty: 'Every run fired' },
];

/** The rule's "Recent runs" button and, once opened, its panel. */
export function RuleRunsToggle({ rule }: { rule: Rule }) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  return (
    <>
      <Button aria-expanded={open} aria-controls={open ? panelId : undefined} onClick={() => setOpen(!open)} className="ml-auto">
        {open ? 'Hide runs' : 'Recent runs'}
        <span className="sr-only"> of {rule.name}</span>
      </Button>
      {open && <RuleRunsPanel id={panelId} rule={rule} />}
    </>
  );
}

function RuleRunsPanel({ id, rule }: { id: string; rule: Rule }) {
  const [filter, setFilter] = useState<RunFilter>('all');
  const runs = useRuleRuns(rule.id, filter);
  const filterName = useId();
  const all = runs.data?.pages.flatMap((p) => p.runs) ?? [];
  return (
    <section id={id} aria-label={`Recent runs of ${rule.name}`} className="mt-1 w-full rounded-md border border-slate-300 bg-slate-50 p-2 sm:p-3">
      <fieldset className="flex flex-wrap items-center gap-x-4 gap-y-1">
        <legend className="float-left mr-2 text-sm font-medium text-slate-800">Show</legend>
        {FILTERS.map((f) => (
          <label key={f.value} className="inline-flex min-h-11 cursor-pointer items-center gap-2 text-sm text-slate-900">
            <input
              type="radio"
              name={filterName}
              value={f.value}
              checked={filter === f.value}
              onChange={() => setFilter(f.value)}
              className="size-4 accent-teal-800"
            />
            {f.label}
          </label>
        ))}
      </fieldset>
      {runs.isPending ? (
        <Loading label="Loading runs…" />
      ) : runs.isError && !runs.isFetchNextPageError ? (
        <LoadFailed error={runs.error} title="Could not load this rule's runs" onRetry={() => void runs.refetch()} />
      ) : all.length === 0 ? (
        <div className="mt-2">
          <Empty title={FILTERS.find((f) => f.value === filter)!.empty} />
        </div>
      ) : (
        <>
          <ol aria-label={`Runs of ${rule.name}`} className="mt-2 space-y-3">
            {all.map((run) => (
              <RunItem key={run.id} run={run} />
            ))}
          </ol>
          {runs.isFetchNextPageError && (
            <div className="mt-2">
              <ErrorAlert error={runs.error} title="Could not load more runs" />
            </div>
          )}
          {runs.hasNextPage && (
            <Button className="mt-3" disabled={runs.isFetchingNextPage} onClick={() => void runs.fetchNextPage()}>
              {runs.isFetchingNextPage ? 'Loading…' : 'Load more runs'}
            </Button>
          )}
        </>
      )}
    </section>
  );
}

function RunItem({ run }: { run: RuleRun }) {
  return (
    <li data-run={run.id} className="rounded-md border border-slate-300 bg-white p-2 wrap-anywhere sm:p-3">
      <p className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm">
        <Badge className={run.matched ? 'border-green-300 bg-green-50 text-green-900' : 'border-slate-300 bg-slate-100 text-slate-900'}>
          {run.matched ? 'Fired' : "Didn't fire"}
        </Badge>
        {run.at != null && (
          <time dateTime={new Date(run.at * 1000).toISOString()} className="font-medium text-slate-900">
            {formatUnix(run.at)}
          </time>
        )}
        <span aria-hidden="true" className="text-slate-700">
          ·
        </span>
        <ContactLink id={run.contact_id ?? null} name={run.contact_name ?? null} />
        <span className="text-slate-700">
          on {(run.event_type || run.trigger).replace(/_/g, ' ')} · v{run.rule_version}
        </span>
      </p>
      <RunDetails run={run} />
    </li>
  );
}

/** The contact a run was for, by name (the API names it unless the contact was merged away). */
function ContactLink({ id, name }: { id: string | null; name: string | null }) {
  if (!id) return <span className="text-slate-800">No contact</span>;
  return (
    <Link to={`/contacts/${id}`} className="font-semibold text-teal-900 underline">
      {name || 'Open the contact'}
    </Link>
  );
}
