/**
 * Contacts: search as you type (a name, or a whole phone number or email
 * for an exact match) with filters by pipeline, stage, source and
 * warmness; each row opens the contact page.
 */
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Contact } from '../api/types';
import { Button, Empty, Field, fieldClass, Loading, LoadFailed } from '../ui/controls';
import { useDebounced } from '../ui/useDebounced';
import { stageNames, useContactSearch, usePipelines } from './api';
import { planSearch, WARMNESS_BANDS, type ContactFilters } from './search';
import { WarmnessBadge } from './WarmnessBadge';

export function ContactsPage() {
  // The search and filters live in the URL, so Back returns to them.
  const [params, setParams] = useSearchParams();
  const text = params.get('q') ?? '';
  const filters: ContactFilters = {
    pipeline: params.get('pipeline') ?? '',
    stage: params.get('stage') ?? '',
    source: params.get('source') ?? '',
    warmness: params.get('warmness') ?? '',
  };
  const set = (changes: Partial<ContactFilters & { q: string }>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (changes.pipeline !== undefined) next.delete('stage');
    setParams(next, { replace: true });
  };

  const debouncedText = useDebounced(text, 250);
  const debouncedSource = useDebounced(filters.source, 400);
  const plan = planSearch(debouncedText, { ...filters, source: debouncedSource });
  const results = useContactSearch(plan.query, plan.kind === 'list');
  const pipelines = usePipelines();
  const names = stageNames(pipelines.data);
  const stages = pipelines.data?.pipelines.find((p) => p.id === filters.pipeline)?.stages ?? [];
  const contacts = useMemo(() => results.data?.pages.flatMap((p) => p.contacts) ?? [], [results.data]);
  const filtered = Object.values(filters).some(Boolean);
  const typing = text !== debouncedText || results.isFetching;

  return (
    <div className="space-y-5">
      <h1 className="text-2xl font-bold text-slate-900">Contacts</h1>

      <form role="search" aria-label="Find contacts" onSubmit={(e) => e.preventDefault()} className="space-y-3 rounded-lg border border-slate-300 bg-white p-4">
        <Field label="Search" hint="A name (3 letters or more), or a whole phone number or email.">
          {(p) => (
            <input
              {...p}
              type="search"
              autoComplete="off"
              value={text}
              onChange={(e) => set({ q: e.target.value })}
              className={fieldClass()}
            />
          )}
        </Field>
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
          <Field label="Pipeline">
            {(p) => (
              <select {...p} value={filters.pipeline} onChange={(e) => set({ pipeline: e.target.value })} className={fieldClass()}>
                <option value="">Any pipeline</option>
                {pipelines.data?.pipelines.map((pl) => (
                  <option key={pl.id} value={pl.id}>
                    {pl.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Stage" hint={filters.pipeline ? undefined : 'Choose a pipeline first.'}>
            {(p) => (
              <select
                {...p}
                value={filters.stage}
                disabled={!filters.pipeline}
                onChange={(e) => set({ stage: e.target.value })}
                className={fieldClass()}
              >
                <option value="">Any stage</option>
                {stages.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Source">
            {(p) => (
              <input
                {...p}
                value={filters.source}
                placeholder="e.g. Referral"
                onChange={(e) => set({ source: e.target.value })}
                className={fieldClass()}
              />
            )}
          </Field>
          <Field label="Warmness">
            {(p) => (
              <select {...p} value={filters.warmness} onChange={(e) => set({ warmness: e.target.value })} className={fieldClass()}>
                <option value="">Any warmness</option>
                {Object.entries(WARMNESS_BANDS).map(([k, band]) => (
                  <option key={k} value={k}>
                    {band.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {filtered && (
          <Button variant="ghost" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
            Clear search and filters
          </Button>
        )}
        {'email' in plan.query || 'phone' in plan.query ? (
          <p className="text-sm text-slate-700">Exact {'email' in plan.query ? 'email' : 'phone'} match; the filters don&rsquo;t apply.</p>
        ) : null}
      </form>

      <section aria-labelledby="results-heading" aria-busy={typing}>
        <div className="mb-2 flex items-baseline gap-3">
          <h2 id="results-heading" className="text-lg font-semibold text-slate-900">
            {debouncedText.trim() && plan.kind === 'list' ? `Results for “${debouncedText.trim()}”` : 'All contacts'}
          </h2>
          <p role="status" aria-live="polite" className="text-sm text-slate-700">
            {plan.kind === 'too-short'
              ? `Type ${plan.needed} more character${plan.needed === 1 ? '' : 's'} to search.`
              : results.isPending
                ? ''
                : typing
                  ? 'Searching…'
                  : `${contacts.length}${results.hasNextPage ? '+' : ''} contact${contacts.length === 1 ? '' : 's'}`}
          </p>
        </div>
        {plan.kind === 'too-short' ? null : results.isPending ? (
          <Loading label="Loading contacts…" />
        ) : results.isError ? (
          <LoadFailed error={results.error} title="Could not load contacts" onRetry={() => void results.refetch()} />
        ) : contacts.length === 0 ? (
          <Empty title={filtered ? 'No contacts match' : 'No contacts yet'}>
            {filtered ? 'Try fewer filters or another spelling.' : 'Leads arrive from forms, ManyChat, texts and bookings.'}
          </Empty>
        ) : (
          <>
            <ul aria-label="Contacts" className="divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-300 bg-white">
              {contacts.map((c) => (
                <ContactRow key={c.id} contact={c} stage={`${names.pipelineName(c.current_pipeline)} · ${names.stageName(c.current_pipeline, c.current_stage)}`} />
              ))}
            </ul>
            {results.hasNextPage && (
              <Button className="mt-3" disabled={results.isFetchingNextPage} onClick={() => void results.fetchNextPage()}>
                {results.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </Button>
            )}
          </>
        )}
      </section>
    </div>
  );
}

function ContactRow({ contact, stage }: { contact: Contact; stage: string }) {
  return (
    <li>
      <Link
        to={`/contacts/${contact.id}`}
        className="grid grid-cols-[1fr_auto] items-center gap-x-3 gap-y-1 px-4 py-3 hover:bg-slate-50 focus:bg-slate-50 sm:grid-cols-[2fr_1.3fr_2fr_auto]"
      >
        <span className="font-semibold text-teal-900 underline-offset-2 hover:underline">{contact.name || 'Unnamed contact'}</span>
        <span className="order-last text-sm text-slate-700 sm:order-none">{contact.phone ?? contact.email ?? 'No phone'}</span>
        <span className="col-span-2 text-sm text-slate-800 sm:col-span-1">{stage}</span>
        <span className="row-start-1 justify-self-end sm:row-auto">
          <WarmnessBadge score={contact.warmness_score} label={contact.warmness_label} />
        </span>
      </Link>
    </li>
  );
}
