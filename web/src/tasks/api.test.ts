import { describe, expect, it } from 'vitest';
import { taskTypeLabel } from './api';

describe('taskTypeLabel', () => {
  it("says spec 000's task types in words, and any other type readably", () => {
    expect(taskTypeLabel('no_show_followup')).toBe('No-show follow-up');
    expect(taskTypeLabel('sms_followup')).toBe('SMS follow-up');
    expect(taskTypeLabel('birthday_card')).toBe('Birthday card');
    expect(taskTypeLabel('')).toBe('Task');
  });
});
