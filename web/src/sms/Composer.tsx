/** The send box: a message, its live length and segment count, Send. */
import { useId, useState } from 'react';
import { Button, ErrorAlert, fieldClass, fieldError } from '../ui/controls';
import { describeMeasure, measureSms } from './segments';
import { useSendSms } from './api';

export function Composer({ contactId, contactName, onSent }: { contactId: string; contactName: string; onSent?: (status: string) => void }) {
  const [text, setText] = useState('');
  const send = useSendSms(contactId);
  const id = useId();
  const measure = measureSms(text);
  const error = fieldError(send.error, 'message') ?? fieldError(send.error, 'body');

  return (
    <form
      aria-label={`Send an SMS to ${contactName}`}
      className="space-y-2 border-t border-slate-200 pt-3"
      onSubmit={(e) => {
        e.preventDefault();
        if (!text.trim()) return;
        send.mutate(text, {
          onSuccess: (sent) => {
            setText('');
            onSent?.(sent.status);
          },
        });
      }}
    >
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        Message
      </label>
      <textarea
        id={id}
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-describedby={`${id}-count${error ? ` ${id}-error` : ''}`}
        aria-invalid={error ? true : undefined}
        className={fieldClass()}
        onKeyDown={(e) => {
          // Ctrl/⌘+Enter sends, as in most messaging tools.
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
        }}
      />
      <p id={`${id}-count`} data-testid="sms-counter" className={`text-sm ${measure.segments > 1 ? 'font-semibold text-amber-900' : 'text-slate-700'}`}>
        {describeMeasure(measure)}
      </p>
      {error && (
        <p id={`${id}-error`} className="text-sm font-medium text-red-800">
          {error}
        </p>
      )}
      {send.isError && !error && <ErrorAlert error={send.error} title="The message was not sent" />}
      <Button type="submit" variant="primary" disabled={send.isPending || !text.trim()}>
        {send.isPending ? 'Sending…' : 'Send SMS'}
      </Button>
    </form>
  );
}
