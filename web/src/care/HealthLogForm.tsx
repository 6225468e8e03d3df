import { useState, type FormEvent } from 'react';
import type { NewHealthLog } from '../api/types';
import { ErrorAlert, Field, fieldClass, fieldError, SubmitRow } from '../ui/controls';
import { numberOrNull, splitList } from './health';
import { useRecordHealthLog } from './records';

// The care service names a refused reading `vitals.<reading>`, the gateway
// `vital_signs.<reading>.value`: a field shows whichever the API named.
function errorFor(error: unknown, ...fields: string[]): string | undefined {
  for (const f of fields) {
    const reason = fieldError(error, f);
    if (reason) return reason;
  }
  return undefined;
}

const EMPTY = {
  systolic: '',
  diastolic: '',
  heartRate: '',
  temperature: '',
  temperatureUnit: 'C',
  weight: '',
  weightUnit: 'kg',
  taken: '',
  missed: '',
  breakfast: '',
  lunch: '',
  dinner: '',
  mood: '',
  activities: '',
  sleep: '',
  notes: '',
};

/** The care team records a day's health log (recording a day again replaces it). */
export function HealthLogForm({ clientId, today }: { clientId: string; today: string }) {
  const record = useRecordHealthLog(clientId);
  const [date, setDate] = useState(today);
  const [f, setF] = useState(EMPTY);
  const [saved, setSaved] = useState('');
  const set = (k: keyof typeof EMPTY) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const e = record.error;

  function submit(ev: FormEvent) {
    ev.preventDefault();
    setSaved('');
    const systolic = numberOrNull(f.systolic);
    const diastolic = numberOrNull(f.diastolic);
    const heart = numberOrNull(f.heartRate);
    const temperature = numberOrNull(f.temperature);
    const weight = numberOrNull(f.weight);
    const meals = (['breakfast', 'lunch', 'dinner'] as const)
      .filter((m) => f[m].trim())
      .map((m) => ({ meal_type: m, content: f[m].trim(), time: '' }));
    const body: NewHealthLog = {
      log_date: date,
      vital_signs: {
        blood_pressure: systolic !== null || diastolic !== null ? { systolic, diastolic, unit: 'mmHg' } : null,
        heart_rate: heart !== null ? { value: heart, unit: 'bpm' } : null,
        temperature: temperature !== null ? { value: temperature, unit: f.temperatureUnit } : null,
        weight: weight !== null ? { value: weight, unit: f.weightUnit } : null,
      },
      medications_taken: splitList(f.taken),
      medications_missed: splitList(f.missed),
      meals,
      mood: f.mood.trim(),
      activities: splitList(f.activities),
      sleep_hours: numberOrNull(f.sleep),
      notes: f.notes.trim(),
    };
    record.mutate(body, {
      onSuccess: () => {
        setF(EMPTY);
        setSaved(`Health log saved for ${date}.`);
      },
    });
  }

  const num = { type: 'text', inputMode: 'decimal' as const, autoComplete: 'off' };
  return (
    <details className="rounded-lg border border-slate-300 bg-white shadow-sm" open>
      <summary className="min-h-11 cursor-pointer px-4 py-3 text-lg font-semibold text-slate-900">Record a health log</summary>
      <form onSubmit={submit} aria-label="Record a health log" className="space-y-3 px-4 pb-4" noValidate>
        <ErrorAlert error={e} title="The health log was not saved" />
        <Field label="Date" error={errorFor(e, 'log_date')}>
          {(p) => <input {...p} type="date" max={today} required value={date} onChange={(x) => setDate(x.target.value)} className={fieldClass()} />}
        </Field>
        <fieldset className="grid grid-cols-2 gap-3 sm:grid-cols-3">
          <legend className="mb-1 text-sm font-semibold text-slate-900">Vital signs (leave empty if not taken)</legend>
          <Field label="Systolic (mmHg)" error={errorFor(e, 'vital_signs.blood_pressure.systolic', 'vital_signs.blood_pressure.unit')}>
            {(p) => <input {...p} {...num} value={f.systolic} onChange={set('systolic')} className={fieldClass()} />}
          </Field>
          <Field label="Diastolic (mmHg)" error={errorFor(e, 'vital_signs.blood_pressure.diastolic')}>
            {(p) => <input {...p} {...num} value={f.diastolic} onChange={set('diastolic')} className={fieldClass()} />}
          </Field>
          <Field label="Heart rate (bpm)" error={errorFor(e, 'vital_signs.heart_rate.value', 'vital_signs.heart_rate.unit')}>
            {(p) => <input {...p} {...num} value={f.heartRate} onChange={set('heartRate')} className={fieldClass()} />}
          </Field>
          <Field label="Temperature" error={errorFor(e, 'vital_signs.temperature.value')}>
            {(p) => <input {...p} {...num} value={f.temperature} onChange={set('temperature')} className={fieldClass()} />}
          </Field>
          <Field label="Temperature unit" error={errorFor(e, 'vital_signs.temperature.unit')}>
            {(p) => (
              <select {...p} value={f.temperatureUnit} onChange={set('temperatureUnit')} className={fieldClass()}>
                <option value="C">°C</option>
                <option value="F">°F</option>
              </select>
            )}
          </Field>
          <Field label="Weight" error={errorFor(e, 'vital_signs.weight.value')}>
            {(p) => <input {...p} {...num} value={f.weight} onChange={set('weight')} className={fieldClass()} />}
          </Field>
          <Field label="Weight unit" error={errorFor(e, 'vital_signs.weight.unit')}>
            {(p) => (
              <select {...p} value={f.weightUnit} onChange={set('weightUnit')} className={fieldClass()}>
                <option value="kg">kg</option>
                <option value="lb">lb</option>
              </select>
            )}
          </Field>
        </fieldset>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field label="Medications taken" hint="Separate with commas" error={errorFor(e, 'medications_taken')}>
            {(p) => <input {...p} value={f.taken} onChange={set('taken')} className={fieldClass()} />}
          </Field>
          <Field label="Medications missed" hint="Separate with commas" error={errorFor(e, 'medications_missed')}>
            {(p) => <input {...p} value={f.missed} onChange={set('missed')} className={fieldClass()} />}
          </Field>
          <Field label="Breakfast" error={errorFor(e, 'meals[0].content', 'meals')}>
            {(p) => <input {...p} value={f.breakfast} onChange={set('breakfast')} className={fieldClass()} />}
          </Field>
          <Field label="Lunch" error={errorFor(e, 'meals[1].content')}>
            {(p) => <input {...p} value={f.lunch} onChange={set('lunch')} className={fieldClass()} />}
          </Field>
          <Field label="Dinner" error={errorFor(e, 'meals[2].content')}>
            {(p) => <input {...p} value={f.dinner} onChange={set('dinner')} className={fieldClass()} />}
          </Field>
          <Field label="Mood" error={errorFor(e, 'mood')}>
            {(p) => <input {...p} value={f.mood} onChange={set('mood')} className={fieldClass()} maxLength={100} />}
          </Field>
          <Field label="Activities" hint="Separate with commas" error={errorFor(e, 'activities')}>
            {(p) => <input {...p} value={f.activities} onChange={set('activities')} className={fieldClass()} />}
          </Field>
          <Field label="Sleep (hours)" error={errorFor(e, 'sleep_hours')}>
            {(p) => <input {...p} {...num} value={f.sleep} onChange={set('sleep')} className={fieldClass()} />}
          </Field>
        </div>
        <Field label="Notes" error={errorFor(e, 'notes')}>
          {(p) => <textarea {...p} rows={2} value={f.notes} onChange={set('notes')} className={fieldClass()} />}
        </Field>
        <SubmitRow pending={record.isPending} label="Save health log" pendingLabel="Saving…" status={saved} />
      </form>
    </details>
  );
}
