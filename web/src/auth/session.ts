/**
 * The signed-in session: the access token in memory only (never
 * persisted, so a script that reads storage can't take it), the refresh
 * token in localStorage (so a reload or a new tab stays signed in).
 *
 * Refresh tokens rotate and a reused one makes identity end every session
 * of the user ("sign out everywhere on reuse"). So a refresh is
 * single-flight within a tab and serialised across tabs with the Web
 * Locks API, and it always reads the newest refresh token from storage.
 * A refresh the server refuses (401, e.g. reuse detected) signs this
 * browser out with a message; one that fails on the network is retried.
 */
import { publicApi } from '../api/public';
import { problemFrom } from '../api/problem';
import type { Session, User } from '../api/types';
import { expiryMs, refreshDelayMs } from './schedule';

export const REFRESH_KEY = 'attend.refresh_token';
const LOCK = 'attend.refresh';
/** After a refresh that failed on the network, try again this soon. */
const RETRY_MS = 10_000;

export type Status = 'starting' | 'signed-in' | 'signed-out';

export interface SessionState {
  status: Status;
  user: User | null;
  /** Why the session ended, for the sign-in page to say. */
  notice: string | null;
}

export const SESSION_ENDED = 'Your session has ended. Please sign in again.';

type Listener = () => void;

export class SessionStore {
  private state: SessionState = { status: 'starting', user: null, notice: null };
  private access: string | null = null;
  private expiresAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inflight: Promise<boolean> | null = null;
  private listeners = new Set<Listener>();
  private started = false;
  /** Called when the session ends, to drop cached data of the old user. */
  onEnd: () => void = () => {};

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): SessionState => this.state;

  private set(next: SessionState) {
    this.state = next;
    for (const l of this.listeners) l();
  }

  /** On page load: resume from a stored refresh token, if any. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    window.addEventListener('storage', (e) => {
      // Another tab signed out (or its session ended): so does this one.
      if (e.key === REFRESH_KEY && e.newValue === null && this.state.status === 'signed-in') {
        this.end(SESSION_ENDED, false);
      }
    });
    if (localStorage.getItem(REFRESH_KEY)) {
      await this.refresh();
      if (this.state.status === 'starting') this.set({ status: 'signed-out', user: null, notice: null });
    } else {
      this.set({ status: 'signed-out', user: null, notice: null });
    }
  }

  async signIn(email: string, password: string): Promise<void> {
    const result = await publicApi.POST('/api/auth/login', { body: { email, password } });
    if (!result.data || !result.response.ok) throw problemFrom(result.response.status, result.error);
    this.adopt(result.data);
  }

  async signOut(): Promise<void> {
    const refresh_token = localStorage.getItem(REFRESH_KEY);
    this.end(null, true);
    if (refresh_token) {
      // Best effort: the tokens are gone from this browser either way.
      await publicApi.POST('/api/auth/logout', { body: { refresh_token } }).catch(() => undefined);
    }
  }

  /** A usable access token, refreshing first if it is about to end. */
  async accessToken(): Promise<string | null> {
    if (this.access && Date.now() < this.expiresAt - 2_000) return this.access;
    if (!localStorage.getItem(REFRESH_KEY)) return null;
    await this.refresh();
    return this.access;
  }

  /** Refreshes once, however many callers ask at the same moment. */
  refresh(): Promise<boolean> {
    this.inflight ??= this.refreshAcrossTabs().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async refreshAcrossTabs(): Promise<boolean> {
    if (typeof navigator !== 'undefined' && navigator.locks) {
      return navigator.locks.request(LOCK, () => this.refreshNow());
    }
    return this.refreshNow();
  }

  private async refreshNow(): Promise<boolean> {
    // Read inside the lock: another tab may have just rotated it.
    const refresh_token = localStorage.getItem(REFRESH_KEY);
    if (!refresh_token) {
      if (this.state.status === 'signed-in') this.end(SESSION_ENDED, false);
      return false;
    }
    let result;
    try {
      result = await publicApi.POST('/api/auth/refresh', { body: { refresh_token } });
    } catch {
      this.schedule(Date.now() + RETRY_MS, RETRY_MS * 5);
      return false;
    }
    if (result.data && result.response.ok) {
      this.adopt(result.data);
      return true;
    }
    const status = result.response.status;
    if (status === 400 || status === 401 || status === 403) {
      // Expired, revoked or reused: this session is over. Say why, in the server's words.
      const why = problemFrom(status, result.error).message;
      this.end(why && !why.startsWith('Request refused') ? `Your session has ended: ${why}` : SESSION_ENDED, true);
    } else {
      this.schedule(Date.now() + RETRY_MS, RETRY_MS * 5);
    }
    return false;
  }

  private adopt(s: Session) {
    const now = Date.now();
    this.access = s.access_token;
    this.expiresAt = expiryMs(s.access_token, s.expires_in, now);
    localStorage.setItem(REFRESH_KEY, s.refresh_token);
    this.schedule(this.expiresAt, this.expiresAt - now);
    this.set({ status: 'signed-in', user: s.user, notice: null });
  }

  private schedule(expiresAt: number, lifetime: number) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), refreshDelayMs(expiresAt, Date.now(), lifetime));
  }

  private end(notice: string | null, forget: boolean) {
    clearTimeout(this.timer);
    this.access = null;
    this.expiresAt = 0;
    if (forget) localStorage.removeItem(REFRESH_KEY);
    this.set({ status: 'signed-out', user: null, notice });
    this.onEnd();
  }

  /** `fetch` for the typed client: bearer token, and one refresh-and-retry on 401. */
  async authorizedFetch(request: Request): Promise<Response> {
    const retry = request.clone();
    const token = await this.accessToken();
    const first = await fetch(withBearer(request, token));
    if (first.status !== 401 || token === null) return first;
    if (!(await this.refresh())) return first;
    return fetch(withBearer(retry, this.access));
  }
}

function withBearer(request: Request, token: string | null): Request {
  const r = new Request(request);
  if (token) r.headers.set('authorization', `Bearer ${token}`);
  return r;
}

export const session = new SessionStore();

