/**
 * What the contact search box asks the API (`GET /api/contacts`, routes/
 * contacts.rs): a whole email or phone number is an exact lookup (`email=`
 * / `phone=`, which ignore the other filters); otherwise at least three
 * characters search names, emails and phones (`q=`; the API refuses
 * fewer), combined with the filters.
 */

export interface ContactFilters {
  pipeline: string;
  stage: string;
  source: string;
  /** A warmness band (HOT, WARM, COOL) or '' for any. */
  warmness: string;
}

export const NO_FILTERS: ContactFilters = { pipeline: '', stage: '', source: '', warmness: '' };

/** Spec 000's bands: HOT ≥ 70, WARM 40–69, COOL below 40. */
export const WARMNESS_BANDS: Record<string, { min?: number; max?: number; label: string }> = {
  HOT: { min: 70, label: 'Hot (70+)' },
  WARM: { min: 40, max: 69, label: 'Warm (40–69)' },
  COOL: { max: 39, label: 'Cool (under 40)' },
};

export type SearchPlan =
  | { kind: 'list'; query: Record<string, string | number> }
  | { kind: 'too-short'; query: Record<string, string | number>; needed: number };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** A phone as typed: digits with +, spaces, dashes, dots or brackets, 8+ digits. */
const PHONE = /^\+?[\d\s().-]+$/;

export function planSearch(text: string, filters: ContactFilters, limit = 50): SearchPlan {
  const typed = text.trim();
  if (EMAIL.test(typed)) return { kind: 'list', query: { email: typed } };
  if (PHONE.test(typed) && typed.replace(/\D/g, '').length >= 8) return { kind: 'list', query: { phone: typed } };

  const query: Record<string, string | number> = { limit };
  if (filters.pipeline) query.pipeline = filters.pipeline;
  if (filters.pipeline && filters.stage) query.stage = filters.stage;
  if (filters.source.trim()) query.source = filters.source.trim();
  const band = WARMNESS_BANDS[filters.warmness];
  if (band?.min !== undefined) query.min_warmness = band.min;
  if (band?.max !== undefined) query.max_warmness = band.max;
  if (typed.length === 0) return { kind: 'list', query };
  if (typed.length < 3) return { kind: 'too-short', query, needed: 3 - typed.length };
  return { kind: 'list', query: { ...query, q: typed } };
}
