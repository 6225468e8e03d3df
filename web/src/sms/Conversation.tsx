/** One contact's SMS conversation, oldest first, with the send box for those who may send. */
import { useState } from 'react';
import type { SmsMessage } from '../api/types';
import { Empty, Loading, LoadFailed } from '../ui/controls';
import { formatUnix } from '../ui/time';
import { chronological, useThread } from './api';
import { Composer } from './Composer';

const STATUS: Record<string, string> = {
  queued: 'Queued',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Failed',
  received: 'Received',
  blocked: 'Not sent',
  suppressed: 'Not sent',
};

function statusWords(m: SmsMessage): string {
  const base = STATUS[m.status] ?? m.status.replace(/_/g, ' ');
  return m.status_reason ? `${base}: ${m.status_reason.replace(/_/g, ' ')}` : base;
}

export function Conversation({ contactId, contactName, canSend }: { contactId: string; contactName: string; canSend: boolean }) {
  const thread = useThread(contactId);
  const [announcement, setAnnouncement] = useState('');

  return (
    <div className="space-y-3">
      {thread.isPending ? (
        <Loading label="Loading messages…" />
      ) : thread.isError ? (
        <LoadFailed error={thread.error} title="Could not load the conversation" onRetry={() => void thread.refetch()} />
      ) : thread.data.messages.length === 0 ? (
        <Empty title="No messages yet" />
      ) : (
        <ol aria-label={`SMS with ${contactName}`} className="max-h-[28rem] space-y-2 overflow-y-auto pr-1" tabIndex={0}>
          {chronological(thread.data.messages).map((m) => {
            const inbound = m.direction === 'inbound';
            const at = m.received_at ?? m.sent_at ?? m.send_at ?? m.created_at;
            return (
              <li key={m.id ?? `${m.created_at}-${m.message_text}`} className={`flex ${inbound ? 'justify-start' : 'justify-end'}`}>
                <article
                  aria-label={`${inbound ? 'From' : 'To'} ${contactName}`}
                  className={`max-w-[85%] rounded-lg border px-3 py-2 text-sm ${
                    inbound ? 'border-slate-300 bg-white text-slate-900' : 'border-teal-200 bg-teal-50 text-slate-900'
                  }`}
                >
                  <p className="whitespace-pre-wrap break-words">{m.message_text}</p>
                  <p className="mt-1 text-xs text-slate-700">
                    {inbound ? 'Received' : statusWords(m)}
                    {at ? ` · ${formatUnix(at)}` : ''}
                    {m.segments > 1 ? ` · ${m.segments} SMS` : ''}
                    {m.template_id ? ` · template ${m.template_id.replace(/_/g, ' ')}` : ''}
                  </p>
                </article>
              </li>
            );
          })}
        </ol>
      )}
      <p role="status" aria-live="polite" className="sr-only">
        {announcement}
      </p>
      {canSend ? (
        <Composer
          contactId={contactId}
          contactName={contactName}
          onSent={(status) => setAnnouncement(status === 'queued' ? 'Message queued to send.' : 'Message sent.')}
        />
      ) : (
        <p className="text-sm text-slate-700">Your role can read messages but not send them.</p>
      )}
    </div>
  );
}
