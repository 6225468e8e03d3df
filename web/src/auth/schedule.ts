/**
 * When to refresh an access token: pure functions, unit-tested.
 *
 * The access token lives for `expires_in` seconds (15 minutes in attend).
 * We refresh a little before it ends — a fifth of its life, at most a
 * minute and at least five seconds early — so a request never goes out
 * with a token that expires in flight, yet we don't churn refresh tokens
 * (each refresh rotates it; a reused one ends every session).
 */

/** The longest we refresh ahead of expiry. */
export const MAX_LEAD_MS = 60_000;
/** The shortest lead: below this, clock skew and a slow network bite. */
export const MIN_LEAD_MS = 5_000;
/** Never schedule sooner than this (a server answering `expires_in: 0`
 * must not put us in a refresh loop). */
export const MIN_DELAY_MS = 1_000;

/** Milliseconds from now until the refresh should start. */
export function refreshDelayMs(expiresAtMs: number, nowMs: number, lifetimeMs: number): number {
  const lead = Math.min(MAX_LEAD_MS, Math.max(MIN_LEAD_MS, lifetimeMs / 5));
  return Math.max(MIN_DELAY_MS, expiresAtMs - lead - nowMs);
}

/** A JWT's `exp` (Unix seconds) as milliseconds, or null if it has none. */
export function jwtExpiryMs(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const claims: unknown = JSON.parse(atob(padded));
    if (typeof claims === 'object' && claims !== null && 'exp' in claims && typeof claims.exp === 'number') {
      return claims.exp * 1000;
    }
  } catch {
    // Not a JWT we can read: fall back to expires_in.
  }
  return null;
}

/**
 * When a freshly issued token expires: `expires_in` counted from when we
 * received it, or the JWT's own `exp` if that is sooner (trust the
 * stricter of the two).
 */
export function expiryMs(token: string, expiresInSeconds: number | null | undefined, receivedAtMs: number): number {
  const fromExpiresIn =
    typeof expiresInSeconds === 'number' && expiresInSeconds > 0 ? receivedAtMs + expiresInSeconds * 1000 : null;
  const fromJwt = jwtExpiryMs(token);
  if (fromExpiresIn !== null && fromJwt !== null) return Math.min(fromExpiresIn, fromJwt);
  return fromExpiresIn ?? fromJwt ?? receivedAtMs + 60_000;
}
