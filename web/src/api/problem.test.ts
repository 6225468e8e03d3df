import { describe as suite, expect, it } from 'vitest';
import { ApiError, describe, problemFrom } from './problem';

suite('problemFrom', () => {
  it('keeps the detail and the fields a validation problem names', () => {
    const e = problemFrom(422, {
      type: 'https://attend.dev/problems/validation_failed',
      title: 'Unprocessable Entity',
      status: 422,
      detail: 'outcome: must be one of success, no_answer',
      code: 'validation_failed',
      errors: [{ field: 'outcome', reason: 'must be one of success, no_answer' }],
    });
    expect(e.message).toBe('outcome: must be one of success, no_answer');
    expect(e.code).toBe('validation_failed');
    expect(e.reasonFor('outcome')).toBe('must be one of success, no_answer');
    expect(e.reasonFor('notes')).toBeUndefined();
  });

  it('falls back to words when the body is not a problem', () => {
    expect(problemFrom(502, undefined).message).toMatch(/server had a problem/);
    expect(problemFrom(404, { title: 'Not Found' }).message).toBe('Not Found');
  });

  it('describes network failures in words', () => {
    expect(describe(new TypeError('Failed to fetch'))).toMatch(/Cannot reach attend/);
    expect(describe(new ApiError(403, 'not allowed'))).toBe('not allowed');
  });
});
