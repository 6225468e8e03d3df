/** Snooze choices, as Unix seconds, computed on this device's clock and zone. */

export interface SnoozeChoice {
  key: string;
  label: string;
  until: number;
}

function at9(d: Date): Date {
  const x = new Date(d);
  x.setHours(9, 0, 0, 0);
  return x;
}

export function snoozeChoices(now: Date): SnoozeChoice[] {
  const inHour = new Date(now.getTime() + 60 * 60_000);
  const in3h = new Date(now.getTime() + 3 * 60 * 60_000);
  const tomorrow = at9(new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1));
  const daysToMonday = ((8 - now.getDay()) % 7) || 7;
  const monday = at9(new Date(now.getFullYear(), now.getMonth(), now.getDate() + daysToMonday));
  const s = (d: Date) => Math.floor(d.getTime() / 1000);
  return [
    { key: '1h', label: 'In 1 hour', until: s(inHour) },
    { key: '3h', label: 'In 3 hours', until: s(in3h) },
    { key: 'tomorrow', label: 'Tomorrow 9 am', until: s(tomorrow) },
    { key: 'monday', label: 'Next Monday 9 am', until: s(monday) },
  ];
}

/** A `datetime-local` value (this device's zone) as Unix seconds, or null. */
export function fromDateTimeLocal(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}
