/** Settings (admins): templates, messaging, service types, users and invitations, rules. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { InviteBody, MessagingBody, Rules, ServiceTypeBody, ServiceTypes, StaffUser, TemplateBody } from '../api/types';

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

export function useRules() {
  return useQuery({
    queryKey: ['rules'],
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
