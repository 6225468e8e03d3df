/**
 * Service-type mappings (pure): the choices the API accepts, the words for
 * a mapping's recall, and turning the form's text into the body it sends.
 * What is valid stays the API's decision; these only offer its choices.
 */
import type { ServiceTypeBody, ServiceTypeMapping } from '../api/types';

export const SERVICE_TYPES = [
  { value: 'procedure', label: 'Procedure' },
  { value: 'follow_up', label: 'Follow-up' },
  { value: 'routine', label: 'Routine' },
  { value: 'high_risk', label: 'High risk' },
] as const;

export const URGENCIES = [
  { value: 'high', label: 'High' },
  { value: 'medium', label: 'Medium' },
  { value: 'low', label: 'Low' },
] as const;

/** For a new mapping: let the API pick the urgency the service type implies. */
export const URGENCY_FROM_TYPE = { value: '', label: 'From the service type' } as const;

/** A mapping as its form holds it: recall months as typed. */
export interface MappingDraft {
  provider: string;
  external_service_id: string;
  service_type: string;
  urgency_level: string;
  recall_months: string;
}

export function emptyDraft(): MappingDraft {
  return { provider: 'wix', external_service_id: '', service_type: 'routine', urgency_level: '', recall_months: '0' };
}

export function draftOf(m: ServiceTypeMapping): MappingDraft {
  return { ...m, recall_months: String(m.recall_months) };
}

/**
 * The body to send. Blank months are 0 (the default); anything else is
 * sent as typed, so the API can say what is wrong with it.
 */
export function bodyOf(d: MappingDraft): ServiceTypeBody {
  const months = d.recall_months.trim();
  return {
    provider: d.provider.trim(),
    external_service_id: d.external_service_id.trim(),
    service_type: d.service_type,
    urgency_level: d.urgency_level,
    recall_months: months === '' ? 0 : Number(months),
  };
}

/** Whether a row's draft differs from the mapping as saved. */
export function isChanged(m: ServiceTypeMapping, d: MappingDraft): boolean {
  const b = bodyOf(d);
  return b.service_type !== m.service_type || b.urgency_level !== m.urgency_level || b.recall_months !== m.recall_months;
}

/** The months until a recall, in words: 0 means the type's default. */
export function describeRecall(months: number, serviceType: string): string {
  if (months === 0) return `Default (${serviceType === 'high_risk' ? 6 : 12} months)`;
  return months === 1 ? '1 month' : `${months} months`;
}

export function labelOf(options: readonly { value: string; label: string }[], value: string): string {
  return options.find((o) => o.value === value)?.label ?? value;
}
