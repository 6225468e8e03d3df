import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../api/types';
import { allowedTargets, checkMove, orList, refusal } from './transitions';

// The demo's lead pipeline, as GET /api/pipelines gives it.
const leads: Pipeline = {
  id: 'lead_to_booking',
  name: 'Lead to Booking',
  entry_stages: ['new_lead'],
  stages: [
    { id: 'new_lead', name: 'New lead', next: ['contacted', 'engaged', 'booking_attempted', 'dead_lost'] },
    { id: 'contacted', name: 'Contacted', next: ['engaged', 'booking_attempted', 'dead_lost'] },
    { id: 'engaged', name: 'Engaged', next: ['booking_attempted', 'booked', 'dead_lost'] },
    { id: 'booking_attempted', name: 'Booking attempted', next: ['engaged', 'booked', 'dead_lost'] },
    { id: 'booked', name: 'Booked', next: ['dead_lost'] },
    { id: 'dead_lost', name: 'Dead / lost', next: [] },
  ],
};

describe('checkMove', () => {
  it('allows exactly the stages listed in next', () => {
    expect(checkMove(leads, 'contacted', 'engaged')).toEqual({ ok: true });
    expect(checkMove(leads, 'booking_attempted', 'engaged')).toEqual({ ok: true });
    expect(checkMove(leads, 'contacted', 'booked').ok).toBe(false);
    expect(checkMove(leads, 'contacted', 'new_lead').ok).toBe(false);
  });

  it('refuses a drop on the same column, an unknown stage and moves out of a final stage', () => {
    expect(checkMove(leads, 'engaged', 'engaged')).toEqual({ ok: false, reason: 'the contact is already in Engaged.' });
    expect(checkMove(leads, 'engaged', 'nowhere').ok).toBe(false);
    expect(checkMove(leads, 'gone', 'engaged').ok).toBe(false);
    expect(checkMove(leads, 'dead_lost', 'new_lead')).toEqual({ ok: false, reason: 'Dead / lost is a final stage.' });
  });
});

describe('refusal', () => {
  it('names both stages and where the contact could go', () => {
    expect(refusal(leads, 'contacted', 'booked')).toBe(
      "Can't move from Contacted to Booked: from Contacted a contact can only move to Engaged, Booking attempted or Dead / lost.",
    );
    expect(refusal(leads, 'contacted', 'engaged')).toBeNull();
  });
});

describe('allowedTargets', () => {
  it('lists the allowed stages in board order', () => {
    expect(allowedTargets(leads, 'booking_attempted').map((s) => s.id)).toEqual(['engaged', 'booked', 'dead_lost']);
    expect(allowedTargets(leads, 'unknown')).toEqual([]);
  });

  it('joins words as people do', () => {
    expect(orList([])).toBe('');
    expect(orList(['A'])).toBe('A');
    expect(orList(['A', 'B'])).toBe('A or B');
    expect(orList(['A', 'B', 'C'])).toBe('A, B or C');
  });
});
