import { describe, expect, it } from 'vitest';
import { fromDateTimeLocal, snoozeChoices } from './snooze';

describe('snoozeChoices', () => {
  it('offers times in the future, in order', () => {
    // A Wednesday afternoon.
    const now = new Date(2025, 0, 8, 15, 20);
    const choices = snoozeChoices(now);
    const nowS = now.getTime() / 1000;
    expect(choices.map((c) => c.until - nowS).slice(0, 2)).toEqual([3600, 3 * 3600]);
    const tomorrow = new Date(choices[2]!.until * 1000);
    expect([tomorrow.getDate(), tomorrow.getHours(), tomorrow.getMinutes()]).toEqual([9, 9, 0]);
    const monday = new Date(choices[3]!.until * 1000);
    expect([monday.getDay(), monday.getDate(), monday.getHours()]).toEqual([1, 13, 9]);
  });

  it('skips to the following Monday when today is Monday', () => {
    const now = new Date(2025, 0, 6, 8, 0);
    const monday = new Date(snoozeChoices(now)[3]!.until * 1000);
    expect(monday.getDate()).toBe(13);
  });
});

describe('fromDateTimeLocal', () => {
  it('reads a datetime-local value and refuses anything else', () => {
    expect(fromDateTimeLocal('2025-01-08T10:30')).toBe(Math.floor(new Date(2025, 0, 8, 10, 30).getTime() / 1000));
    expect(fromDateTimeLocal('')).toBeNull();
    expect(fromDateTimeLocal('tomorrow')).toBeNull();
  });
});
