/** The board's data: a column per stage, and moving a card (routes/contacts.rs, pipelines.rs). */
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { Contact, StageBody } from '../api/types';
import { fetchContacts } from '../contacts/api';
import { columnOptions, moveOptimistically, undoMove } from './columns';

/** One stage's cards, warmest first, COLUMN_PAGE at a time ("Show more"). */
export function useColumn(pipeline: string, stage: string) {
  return useInfiniteQuery(columnOptions(pipeline, stage, fetchContacts));
}

export interface Move {
  contact: Contact;
  to: string;
}

/**
 * Moves a card: it leaves its column and is on top of the target's at
 * once, and is put back if the API refuses (the caller shows why). Once
 * settled, the two columns load again, in the API's order.
 */
export function useMoveContact(pipeline: string) {
  const queryClient = useQueryClient();
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
    onMutate: async ({ contact, to }) => ({ snapshot: await moveOptimistically(queryClient, pipeline, contact, to) }),
    onError: (_e, { contact, to }, context) => {
      if (context) undoMove(queryClient, pipeline, contact, to, context.snapshot);
    },
    onSettled: (_d, _e, { contact, to }) =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.boardColumn(pipeline, contact.current_stage) }),
        queryClient.invalidateQueries({ queryKey: queryKeys.boardColumn(pipeline, to) }),
        // Other listings (search, filters) show the stage too; the board's other columns are unchanged.
        queryClient.invalidateQueries({ queryKey: queryKeys.contacts(), predicate: (q) => q.queryKey[1] !== 'board' }),
        queryClient.invalidateQueries({ queryKey: queryKeys.contact(contact.id) }),
      ]),
  });
}
