/** The task queue's queries and mutations (routes/tasks.rs). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { Outcome } from '../api/types';

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
    // Tasks are not on the live channel: poll gently, and on focus.
    refetchInterval: 60_000,
  });
}

/** Staff an admin may assign to (only admins may list users). */
export function useStaff(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.staff(),
    enabled,
    staleTime: 5 * 60_000,
    queryFn: async ({ signal }) => {
      const data = unwrap(await api.GET('/api/admin/users', { signal }));
      return data.users.filter((u) => u.is_active && (u.role === 'staff' || u.role === 'admin'));
    },
  });
}

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

/** Changes a task, then refreshes every task listing and its counts. */
export function useTaskAction(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (action: TaskAction) => perform(id, action),
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
