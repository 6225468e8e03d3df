import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { unwrap } from '../api/problem';
import type { CareUpdate } from '../api/types';
import { Button, ErrorAlert } from '../ui/controls';
import { noteTypeLabel } from './api';

/** The care team flags an existing care update urgent (POST /api/clients/{id}/flag-urgent). */
export function FlagUrgent({ clientId, update }: { clientId: string; update: CareUpdate }) {
  const queryClient = useQueryClient();
  const flag = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST('/api/clients/{id}/flag-urgent', { params: { path: { id: clientId } }, body: { note_id: update.id } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.feed(clientId) }),
  });
  return (
    <div className="mt-2 space-y-2">
      <Button
        variant="secondary"
        onClick={() => {
          if (window.confirm('Flag this update urgent? The family who asked will be told at once.')) flag.mutate();
        }}
        disabled={flag.isPending}
        aria-label={`Flag urgent: ${update.title || noteTypeLabel(update.note_type)}`}
      >
        {flag.isPending ? 'Flagging…' : 'Flag urgent'}
      </Button>
      <ErrorAlert error={flag.error} title="Not flagged" />
    </div>
  );
}
