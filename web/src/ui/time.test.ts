import { describe, expect, it } from 'vitest';
import { formatWallClock, wallClock, zoneName } from './time';

describe('client-local times', () => {
  it("shows the client's wall-clock digits, not the browser's zone", () => {
    // 09:30 in Sydney is 22:30 UTC the day before: we must still say 9:30 on the 6th.
    const shown = formatWallClock('2025-01-06T09:30:00+11:00');
    expect(shown).toMatch(/6 Jan/);
    expect(shown).toMatch(/9:30\s?am/i);
    expect(formatWallClock('2025-07-01T23:05:00.123-04:00')).toMatch(/11:05\s?pm/i);
  });

  it('keeps the offset and survives odd input', () => {
    expect(wallClock('2025-01-06T09:30:00+11:00')?.offset).toBe('+11:00');
    expect(wallClock('yesterday')).toBeNull();
    expect(formatWallClock('yesterday')).toBe('yesterday');
    expect(formatWallClock(null)).toBe('');
  });

  it('names a zone by its city', () => {
    expect(zoneName('Australia/Sydney')).toBe('Sydney time');
    expect(zoneName('America/New_York')).toBe('New York time');
  });
});

describe('practice times', () => {
  it('are shown in the practice zone once it is known, whatever the browser zone', async () => {
    const { formatUnix, setPracticeZone } = await import('./time');
    // 2026-04-05 15:30 UTC: Monday 6 April 01:30 in Sydney (after DST ends).
    const at = Date.UTC(2026, 3, 5, 15, 30) / 1000;
    setPracticeZone('Australia/Sydney');
    expect(formatUnix(at)).toMatch(/Mon,? 6 Apr,? 1:30/);
    // A zone passed in wins (a report in its own zone).
    expect(formatUnix(at, 'UTC')).toMatch(/Sun,? 5 Apr,? 3:30/);
    setPracticeZone(null);
    expect(formatUnix(at, 'Europe/London')).toMatch(/Sun,? 5 Apr,? 4:30/);
  });
});
