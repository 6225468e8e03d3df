/** The board's data: a pipeline's contacts, and moving one (routes/pipelines.rs). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { Contact, StageBody } from '../api/types';
import { fetchContacts } from '../contacts/api';

/** Cards on one board: at most this many (pages of 200). */
export const BOARD_LIMIT = 1000;

/**
 * Every contact in a pipeline, in one list the board splits by stage
 * (`GET /api/contacts?pipeline=`: the API filters by pipeline and stage,
 * so one listing serves every column).
 */
export function useBoard(pipeline: string) {
  return useQuery({
    queryKey: queryKeys.board(pipeline),
    enabled: Boolean(pipeline),
    queryFn: async ({ signal }) => {
      const contacts: Contact[] = [];
      let cursor = '';
      do {
        const page = await fetchContacts(cursor ? { pipeline, limit: 200, cursor } : { pipeline, limit: 200 }, signal);
        contacts.push(...page.contacts);
        cursor = page.next_cursor ?? '';
      } while (cursor && contacts.length < BOARD_LIMIT);
      return { contacts, truncated: Boolean(cursor) };
    },
  });
}

export interface Move {
  contact: Contact;
  pipeline: string;
  to: string;
}

/**
 * Moves a card: shown in its new column at once, put back if the API
 * refuses (the caller shows why).
 */
export function useMoveContact(pipeline: string) {
  const queryClient = useQueryClient();
  const key = queryKeys.board(pipeline);
  return useMutation({
    mutationFn: async ({ contact, to }: Move) => {
      const body: StageBody = { pipeline, stage: to, cause: 'moved on the pipeline board' };
      return unwrap(
        await api.POST('/api/contacts/{id}/stage', {
          params: { path: { id: contact.id } },
          body,
          headers: { 'idempotency-key': crypto.randomUUID() },
        }),
      );
    },
    onMutate: async ({ contact, to }) => {
      await queryClient.cancelQueries({ queryKey: key });
      const before = queryClient.getQueryData<{ contacts: Contact[]; truncated: boolean }>(key);
      if (before) {
        queryClient.setQueryData(key, {
          ...before,
          contacts: before.contacts.map((c) => (c.id === contact.id ? { ...c, current_stage: to } : c)),
        });
      }
      return { before };
    },
    onError: (_e, _move, context) => {
      if (context?.before) queryClient.setQueryData(key, context.before);
    },
    onSettled: (_d, _e, { contact }) =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.contacts() }),
        queryClient.invalidateQueries({ queryKey: queryKeys.contact(contact.id) }),
      ]),
  });
}
