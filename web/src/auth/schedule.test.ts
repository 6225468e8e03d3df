import { describe, expect, it } from 'vitest';
import { expiryMs, jwtExpiryMs, refreshDelayMs } from './schedule';

const MIN = 60_000;

function jwt(claims: object): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.signature`;
}

describe('refreshDelayMs', () => {
  it('refreshes a fifteen-minute token one minute before it ends', () => {
    const now = 1_000_000;
    expect(refreshDelayMs(now + 15 * MIN, now, 15 * MIN)).toBe(14 * MIN);
  });

  it('refreshes a short token a fifth of its life early, but at least five seconds', () => {
    expect(refreshDelayMs(100_000, 0, 100_000)).toBe(80_000);
    expect(refreshDelayMs(10_000, 0, 10_000)).toBe(5_000);
  });

  it('never schedules in the past or in a tight loop', () => {
    expect(refreshDelayMs(1_000, 5_000, 15 * MIN)).toBe(1_000);
    expect(refreshDelayMs(0, 0, 0)).toBe(1_000);
  });
});

describe('expiryMs', () => {
  it('counts expires_in from when the token arrived', () => {
    expect(expiryMs('opaque', 900, 1_000)).toBe(901_000);
  });

  it('trusts the JWT exp when it is sooner than expires_in', () => {
    const token = jwt({ sub: 'user_1', exp: 500 });
    expect(jwtExpiryMs(token)).toBe(500_000);
    expect(expiryMs(token, 900, 0)).toBe(500_000);
    expect(expiryMs(token, 100, 0)).toBe(100_000);
  });

  it('falls back to the JWT, then to a minute, when expires_in is missing', () => {
    expect(expiryMs(jwt({ exp: 42 }), null, 0)).toBe(42_000);
    expect(expiryMs('not-a-jwt', undefined, 7)).toBe(60_007);
  });
});
