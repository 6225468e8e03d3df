/**
 * A confirmation as a real modal dialog: the native <dialog> opened with
 * showModal(), so the page behind is inert, focus moves into it (to the
 * safe choice, Cancel), Escape cancels, and closing returns focus to the
 * button that opened it. Never window.confirm.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { Button } from './controls';

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger = false,
  pending = false,
  error,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  pending?: boolean;
  /** The API's refusal, in words, shown inside the dialog. */
  error?: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      cancelRef.current?.focus();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onClose={() => {
        // Back to the button that opened it (if it is still there).
        if (opener.current?.isConnected) opener.current.focus();
        opener.current = null;
        if (open) onCancel();
      }}
      className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-lg border border-slate-300 bg-white p-5 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
    >
      {open && (
        <>
          <h2 id={`${id}-title`} className="text-lg font-semibold">
            {title}
          </h2>
          <div id={`${id}-body`} className="mt-2 text-sm text-slate-800">
            {children}
          </div>
          {error && (
            <p role="alert" className="mt-3 rounded-md border border-red-300 bg-red-50 p-3 text-sm font-medium text-red-900">
              {error}
            </p>
          )}
          <div className="mt-4 flex flex-wrap justify-end gap-2">
            {/* Cancel first and focused: the safe choice is the default one. */}
            <Button ref={cancelRef} onClick={onCancel}>
              Cancel
            </Button>
            <Button variant={danger ? 'danger' : 'primary'} disabled={pending} onClick={onConfirm}>
              {pending ? 'Working…' : confirmLabel}
            </Button>
          </div>
        </>
      )}
    </dialog>
  );
}
