/**
 * A contact's warmness (spec 000: 0–100; HOT ≥ 70, WARM ≥ 40, else COOL)
 * and the breakdown the contact service stores beside it, as rows a
 * person can read.
 */

export function warmnessLabel(score: number, label?: string | null): string {
  if (label) return label.toUpperCase();
  return score >= 70 ? 'HOT' : score >= 40 ? 'WARM' : 'COOL';
}

/** Badge colours (text contrast ≥ 4.5:1 on each background). */
export const WARMNESS_STYLE: Record<string, string> = {
  HOT: 'border-red-300 bg-red-50 text-red-900',
  WARM: 'border-amber-300 bg-amber-50 text-amber-900',
  COOL: 'border-sky-300 bg-sky-50 text-sky-900',
};

export interface BreakdownRow {
  label: string;
  detail: string;
  points: number;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function words(v: unknown): string {
  return typeof v === 'string' ? v.replace(/_/g, ' ') : '';
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 360) / 10} h`;
  const days = Math.round(seconds / 8640) / 10;
  return `${days} day${days === 1 ? '' : 's'}`;
}

/**
 * The breakdown's parts (intent, source, engagement, speed to lead,
 * adjustments), each with its points; parts the breakdown lacks are left
 * out rather than shown as zero.
 */
export function breakdownRows(b: Record<string, unknown>): BreakdownRow[] {
  const rows: BreakdownRow[] = [];
  const intent = num(b.intent_points);
  if (intent !== undefined) rows.push({ label: 'Intent', detail: words(b.intent) || 'unknown', points: intent });
  const source = num(b.source_points);
  if (source !== undefined) rows.push({ label: 'Source', detail: words(b.source) || 'unknown', points: source });
  const engagement = num(b.engagement_points);
  if (engagement !== undefined) {
    const signals = Array.isArray(b.engagement_signals)
      ? b.engagement_signals.map((s) => (typeof s === 'string' ? words(s) : isSignal(s) ? words(s.type) : '')).filter(Boolean)
      : [];
    rows.push({ label: 'Engagement', detail: signals.length ? signals.join(', ') : 'no signals yet', points: engagement });
  }
  const speed = num(b.speed_to_lead_points);
  if (speed !== undefined) {
    const secs = num(b.speed_to_lead_seconds);
    rows.push({ label: 'Speed to lead', detail: secs !== undefined ? `first contact after ${duration(secs)}` : 'not contacted yet', points: speed });
  }
  const adjustments = Array.isArray(b.adjustments) ? b.adjustments : [];
  for (const a of adjustments) {
    if (typeof a === 'object' && a !== null) {
      const r = a as Record<string, unknown>;
      rows.push({ label: 'Adjustment', detail: words(r.reason) || 'by staff', points: num(r.delta) ?? num(r.points) ?? 0 });
    }
  }
  if (adjustments.length === 0 && num(b.adjustment_points)) {
    rows.push({ label: 'Adjustments', detail: '', points: num(b.adjustment_points) ?? 0 });
  }
  return rows;
}

function isSignal(s: unknown): s is { type: string } {
  return typeof s === 'object' && s !== null && 'type' in s && typeof (s as { type: unknown }).type === 'string';
}
