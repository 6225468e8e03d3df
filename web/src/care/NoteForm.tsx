import { useState, type FormEvent } from 'react';
import { ErrorAlert, Field, fieldClass, fieldError, SelectField, SubmitRow } from '../ui/controls';
import { NOTE_TYPES, VISIBILITIES, usePostUpdate } from './api';

/** The care team writes a care update (POST /api/clients/{id}/progress-notes). */
export function NoteForm({ clientId, clientName }: { clientId: string; clientName: string }) {
  const post = usePostUpdate(clientId);
  const [title, setTitle] = useState('');
  const [content, setContent] = useState('');
  const [noteType, setNoteType] = useState<string>('daily_update');
  const [visibility, setVisibility] = useState<string>('family_and_team');
  const [urgent, setUrgent] = useState(false);
  const [posted, setPosted] = useState('');

  function submit(e: FormEvent) {
    e.preventDefault();
    setPosted('');
    post.mutate(
      { title, content, note_type: noteType, visibility, urgent },
      {
        onSuccess: () => {
          setTitle('');
          setContent('');
          setUrgent(false);
          setPosted(`Care update posted for ${clientName}.`);
        },
      },
    );
  }

  return (
    <form onSubmit={submit} aria-labelledby="note-form-heading" className="space-y-3 rounded-lg border border-slate-300 bg-white p-4 shadow-sm" noValidate>
      <h2 id="note-form-heading" className="text-lg font-semibold text-slate-900">
        Write a care update
      </h2>
      <ErrorAlert error={post.error} title="The update was not posted" />
      <Field label="Title" error={fieldError(post.error, 'title')}>
        {(p) => <input {...p} value={title} onChange={(e) => setTitle(e.target.value)} className={fieldClass()} maxLength={200} />}
      </Field>
      <Field label="Details" error={fieldError(post.error, 'content')}>
        {(p) => <textarea {...p} rows={4} required value={content} onChange={(e) => setContent(e.target.value)} className={fieldClass()} />}
      </Field>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-1 xl:grid-cols-2">
        <SelectField label="Type" error={fieldError(post.error, 'note_type')} value={noteType} onChange={setNoteType} options={NOTE_TYPES} />
        <SelectField label="Who can see it" error={fieldError(post.error, 'visibility')} value={visibility} onChange={setVisibility} options={VISIBILITIES} />
      </div>
      <div className="flex items-center gap-2">
        <input id="note-urgent" type="checkbox" checked={urgent} onChange={(e) => setUrgent(e.target.checked)} className="size-5 accent-red-800" />
        <label htmlFor="note-urgent" className="font-medium text-slate-900">
          Urgent <span className="font-normal text-slate-700">(the family is told at once)</span>
        </label>
      </div>
      <SubmitRow pending={post.isPending} label="Post update" pendingLabel="Posting…" status={posted} />
    </form>
  );
}
