import { describe, expect, it } from 'vitest';
import { senderOf } from './sender';

describe('senderOf', () => {
  it('names the sender with their role', () => {
    expect(senderOf({ sender_name: 'Jo Smith', sender_role: 'care_team' })).toBe('Jo Smith (Care team)');
  });
  it('falls back to the role when the API has no name', () => {
    expect(senderOf({ sender_name: null, sender_role: 'family' })).toBe('Family');
    expect(senderOf({ sender_name: undefined, sender_role: 'family' })).toBe('Family');
  });
  it('shows an unknown role as it is', () => {
    expect(senderOf({ sender_name: '', sender_role: 'auditor' })).toBe('auditor');
  });
});
