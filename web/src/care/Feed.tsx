import type { CareUpdate } from '../api/types';
import { Badge, Button, Empty, ErrorAlert, Loading, LoadFailed } from '../ui/controls';
import { formatWallClock, isoOf, zoneName } from '../ui/time';
import { noteTypeLabel, useFeed, visibilityLabel } from './api';
import { FlagUrgent } from './FlagUrgent';

export function Feed({ clientId, clientName, showVisibility, canFlag = false }: { clientId: string; clientName: string; showVisibility: boolean; canFlag?: boolean }) {
  const feed = useFeed(clientId);
  if (feed.isPending) return <Loading label="Loading care updates…" />;
  // A failed "Load older" keeps the pages we have: only a first load that
  // failed replaces the feed with the error.
  if (feed.isError && !feed.isFetchNextPageError)
    return (
      <LoadFailed error={feed.error} title="Could not load care updates" onRetry={() => void feed.refetch()} />
    );
  const updates = feed.data.pages.flatMap((p) => p.updates);
  const zone = feed.data.pages[0]?.time_zone;
  if (updates.length === 0) return <Empty title="No care updates yet">The care team's notes about {clientName} will appear here.</Empty>;
  return (
    <div>
      {zone && <p className="mb-2 text-sm text-slate-700">Times are {zoneName(zone)} ({zone}).</p>}
      <ol className="space-y-3" aria-label={`Care updates for ${clientName}`}>
        {updates.map((u) => (
          <li key={u.id}>
            <UpdateCard update={u} showVisibility={showVisibility} flag={canFlag ? clientId : null} />
          </li>
        ))}
      </ol>
      {feed.hasNextPage && (
        <div className="mt-4 text-center">
          <Button onClick={() => void feed.fetchNextPage()} disabled={feed.isFetchingNextPage}>
            {feed.isFetchingNextPage ? 'Loading older updates…' : 'Load older'}
          </Button>
        </div>
      )}
      {feed.isFetchNextPageError && (
        <div className="mt-2">
          <ErrorAlert error={feed.error} title="Could not load older updates" />
        </div>
      )}
    </div>
  );
}

function UpdateCard({ update, showVisibility, flag }: { update: CareUpdate; showVisibility: boolean; flag: string | null }) {
  const titleId = `update-${update.id}`;
  return (
    <article
      aria-labelledby={titleId}
      className={`rounded-lg border bg-white p-4 shadow-sm ${update.urgent ? 'border-red-400 border-l-8 border-l-red-700' : 'border-slate-300'}`}
    >
      <div className="flex flex-wrap items-center gap-2">
        {update.urgent && <Badge className="border-red-300 bg-red-100 text-red-900">URGENT</Badge>}
        <Badge className="border-slate-300 bg-slate-100 text-slate-800">{noteTypeLabel(update.note_type)}</Badge>
        {showVisibility && <Badge className="border-violet-300 bg-violet-50 text-violet-900">{visibilityLabel(update.visibility)}</Badge>}
        <time dateTime={isoOf(update.created_local)} className="ml-auto text-sm text-slate-700">
          {formatWallClock(update.created_local)}
        </time>
      </div>
      <h3 id={titleId} className="mt-2 text-base font-semibold text-slate-900">
        {update.title || noteTypeLabel(update.note_type)}
      </h3>
      <p className="mt-1 whitespace-pre-line text-slate-800">{update.content}</p>
      {update.author_name && <p className="mt-2 text-sm text-slate-700">By {update.author_name}</p>}
      {/* The care team flags an update urgent; an internal-only one can't be (the family can't see it). */}
      {flag && !update.urgent && update.visibility !== 'internal_only' && <FlagUrgent clientId={flag} update={update} />}
    </article>
  );
}
