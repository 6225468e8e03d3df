import { describe, expect, it } from 'vitest';
import { bodyOf, describeRecall, draftOf, emptyDraft, isChanged, labelOf, SERVICE_TYPES } from './serviceTypes';

const saved = { provider: 'wix', external_service_id: 'svc-1', service_type: 'routine', urgency_level: 'low', recall_months: 0 };

describe('service-type mappings', () => {
  it('sends the months as a number, blank as the default', () => {
    expect(bodyOf({ ...emptyDraft(), external_service_id: ' svc-2 ', recall_months: '' })).toEqual({
      provider: 'wix',
      external_service_id: 'svc-2',
      service_type: 'routine',
      urgency_level: '',
      recall_months: 0,
    });
    expect(bodyOf({ ...emptyDraft(), recall_months: '18' }).recall_months).toBe(18);
    // Out of range is still sent: the API says what is wrong with it.
    expect(bodyOf({ ...emptyDraft(), recall_months: '999' }).recall_months).toBe(999);
  });

  it('notices a changed row, not an unchanged one', () => {
    expect(isChanged(saved, draftOf(saved))).toBe(false);
    expect(isChanged(saved, { ...draftOf(saved), urgency_level: 'high' })).toBe(true);
    expect(isChanged(saved, { ...draftOf(saved), recall_months: '6' })).toBe(true);
  });

  it('says the recall in words, 0 being the default of the type', () => {
    expect(describeRecall(0, 'high_risk')).toBe('Default (6 months)');
    expect(describeRecall(0, 'routine')).toBe('Default (12 months)');
    expect(describeRecall(1, 'routine')).toBe('1 month');
    expect(describeRecall(24, 'routine')).toBe('24 months');
  });

  it('labels a value, or shows it as is when unknown', () => {
    expect(labelOf(SERVICE_TYPES, 'follow_up')).toBe('Follow-up');
    expect(labelOf(SERVICE_TYPES, 'other')).toBe('other');
  });
});
