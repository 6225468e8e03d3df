/** Settings (admins): templates, messaging, business hours, service types, users and invitations, rules and their runs. */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type {
  BusinessHoursBody,
  InviteBody,
  MessagingBody,
  OrgSettings,
  RuleRuns,
  Rules,
  ServiceTypeBody,
  ServiceTypes,
  StaffUser,
  TemplateBody,
} from '../api/types';

export function useTemplates() {
  return useQuery({
    queryKey: queryKeys.smsTemplates(),
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/sms/templates', { signal })),
  });
}

export function useSaveTemplate() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id: string; body: TemplateBody }) =>
      unwrap(await api.PUT('/api/sms/templates/{id}', { params: { path: { id } }, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.smsTemplates() }),
  });
}

export function useOrgSettings() {
  return useQuery({
    queryKey: queryKeys.orgSettings(),
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/admin/settings', { signal })),
  });
}

export function useSaveMessaging() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: MessagingBody) => unwrap(await api.PUT('/api/admin/settings/messaging', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.orgSettings() }),
  });
}

/**
 * Replaces the week's opening hours. The API answers the settings as saved
 * (intervals in order), which the page shows at once; a refusal saves
 * nothing.
 */
export function useSaveBusinessHours() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: BusinessHoursBody) => unwrap(await api.PUT('/api/admin/settings/business-hours', { body })),
    onSuccess: (saved: OrgSettings) => {
      queryClient.setQueryData(queryKeys.orgSettings(), saved);
      return queryClient.invalidateQueries({ queryKey: queryKeys.orgSettings() });
    },
  });
}

export function useUsers() {
  return useQuery({
    queryKey: queryKeys.users(),
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/admin/users', { signal })),
  });
}

/**
 * Deactivates (signs them out everywhere) or re-activates a user; the list
 * takes the answer at once, then re-reads every staff listing.
 */
export function useSetUserActive() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, active }: { id: string; active: boolean }) =>
      unwrap(
        active
          ? await api.POST('/api/admin/users/{id}/activate', { params: { path: { id } } })
          : await api.POST('/api/admin/users/{id}/deactivate', { params: { path: { id } } }),
      ),
    onSuccess: (user) => {
      queryClient.setQueryData<{ users: StaffUser[] }>(queryKeys.users(), (old) =>
        old ? { ...old, users: old.users.map((u) => (u.id === user.id ? user : u)) } : old,
      );
      return queryClient.invalidateQueries({ queryKey: queryKeys.staff() });
    },
  });
}

export function useInvite() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: InviteBody) => unwrap(await api.POST('/api/admin/invitations', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.staff() }),
  });
}

// Not in api/keys.ts (outside this change); built the same way, under ['rules'].
const rulesKey = () => ['rules'] as const;
const ruleRunsKey = (id: string, matched: RunFilter) => [...rulesKey(), id, 'runs', matched] as const;

export function useRules() {
  return useQuery({
    queryKey: rulesKey(),
    queryFn: async ({ signal }): Promise<Rules> => unwrap(await api.GET('/api/automation/rules', { signal })),
  });
}

export function useServiceTypes() {
  return useQuery({
    queryKey: queryKeys.serviceTypes(),
    queryFn: async ({ signal }): Promise<ServiceTypes> => unwrap(await api.GET('/api/admin/service-types', { signal })),
  });
}

/** Adds or changes one mapping (the API keys it by provider and service id). */
export function useSaveServiceType() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: ServiceTypeBody) => unwrap(await api.PUT('/api/admin/service-types', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.serviceTypes() }),
  });
}

/** Which of a rule's runs to list: the API's `matched` (absent for all). */
export type RunFilter = 'all' | 'fired' | 'not_fired';

export const RUNS_PAGE = 10;

/** The `matched` query parameter for a filter. */
export function matchedParam(filter: RunFilter): boolean | undefined {
  return filter === 'all' ? undefined : filter === 'fired';
}

/** One rule's runs, newest first, ten at a time ("Load more"). */
export function useRuleRuns(id: string, filter: RunFilter) {
  return useInfiniteQuery({
    queryKey: ruleRunsKey(id, filter),
    initialPageParam: '',
    queryFn: async ({ pageParam, signal }): Promise<RuleRuns> => {
      const matched = matchedParam(filter);
      return unwrap(
        await api.GET('/api/automation/rules/{id}/runs', {
          params: {
            path: { id },
            query: { limit: RUNS_PAGE, ...(pageParam ? { cursor: pageParam } : {}), ...(matched === undefined ? {} : { matched }) },
          },
          signal,
        }),
      );
    },
    getNextPageParam: (last) => last.next_cursor || undefined,
  });
}
