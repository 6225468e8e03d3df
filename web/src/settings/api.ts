/** Settings (admins): templates, messaging, users and invitations, rules. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { InviteBody, MessagingBody, Rules, TemplateBody } from '../api/types';

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
    queryKey: [...queryKeys.staff(), 'all'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/admin/users', { signal })),
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
