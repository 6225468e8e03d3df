/**
 * Whether a contact may move between two stages of a pipeline: only to a
 * stage its current stage lists in `next` (`GET /api/pipelines`; the
 * contact service enforces the same and answers 409 otherwise). The board
 * uses this to refuse a drop before asking, and to offer only the allowed
 * stages in "Move to…".
 */
import type { Pipeline } from '../api/types';

export type MoveCheck = { ok: true } | { ok: false; reason: string };

function stageName(pipeline: Pipeline, id: string): string {
  return pipeline.stages.find((s) => s.id === id)?.name ?? id;
}

/** "A", "A or B", "A, B or C". */
export function orList(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** The stages a contact in `from` may move to, in board order. */
export function allowedTargets(pipeline: Pipeline, from: string): Pipeline['stages'] {
  const next = new Set(pipeline.stages.find((s) => s.id === from)?.next ?? []);
  return pipeline.stages.filter((s) => next.has(s.id));
}

export function checkMove(pipeline: Pipeline, from: string, to: string): MoveCheck {
  const current = pipeline.stages.find((s) => s.id === from);
  if (!current) return { ok: false, reason: `${from} is not a stage of ${pipeline.name}.` };
  if (!pipeline.stages.some((s) => s.id === to)) return { ok: false, reason: `${to} is not a stage of ${pipeline.name}.` };
  if (from === to) return { ok: false, reason: `the contact is already in ${current.name}.` };
  if (current.next.includes(to)) return { ok: true };
  const allowed = allowedTargets(pipeline, from).map((s) => s.name);
  return {
    ok: false,
    reason: allowed.length
      ? `from ${current.name} a contact can only move to ${orList(allowed)}.`
      : `${current.name} is a final stage.`,
  };
}

/** The sentence the board shows for a refused move. */
export function refusal(pipeline: Pipeline, from: string, to: string): string | null {
  const check = checkMove(pipeline, from, to);
  return check.ok ? null : `Can't move from ${stageName(pipeline, from)} to ${stageName(pipeline, to)}: ${check.reason}`;
}
