import { describe, expect, it } from 'vitest';
import { breakdownRows, warmnessLabel } from './warmness';

describe('warmnessLabel', () => {
  it('uses the label given, else spec 000 bands', () => {
    expect(warmnessLabel(10, 'hot')).toBe('HOT');
    expect(warmnessLabel(70)).toBe('HOT');
    expect(warmnessLabel(69)).toBe('WARM');
    expect(warmnessLabel(40)).toBe('WARM');
    expect(warmnessLabel(39)).toBe('COOL');
  });
});

describe('breakdownRows', () => {
  it('reads the contact service breakdown', () => {
    const rows = breakdownRows({
      adjustment_points: 5,
      adjustments: [{ delta: 5, reason: 'called back twice' }],
      engagement_points: 15,
      engagement_signals: ['booking_link_click'],
      intent: 'follow_up',
      intent_points: 20,
      label: 'WARM',
      score: 50,
      source: 'referral',
      source_points: 20,
      speed_to_lead_points: 10,
      speed_to_lead_seconds: 6,
      total: 50,
    });
    expect(rows).toEqual([
      { label: 'Intent', detail: 'follow up', points: 20 },
      { label: 'Source', detail: 'referral', points: 20 },
      { label: 'Engagement', detail: 'booking link click', points: 15 },
      { label: 'Speed to lead', detail: 'first contact after 6 s', points: 10 },
      { label: 'Adjustment', detail: 'called back twice', points: 5 },
    ]);
  });

  it('leaves out what the breakdown lacks', () => {
    expect(breakdownRows({})).toEqual([]);
    expect(breakdownRows({ speed_to_lead_points: -10, speed_to_lead_seconds: 90000 })).toEqual([
      { label: 'Speed to lead', detail: 'first contact after 1 day', points: -10 },
    ]);
  });
});
