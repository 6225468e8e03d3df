import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  byLocalDate,
  durationLabel,
  localParts,
  monthGrid,
  parseDate,
  rangeFor,
  sortWeekly,
  step,
  timeLabel,
  todayIn,
  viewLabel,
  weekDates,
  weekEnd,
  weekStart,
} from './calendar';

describe('dates', () => {
  it('parses only real dates', () => {
    expect(parseDate('2025-02-29')).toBeNull();
    expect(parseDate('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseDate('tomorrow')).toBeNull();
  });

  it('adds days across months and years', () => {
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
  });

  it('adds months, clamping to the month end', () => {
    expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
    expect(addMonths('2025-01-15', -1)).toBe('2024-12-15');
    expect(addMonths('2024-03-31', -1)).toBe('2024-02-29');
  });
});

describe('weeks run Monday to Sunday', () => {
  it('finds the week of any date', () => {
    // 2025-01-15 is a Wednesday.
    expect(weekStart('2025-01-15')).toBe('2025-01-13');
    expect(weekEnd('2025-01-15')).toBe('2025-01-19');
    // A Sunday belongs to the week that began the Monday before.
    expect(weekStart('2025-01-19')).toBe('2025-01-13');
    // A Monday starts its own week.
    expect(weekStart('2025-01-13')).toBe('2025-01-13');
  });

  it('lists the seven days, across a year end', () => {
    expect(weekDates('2025-01-01')).toEqual([
      '2024-12-30',
      '2024-12-31',
      '2025-01-01',
      '2025-01-02',
      '2025-01-03',
      '2025-01-04',
      '2025-01-05',
    ]);
  });
});

describe('the month grid', () => {
  it('fills the first and last weeks with the neighbouring months', () => {
    // February 2025 starts on a Saturday and ends on a Friday.
    const grid = monthGrid('2025-02-10');
    expect(grid).toHaveLength(5);
    expect(grid[0]![0]).toEqual({ date: '2025-01-27', inMonth: false });
    expect(grid[0]![5]).toEqual({ date: '2025-02-01', inMonth: true });
    expect(grid[4]![4]).toEqual({ date: '2025-02-28', inMonth: true });
    expect(grid[4]![6]).toEqual({ date: '2025-03-02', inMonth: false });
    expect(grid.every((w) => w.length === 7)).toBe(true);
  });

  it('has no leading days when the month starts on a Monday', () => {
    const grid = monthGrid('2025-09-20');
    expect(grid[0]![0]).toEqual({ date: '2025-09-01', inMonth: true });
    expect(grid.flat().filter((d) => d.inMonth)).toHaveLength(30);
  });

  it('has six weeks when the month needs them', () => {
    // March 2025: starts on a Saturday, 31 days.
    expect(monthGrid('2025-03-01')).toHaveLength(6);
  });
});

describe('view ranges and stepping', () => {
  it('asks the API for exactly what a view shows', () => {
    expect(rangeFor('day', '2025-01-15')).toEqual({ from: '2025-01-15', to: '2025-01-15' });
    expect(rangeFor('week', '2025-01-15')).toEqual({ from: '2025-01-13', to: '2025-01-19' });
    expect(rangeFor('month', '2025-02-10')).toEqual({ from: '2025-01-27', to: '2025-03-02' });
  });

  it('steps by a day, a week or a month', () => {
    expect(step('day', '2025-01-31', 1)).toBe('2025-02-01');
    expect(step('week', '2025-01-31', -1)).toBe('2025-01-24');
    expect(step('month', '2025-01-31', 1)).toBe('2025-02-28');
  });

  it('says what a view shows', () => {
    expect(viewLabel('month', '2025-02-10')).toBe('February 2025');
    expect(viewLabel('week', '2025-01-15')).toMatch(/Mon,? 13 Jan.*Sun,? 19 Jan/);
    expect(viewLabel('day', '2025-01-15')).toMatch(/Wednesday,? 15 January 2025/);
  });
});

describe("the client's clock", () => {
  it("knows today's date in the client's zone, not the browser's", () => {
    // 20:00 UTC on 14 Jan is already 15 Jan in Sydney, still 14 Jan in New York.
    const now = new Date('2025-01-14T20:00:00Z');
    expect(todayIn('Australia/Sydney', now)).toBe('2025-01-15');
    expect(todayIn('America/New_York', now)).toBe('2025-01-14');
  });

  it('places appointments by their local wall-clock date, in time order', () => {
    // 09:30 Sydney on the 15th is the 14th in UTC: it still belongs on the 15th.
    const days = byLocalDate([
      { id: 'b', starts_local: '2025-01-15T14:00:00+11:00' },
      { id: 'a', starts_local: '2025-01-15T09:30:00+11:00' },
      { id: 'c', starts_local: '2025-01-16T08:00:00+11:00' },
    ]);
    expect([...days.keys()]).toEqual(['2025-01-15', '2025-01-16']);
    expect(days.get('2025-01-15')!.map((a) => a.id)).toEqual(['a', 'b']);
    expect(localParts('2025-01-15T09:30:00+11:00')).toEqual({ date: '2025-01-15', time: '09:30' });
    expect(localParts('soon')).toBeNull();
  });

  it('formats times and durations', () => {
    expect(timeLabel('09:05')).toBe('9:05 am');
    expect(timeLabel('12:30')).toBe('12:30 pm');
    expect(timeLabel('00:15')).toBe('12:15 am');
    expect(durationLabel(45)).toBe('45 min');
    expect(durationLabel(90)).toBe('1 hr 30 min');
  });

  it('orders a weekly schedule Monday first, then by time', () => {
    const sorted = sortWeekly([
      { day_of_week: 'sunday', time: '15:00' },
      { day_of_week: 'monday', time: '11:00' },
      { day_of_week: 'monday', time: '09:00' },
      { day_of_week: 'wednesday', time: '10:30' },
    ]);
    expect(sorted.map((s) => `${s.day_of_week} ${s.time}`)).toEqual(['monday 09:00', 'monday 11:00', 'wednesday 10:30', 'sunday 15:00']);
  });
});
