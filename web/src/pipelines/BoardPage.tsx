/**
 * Pipelines: a board per pipeline, a column per stage in board order, a
 * card per contact. A card moves by dragging it onto another column, or
 * with its "Move to…" list (keyboard and phone), and only along the moves
 * the pipeline allows; anything else is refused in words and the card
 * stays where it was.
 */
import { useMemo, useRef, useState, useSyncExternalStore, type DragEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { describe } from '../api/problem';
import type { Contact, Pipeline } from '../api/types';
import { canWriteContacts } from '../auth/roles';
import { session } from '../auth/session';
import { usePipelines } from '../contacts/api';
import { WarmnessBadge } from '../contacts/WarmnessBadge';
import { Button, Empty, ErrorAlert, Field, fieldClass, Loading, LoadFailed } from '../ui/controls';
import { useBoard, useMoveContact } from './api';
import { allowedTargets, refusal } from './transitions';

type Notice = { kind: 'refused' | 'moved'; text: string } | null;

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
  const board = useBoard(pipeline.id);
  const move = useMoveContact(pipeline.id);
  const [notice, setNotice] = useState<Notice>(null);
  const [over, setOver] = useState<string | null>(null);
  const dragging = useRef<string | null>(null);
  const stageName = (id: string) => pipeline.stages.find((s) => s.id === id)?.name ?? id;

  const byStage = useMemo(() => {
    const columns = new Map<string, Contact[]>(pipeline.stages.map((s) => [s.id, []]));
    for (const c of board.data?.contacts ?? []) columns.get(c.current_stage)?.push(c);
    for (const list of columns.values()) list.sort((a, b) => b.warmness_score - a.warmness_score || a.name.localeCompare(b.name));
    return columns;
  }, [board.data, pipeline.stages]);

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
      { contact, pipeline: pipeline.id, to },
      {
        onSuccess: () => setNotice({ kind: 'moved', text: `Moved ${contact.name} from ${stageName(from)} to ${stageName(to)}.` }),
        onError: (error) => setNotice({ kind: 'refused', text: `Can't move from ${stageName(from)} to ${stageName(to)}: ${describe(error)}` }),
      },
    );
  };

  const onDrop = (e: DragEvent, to: string) => {
    e.preventDefault();
    setOver(null);
    const id = e.dataTransfer.getData('text/plain') || dragging.current;
    dragging.current = null;
    const contact = board.data?.contacts.find((c) => c.id === id);
    if (contact) tryMove(contact, to);
  };

  if (board.isPending) return <Loading label={`Loading ${pipeline.name}…`} />;
  if (board.isError) {
    return (
      <LoadFailed error={board.error} title={`Could not load ${pipeline.name}`} onRetry={() => void board.refetch()} />
    );
  }

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
      {board.data.truncated && <p className="text-sm text-amber-900">Showing the first {board.data.contacts.length} contacts.</p>}
      <div
        role="region"
        aria-label={`${pipeline.name} board`}
        tabIndex={0}
        className="flex flex-col gap-3 pb-2 md:flex-row md:gap-2 md:overflow-x-auto"
      >
        {pipeline.stages.map((stage) => {
          const cards = byStage.get(stage.id) ?? [];
          const headingId = `stage-${stage.id}`;
          return (
            <section
              key={stage.id}
              aria-labelledby={headingId}
              data-stage={stage.id}
              onDragOver={(e) => {
                if (!canMove) return;
                e.preventDefault();
                e.dataTransfer.dropEffect = 'move';
                setOver(stage.id);
              }}
              onDragLeave={() => setOver((o) => (o === stage.id ? null : o))}
              onDrop={(e) => canMove && onDrop(e, stage.id)}
              className={`flex min-h-32 flex-col rounded-lg border bg-slate-100 p-2 md:min-w-[9.5rem] md:flex-1 ${
                over === stage.id ? 'border-teal-800 ring-2 ring-teal-800' : 'border-slate-300'
              }`}
            >
              <h2 id={headingId} className="flex items-baseline justify-between px-1 pb-2 text-sm font-bold text-slate-900">
                {stage.name}
                <span className="rounded-full bg-white px-2 text-xs font-semibold text-slate-800">
                  {cards.length}
                  <span className="sr-only"> contacts</span>
                </span>
              </h2>
              {cards.length === 0 ? (
                <p className="px-1 text-sm text-slate-700">No contacts</p>
              ) : (
                <ul className="space-y-2" aria-label={`${stage.name} contacts`}>
                  {cards.map((c) => (
                    <li key={c.id}>
                      <Card
                        contact={c}
                        pipeline={pipeline}
                        canMove={canMove}
                        busy={move.isPending && move.variables?.contact.id === c.id}
                        onDragStart={() => {
                          dragging.current = c.id;
                          setNotice(null);
                        }}
                        onMove={(to) => tryMove(c, to)}
                      />
                    </li>
                  ))}
                </ul>
              )}
            </section>
          );
        })}
      </div>
    </>
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
