import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { session } from '../auth/session';
import { effectOf } from './events';
import { LiveConnection, type LiveStatus } from './socket';

/** Who is typing where: client id → user id → until (ms). */
class TypingStore {
  private typing = new Map<string, Map<string, number>>();
  private listeners = new Set<() => void>();
  private version = 0;

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  getVersion = () => this.version;

  mark(clientId: string, userId: string) {
    const until = Date.now() + 4_000;
    const users = this.typing.get(clientId) ?? new Map<string, number>();
    users.set(userId, until);
    this.typing.set(clientId, users);
    this.bump();
    setTimeout(() => this.bump(), 4_100);
  }

  /** Whether anyone else is typing in a conversation now. */
  someoneTyping(clientId: string): boolean {
    const now = Date.now();
    return [...(this.typing.get(clientId)?.values() ?? [])].some((until) => until > now);
  }

  private bump() {
    this.version += 1;
    for (const l of this.listeners) l();
  }
}

interface LiveContextValue {
  status: LiveStatus;
  typing: TypingStore;
  connection: LiveConnection | null;
}

const LiveContext = createContext<LiveContextValue | null>(null);

/** Opens the tab's one live socket while someone is signed in. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [typing] = useState(() => new TypingStore());
  const [connection, setConnection] = useState<LiveConnection | null>(null);

  useEffect(() => {
    const live = new LiveConnection({
      token: () => session.accessToken(),
      onStatus: setStatus,
      onEvent: (event) => {
        const effect = effectOf(event);
        switch (effect.kind) {
          case 'invalidate-all':
            void queryClient.invalidateQueries();
            break;
          case 'invalidate':
            for (const queryKey of effect.keys) void queryClient.invalidateQueries({ queryKey });
            break;
          case 'typing':
            typing.mark(effect.clientId, effect.userId);
            break;
          case 'none':
            break;
        }
      },
    });
    live.start();
    setConnection(live);
    return () => live.stop();
  }, [queryClient, typing]);

  return <LiveContext.Provider value={{ status, typing, connection }}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext)?.status ?? 'stopped';
}

export function useSomeoneTyping(clientId: string | undefined): boolean {
  const ctx = useContext(LiveContext);
  useSyncExternalStore(ctx?.typing.subscribe ?? noopSubscribe, ctx?.typing.getVersion ?? zero);
  return clientId ? (ctx?.typing.someoneTyping(clientId) ?? false) : false;
}

const noopSubscribe = () => () => {};
const zero = () => 0;

/** Tells the others in a conversation that we are typing, at most every 3 s. */
export function useSendTyping(clientId: string | undefined): () => void {
  const ctx = useContext(LiveContext);
  const [last] = useState(() => ({ at: 0 }));
  return () => {
    if (!clientId || !ctx?.connection) return;
    const now = Date.now();
    if (now - last.at < 3_000) return;
    last.at = now;
    ctx.connection.send({ type: 'typing', client_id: clientId });
  };
}
