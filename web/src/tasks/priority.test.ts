import { describe, expect, it } from 'vitest';
import { PRIORITY_STYLE, byPriority, categoryOfScore, dueInWords, priorityOf } from './priority';

describe('priority categories', () => {
  it("follow spec 000's thresholds at their edges", () => {
    expect(categoryOfScore(200)).toBe('URGENT');
    expect(categoryOfScore(150)).toBe('URGENT');
    expect(categoryOfScore(149)).toBe('HIGH');
    expect(categoryOfScore(100)).toBe('HIGH');
    expect(categoryOfScore(99)).toBe('MEDIUM');
    expect(categoryOfScore(50)).toBe('MEDIUM');
    expect(categoryOfScore(49)).toBe('LOW');
    expect(categoryOfScore(0)).toBe('LOW');
  });

  it("trust the server's category and fall back to the score when it is missing or unknown", () => {
    expect(priorityOf({ priority_category: 'HIGH', priority_score: 10 })).toBe('HIGH');
    expect(priorityOf({ priority_category: 'urgent', priority_score: 10 })).toBe('URGENT');
    expect(priorityOf({ priority_category: null, priority_score: 160 })).toBe('URGENT');
    expect(priorityOf({ priority_category: 'CRITICAL', priority_score: 60 })).toBe('MEDIUM');
  });

  it('use red, orange, yellow and green, each with a name as well as a colour', () => {
    expect(PRIORITY_STYLE.URGENT.badge).toMatch(/red/);
    expect(PRIORITY_STYLE.HIGH.badge).toMatch(/orange/);
    expect(PRIORITY_STYLE.MEDIUM.badge).toMatch(/yellow/);
    expect(PRIORITY_STYLE.LOW.badge).toMatch(/green/);
    for (const style of Object.values(PRIORITY_STYLE)) {
      expect(style.label).not.toBe('');
      // Dark text on a light fill: AA contrast.
      expect(style.badge).toMatch(/text-\w+-900/);
    }
  });
});

describe('byPriority', () => {
  it('puts the highest score first, then the earliest due, without changing the input', () => {
    const tasks = [
      { id: 'a', priority_score: 60, due_datetime: 300 },
      { id: 'b', priority_score: 150, due_datetime: 500 },
      { id: 'c', priority_score: 60, due_datetime: 100 },
      { id: 'd', priority_score: 150, due_datetime: 400 },
      { id: 'e', priority_score: 60, due_datetime: null },
    ];
    expect(byPriority(tasks).map((t) => t.id)).toEqual(['d', 'b', 'c', 'a', 'e']);
    expect(tasks[0]?.id).toBe('a');
  });
});

describe('dueInWords', () => {
  const now = 1_700_000_000_000;
  it('says how overdue or how soon', () => {
    expect(dueInWords(now / 1000 - 3 * 3600, now)).toBe('Overdue by 3 h');
    expect(dueInWords(now / 1000 + 20 * 60, now)).toBe('Due in 20 min');
    expect(dueInWords(now / 1000 + 3 * 86400, now)).toBe('Due in 3 days');
    expect(dueInWords(null, now)).toBe('No due time');
  });
});
