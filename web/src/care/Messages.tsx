import { useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import type { Client, Message } from '../api/types';
import { session } from '../auth/session';
import { useSendTyping, useSomeoneTyping } from '../live/LiveProvider';
import { Button, ErrorAlert, Field, fieldClass, fieldError, Loading } from '../ui/controls';
import { formatWallClock, isoOf } from '../ui/time';
import { useConversation, useMarkRead, useSendMessage } from './api';
import { senderOf } from './sender';

export function Messages({ client }: { client: Client }) {
  const { user } = useSyncExternalStore(session.subscribe, session.getState);
  const conversation = useConversation(client.id);
  const markRead = useMarkRead(client.id);
  const typing = useSomeoneTyping(client.id);
  const newest = conversation.data?.messages[0];
  const unread = conversation.data?.unread ?? 0;
  const readUpTo = useRef<string | null>(null);
  const { mutate: markReadMutate } = markRead;

  useEffect(() => {
    // Reading the page reads the conversation: tell the others (receipts).
    if (newest && unread > 0 && readUpTo.current !== newest.id) {
      readUpTo.current = newest.id;
      markReadMutate();
    }
  }, [newest, unread, markReadMutate]);

  if (conversation.isPending) return <Loading label="Loading messages…" />;
  if (conversation.isError) return <ErrorAlert error={conversation.error} title="Could not load messages" />;

  const { messages, reads, can_write } = conversation.data;
  // Newest first from the API; a conversation reads oldest to newest.
  const ordered = [...messages].reverse();
  const mine = (m: Message) => m.sender_id === user?.id;
  const lastMine = [...ordered].reverse().find(mine);
  const seenByOthers = lastMine ? reads.some((r) => r.user_id !== user?.id && r.message_id === lastMine.id) : false;

  return (
    <div className="space-y-4">
      {ordered.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-400 bg-white p-6 text-center text-slate-700">
          No messages yet{can_write ? ': write the first one below.' : '.'}
        </p>
      ) : (
        <ol className="space-y-3" aria-label={`Messages about ${client.name}`}>
          {ordered.map((m) => (
            <li key={m.id} className={`flex ${mine(m) ? 'justify-end' : 'justify-start'}`}>
              <div className={`max-w-[85%] rounded-lg border px-3 py-2 ${mine(m) ? 'border-teal-300 bg-teal-50' : 'border-slate-300 bg-white'}`}>
                <p className="text-xs font-semibold text-slate-700">
                  {mine(m) ? 'You' : senderOf(m)} ·{' '}
                  <time dateTime={isoOf(m.created_local)}>{formatWallClock(m.created_local)}</time>
                </p>
                <p className="mt-1 whitespace-pre-line text-slate-900">{m.content}</p>
                {m.id === lastMine?.id && seenByOthers && <p className="mt-1 text-right text-xs text-slate-700">Seen</p>}
              </div>
            </li>
          ))}
        </ol>
      )}
      <p aria-live="polite" className="min-h-5 text-sm text-slate-700">
        {typing ? 'Someone is typing…' : ''}
      </p>
      {can_write ? (
        <SendBox clientId={client.id} />
      ) : (
        <p className="rounded-md border border-sky-300 bg-sky-50 p-3 text-sky-950">
          You can read messages; ask the care coordinator for messaging access.
        </p>
      )}
    </div>
  );
}

function SendBox({ clientId }: { clientId: string }) {
  const [content, setContent] = useState('');
  const send = useSendMessage(clientId);
  const typing = useSendTyping(clientId);
  function submit(e: FormEvent) {
    e.preventDefault();
    if (!content.trim()) return;
    send.mutate(content, { onSuccess: () => setContent('') });
  }
  return (
    <form onSubmit={submit} aria-label="Send a message" className="space-y-2">
      <ErrorAlert error={send.error} />
      <Field label="Message" error={fieldError(send.error, 'content')}>
        {(p) => (
          <textarea
            {...p}
            rows={3}
            value={content}
            onChange={(e) => {
              setContent(e.target.value);
              typing();
            }}
            className={fieldClass()}
          />
        )}
      </Field>
      <Button type="submit" variant="primary" disabled={send.isPending || !content.trim()}>
        {send.isPending ? 'Sending…' : 'Send'}
      </Button>
    </form>
  );
}
