/**
 * One WebSocket per signed-in tab to `/api/ws`. It reconnects after a
 * drop with jittered backoff, and at once with a fresh access token when
 * the gateway closes it at its token's end (4001). Every (re)connect is
 * answered by `ready`, which the app turns into "refetch everything", so
 * whatever happened while the socket was down is caught up.
 */
import { onClose, reconnectDelayMs } from './backoff';
import { parseLiveEvent, type LiveEvent } from './events';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface LiveOptions {
  /** A usable access token (refreshing first if needed), or null when signed out. */
  token: () => Promise<string | null>;
  onEvent: (event: LiveEvent) => void;
  onStatus: (status: LiveStatus) => void;
  /** Where the socket lives; the page's own origin by default. */
  url?: (token: string) => string;
}

function defaultUrl(token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/ws?access_token=${encodeURIComponent(token)}`;
}

export class LiveConnection {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly options: LiveOptions;

  constructor(options: LiveOptions) {
    this.options = options;
  }

  start() {
    this.stopped = false;
    void this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const s = this.socket;
    this.socket = null;
    s?.close(1000, 'signed out');
    this.options.onStatus('stopped');
  }

  /** Sends a frame if the socket is open (typing indicators: losing one is fine). */
  send(frame: object) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private async open() {
    if (this.stopped) return;
    this.options.onStatus(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let token: string | null;
    try {
      token = await this.options.token();
    } catch {
      token = null;
    }
    if (this.stopped) return;
    if (!token) {
      // Signed out meanwhile, or refresh failing: the session decides; try later.
      this.retry('backoff');
      return;
    }
    const socket = new WebSocket((this.options.url ?? defaultUrl)(token));
    this.socket = socket;
    socket.onmessage = (m) => {
      if (typeof m.data !== 'string') return;
      const event = parseLiveEvent(m.data);
      if (!event) return;
      if (event.type === 'ready') {
        this.attempt = 0;
        this.options.onStatus('live');
      }
      this.options.onEvent(event);
    };
    socket.onclose = (e) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retry(onClose(e.code, this.stopped));
    };
  }

  private retry(action: ReturnType<typeof onClose>) {
    if (action === 'stop' || this.stopped) return;
    this.options.onStatus('reconnecting');
    const delay = action === 'reconnect-now' ? 0 : reconnectDelayMs(this.attempt);
    this.attempt += action === 'reconnect-now' ? 0 : 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.open(), delay);
  }
}
