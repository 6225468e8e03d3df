import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveConnection, type LiveStatus } from './socket';
import type { LiveEvent } from './events';

/** A WebSocket the test drives. */
class FakeSocket {
  static all: FakeSocket[] = [];
  static OPEN = 1;
  readyState = 0;
  onmessage: ((m: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  sent: string[] = [];
  closed = false;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string) {
    this.sent.push(text);
  }
  close() {
    this.closed = true;
  }
  // Test helpers.
  ready() {
    this.readyState = 1;
    this.onmessage?.({ data: JSON.stringify({ type: 'ready', clients: [] }) });
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

let tokens: string[];
let events: LiveEvent[];
let statuses: LiveStatus[];

function connect() {
  let n = 0;
  const live = new LiveConnection({
    token: async () => tokens[Math.min(n++, tokens.length - 1)] ?? null,
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    url: (t) => `ws://attend.test/api/ws?access_token=${t}`,
  });
  live.start();
  return live;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
  vi.stubGlobal('WebSocket', FakeSocket);
  tokens = ['t1', 't2', 't3', 't4'];
  events = [];
  statuses = [];
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('LiveConnection', () => {
  it('connects with the access token and reports live on ready', async () => {
    connect();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    expect(FakeSocket.all[0]!.url).toBe('ws://attend.test/api/ws?access_token=t1');
    FakeSocket.all[0]!.ready();
    expect(statuses.at(-1)).toBe('live');
    expect(events).toEqual([{ type: 'ready', clients: [] }]);
  });

  it('reconnects at once with a fresh token when the socket reaches its token end (4001)', async () => {
    connect();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.all[0]!.ready();
    FakeSocket.all[0]!.drop(4001);
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.all[1]!.url).toContain('access_token=t2');
  });

  it('backs off after a drop, never longer than ten seconds, and catches up on reconnect', async () => {
    connect();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    // Fails repeatedly before ever being ready.
    for (let i = 0; i < 8; i++) {
      FakeSocket.all.at(-1)!.drop(1006);
      expect(statuses.at(-1)).toBe('reconnecting');
      await vi.advanceTimersByTimeAsync(10_000);
      expect(FakeSocket.all).toHaveLength(i + 2);
    }
    FakeSocket.all.at(-1)!.ready();
    expect(statuses.at(-1)).toBe('live');
    // The ready on reconnect is what makes the app refetch what it missed.
    expect(events.at(-1)).toEqual({ type: 'ready', clients: [] });
  });

  it('waits at least a little after a drop rather than hammering the gateway', async () => {
    connect();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.all[0]!.drop(1006);
    await vi.advanceTimersByTimeAsync(200);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('stays closed after stop (sign-out)', async () => {
    const live = connect();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    live.stop();
    expect(FakeSocket.all[0]!.closed).toBe(true);
    FakeSocket.all[0]!.drop(1000);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(statuses.at(-1)).toBe('stopped');
  });

  it('sends typing only on an open socket', async () => {
    const live = connect();
    await vi.waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    live.send({ type: 'typing', client_id: 'client_1' });
    expect(FakeSocket.all[0]!.sent).toEqual([]);
    FakeSocket.all[0]!.ready();
    live.send({ type: 'typing', client_id: 'client_1' });
    expect(FakeSocket.all[0]!.sent).toEqual(['{"type":"typing","client_id":"client_1"}']);
  });
});
