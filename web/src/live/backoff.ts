/**
 * Reconnect timing for the live channel: exponential backoff with
 * "equal jitter" (half fixed, half random), capped, so a gateway restart
 * doesn't bring every tab back in the same millisecond, and a tab never
 * waits more than ~10 s to catch up.
 */

export const BASE_MS = 500;
export const CAP_MS = 10_000;

/** How long to wait before reconnect attempt `attempt` (0 = the first
 * retry after a drop). `random` is injectable for tests. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, Math.min(attempt, 30)));
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}

/** WebSocket close codes and what to do about them. */
export const TOKEN_EXPIRED = 4001;

export type CloseAction =
  /** The socket reached its token's end: reconnect at once with a fresh token. */
  | 'reconnect-now'
  /** Dropped (network, restart): reconnect after backoff. */
  | 'backoff'
  /** We closed it ourselves (sign-out, tab closing). */
  | 'stop';

export function onClose(code: number, closedByUs: boolean): CloseAction {
  if (closedByUs) return 'stop';
  if (code === TOKEN_EXPIRED) return 'reconnect-now';
  return 'backoff';
}
