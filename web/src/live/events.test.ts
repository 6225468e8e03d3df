import { describe, expect, it } from 'vitest';
import { effectOf, parseLiveEvent } from './events';

const client = 'client_01J9ZQ';

describe('parseLiveEvent', () => {
  it('reads the frames live.rs sends', () => {
    expect(parseLiveEvent('{"type":"ready","clients":["client_a"]}')).toEqual({ type: 'ready', clients: ['client_a'] });
    expect(
      parseLiveEvent(`{"type":"care_update","client_id":"${client}","note_id":"note_1","visibility":"family_only","urgent":true}`),
    ).toMatchObject({ type: 'care_update', client_id: client, urgent: true });
  });

  it('ignores what it does not understand', () => {
    expect(parseLiveEvent('not json')).toBeNull();
    expect(parseLiveEvent('{"type":"care_update"}')).toBeNull();
    expect(parseLiveEvent('{"type":"something_new","client_id":"x"}')).toBeNull();
    expect(parseLiveEvent('[1,2]')).toBeNull();
  });
});

describe('effectOf', () => {
  it('refetches everything on (re)connect and when the gateway says we lagged', () => {
    expect(effectOf({ type: 'ready', clients: [] })).toEqual({ kind: 'invalidate-all' });
    expect(effectOf({ type: 'resync' })).toEqual({ kind: 'invalidate-all' });
  });

  it('refreshes the client feed on a care update, urgent or not', () => {
    const keys = [['feed', client]];
    expect(effectOf({ type: 'care_update', client_id: client, note_id: 'n', visibility: 'family_and_team', urgent: false })).toEqual({
      kind: 'invalidate',
      keys,
    });
    expect(effectOf({ type: 'urgent_care_update', client_id: client, note_id: 'n' })).toEqual({ kind: 'invalidate', keys });
  });

  it('refreshes the conversation and the unread counts on a message; only the conversation on a read receipt', () => {
    expect(effectOf({ type: 'message', client_id: client, message_id: 'm', sender_id: 'u' })).toEqual({
      kind: 'invalidate',
      keys: [['conversation', client], ['conversations']],
    });
    expect(effectOf({ type: 'read', client_id: client, message_id: 'm', user_id: 'u' })).toEqual({
      kind: 'invalidate',
      keys: [['conversation', client]],
    });
  });

  it('shows typing without fetching', () => {
    expect(effectOf({ type: 'typing', client_id: client, user_id: 'user_2' })).toEqual({
      kind: 'typing',
      clientId: client,
      userId: 'user_2',
    });
  });
});

describe('practice staff pushes', () => {
  const contact = 'contact_01m8qerst5';

  it('reads task and sms frames, and ignores them without a contact', () => {
    expect(parseLiveEvent(`{"type":"task","task_id":"task_1","contact_id":"${contact}","change":"created"}`)).toEqual({
      type: 'task',
      task_id: 'task_1',
      contact_id: contact,
      change: 'created',
    });
    expect(
      parseLiveEvent(`{"type":"sms","contact_id":"${contact}","message_id":"sms_1","direction":"inbound","status":"received"}`),
    ).toMatchObject({ type: 'sms', contact_id: contact, direction: 'inbound' });
    expect(parseLiveEvent(`{"type":"task","task_id":"task_1","contact_id":"${contact}","change":"reassigned"}`)).toMatchObject({
      type: 'task',
      change: 'reassigned',
    });
    expect(parseLiveEvent('{"type":"task","task_id":"task_1","change":"created"}')).toBeNull();
    expect(parseLiveEvent('{"type":"sms","contact_id":7}')).toBeNull();
  });

  it('refreshes the task queues and the contact page on a task change', () => {
    // Claimed, reassigned and snoozed too: a colleague's queue shows who has it and when it's due.
    for (const change of ['created', 'completed', 'cancelled', 'claimed', 'reassigned', 'snoozed']) {
      expect(effectOf({ type: 'task', task_id: 't', contact_id: contact, change })).toEqual({
        kind: 'invalidate',
        keys: [['tasks'], ['contact', contact]],
      });
    }
  });

  it('refreshes the inbox, that conversation and the contact page on an SMS either way', () => {
    for (const direction of ['inbound', 'outbound']) {
      expect(effectOf({ type: 'sms', contact_id: contact, message_id: 'sms_1', direction, status: 'sent' })).toEqual({
        kind: 'invalidate',
        keys: [
          ['sms', 'inbox'],
          ['sms', 'thread', contact],
          ['contact', contact],
        ],
      });
    }
  });
});
