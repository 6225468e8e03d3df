/**
 * Spec 000's four task priorities ("Priority Categories": URGENT ≥ 150 🔴,
 * HIGH ≥ 100 🟠, MEDIUM ≥ 50 🟡, LOW 🟢) and the queue's order. The
 * server computes the score and category; the UI trusts its category and
 * falls back to the spec's thresholds only when one is missing.
 *
 * Colour is never the only signal: each badge also says its name, and the
 * badge colours keep text at WCAG AA contrast (900 text on 100 fill).
 */

export const PRIORITIES = ['URGENT', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type Priority = (typeof PRIORITIES)[number];

export function categoryOfScore(score: number): Priority {
  if (score >= 150) return 'URGENT';
  if (score >= 100) return 'HIGH';
  if (score >= 50) return 'MEDIUM';
  return 'LOW';
}

export function priorityOf(task: { priority_category?: string | null; priority_score: number }): Priority {
  const given = task.priority_category?.toUpperCase();
  return (PRIORITIES as readonly string[]).includes(given ?? '') ? (given as Priority) : categoryOfScore(task.priority_score);
}

export interface PriorityStyle {
  label: string;
  /** Badge: fill, text and border classes. */
  badge: string;
  /** The card's left stripe. */
  stripe: string;
  /** Spec 000's 🔴🟠🟡🟢 marker as a CSS dot (no emoji font needed), decorative only. */
  dot: string;
}

export const PRIORITY_STYLE: Record<Priority, PriorityStyle> = {
  URGENT: { label: 'Urgent', badge: 'bg-red-100 text-red-900 border-red-300', stripe: 'border-l-red-600', dot: 'bg-red-600' },
  HIGH: { label: 'High', badge: 'bg-orange-100 text-orange-900 border-orange-300', stripe: 'border-l-orange-500', dot: 'bg-orange-500' },
  MEDIUM: { label: 'Medium', badge: 'bg-yellow-100 text-yellow-900 border-yellow-300', stripe: 'border-l-yellow-400', dot: 'bg-yellow-400 ring-1 ring-yellow-700' },
  LOW: { label: 'Low', badge: 'bg-green-100 text-green-900 border-green-300', stripe: 'border-l-green-600', dot: 'bg-green-600' },
};

/** Highest priority first; equal scores by the earliest due; then by id so
 * the order is stable between refetches. */
export function byPriority<T extends { priority_score: number; due_datetime?: number | null; id?: string | null }>(
  tasks: readonly T[],
): T[] {
  return [...tasks].sort(
    (a, b) =>
      b.priority_score - a.priority_score ||
      (a.due_datetime ?? Number.MAX_SAFE_INTEGER) - (b.due_datetime ?? Number.MAX_SAFE_INTEGER) ||
      (a.id ?? '').localeCompare(b.id ?? ''),
  );
}

/** "Overdue by 3 h", "Due in 20 min", "Due tomorrow": how far the due time
 * is from now, in words (absolute times are shown beside it). */
export function dueInWords(dueSeconds: number | null | undefined, nowMs: number): string {
  if (dueSeconds == null) return 'No due time';
  const diffMin = Math.round((dueSeconds * 1000 - nowMs) / 60_000);
  const abs = Math.abs(diffMin);
  const span = abs < 60 ? `${abs} min` : abs < 48 * 60 ? `${Math.round(abs / 60)} h` : `${Math.round(abs / 1440)} days`;
  if (diffMin < 0) return `Overdue by ${span}`;
  if (diffMin === 0) return 'Due now';
  return `Due in ${span}`;
}
