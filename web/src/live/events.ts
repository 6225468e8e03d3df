/**
 * What the live channel (`/api/ws`, services/gateway/src/live.rs) pushes,
 * and which cached queries each push makes stale. Pushes carry ids, never
 * clinical text: the page refetches through the API, which checks access
 * again.
 */
import type { QueryKey } from '@tanstack/react-query';
import { queryKeys } from '../api/keys';

// The socket's messages are not part of the OpenAPI document (it describes
// HTTP), so this is the one place their shape is written down; it mirrors
// `Live::json` in live.rs.
export type LiveEvent =
  | { type: 'ready'; clients: string[] }
  | { type: 'resync' }
  | { type: 'care_update'; client_id: string; note_id: string; visibility: string; urgent: boolean }
  | { type: 'urgent_care_update'; client_id: string; note_id: string }
  | { type: 'message'; client_id: string; message_id: string; sender_id: string }
  | { type: 'read'; client_id: string; user_id: string; message_id: string }
  | { type: 'typing'; client_id: string; user_id: string }
  // Practice staff (admin, staff, readonly): a task or an SMS changed. Any
  // task change refreshes the queues the same way, whatever it was.
  | {
      type: 'task';
      task_id: string;
      contact_id: string;
      change: 'created' | 'completed' | 'cancelled' | 'claimed' | 'reassigned' | 'snoozed' | string;
    }
  | { type: 'sms'; contact_id: string; message_id: string; direction: 'inbound' | 'outbound' | string; status: string };

const WITH_CLIENT = new Set(['care_update', 'urgent_care_update', 'message', 'read', 'typing']);
const WITH_CONTACT = new Set(['task', 'sms']);

/** A pushed frame as an event, or null for anything we don't understand. */
export function parseLiveEvent(text: string): LiveEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || !('type' in raw) || typeof raw.type !== 'string') return null;
  if (raw.type === 'ready') {
    const clients = 'clients' in raw && Array.isArray(raw.clients) ? raw.clients.filter((c) => typeof c === 'string') : [];
    return { type: 'ready', clients };
  }
  if (raw.type === 'resync') return { type: 'resync' };
  if (WITH_CLIENT.has(raw.type) && 'client_id' in raw && typeof raw.client_id === 'string') {
    return raw as LiveEvent;
  }
  if (WITH_CONTACT.has(raw.type) && 'contact_id' in raw && typeof raw.contact_id === 'string') {
    return raw as LiveEvent;
  }
  return null;
}

/** What a push means for the cache. */
export type Effect =
  /** Refetch everything: we may have missed pushes (a (re)connect or lag). */
  | { kind: 'invalidate-all' }
  | { kind: 'invalidate'; keys: QueryKey[] }
  /** Someone is typing in a conversation: show it briefly, fetch nothing. */
  | { kind: 'typing'; clientId: string; userId: string }
  | { kind: 'none' };

export function effectOf(event: LiveEvent): Effect {
  switch (event.type) {
    case 'ready':
    case 'resync':
      return { kind: 'invalidate-all' };
    case 'care_update':
    case 'urgent_care_update':
      return { kind: 'invalidate', keys: [queryKeys.feed(event.client_id)] };
    case 'message':
      return {
        kind: 'invalidate',
        keys: [queryKeys.conversation(event.client_id), queryKeys.conversations()],
      };
    case 'read':
      return { kind: 'invalidate', keys: [queryKeys.conversation(event.client_id)] };
    case 'typing':
      return { kind: 'typing', clientId: event.client_id, userId: event.user_id };
    case 'task':
      // Today's queue and counts, and the contact page's task list.
      return { kind: 'invalidate', keys: [queryKeys.tasks(), queryKeys.contact(event.contact_id)] };
    case 'sms':
      // The inbox (unread counts, last message), the contact's thread, and
      // the contact page (an SMS is a touchpoint and may change warmness).
      return {
        kind: 'invalidate',
        keys: [queryKeys.smsInboxes(), queryKeys.smsThread(event.contact_id), queryKeys.contact(event.contact_id)],
      };
  }
}
