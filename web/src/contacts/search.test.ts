import { describe, expect, it } from 'vitest';
import { NO_FILTERS, planSearch } from './search';

describe('planSearch', () => {
  it('looks a whole email or phone number up exactly', () => {
    expect(planSearch(' mia.chen@example.com ', NO_FILTERS)).toEqual({ kind: 'list', query: { email: 'mia.chen@example.com' } });
    expect(planSearch('0491 570 737', NO_FILTERS)).toEqual({ kind: 'list', query: { phone: '0491 570 737' } });
    expect(planSearch('+61491570737', { ...NO_FILTERS, pipeline: 'x' })).toEqual({ kind: 'list', query: { phone: '+61491570737' } });
  });

  it('searches names from three characters, with the filters', () => {
    expect(planSearch('Chen', { ...NO_FILTERS, pipeline: 'lead_to_booking', stage: 'contacted' })).toEqual({
      kind: 'list',
      query: { limit: 50, pipeline: 'lead_to_booking', stage: 'contacted', q: 'Chen' },
    });
    expect(planSearch('491', NO_FILTERS)).toEqual({ kind: 'list', query: { limit: 50, q: '491' } });
    expect(planSearch('mi', NO_FILTERS)).toEqual({ kind: 'too-short', query: { limit: 50 }, needed: 1 });
  });

  it('lists by filters alone when nothing is typed', () => {
    expect(planSearch('', { pipeline: '', stage: 'ignored-without-pipeline', source: ' Referral ', warmness: 'WARM' })).toEqual({
      kind: 'list',
      query: { limit: 50, source: 'Referral', min_warmness: 40, max_warmness: 69 },
    });
    expect(planSearch('', { ...NO_FILTERS, warmness: 'HOT' }).query).toEqual({ limit: 50, min_warmness: 70 });
    expect(planSearch('', { ...NO_FILTERS, warmness: 'COOL' }).query).toEqual({ limit: 50, max_warmness: 39 });
  });
});
