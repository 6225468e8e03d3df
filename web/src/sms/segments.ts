/**
 * How long an SMS is, as the network counts it: the GSM-7 alphabet when
 * every character is in it (160 per single message, 153 per part of a
 * longer one; the extension characters `^{}\[~]|€` take two), else UCS-2
 * (70, then 67 per part; characters outside the Basic Multilingual Plane,
 * such as most emoji, take two). The same rules as the messaging service's
 * `TextMeasure`, so the counter under a send box says what will be billed.
 */

// GSM 03.38 basic character set (with LF and CR).
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

export type Encoding = 'gsm7' | 'ucs2';

export interface Measure {
  encoding: Encoding;
  /** Characters as a person counts them (code points). */
  characters: number;
  /** What the network counts: septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
  /** Units a single message holds, and each part of a longer one. */
  single: number;
  perPart: number;
  /** Units left before the next segment starts. */
  remaining: number;
}

export function isGsm7(text: string): boolean {
  for (const ch of text) if (!BASIC.has(ch) && !EXTENDED.has(ch)) return false;
  return true;
}

export function measureSms(text: string): Measure {
  const characters = [...text].length;
  const gsm = isGsm7(text);
  let units = 0;
  if (gsm) {
    for (const ch of text) units += EXTENDED.has(ch) ? 2 : 1;
  } else {
    units = text.length; // UTF-16 code units: a surrogate pair counts two
  }
  const [single, perPart] = gsm ? [160, 153] : [70, 67];
  const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / perPart);
  const capacity = segments <= 1 ? single : segments * perPart;
  return { encoding: gsm ? 'gsm7' : 'ucs2', characters, units, segments, single, perPart, remaining: capacity - units };
}

/** "42 characters · 1 SMS (118 left) · GSM-7" — the counter's words. */
export function describeMeasure(m: Measure): string {
  const enc = m.encoding === 'gsm7' ? 'GSM-7' : 'Unicode (UCS-2)';
  if (m.segments === 0) return `0 characters · ${enc}: ${m.single} fit in one SMS`;
  const chars = `${m.characters} character${m.characters === 1 ? '' : 's'}`;
  return `${chars} · ${m.segments} SMS (${m.remaining} left) · ${enc}`;
}
