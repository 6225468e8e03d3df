/** The care portal's queries and mutations (routes/care.rs, routes/messages.rs). */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { NewCareUpdate } from '../api/types';

export function useClients() {
  return useQuery({
    queryKey: queryKeys.clients(),
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/clients', { signal })).clients,
    staleTime: 60_000,
  });
}

const FEED_PAGE = 20;

/** A client's care updates, newest first, a page at a time (keyset cursor). */
export function useFeed(clientId: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.feed(clientId),
    initialPageParam: '',
    queryFn: async ({ pageParam, signal }) =>
      unwrap(
        await api.GET('/api/clients/{id}/updates', {
          params: { path: { id: clientId }, query: { cursor: pageParam || undefined, limit: FEED_PAGE } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function usePostUpdate(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: NewCareUpdate) =>
      unwrap(
        await api.POST('/api/clients/{id}/progress-notes', {
          params: { path: { id: clientId } },
          body,
          headers: { 'idempotency-key': crypto.randomUUID() },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.feed(clientId) }),
  });
}

export function useConversation(clientId: string) {
  return useQuery({
    queryKey: queryKeys.conversation(clientId),
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/api/messages/{client}', { params: { path: { client: clientId }, query: { limit: 50 } }, signal })),
  });
}

export function useSendMessage(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (content: string) =>
      unwrap(
        await api.POST('/api/messages', {
          body: { conversation_id: clientId, content },
          headers: { 'idempotency-key': crypto.randomUUID() },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.conversation(clientId) }),
  });
}

/** Marks the conversation read up to its latest message (the receipt the others see). */
export function useMarkRead(clientId: string) {
  return useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/messages/{client}/read', { params: { path: { client: clientId } } })),
  });
}

export const NOTE_TYPES = [
  { value: 'daily_update', label: 'Daily update' },
  { value: 'health_assessment', label: 'Health assessment' },
  { value: 'medication_log', label: 'Medication log' },
  { value: 'incident_report', label: 'Incident report' },
] as const;

export const VISIBILITIES = [
  { value: 'family_and_team', label: 'Family and care team' },
  { value: 'family_only', label: 'Family only' },
  { value: 'internal_only', label: 'Care team only (internal)' },
] as const;

export function noteTypeLabel(type: string): string {
  return NOTE_TYPES.find((t) => t.value === type)?.label ?? type.replace(/_/g, ' ');
}

export function visibilityLabel(v: string): string {
  return VISIBILITIES.find((x) => x.value === v)?.label ?? v;
}

/** Family access levels that may write to the care team. */
export function accessWrites(access: string): boolean {
  return access !== 'view_only';
}
