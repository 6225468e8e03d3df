/** SMS: the inbox, a contact's conversation, sending, marking read (routes/sms.rs). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { SendSms, SmsInbox, SmsSent } from '../api/types';

export function useInbox(unreadOnly: boolean) {
  return useQuery({
    queryKey: queryKeys.smsInbox(unreadOnly),
    queryFn: async ({ signal }): Promise<SmsInbox> =>
      unwrap(
        await api.GET('/api/sms/conversations', {
          params: { query: unreadOnly ? { unread: true, limit: 100 } : { limit: 100 } },
          signal,
        }),
      ),
    // The live channel refreshes it on each SMS; this covers a socket that is down.
    refetchInterval: 60_000,
  });
}

export function useThread(contactId: string) {
  return useQuery({
    queryKey: queryKeys.smsThread(contactId),
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/api/sms/conversations/{contact_id}', {
          params: { path: { contact_id: contactId }, query: { limit: 100 } },
          signal,
        }),
      ),
    // A message sent a moment ago goes queued → sent; follow it until then.
    refetchInterval: (q) =>
      q.state.data?.messages.some((m) => m.status === 'queued' || m.status === 'sending') ? 2_000 : 60_000,
  });
}

/** Messages oldest first, whichever order the page came in. */
export function chronological<M extends { created_at?: number | null }>(messages: M[]): M[] {
  return [...messages].sort((a, b) => (a.created_at ?? 0) - (b.created_at ?? 0));
}

export function useSendSms(contactId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (message: string) => {
      const body: SendSms = { contact_id: contactId, message };
      const sent: SmsSent = unwrap(
        await api.POST('/api/sms/send', { body, headers: { 'idempotency-key': crypto.randomUUID() } }),
      );
      return sent;
    },
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.smsThread(contactId) }),
        queryClient.invalidateQueries({ queryKey: queryKeys.smsInboxes() }),
        // The contact page's timeline gains an sms_sent touchpoint.
        queryClient.invalidateQueries({ queryKey: queryKeys.contact(contactId) }),
      ]),
  });
}

export function useMarkRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (contactId: string) =>
      unwrap(
        await api.POST('/api/sms/conversations/{contact_id}/read', { params: { path: { contact_id: contactId } } }),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.sms() }),
  });
}
