import { describe, expect, it } from 'vitest';
import { CAP_MS, TOKEN_EXPIRED, onClose, reconnectDelayMs } from './backoff';

describe('reconnectDelayMs', () => {
  it('doubles from half a second, between half and all of the ceiling', () => {
    expect(reconnectDelayMs(0, () => 0)).toBe(250);
    expect(reconnectDelayMs(0, () => 1)).toBe(500);
    expect(reconnectDelayMs(1, () => 0)).toBe(500);
    expect(reconnectDelayMs(3, () => 1)).toBe(4_000);
  });

  it('is capped at about ten seconds however many attempts failed', () => {
    for (const attempt of [5, 10, 100, 10_000]) {
      expect(reconnectDelayMs(attempt, () => 1)).toBe(CAP_MS);
      expect(reconnectDelayMs(attempt, () => 0)).toBe(CAP_MS / 2);
    }
  });

  it('spreads tabs apart: different random draws give different delays', () => {
    const delays = new Set([0.1, 0.4, 0.9].map((r) => reconnectDelayMs(4, () => r)));
    expect(delays.size).toBe(3);
  });
});

describe('onClose', () => {
  it('reconnects at once when the token ended, backs off on a drop, stops when we closed it', () => {
    expect(onClose(TOKEN_EXPIRED, false)).toBe('reconnect-now');
    expect(onClose(1006, false)).toBe('backoff');
    expect(onClose(1000, false)).toBe('backoff');
    expect(onClose(1000, true)).toBe('stop');
  });
});
