/**
 * Pipelines: a board per pipeline, a column per stage in board order, a
 * card per contact. Each column loads its own stage, warmest first, 25
 * cards at a time with "Show more" (columns.ts), so a big stage is never
 * cut short. A card moves by dragging it onto another column, or
 * with its "Move to…" list (keyboard and phone), and only along the moves
 * the pipeline allows; anything else is refused in words and the card
 * stays where it was.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, useSyncExternalStore, type DragEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { describe } from '../api/problem';
import type { Contact, Pipeline } from '../api/types';
import { canWriteContacts } from '../auth/roles';
import { session } from '../auth/session';
import { usePipelines } from '../contacts/api';
import { WarmnessBadge } from '../contacts/WarmnessBadge';
import { Button, Empty, ErrorAlert, Field, fieldClass, Loading, LoadFailed } from '../ui/controls';
import { useColumn, useMoveContact } from './api';
import { cardsOf, countLabel, findCard } from './columns';
import { allowedTargets, refusal } from './transitions';

type Notice = { kind: 'refused' | 'moved'; text: string } | null;
type Stage = Pipeline['stages'][number];

export function BoardPage() {
  const { user } = useSyncExternalStore(session.subscribe, session.getState);
  const canMove = canWriteContacts(user?.role ?? '');
  const pipelines = usePipelines();
  const [params, setParams] = useSearchParams();
  const chosen = params.get('pipeline') ?? '';
  const pipeline = pipelines.data?.pipelines.find((p) => p.id === chosen) ?? pipelines.data?.pipelines[0];

  if (pipelines.isPending) return <Loading label="Loading pipelines…" />;
  if (pipelines.isError) {
    return (
      <div className="space-y-2">
        <h1 className="text-2xl font-bold text-slate-900">Pipelines</h1>
        <ErrorAlert error={pipelines.error} title="Could not load the pipelines" />
        <Button onClick={() => void pipelines.refetch()}>Try again</Button>
      </div>
    );
  }
  if (!pipeline) return <Empty title="No pipelines are set up" />;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-4">
        <h1 className="text-2xl font-bold text-slate-900">Pipelines</h1>
        <div className="w-full sm:ml-auto sm:w-64">
          <Field label="Pipeline">
            {(p) => (
              <select {...p} value={pipeline.id} onChange={(e) => setParams({ pipeline: e.target.value }, { replace: true })} className={fieldClass()}>
                {pipelines.data.pipelines.map((pl) => (
                  <option key={pl.id} value={pl.id}>
                    {pl.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
      </div>
      {/* Keyed by pipeline: a new board starts with no message and no drag. */}
      <Board key={pipeline.id} pipeline={pipeline} canMove={canMove} />
    </div>
  );
}

function Board({ pipeline, canMove }: { pipeline: Pipeline; canMove: boolean }) {
  const queryClient = useQueryClient();
  const move = useMoveContact(pipeline.id);
  const [notice, setNotice] = useState<Notice>(null);
  const [over, setOver] = useState<string | null>(null);
  const dragging = useRef<Contact | null>(null);
  const stageName = (id: string) => pipeline.stages.find((s) => s.id === id)?.name ?? id;

  const tryMove = (contact: Contact, to: string) => {
    const from = contact.current_stage;
    if (from === to) return;
    const refused = refusal(pipeline, from, to);
    if (refused) {
      setNotice({ kind: 'refused', text: refused });
      return;
    }
    setNotice(null);
    move.mutate(
      { contact, to },
      {
        onSuccess: () => setNotice({ kind: 'moved', text: `Moved ${contact.name} from ${stageName(from)} to ${stageName(to)}.` }),
        onError: (error) => setNotice({ kind: 'refused', text: `Can't move from ${stageName(from)} to ${stageName(to)}: ${describe(error)}` }),
      },
    );
  };

  const onDrop = (e: DragEvent, to: string) => {
    e.preventDefault();
    setOver(null);
    const id = e.dataTransfer.getData('text/plain');
    const contact = (id ? findCard(queryClient, pipeline.id, id) : undefined) ?? dragging.current;
    dragging.current = null;
    if (contact) tryMove(contact, to);
  };

  return (
    <>
      <div aria-live="polite" className="min-h-6">
        {notice?.kind === 'refused' && (
          <div role="alert" data-testid="board-notice" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm font-medium text-red-900">
            {notice.text}
          </div>
        )}
        {notice?.kind === 'moved' && (
          <p data-testid="board-notice" className="rounded-md border border-green-300 bg-green-50 p-3 text-sm font-medium text-green-900">
            {notice.text}
          </p>
        )}
      </div>
      {canMove ? (
        <p className="text-sm text-slate-700">Drag a card to another stage, or use its &ldquo;Move to&rdquo; list. Only the allowed next stages accept it.</p>
      ) : (
        <p className="text-sm text-slate-700">Your role can view the board but not move contacts.</p>
      )}
      <div
        role="region"
        aria-label={`${pipeline.name} board`}
        tabIndex={0}
        className="flex flex-col gap-3 pb-2 md:flex-row md:gap-2 md:overflow-x-auto"
      >
        {pipeline.stages.map((stage) => (
          <Column
            key={stage.id}
            pipeline={pipeline}
            stage={stage}
            canMove={canMove}
            over={over === stage.id}
            busyCard={move.isPending ? move.variables?.contact.id : undefined}
            onDragOver={() => setOver(stage.id)}
            onDragLeave={() => setOver((o) => (o === stage.id ? null : o))}
            onDrop={(e) => onDrop(e, stage.id)}
            onDragStart={(c) => {
              dragging.current = c;
              setNotice(null);
            }}
            onMove={tryMove}
          />
        ))}
      </div>
    </>
  );
}

/**
 * One stage: its own cards, loaded a page at a time, warmest first. The
 * header counts what is loaded, and says "25+" while the stage has more.
 */
function Column({
  pipeline,
  stage,
  canMove,
  over,
  busyCard,
  onDragOver,
  onDragLeave,
  onDrop,
  onDragStart,
  onMove,
}: {
  pipeline: Pipeline;
  stage: Stage;
  canMove: boolean;
  over: boolean;
  busyCard: string | undefined;
  onDragOver: () => void;
  onDragLeave: () => void;
  onDrop: (e: DragEvent) => void;
  onDragStart: (contact: Contact) => void;
  onMove: (contact: Contact, to: string) => void;
}) {
  const column = useColumn(pipeline.id, stage.id);
  const cards = cardsOf(column.data);
  const headingId = `stage-${stage.id}`;
  const count = countLabel(cards.length, column.hasNextPage);
  return (
    <section
      aria-labelledby={headingId}
      aria-busy={column.isFetching}
      data-stage={stage.id}
      onDragOver={(e) => {
        if (!canMove) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'move';
        onDragOver();
      }}
      onDragLeave={onDragLeave}
      onDrop={(e) => canMove && onDrop(e)}
      className={`flex min-w-0 flex-col rounded-lg border bg-slate-100 p-2 md:min-h-32 md:min-w-[9.5rem] md:flex-1 ${
        over ? 'border-teal-800 ring-2 ring-teal-800' : 'border-slate-300'
      }`}
    >
      <h2 id={headingId} className="flex items-baseline justify-between gap-2 px-1 pb-2 text-sm font-bold text-slate-900">
        {stage.name}
        {column.data && (
          <span data-testid="stage-count" className="shrink-0 rounded-full bg-white px-2 text-xs font-semibold text-slate-800">
            <span aria-hidden="true">{count.shown}</span>
            <span className="sr-only"> {count.spoken}</span>
          </span>
        )}
      </h2>
      {column.isPending ? (
        <Loading label={`Loading ${stage.name}…`} />
      ) : column.isError && !column.data ? (
        <LoadFailed error={column.error} title={`Could not load ${stage.name}`} onRetry={() => void column.refetch()} />
      ) : cards.length === 0 ? (
        <p className="px-1 text-sm text-slate-700">No contacts</p>
      ) : (
        <ul className="space-y-2" aria-label={`${stage.name} contacts`}>
          {cards.map((c) => (
            <li key={c.id}>
              <Card
                contact={c}
                pipeline={pipeline}
                canMove={canMove}
                busy={busyCard === c.id}
                onDragStart={() => onDragStart(c)}
                onMove={(to) => onMove(c, to)}
              />
            </li>
          ))}
        </ul>
      )}
      {column.isError && column.data ? (
        <div className="mt-2">
          {column.isFetchNextPageError ? (
            <LoadFailed error={column.error} title={`Could not load more of ${stage.name}`} onRetry={() => void column.fetchNextPage()} />
          ) : (
            <LoadFailed error={column.error} title={`Could not refresh ${stage.name}`} onRetry={() => void column.refetch()} />
          )}
        </div>
      ) : (
        column.hasNextPage && (
          <Button className="mt-2 w-full" disabled={column.isFetchingNextPage} onClick={() => void column.fetchNextPage()}>
            {column.isFetchingNextPage ? 'Loading more…' : 'Show more'}
            <span className="sr-only"> in {stage.name}</span>
          </Button>
        )
      )}
    </section>
  );
}

function Card({
  contact,
  pipeline,
  canMove,
  busy,
  onDragStart,
  onMove,
}: {
  contact: Contact;
  pipeline: Pipeline;
  canMove: boolean;
  busy: boolean;
  onDragStart: () => void;
  onMove: (to: string) => void;
}) {
  const targets = allowedTargets(pipeline, contact.current_stage);
  return (
    <article
      aria-label={contact.name}
      data-contact={contact.id}
      draggable={canMove}
      onDragStart={(e) => {
        e.dataTransfer.setData('text/plain', contact.id);
        e.dataTransfer.effectAllowed = 'move';
        onDragStart();
      }}
      className={`rounded-md border border-slate-300 bg-white p-2 shadow-sm ${canMove ? 'cursor-grab active:cursor-grabbing' : ''} ${busy ? 'opacity-60' : ''}`}
    >
      <div className="flex flex-wrap items-start justify-between gap-1">
        <Link to={`/contacts/${contact.id}`} className="font-semibold text-teal-900 underline-offset-2 hover:underline">
          {contact.name || 'Unnamed contact'}
        </Link>
        <WarmnessBadge score={contact.warmness_score} label={contact.warmness_label} />
      </div>
      {contact.phone && <p className="text-xs text-slate-700">{contact.phone}</p>}
      {canMove && targets.length > 0 && (
        <label className="mt-2 block text-xs font-medium text-slate-800">
          Move to
          <select
            value=""
            disabled={busy}
            onChange={(e) => e.target.value && onMove(e.target.value)}
            className="mt-0.5 block min-h-9 w-full rounded border border-slate-400 bg-white px-2 text-sm text-slate-900"
          >
            <option value="">Choose a stage…</option>
            {targets.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      )}
    </article>
  );
}
