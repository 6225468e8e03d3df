/**
 * Times as people read them. Care updates and messages come with the
 * client's wall-clock time already (`created_local`, RFC 3339 with the
 * client's offset): we show those digits as they are, never converting
 * to the browser's zone — a daughter in London reads what time it was in
 * her mother's care home in Sydney.
 */

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** The wall-clock parts of an RFC 3339 local time, or null. */
export function wallClock(rfc3339: string): { date: Date; offset: string | null } | null {
  const m = LOCAL.exec(rfc3339.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  // A Date holding the wall-clock digits as UTC, formatted in UTC, shows
  // exactly those digits whatever the browser's zone.
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)));
  return { date, offset: m[7] ?? null };
}

const DAY_TIME = new Intl.DateTimeFormat('en-AU', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: 'numeric',
  minute: '2-digit',
  timeZone: 'UTC',
});

/** "Mon 6 Jan, 9:30 am" from the client's local time, digits untouched. */
export function formatWallClock(rfc3339: string | null | undefined): string {
  if (!rfc3339) return '';
  const parsed = wallClock(rfc3339);
  return parsed ? DAY_TIME.format(parsed.date) : rfc3339;
}

/** The machine-readable value for a <time> element. */
export function isoOf(rfc3339: string | null | undefined): string | undefined {
  return rfc3339 && wallClock(rfc3339) ? rfc3339 : undefined;
}

let practiceZone: string | undefined;

/** The practice's zone (`/api/auth/me`'s organisation): practice times
 * (tasks, bookings, texts, the timeline) are shown in it, wherever the
 * browser is. Set once the signed-in user is known. */
export function setPracticeZone(zone: string | null | undefined): void {
  practiceZone = zone || undefined;
}

/** A Unix-seconds time in the given zone, else the practice's, else this
 * browser's (the API gives no local form for practice times). */
export function formatUnix(seconds: number | null | undefined, zone?: string): string {
  if (seconds == null) return '';
  const timeZone = zone ?? practiceZone;
  return new Intl.DateTimeFormat('en-AU', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: 'numeric',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(seconds * 1000));
}

/** "Australia/Sydney" → "Sydney time". */
export function zoneName(zone: string | null | undefined): string {
  if (!zone) return '';
  const city = zone.split('/').pop()?.replace(/_/g, ' ');
  return city ? `${city} time` : zone;
}
