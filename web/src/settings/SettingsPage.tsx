/**
 * Settings (admins): SMS templates with a live length and segment
 * counter, quiet hours, business hours (read only: the API has no write),
 * users and invitations, and the automation rules.
 */
import { useState, type ReactNode } from 'react';
import type { SmsTemplate } from '../api/types';
import { ROLE_LABEL } from '../auth/roles';
import { describeMeasure, measureSms } from '../sms/segments';
import { Badge, Button, ErrorAlert, Field, fieldClass, fieldError, Loading } from '../ui/controls';
import { useInvite, useOrgSettings, useRules, useSaveMessaging, useSaveTemplate, useTemplates, useUsers } from './api';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function Panel({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-300 bg-white p-4">
      <h2 id={id} className="mb-3 text-lg font-semibold text-slate-900">
        {title}
      </h2>
      {children}
    </section>
  );
}

export function SettingsPage() {
  return (
    <div className="space-y-5">
      <h1 className="text-2xl font-bold text-slate-900">Settings</h1>
      <Templates />
      <div className="grid gap-5 lg:grid-cols-2">
        <Messaging />
        <Rules />
      </div>
      <Users />
    </div>
  );
}

function Templates() {
  const templates = useTemplates();
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <Panel id="templates-heading" title="SMS templates">
      {templates.isPending ? (
        <Loading label="Loading templates…" />
      ) : templates.isError ? (
        <ErrorAlert error={templates.error} title="Could not load templates" />
      ) : (
        <>
          <p className="mb-2 text-sm text-slate-700">
            Placeholders: {templates.data.placeholders.map((p) => `{${p.name}}`).join(' ')}
          </p>
          <ul className="divide-y divide-slate-200" aria-label="Templates">
            {templates.data.templates.map((t) => (
              <li key={t.id} className="py-2">
                {editing === t.id ? (
                  <TemplateEditor template={t} onDone={() => setEditing(null)} />
                ) : (
                  <div className="flex flex-wrap items-start gap-2">
                    <div className="min-w-0 flex-1">
                      <p className="font-semibold text-slate-900">
                        {t.name} <span className="text-sm font-normal text-slate-700">· {t.category}</span>
                      </p>
                      <p className="break-words text-sm text-slate-800">{t.content}</p>
                      <p className="text-xs text-slate-700">{describeMeasure(measureSms(t.content))}</p>
                    </div>
                    <Button onClick={() => setEditing(t.id)} aria-label={`Edit ${t.name}`}>
                      Edit
                    </Button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </Panel>
  );
}

function TemplateEditor({ template, onDone }: { template: SmsTemplate; onDone: () => void }) {
  const [content, setContent] = useState(template.content);
  const save = useSaveTemplate();
  return (
    <form
      aria-label={`Edit ${template.name}`}
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(
          { id: template.id, body: { name: template.name, category: template.category, content, purpose: template.purpose, quiet_hours: template.quiet_hours } },
          { onSuccess: onDone },
        );
      }}
    >
      <Field label={`${template.name}: text`} hint={describeMeasure(measureSms(content))} error={fieldError(save.error, 'content')}>
        {(p) => <textarea {...p} rows={4} value={content} onChange={(e) => setContent(e.target.value)} className={fieldClass()} />}
      </Field>
      {save.isError && !fieldError(save.error, 'content') && <ErrorAlert error={save.error} title="Not saved" />}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save template'}
        </Button>
        <Button onClick={onDone}>Cancel</Button>
      </div>
    </form>
  );
}

function Messaging() {
  const settings = useOrgSettings();
  const save = useSaveMessaging();
  const [quiet, setQuiet] = useState<{ start: string; end: string } | null>(null);
  if (settings.isPending) return <Loading label="Loading settings…" />;
  if (settings.isError) return <ErrorAlert error={settings.error} title="Could not load settings" />;
  const s = settings.data;
  const hours = quiet ?? s.messaging.quiet_hours;
  return (
    <Panel id="messaging-heading" title="Hours">
      <form
        aria-label="Quiet hours"
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          // The API replaces all messaging settings: send the others back unchanged.
          save.mutate({ quiet_hours: hours, values: s.messaging.values, sms_from: s.messaging.sms_from ?? null }, { onSuccess: () => setQuiet(null) });
        }}
      >
        <p className="text-sm text-slate-700">Marketing texts wait until quiet hours end ({s.time_zone}).</p>
        <div className="grid grid-cols-2 gap-3">
          <Field label="Quiet from" error={fieldError(save.error, 'quiet_hours.start')}>
            {(p) => <input {...p} type="time" value={hours.start} onChange={(e) => setQuiet({ ...hours, start: e.target.value })} className={fieldClass()} />}
          </Field>
          <Field label="Quiet until" error={fieldError(save.error, 'quiet_hours.end')}>
            {(p) => <input {...p} type="time" value={hours.end} onChange={(e) => setQuiet({ ...hours, end: e.target.value })} className={fieldClass()} />}
          </Field>
        </div>
        {save.isError && <ErrorAlert error={save.error} title="Not saved" />}
        {save.isSuccess && !quiet && <p role="status" className="text-sm text-green-900">Saved.</p>}
        <Button type="submit" variant="primary" disabled={save.isPending || !quiet}>
          Save quiet hours
        </Button>
      </form>
      <h3 className="mt-4 font-semibold text-slate-900">Business hours</h3>
      <dl className="mt-1 text-sm">
        {DAYS.map((d, i) => (
          <div key={d} className="flex gap-2 py-0.5">
            <dt className="w-28 text-slate-700">{d}</dt>
            <dd className="text-slate-900">{(s.business_hours[i] ?? []).map((span) => span.join('–')).join(', ') || 'Closed'}</dd>
          </div>
        ))}
      </dl>
    </Panel>
  );
}

function Rules() {
  const rules = useRules();
  return (
    <Panel id="rules-heading" title="Automation rules">
      {rules.isPending ? (
        <Loading label="Loading rules…" />
      ) : rules.isError ? (
        <ErrorAlert error={rules.error} title="Could not load rules" />
      ) : (
        <ul className="space-y-1 text-sm" aria-label="Rules">
          {rules.data.rules.map((r) => (
            <li key={r.id} className="flex flex-wrap items-center gap-2">
              <span className="font-medium text-slate-900">{r.name}</span>
              <span className="text-slate-700">on {r.trigger.replace(/_/g, ' ')} · v{r.version}</span>
              <Badge className={r.active ? 'border-green-300 bg-green-50 text-green-900' : 'border-slate-300 bg-slate-100 text-slate-900'}>
                {r.active ? 'Active' : 'Off'}
              </Badge>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

function Users() {
  const users = useUsers();
  const invite = useInvite();
  const [form, setForm] = useState({ email: '', name: '', role: 'staff' });
  return (
    <Panel id="users-heading" title="Users and invitations">
      {users.isPending ? (
        <Loading label="Loading users…" />
      ) : users.isError ? (
        <ErrorAlert error={users.error} title="Could not load users" />
      ) : (
        <ul className="mb-4 divide-y divide-slate-200 text-sm" aria-label="Users">
          {users.data.users.map((u) => (
            <li key={u.id} className="flex flex-wrap gap-x-3 py-1.5">
              <span className="font-medium text-slate-900">{u.name || u.email}</span>
              <span className="text-slate-700">{u.email}</span>
              <span className="text-slate-700">{ROLE_LABEL[u.role] ?? u.role}</span>
              {!u.is_active && <span className="font-semibold text-red-800">Deactivated</span>}
            </li>
          ))}
        </ul>
      )}
      <form
        aria-label="Invite a user"
        className="grid gap-3 sm:grid-cols-[2fr_2fr_1fr_auto] sm:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          invite.mutate(form, { onSuccess: () => setForm({ email: '', name: '', role: 'staff' }) });
        }}
      >
        <Field label="Email" error={fieldError(invite.error, 'email')}>
          {(p) => <input {...p} type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} className={fieldClass()} />}
        </Field>
        <Field label="Name">
          {(p) => <input {...p} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} className={fieldClass()} />}
        </Field>
        <Field label="Role" error={fieldError(invite.error, 'role')}>
          {(p) => (
            <select {...p} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })} className={fieldClass()}>
              {['staff', 'readonly', 'admin', 'care_team'].map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABEL[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button type="submit" variant="primary" disabled={invite.isPending}>
          Send invitation
        </Button>
      </form>
      {invite.isError && <ErrorAlert error={invite.error} title="No invitation sent" />}
      {invite.isSuccess && <p role="status" className="mt-2 text-sm text-green-900">Invitation sent.</p>}
    </Panel>
  );
}
