import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { describe, unwrap } from '../api/problem';
import type { CareUpdate } from '../api/types';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Button } from '../ui/controls';
import { noteTypeLabel } from './api';

/** The care team flags an existing care update urgent (POST /api/clients/{id}/flag-urgent),
 * after confirming in a dialog: the family who asked are told at once. */
export function FlagUrgent({ clientId, update }: { clientId: string; update: CareUpdate }) {
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const name = update.title || noteTypeLabel(update.note_type);
  const flag = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST('/api/clients/{id}/flag-urgent', { params: { path: { id: clientId } }, body: { note_id: update.id } })),
    onSuccess: () => {
      setAsking(false);
      return queryClient.invalidateQueries({ queryKey: queryKeys.feed(clientId) });
    },
  });
  return (
    <div className="mt-2">
      <Button variant="secondary" onClick={() => setAsking(true)} disabled={flag.isPending} aria-label={`Flag urgent: ${name}`}>
        {flag.isPending ? 'Flagging…' : 'Flag urgent'}
      </Button>
      <ConfirmDialog
        open={asking}
        title={`Flag “${name}” urgent?`}
        confirmLabel="Flag urgent"
        danger
        pending={flag.isPending}
        error={flag.isError ? describe(flag.error) : undefined}
        onCancel={() => {
          flag.reset();
          setAsking(false);
        }}
        onConfirm={() => flag.mutate()}
      >
        The family members who asked to hear of urgent updates are told at once, by text and email.
      </ConfirmDialog>
    </div>
  );
}
