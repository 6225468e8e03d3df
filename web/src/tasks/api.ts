/** The task queue's queries and mutations (routes/tasks.rs). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { Assignee, Outcome } from '../api/types';
import { ROLE_LABEL } from '../auth/roles';

export type Timeframe = 'overdue' | 'today' | 'upcoming' | 'all';
/** `me`, `unassigned` or `all` (the API's `assigned_to`). */
export type Queue = 'me' | 'unassigned' | 'all';

export function useTaskQueue(timeframe: Timeframe, queue: Queue) {
  return useQuery({
    queryKey: queryKeys.taskQueue(timeframe, queue),
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/api/tasks', {
          params: { query: { timeframe, assigned_to: queue, status: 'open', limit: 100 } },
          signal,
        }),
      ),
    // The live channel refreshes it on every task change (live/events.ts);
    // the poll is for what it can't push: a task falling due.
    refetchInterval: 60_000,
  });
}

/**
 * Who a task can go to (`GET /api/tasks/assignees`: the active admins and
 * staff, by name), for anyone who may change tasks. Under ['staff'], so an
 * invitation or a deactivation in Settings refreshes it.
 */
export function useAssignees(enabled: boolean) {
  return useQuery({
    queryKey: [...queryKeys.staff(), 'assignees'],
    enabled,
    staleTime: 5 * 60_000,
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/tasks/assignees', { signal })).assignees,
  });
}

/**
 * The reassign picker's choices: everyone but the task's current assignee,
 * by name (the role when a user has none, "you" beside the caller), after
 * the shared queue unless the task is already there.
 */
export function assigneeChoices(assignees: readonly Assignee[], current: string | null, me: string): { value: string; label: string }[] {
  const people = assignees
    .filter((a) => a.id !== current)
    .map((a) => {
      const name = a.name.trim() || ROLE_LABEL[a.role] || a.role;
      return { value: a.id, label: a.id === me ? `${name} (you)` : name };
    });
  return current === null ? people : [{ value: UNASSIGNED, label: 'Unassigned (back to the queue)' }, ...people];
}

/** The picker's value for "nobody": the API's `assigned_to: null`. */
export const UNASSIGNED = '';

export type TaskAction =
  | { kind: 'complete'; notes: string; outcome: Outcome }
  | { kind: 'claim' }
  | { kind: 'snooze'; until: number }
  | { kind: 'reassign'; assignedTo: string | null };

async function perform(id: string, action: TaskAction) {
  const path = { params: { path: { id } } };
  switch (action.kind) {
    case 'complete':
      return unwrap(
        await api.POST('/api/tasks/{id}/complete', {
          ...path,
          body: { notes: action.notes, outcome: action.outcome },
          headers: { 'idempotency-key': crypto.randomUUID() },
        }),
      );
    case 'claim':
      return unwrap(await api.POST('/api/tasks/{id}/claim', path));
    case 'snooze':
      return unwrap(await api.POST('/api/tasks/{id}/snooze', { ...path, body: { until: action.until } }));
    case 'reassign':
      return unwrap(await api.POST('/api/tasks/{id}/reassign', { ...path, body: { assigned_to: action.assignedTo } }));
  }
}

/**
 * Changes a task, then refreshes every task listing and its counts.
 * `onDone` is told here rather than by `mutate`'s own callbacks: those are
 * dropped when the card unmounts, and a completed or reassigned task
 * leaves the list (the refetch, or the live push) as soon as it's done.
 */
export function useTaskAction(id: string, onDone?: (action: TaskAction) => void) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (action: TaskAction) => perform(id, action),
    onSuccess: (_answer, action) => onDone?.(action),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.tasks() }),
  });
}

export const OUTCOMES: { value: Outcome; label: string }[] = [
  { value: 'success', label: 'Done — reached them' },
  { value: 'no_answer', label: 'No answer' },
  { value: 'voicemail', label: 'Left a voicemail' },
  { value: 'rescheduled', label: 'Rescheduled' },
  { value: 'declined', label: 'Declined' },
  { value: 'other', label: 'Other' },
];

/** Spec 000's task types, as staff say them. */
const TASK_TYPES: Record<string, string> = {
  rescue_call: 'Rescue call',
  call_hot_lead: 'Call hot lead',
  no_show_followup: 'No-show follow-up',
  confirmation_call: 'Confirmation call',
  welcome_call: 'Welcome call',
  recall_call: 'Recall call',
  review_request: 'Review request',
  referral_invite: 'Referral invite',
  sms_followup: 'SMS follow-up',
};

/** "rescue_call" → "Rescue call"; unknown types get the same treatment. */
export function taskTypeLabel(type: string): string {
  if (TASK_TYPES[type]) return TASK_TYPES[type];
  const words = type.replace(/_/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Task';
}
