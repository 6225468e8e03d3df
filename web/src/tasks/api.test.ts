import { describe, expect, it } from 'vitest';
import { assigneeChoices, taskTypeLabel, UNASSIGNED } from './api';

describe('taskTypeLabel', () => {
  it("says spec 000's task types in words, and any other type readably", () => {
    expect(taskTypeLabel('no_show_followup')).toBe('No-show follow-up');
    expect(taskTypeLabel('sms_followup')).toBe('SMS follow-up');
    expect(taskTypeLabel('birthday_card')).toBe('Birthday card');
    expect(taskTypeLabel('')).toBe('Task');
  });
});

describe('assigneeChoices', () => {
  const assignees = [
    { id: 'user_ann', name: 'Ann Admin', role: 'admin' },
    { id: 'user_sam', name: 'Sam Staff', role: 'staff' },
    { id: 'user_nameless', name: ' ', role: 'staff' },
  ];

  it('offers the queue first, then every colleague but the one who has the task', () => {
    expect(assigneeChoices(assignees, 'user_sam', 'user_sam')).toEqual([
      { value: UNASSIGNED, label: 'Unassigned (back to the queue)' },
      { value: 'user_ann', label: 'Ann Admin' },
      { value: 'user_nameless', label: 'Staff' },
    ]);
  });

  it("doesn't offer the queue for a task already in it, and marks the caller", () => {
    expect(assigneeChoices(assignees, null, 'user_ann')).toEqual([
      { value: 'user_ann', label: 'Ann Admin (you)' },
      { value: 'user_sam', label: 'Sam Staff' },
      { value: 'user_nameless', label: 'Staff' },
    ]);
  });

  it('offers only the queue when the one who has it is the only colleague', () => {
    expect(assigneeChoices([assignees[1]!], 'user_sam', 'user_sam')).toEqual([{ value: UNASSIGNED, label: 'Unassigned (back to the queue)' }]);
  });
});
