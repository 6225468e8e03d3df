import { useRef, useState, type FormEvent } from 'react';
import type { Client, ClientDocument } from '../api/types';
import { Badge, Button, Empty, ErrorAlert, Field, fieldClass, fieldError, Loading, SelectField, LoadFailed, SubmitRow } from '../ui/controls';
import { formatUnix } from '../ui/time';
import { useDebounced } from '../ui/useDebounced';
import { DOCUMENT_CATEGORIES, DOCUMENT_VISIBILITIES, canUpload, documentLink, isTeam, label, useDocuments, useUploadDocument } from './records';

const STATUS: Record<string, { text: string; className: string }> = {
  clean: { text: 'Scanned: clean', className: 'border-green-300 bg-green-50 text-green-900' },
  unscanned: { text: 'Not virus-scanned', className: 'border-slate-300 bg-slate-100 text-slate-800' },
  quarantined: { text: 'Waiting for virus scan', className: 'border-amber-300 bg-amber-50 text-amber-950' },
  infected: { text: 'Virus found', className: 'border-red-300 bg-red-100 text-red-900' },
};

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A client's documents: browse by category, search, download; upload for those the API lets. */
export function Documents({ client }: { client: Client }) {
  const [category, setCategory] = useState('');
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim());
  const docs = useDocuments(client.id, query, category);

  return (
    <div className="space-y-4">
      {canUpload(client.access) && <UploadForm clientId={client.id} team={isTeam(client.access)} />}
      <div className="grid gap-3 sm:grid-cols-2" role="search" aria-label="Find documents">
        <Field label="Search documents" hint="File name or description">
          {(p) => <input {...p} type="search" value={q} onChange={(e) => setQ(e.target.value)} className={fieldClass()} />}
        </Field>
        <Field label="Category">
          {(p) => (
            <select {...p} value={category} onChange={(e) => setCategory(e.target.value)} className={fieldClass()}>
              <option value="">All categories</option>
              {DOCUMENT_CATEGORIES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {docs.isPending ? (
        <Loading label="Loading documents…" />
      ) : docs.isError ? (
        <LoadFailed error={docs.error} title="Could not load documents" onRetry={() => void docs.refetch()} />
      ) : docs.data.length === 0 ? (
        <Empty title={query || category ? 'No documents match' : 'No documents yet'}>
          {query || category ? 'Try another search or category.' : `Documents shared about ${client.name} will appear here.`}
        </Empty>
      ) : (
        <ul className="space-y-3" aria-label={`Documents for ${client.name}`}>
          {docs.data.map((d) => (
            <li key={d.id}>
              <DocumentCard doc={d} zone={client.time_zone} showVisibility={isTeam(client.access)} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function DocumentCard({ doc, zone, showVisibility }: { doc: ClientDocument; zone: string; showVisibility: boolean }) {
  const [link, setLink] = useState<{ url: string; until: number | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const status = STATUS[doc.status] ?? { text: doc.status, className: 'border-slate-300 bg-slate-100 text-slate-800' };
  const titleId = `doc-${doc.id}`;

  async function download() {
    setBusy(true);
    setError(null);
    try {
      const answer = await documentLink(doc.id);
      if (!answer.download_url) {
        setLink(null);
        setError(new Error('This document cannot be downloaded until its virus scan has finished.'));
        return;
      }
      setLink({ url: answer.download_url, until: answer.download_expires_at ?? null });
      // The link answers with Content-Disposition: attachment: the browser saves it.
      const a = document.createElement('a');
      a.href = answer.download_url;
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <article aria-labelledby={titleId} className="rounded-lg border border-slate-300 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-center gap-2">
        <Badge className="border-sky-300 bg-sky-50 text-sky-950">{label(DOCUMENT_CATEGORIES, doc.category)}</Badge>
        <Badge className={status.className}>{status.text}</Badge>
        {showVisibility && <Badge className="border-violet-300 bg-violet-50 text-violet-900">{label(DOCUMENT_VISIBILITIES, doc.visibility)}</Badge>}
      </div>
      <h3 id={titleId} className="mt-2 break-all text-base font-semibold text-slate-900">
        {doc.file_name}
      </h3>
      {doc.description && <p className="mt-1 text-slate-800">{doc.description}</p>}
      <p className="mt-1 text-sm text-slate-700">
        {doc.file_type.toUpperCase()} · {size(doc.file_size)}
        {doc.created_at ? ` · added ${formatUnix(doc.created_at, zone)}` : ''}
      </p>
      <div className="mt-3 flex flex-wrap items-center gap-3">
        <Button onClick={() => void download()} disabled={busy || doc.status === 'quarantined'} aria-describedby={titleId}>
          {busy ? 'Preparing…' : 'Download'}
        </Button>
        {link && (
          <a href={link.url} className="text-sm font-semibold text-teal-900 underline" data-download-link>
            Download link for {doc.file_name}
            {link.until ? ` (works until ${formatUnix(link.until, zone)})` : ''}
          </a>
        )}
      </div>
      {error != null && (
        <div className="mt-2">
          <ErrorAlert error={error} title="Could not download" />
        </div>
      )}
    </article>
  );
}

function UploadForm({ clientId, team }: { clientId: string; team: boolean }) {
  const upload = useUploadDocument(clientId);
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [category, setCategory] = useState('other');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState(team ? 'care_team_only' : 'family_only');
  const [done, setDone] = useState('');

  function submit(e: FormEvent) {
    e.preventDefault();
    setDone('');
    if (!file) return;
    upload.mutate(
      { file, category, description, visibility },
      {
        onSuccess: (answer) => {
          setFile(null);
          setDescription('');
          if (fileRef.current) fileRef.current.value = '';
          setDone(`Uploaded ${answer.document.file_name}.`);
        },
      },
    );
  }

  return (
    <form onSubmit={submit} aria-label="Upload a document" className="space-y-3 rounded-lg border border-slate-300 bg-white p-4 shadow-sm" noValidate>
      <h2 className="text-lg font-semibold text-slate-900">Upload a document</h2>
      <ErrorAlert error={upload.error} title="The document was not uploaded" />
      <Field label="File" hint="PDF, image or Word document, up to 10 MB" error={fieldError(upload.error, 'file')}>
        {(p) => (
          <input
            {...p}
            ref={fileRef}
            type="file"
            accept=".pdf,.png,.jpg,.jpeg,.gif,.webp,.doc,.docx"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            className={fieldClass()}
          />
        )}
      </Field>
      <div className="grid gap-3 sm:grid-cols-2">
        <SelectField label="Document category" error={fieldError(upload.error, 'category')} value={category} onChange={setCategory} options={DOCUMENT_CATEGORIES} />
        <SelectField label="Who can see it" error={fieldError(upload.error, 'visibility')} value={visibility} onChange={setVisibility} options={DOCUMENT_VISIBILITIES} />
      </div>
      <Field label="Description" error={fieldError(upload.error, 'description')}>
        {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} className={fieldClass()} />}
      </Field>
      <SubmitRow pending={upload.isPending} disabled={!file} label="Upload" pendingLabel="Uploading…" status={done} />
    </form>
  );
}
