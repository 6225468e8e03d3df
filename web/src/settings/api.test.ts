import { describe, expect, it } from 'vitest';
import { matchedParam } from './api';

describe("a rule's runs", () => {
  it('asks for all runs, only those that fired, or only those that did not', () => {
    expect(matchedParam('all')).toBeUndefined();
    expect(matchedParam('fired')).toBe(true);
    expect(matchedParam('not_fired')).toBe(false);
  });
});
