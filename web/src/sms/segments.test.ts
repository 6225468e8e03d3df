import { describe, expect, it } from 'vitest';
import { describeMeasure, isGsm7, measureSms } from './segments';

describe('measureSms', () => {
  it('counts plain text as GSM-7: 160 in one message, then 153 a part', () => {
    expect(measureSms('')).toMatchObject({ encoding: 'gsm7', units: 0, segments: 0 });
    expect(measureSms('a'.repeat(160))).toMatchObject({ encoding: 'gsm7', units: 160, segments: 1, remaining: 0 });
    expect(measureSms('a'.repeat(161))).toMatchObject({ segments: 2, remaining: 306 - 161 });
    expect(measureSms('a'.repeat(306))).toMatchObject({ segments: 2, remaining: 0 });
    expect(measureSms('a'.repeat(307))).toMatchObject({ segments: 3 });
  });

  it('counts the extension characters twice, as the template measure does', () => {
    // The demo's booking_confirmation template: 115 characters, 121 units.
    const template =
      "Great news {name}! Your appointment is confirmed for {date} at {time}. We'll send reminders. Reply STOP to opt out.";
    expect(measureSms(template)).toMatchObject({ encoding: 'gsm7', characters: 115, units: 121, segments: 1 });
    expect(measureSms('€'.repeat(80))).toMatchObject({ encoding: 'gsm7', characters: 80, units: 160, segments: 1 });
    expect(measureSms('€'.repeat(81)).segments).toBe(2);
  });

  it('switches to UCS-2 for any character outside GSM-7: 70, then 67 a part', () => {
    expect(isGsm7('Café è')).toBe(true); // é and è are in the basic set
    expect(isGsm7('naïve')).toBe(false);
    expect(measureSms('ç'.repeat(70))).toMatchObject({ encoding: 'ucs2', segments: 1, remaining: 0 });
    expect(measureSms('ç'.repeat(71))).toMatchObject({ encoding: 'ucs2', segments: 2, remaining: 134 - 71 });
    expect(measureSms('x'.repeat(134) + 'ç').segments).toBe(3);
  });

  it('counts an emoji as one character but two UCS-2 units', () => {
    const m = measureSms('See you soon 👋');
    expect(m).toMatchObject({ encoding: 'ucs2', characters: 14, units: 15, segments: 1 });
  });
});

describe('describeMeasure', () => {
  it('says characters, messages, what is left and the encoding', () => {
    expect(describeMeasure(measureSms('Hello'))).toBe('5 characters · 1 SMS (155 left) · GSM-7');
    expect(describeMeasure(measureSms('👋'))).toBe('1 character · 1 SMS (68 left) · Unicode (UCS-2)');
    expect(describeMeasure(measureSms(''))).toMatch(/^0 characters/);
  });
});
