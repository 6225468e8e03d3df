import { describe, expect, it } from 'vitest';
import { chartRows, chartSummary, chartValue, numberOrNull, splitList, vitalsInWords } from './health';
import type { HealthLog } from '../api/types';

const week = {
  days: [
    { date: '2025-01-13', log: null },
    { date: '2025-01-14', log: null },
  ],
  series: {
    systolic: { unit: 'mmHg', points: [{ date: '2025-01-13', value: 130 }, { date: '2025-01-14', value: null }] },
    diastolic: { unit: 'mmHg', points: [{ date: '2025-01-13', value: 80 }, { date: '2025-01-14', value: null }] },
    temperature: { unit: 'C', points: [{ date: '2025-01-13', value: 36.6 }, { date: '2025-01-14', value: 36.8 }] },
  },
};

describe('vitals charts', () => {
  it('keeps a gap as null, so the line breaks there', () => {
    const rows = chartRows(week);
    expect(rows[0]).toMatchObject({ date: '2025-01-13', systolic: 130, diastolic: 80, temperature: 36.6 });
    expect(rows[1]).toMatchObject({ date: '2025-01-14', systolic: null, diastolic: null });
  });

  it('says each value and the week in words (the charts’ text alternative)', () => {
    const rows = chartRows(week);
    expect(chartValue(rows[0]!, ['systolic', 'diastolic'], 'mmHg')).toBe('130/80 mmHg');
    expect(chartValue(rows[1]!, ['systolic', 'diastolic'], 'mmHg')).toBe('No reading');
    expect(chartSummary(rows, ['systolic', 'diastolic'], 'mmHg')).toMatch(/^1 of 2 days recorded; latest 130\/80 mmHg on Mon,? 13 Jan\.$/);
    expect(chartSummary(rows, ['temperature'], '°C')).toMatch(/latest 36\.8 °C/);
    expect(chartSummary(chartRows({ days: week.days, series: {} }), ['weight'], 'kg')).toBe('No readings this week.');
  });
});

describe('a day in words', () => {
  it('gives each reading its unit, or says none was taken', () => {
    const log = {
      vital_signs: { blood_pressure: { systolic: 138, diastolic: 84, unit: 'mmHg' }, heart_rate: { value: 70, unit: 'bpm' }, temperature: { value: 98.6, unit: 'F' }, weight: null },
    } as unknown as HealthLog;
    expect(vitalsInWords(log)).toEqual([
      { name: 'Blood pressure', value: '138/84 mmHg' },
      { name: 'Heart rate', value: '70 bpm' },
      { name: 'Temperature', value: '98.6 °F' },
      { name: 'Weight', value: 'No reading' },
    ]);
  });

  it('reads the form’s boxes', () => {
    expect(splitList('Amlodipine 5 mg, Paracetamol 1 g\n\nVitamin D ')).toEqual(['Amlodipine 5 mg', 'Paracetamol 1 g', 'Vitamin D']);
    expect(numberOrNull(' ')).toBeNull();
    expect(numberOrNull('72')).toBe(72);
  });
});
