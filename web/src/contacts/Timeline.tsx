/** A contact's touchpoints, newest first, with "Load more" for older pages. */
import type { Touchpoint } from '../api/types';
import { Button, ErrorAlert } from '../ui/controls';
import { formatUnix } from '../ui/time';
import { useOlderTouchpoints } from './api';

function words(s: string): string {
  const w = s.replace(/[_.]/g, ' ').trim();
  return w ? w[0]!.toUpperCase() + w.slice(1) : s;
}

/** The one line that says what happened, from the details the API keeps. */
export function touchpointSummary(t: Touchpoint, stageName: (pipeline: string, stage: string) => string): string {
  const d = t.details as Record<string, unknown>;
  const str = (k: string) => (typeof d[k] === 'string' && d[k] !== '' ? (d[k] as string) : undefined);
  if (t.type === 'stage_changed' && str('to_stage')) {
    const from = str('from_stage') ? stageName(str('from_pipeline') ?? '', str('from_stage')!) : 'nowhere';
    const cause = str('cause') ? ` (${str('cause')})` : '';
    return `From ${from} to ${stageName(str('to_pipeline') ?? '', str('to_stage')!)}${cause}`;
  }
  const text = str('body') ?? str('message') ?? str('notes') ?? str('summary') ?? str('reason');
  if (text) return text;
  const simple = Object.entries(d)
    .filter(([k, v]) => (typeof v === 'string' || typeof v === 'number') && v !== '' && !k.endsWith('_id') && k !== 'id')
    .slice(0, 4)
    .map(([k, v]) => `${words(k)}: ${String(v)}`);
  return simple.join(' · ');
}

export function Timeline({
  contactId,
  first,
  nextCursor,
  stageName,
}: {
  contactId: string;
  first: Touchpoint[];
  nextCursor: string | null;
  stageName: (pipeline: string, stage: string) => string;
}) {
  const older = useOlderTouchpoints(contactId, nextCursor);
  const more = older.data?.pages.flatMap((p) => p.touchpoints) ?? [];
  const all = [...first, ...more];
  const hasMore = older.data ? older.hasNextPage : Boolean(nextCursor);

  if (all.length === 0) return <p className="text-slate-700">Nothing has happened with this contact yet.</p>;
  return (
    <div>
      <ol aria-label="Touchpoints" className="relative space-y-3 border-l-2 border-slate-300 pl-4">
        {all.map((t) => (
          <li key={t.id} className="relative">
            <span aria-hidden="true" className="absolute -left-[1.4rem] top-1.5 size-3 rounded-full border-2 border-white bg-teal-800" />
            <p className="text-sm font-semibold text-slate-900">
              {words(t.type)}
              <span className="font-normal text-slate-700">
                {' · '}
                {t.source}
                {t.channel ? ` · ${t.channel}` : ''}
              </span>
            </p>
            <p className="text-xs text-slate-700">{t.timestamp ? formatUnix(t.timestamp) : 'time unknown'}</p>
            {touchpointSummary(t, stageName) && <p className="mt-0.5 break-words text-sm text-slate-800">{touchpointSummary(t, stageName)}</p>}
          </li>
        ))}
      </ol>
      {older.isError && <ErrorAlert error={older.error} title="Could not load older touchpoints" />}
      {hasMore && (
        <Button
          className="mt-3"
          disabled={older.isFetching}
          onClick={() => void (older.data ? older.fetchNextPage() : older.refetch())}
        >
          {older.isFetching ? 'Loading…' : 'Load more'}
        </Button>
      )}
    </div>
  );
}
