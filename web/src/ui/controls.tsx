/**
 * Small shared pieces: labelled fields, buttons, alerts, loading and
 * empty states. Every control has a visible label; errors are announced
 * (role="alert") and tied to their field with aria-describedby.
 */
import { useId, type ButtonHTMLAttributes, type ReactNode, type Ref } from 'react';
import { ApiError, describe } from '../api/problem';

const FIELD =
  'mt-1 block w-full rounded-md border border-slate-400 bg-white px-3 py-2 text-base text-slate-900 shadow-sm ' +
  'focus:border-sky-700 aria-[invalid=true]:border-red-700';

export function fieldClass() {
  return FIELD;
}

export function Field({
  label,
  hint,
  error,
  hideLabel = false,
  children,
}: {
  label: string;
  hint?: string;
  error?: string;
  /** Keep the label for screen readers only (e.g. in a table row, under its column heading). */
  hideLabel?: boolean;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div>
      <label htmlFor={id} className={hideLabel ? 'sr-only' : 'block text-sm font-medium text-slate-800'}>
        {label}
      </label>
      {hint && (
        <p id={hintId} className="text-sm text-slate-700">
          {hint}
        </p>
      )}
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {error && (
        <p id={errorId} className="mt-1 text-sm font-medium text-red-800">
          {error}
        </p>
      )}
    </div>
  );
}

/** A labelled select of fixed options, with the API's error for it. */
export function SelectField({
  label,
  hint,
  error,
  hideLabel,
  value,
  onChange,
  options,
}: {
  label: string;
  hint?: string;
  error?: string;
  hideLabel?: boolean;
  value: string;
  onChange: (value: string) => void;
  options: readonly { value: string; label: string }[];
}) {
  return (
    <Field label={label} hint={hint} error={error} hideLabel={hideLabel}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value)} className={fieldClass()}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';
const VARIANT: Record<Variant, string> = {
  primary: 'bg-teal-800 text-white hover:bg-teal-900 disabled:bg-slate-500',
  secondary: 'bg-white text-slate-900 border border-slate-400 hover:bg-slate-100 disabled:text-slate-600',
  danger: 'bg-red-800 text-white hover:bg-red-900',
  ghost: 'text-slate-900 hover:bg-slate-200',
};

export function Button({
  variant = 'secondary',
  className = '',
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; ref?: Ref<HTMLButtonElement> }) {
  return (
    <button
      type="button"
      {...props}
      className={`inline-flex min-h-11 items-center justify-center gap-2 rounded-md px-4 py-2 text-sm font-semibold disabled:cursor-not-allowed ${VARIANT[variant]} ${className}`}
    />
  );
}

/** What a screen shows when its data could not be loaded: the API's
 * words, and a way to ask again. */
export function LoadFailed({ error, title, onRetry }: { error: unknown; title: string; onRetry: () => void }) {
  return (
    <div className="space-y-2">
      <ErrorAlert error={error} title={title} />
      <Button onClick={onRetry}>Try again</Button>
    </div>
  );
}

/**
 * A form's submit button (its label says when it is busy) and the status
 * line that announces what was done.
 */
export function SubmitRow({
  pending,
  disabled = false,
  label,
  pendingLabel,
  status,
}: {
  pending: boolean;
  disabled?: boolean;
  label: string;
  pendingLabel: string;
  status: ReactNode;
}) {
  return (
    <div className="flex flex-wrap items-center gap-3">
      <Button type="submit" variant="primary" disabled={pending || disabled}>
        {pending ? pendingLabel : label}
      </Button>
      <p role="status" className="text-sm font-medium text-green-900">
        {status}
      </p>
    </div>
  );
}

/** An API error in words, with the fields it names. */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const fields = error instanceof ApiError ? error.fields : [];
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
      {title && <p className="font-semibold">{title}</p>}
      <p>{describe(error)}</p>
      {fields.length > 1 && (
        <ul className="mt-1 list-disc pl-5">
          {fields.map((f) => (
            <li key={f.field}>
              <span className="font-semibold">{f.field}</span>: {f.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The reason the API gave for one field, to show under that field. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.reasonFor(field) : undefined;
}

export function Loading({ label }: { label: string }) {
  return (
    <p role="status" className="flex items-center gap-2 py-6 text-slate-700">
      <span aria-hidden="true" className="size-4 animate-spin rounded-full border-2 border-slate-400 border-t-teal-800" />
      {label}
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-400 bg-white p-8 text-center">
      <p className="text-lg font-semibold text-slate-900">{title}</p>
      {children && <div className="mt-2 text-slate-700">{children}</div>}
    </div>
  );
}

export function Badge({ className, children }: { className: string; children: ReactNode }) {
  return (
    <span className={`inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-bold tracking-wide ${className}`}>
      {children}
    </span>
  );
}
