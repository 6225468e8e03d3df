import { describe, expect, it } from 'vitest';
import { trendPeriods, addDays, csvFilename, defaultPeriod, isoDate, mondayOf, periodLabel, recentMonths, recentWeeks, reportQuery } from './period';

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

describe('weeks', () => {
  it('finds the Monday on or before a day', () => {
    expect(isoDate(mondayOf(day('2026-12-01')))).toBe('2026-11-30'); // a Tuesday
    expect(isoDate(mondayOf(day('2026-11-30')))).toBe('2026-11-30'); // a Monday
    expect(isoDate(mondayOf(day('2026-12-06')))).toBe('2026-11-30'); // a Sunday
  });

  it('lists recent Mondays, newest first, across month and year ends', () => {
    expect(recentWeeks(3, day('2026-12-01'))).toEqual(['2026-11-30', '2026-11-23', '2026-11-16']);
    expect(recentWeeks(2, day('2027-01-03'))).toEqual(['2026-12-28', '2026-12-21']);
    expect(addDays('2026-12-28', 7)).toBe('2027-01-04');
  });

  it('defaults to the last complete period, as the API does', () => {
    expect(defaultPeriod('weekly', day('2026-12-01'))).toBe('2026-11-23');
    expect(defaultPeriod('monthly', day('2026-12-01'))).toBe('2026-11');
    expect(defaultPeriod('monthly', day('2027-01-15'))).toBe('2026-12');
  });
});

describe('months', () => {
  it('lists recent months, newest first', () => {
    expect(recentMonths(3, day('2027-02-28'))).toEqual(['2027-02', '2027-01', '2026-12']);
  });
});

describe('names and URLs', () => {
  it('labels periods', () => {
    expect(periodLabel('weekly', '2026-11-23')).toBe('Week of 23 Nov 2026');
    expect(periodLabel('monthly', '2026-11')).toBe('November 2026');
  });

  it('builds the report URL and the CSV file name', () => {
    expect(reportQuery('weekly', '2026-11-23')).toBe('/api/reports/weekly?week_start=2026-11-23');
    expect(reportQuery('monthly', '2026-11', true)).toBe('/api/reports/monthly?month=2026-11&format=csv');
    expect(csvFilename('weekly', '2026-11-23')).toBe('attend-weekly-2026-11-23.csv');
    expect(csvFilename('monthly', '2026-11')).toBe('attend-monthly-2026-11.csv');
  });
});

describe('trendPeriods', () => {
  it('lists the periods ending with the chosen one, oldest first', () => {
    expect(trendPeriods('weekly', '2026-11-23', 3)).toEqual(['2026-11-09', '2026-11-16', '2026-11-23']);
    expect(trendPeriods('monthly', '2027-01', 3)).toEqual(['2026-11', '2026-12', '2027-01']);
  });
});
