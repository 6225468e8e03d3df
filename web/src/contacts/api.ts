/** Contacts' queries (routes/contacts.rs, automation.rs, pipelines.rs). */
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { ContactList, Pipelines } from '../api/types';

export async function fetchContacts(query: Record<string, string | number>, signal?: AbortSignal): Promise<ContactList> {
  const data = unwrap(await api.GET('/api/contacts', { params: { query }, signal }));
  return data;
}

/** A contact search or filtered listing, a page at a time ("Load more"). */
export function useContactSearch(query: Record<string, string | number>, enabled = true) {
  return useInfiniteQuery({
    queryKey: queryKeys.contactSearch(query),
    enabled,
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) => fetchContacts(pageParam ? { ...query, cursor: pageParam } : query, signal),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    // Keep the last results on screen while the next keystroke's load.
    placeholderData: keepPreviousData,
  });
}

export function useContact(id: string) {
  return useQuery({
    queryKey: queryKeys.contact(id),
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/api/contacts/{id}', { params: { path: { id }, query: { limit: 20 } }, signal })),
  });
}

/** Further pages of a contact's timeline, after the first the contact page brought. */
export function useOlderTouchpoints(id: string, firstCursor: string | null | undefined) {
  return useInfiniteQuery({
    queryKey: [...queryKeys.touchpoints(id), firstCursor ?? ''],
    enabled: false,
    initialPageParam: firstCursor ?? '',
    queryFn: async ({ pageParam, signal }) =>
      unwrap(
        await api.GET('/api/contacts/{id}/touchpoints', {
          params: { path: { id }, query: { cursor: pageParam, limit: 20 } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useAutomationRuns(id: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.automationRuns(id),
    initialPageParam: '',
    queryFn: async ({ pageParam, signal }) =>
      unwrap(
        await api.GET('/api/contacts/{id}/automation', {
          params: { path: { id }, query: pageParam ? { cursor: pageParam, limit: 10 } : { limit: 10 } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function usePipelines() {
  return useQuery({
    queryKey: queryKeys.pipelines(),
    staleTime: 10 * 60_000,
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/pipelines', { signal })),
  });
}

/** "lead_to_booking" / "contacted" → the names the pipelines give them. */
export function stageNames(pipelines: Pipelines | undefined) {
  const pipelineName = (id: string) => pipelines?.pipelines.find((p) => p.id === id)?.name ?? id.replace(/_/g, ' ');
  const stageName = (pipeline: string, stage: string) =>
    pipelines?.pipelines.find((p) => p.id === pipeline)?.stages.find((s) => s.id === stage)?.name ?? stage.replace(/_/g, ' ');
  return { pipelineName, stageName };
}
