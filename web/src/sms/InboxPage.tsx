/**
 * Inbox: SMS conversations, newest first, with unread counts (live: the
 * socket's `sms` push refreshes the list). Opening one shows it beside the
 * list (on a phone, instead of it) and marks it read.
 */
import { useEffect, useSyncExternalStore } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { SmsConversation } from '../api/types';
import { canSendSms } from '../auth/roles';
import { session } from '../auth/session';
import { Badge, Empty, ErrorAlert, Loading, LoadFailed } from '../ui/controls';
import { formatUnix } from '../ui/time';
import { useInbox, useMarkRead } from './api';
import { Conversation } from './Conversation';

/** The conversation's contact by name, or by number when the API can't name them. */
function who(c: SmsConversation): string {
  if (c.contact_name) return c.contact_name;
  const m = c.last_message;
  return (m ? (m.direction === 'inbound' ? m.from : m.to) : '') || 'Unknown contact';
}

export function InboxPage() {
  const { contactId } = useParams();
  const [params, setParams] = useSearchParams();
  const unreadOnly = params.get('unread') === '1';
  const { user } = useSyncExternalStore(session.subscribe, session.getState);
  const canSend = canSendSms(user?.role ?? '');
  const inbox = useInbox(unreadOnly);
  const conversations = inbox.data?.conversations ?? [];
  const open = conversations.find((c) => c.contact_id === contactId);
  const unreadTotal = conversations.reduce((n, c) => n + c.unread, 0);
  const suffix = unreadOnly ? '?unread=1' : '';

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-bold text-slate-900">Inbox</h1>
        {!inbox.isPending && (
          <p className="text-sm text-slate-700" data-testid="unread-total">
            {unreadTotal} unread
          </p>
        )}
        <label className="ml-auto inline-flex min-h-11 items-center gap-2 text-sm font-medium text-slate-800">
          <input
            type="checkbox"
            className="size-5"
            checked={unreadOnly}
            onChange={(e) => setParams(e.target.checked ? { unread: '1' } : {}, { replace: true })}
          />
          Unread only
        </label>
      </div>

      <div className="grid gap-4 lg:grid-cols-[22rem_1fr]">
        <section aria-labelledby="conversations-heading" className={contactId ? 'hidden lg:block' : ''}>
          <h2 id="conversations-heading" className="sr-only">
            Conversations
          </h2>
          {inbox.isPending ? (
            <Loading label="Loading conversations…" />
          ) : inbox.isError ? (
            <LoadFailed error={inbox.error} title="Could not load the inbox" onRetry={() => void inbox.refetch()} />
          ) : conversations.length === 0 ? (
            <Empty title={unreadOnly ? 'No unread conversations' : 'No conversations yet'} />
          ) : (
            <ul aria-label="Conversations" className="divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-300 bg-white">
              {conversations.map((c) => {
                const name = who(c);
                const m = c.last_message;
                const at = m ? (m.received_at ?? m.sent_at ?? m.created_at) : null;
                const current = c.contact_id === contactId;
                return (
                  <li key={c.contact_id ?? name}>
                    <Link
                      to={`/inbox/${c.contact_id}${suffix}`}
                      aria-current={current ? 'page' : undefined}
                      className={`block px-4 py-3 hover:bg-slate-50 ${current ? 'bg-teal-50' : ''}`}
                    >
                      <span className="flex items-center gap-2">
                        <span className={`truncate ${c.unread ? 'font-bold text-slate-900' : 'font-semibold text-slate-800'}`}>{name}</span>
                        {c.unread > 0 && (
                          <Badge className="border-teal-800 bg-teal-800 text-white">
                            <span data-testid="unread-count">{c.unread}</span>
                            <span className="sr-only"> unread</span>
                          </Badge>
                        )}
                        <span className="ml-auto shrink-0 text-xs text-slate-700">{at ? formatUnix(at) : ''}</span>
                      </span>
                      {m && (
                        <span className="mt-0.5 block truncate text-sm text-slate-700">
                          {m.direction === 'inbound' ? '' : 'You: '}
                          {m.message_text}
                        </span>
                      )}
                    </Link>
                  </li>
                );
              })}
            </ul>
          )}
        </section>

        {contactId ? (
          <OpenConversation
            key={contactId}
            contactId={contactId}
            name={open ? who(open) : 'Conversation'}
            unread={open?.unread ?? 0}
            canSend={canSend}
            backTo={`/inbox${suffix}`}
          />
        ) : (
          <p className="hidden self-start rounded-lg border border-dashed border-slate-400 p-8 text-center text-slate-700 lg:block">
            Choose a conversation to read it.
          </p>
        )}
      </div>
    </div>
  );
}

function OpenConversation({
  contactId,
  name,
  unread,
  canSend,
  backTo,
}: {
  contactId: string;
  name: string;
  unread: number;
  canSend: boolean;
  backTo: string;
}) {
  const markRead = useMarkRead();
  const { mutate } = markRead;
  // Opening a conversation with unread messages marks it read (for those
  // who may: `messages:send`; read-only users leave it unread for staff).
  useEffect(() => {
    if (unread > 0 && canSend) mutate(contactId);
  }, [contactId, unread, canSend, mutate]);

  return (
    <section aria-labelledby="open-conversation" className="rounded-lg border border-slate-300 bg-white p-4">
      <Link to={backTo} className="text-sm font-semibold text-teal-900 underline lg:hidden">
        ← All conversations
      </Link>
      <div className="mb-3 flex flex-wrap items-baseline gap-3">
        <h2 id="open-conversation" className="text-lg font-semibold text-slate-900">
          {name}
        </h2>
        <Link to={`/contacts/${contactId}`} className="text-sm font-semibold text-teal-900 underline">
          Open contact page
        </Link>
      </div>
      {markRead.isError && <ErrorAlert error={markRead.error} title="Could not mark the conversation read" />}
      <Conversation contactId={contactId} contactName={name} canSend={canSend} />
    </section>
  );
}
