/**
 * Settings (admins): SMS templates with a live length and segment
 * counter, quiet hours, business hours (BusinessHoursForm.tsx), the
 * automation rules with each one's recent runs (RuleRuns.tsx), how the
 * booking system's services are classified, users (deactivate and
 * activate, each confirmed in a dialog) and invitations.
 */
import { useState, useSyncExternalStore, type ReactNode } from 'react';
import { BusinessHoursForm } from './BusinessHoursForm';
import { RuleRunsToggle } from './RuleRuns';
import { ApiError, describe } from '../api/problem';
import type { ServiceTypeMapping, SmsTemplate, StaffUser } from '../api/types';
import { ROLE_LABEL } from '../auth/roles';
import { session } from '../auth/session';
import { describeMeasure, measureSms } from '../sms/segments';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Badge, Button, Empty, ErrorAlert, Field, fieldClass, fieldError, Loading, SelectField } from '../ui/controls';
import {
  useInvite,
  useOrgSettings,
  useRules,
  useSaveMessaging,
  useSaveServiceType,
  useSaveTemplate,
  useServiceTypes,
  useSetUserActive,
  useTemplates,
  useUsers,
} from './api';
import {
  bodyOf,
  describeRecall,
  draftOf,
  emptyDraft,
  isChanged,
  labelOf,
  SERVICE_TYPES,
  URGENCIES,
  URGENCY_FROM_TYPE,
  type MappingDraft,
} from './serviceTypes';

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
      <Messaging />
      <Rules />
      <ServiceTypesPanel />
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
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,2fr)]">
        <form
          aria-label="Quiet hours"
          className="space-y-2"
          onSubmit={(e) => {
            e.preventDefault();
            // The API replaces all messaging settings: send the others back unchanged.
            save.mutate({ quiet_hours: hours, values: s.messaging.values, sms_from: s.messaging.sms_from ?? null }, { onSuccess: () => setQuiet(null) });
          }}
        >
          <h3 className="font-semibold text-slate-900">Quiet hours</h3>
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
        <BusinessHoursForm settings={s} />
      </div>
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
        <ul className="divide-y divide-slate-200 text-sm" aria-label="Rules">
          {rules.data.rules.map((r) => (
            <li key={r.id} data-rule={r.id} className="flex flex-wrap items-center gap-x-2 gap-y-1 py-2">
              <span className="font-medium text-slate-900">{r.name}</span>
              <span className="text-slate-700">on {r.trigger.replace(/_/g, ' ')} · v{r.version}</span>
              <Badge className={r.active ? 'border-green-300 bg-green-50 text-green-900' : 'border-slate-300 bg-slate-100 text-slate-900'}>
                {r.active ? 'Active' : 'Off'}
              </Badge>
              <RuleRunsToggle rule={r} />
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
  const setActive = useSetUserActive();
  const { user: me } = useSyncExternalStore(session.subscribe, session.getState);
  const [target, setTarget] = useState<StaffUser | null>(null);
  const [form, setForm] = useState({ email: '', name: '', role: 'staff' });
  const close = () => {
    setTarget(null);
    setActive.reset();
  };
  const who = (u: StaffUser) => u.name || u.email;
  return (
    <Panel id="users-heading" title="Users and invitations">
      {users.isPending ? (
        <Loading label="Loading users…" />
      ) : users.isError ? (
        <ErrorAlert error={users.error} title="Could not load users" />
      ) : (
        <ul className="mb-4 divide-y divide-slate-200 text-sm" aria-label="Users">
          {users.data.users.map((u) => (
            <li key={u.id} data-user={u.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-1.5">
              <span className="font-medium text-slate-900">{u.name || u.email}</span>
              <span className="text-slate-700">{u.email}</span>
              <span className="text-slate-700">{ROLE_LABEL[u.role] ?? u.role}</span>
              {!u.is_active && <span className="font-semibold text-red-800">Deactivated</span>}
              <span className="ml-auto">
                {u.id === me?.id ? (
                  <span className="text-slate-700">You (you can't deactivate yourself)</span>
                ) : (
                  <Button
                    variant={u.is_active ? 'secondary' : 'primary'}
                    aria-label={`${u.is_active ? 'Deactivate' : 'Activate'} ${who(u)}`}
                    onClick={() => {
                      setActive.reset();
                      setTarget(u);
                    }}
                  >
                    {u.is_active ? 'Deactivate' : 'Activate'}
                  </Button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={target !== null}
        title={target ? `${target.is_active ? 'Deactivate' : 'Activate'} ${who(target)}?` : ''}
        confirmLabel={target?.is_active ? 'Deactivate' : 'Activate'}
        danger={target?.is_active}
        pending={setActive.isPending}
        error={setActive.isError ? (fieldError(setActive.error, 'user_id') ?? describe(setActive.error)) : undefined}
        onCancel={close}
        onConfirm={() => {
          if (target) setActive.mutate({ id: target.id, active: !target.is_active }, { onSuccess: close });
        }}
      >
        {target?.is_active ? (
          <p>
            {target.email} will be signed out everywhere and can't sign in until activated again. Their tasks and history stay.
          </p>
        ) : (
          <p>{target?.email} will be able to sign in again, with their role as before.</p>
        )}
      </ConfirmDialog>
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

/** The booking system's services, each classified: type, urgency and months to a recall. */
function ServiceTypesPanel() {
  const mappings = useServiceTypes();
  return (
    <Panel id="service-types-heading" title="Service types">
      <p className="mb-3 text-sm text-slate-700">
        How each service in the booking system is treated: its type, how urgent its bookings are, and how many months until
        patients are due back. Changing one re-classifies its upcoming bookings.
      </p>
      {mappings.isPending ? (
        <Loading label="Loading service types…" />
      ) : mappings.isError ? (
        <ErrorAlert error={mappings.error} title="Could not load service types" />
      ) : mappings.data.service_types.length === 0 ? (
        <Empty title="No service types yet: bookings use the defaults">
          Map a booking-system service to a type below to set how urgent its bookings are and when its patients are recalled.
        </Empty>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full min-w-[40rem] text-left text-sm" aria-labelledby="service-types-heading">
            <thead className="border-b border-slate-300 text-slate-800">
              <tr>
                <th scope="col" className="py-2 pr-3 font-semibold">Service</th>
                <th scope="col" className="py-2 pr-3 font-semibold">Type</th>
                <th scope="col" className="py-2 pr-3 font-semibold">Urgency</th>
                <th scope="col" className="py-2 pr-3 font-semibold">Recall months</th>
                <th scope="col" className="py-2 font-semibold">
                  <span className="sr-only">Save</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {mappings.data.service_types.map((m) => (
                <MappingRow key={`${m.provider}:${m.external_service_id}:${m.service_type}:${m.urgency_level}:${m.recall_months}`} mapping={m} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AddMapping />
    </Panel>
  );
}

/** The API's refusal of a field, or (once) of the whole thing when it names none shown. */
function otherError(error: unknown, shown: string[]): unknown {
  if (!error) return null;
  if (error instanceof ApiError && error.fields.length > 0 && error.fields.every((f) => shown.includes(f.field))) return null;
  return error;
}

const ROW_FIELDS = ['service_type', 'urgency_level', 'recall_months'];

function MappingRow({ mapping }: { mapping: ServiceTypeMapping }) {
  const [draft, setDraft] = useState<MappingDraft>(() => draftOf(mapping));
  const save = useSaveServiceType();
  const name = `${mapping.external_service_id} (${mapping.provider})`;
  const changed = isChanged(mapping, draft);
  const other = otherError(save.error, ROW_FIELDS);
  return (
    <tr data-service={mapping.external_service_id} className="align-top">
      <th scope="row" className="py-2 pr-3 font-medium text-slate-900">
        {mapping.external_service_id}
        <span className="block text-xs font-normal text-slate-700">{mapping.provider}</span>
        {other ? (
          <span className="block max-w-48">
            <ErrorAlert error={other} title="Not saved" />
          </span>
        ) : null}
      </th>
      <td className="py-1 pr-3">
        <SelectField
          hideLabel
          label={`Type of ${name}`}
          value={draft.service_type}
          onChange={(v) => setDraft({ ...draft, service_type: v })}
          options={SERVICE_TYPES}
          error={fieldError(save.error, 'service_type')}
        />
      </td>
      <td className="py-1 pr-3">
        <SelectField
          hideLabel
          label={`Urgency of ${name}`}
          value={draft.urgency_level}
          onChange={(v) => setDraft({ ...draft, urgency_level: v })}
          options={URGENCIES}
          error={fieldError(save.error, 'urgency_level')}
        />
      </td>
      <td className="py-1 pr-3">
        <Field hideLabel label={`Recall months of ${name}`} hint={describeRecall(mapping.recall_months, mapping.service_type)} error={fieldError(save.error, 'recall_months')}>
          {(p) => (
            <input
              {...p}
              type="number"
              inputMode="numeric"
              min={0}
              step={1}
              value={draft.recall_months}
              onChange={(e) => setDraft({ ...draft, recall_months: e.target.value })}
              className={`${fieldClass()} w-28`}
            />
          )}
        </Field>
      </td>
      <td className="py-1">
        <Button
          variant="primary"
          className="mt-1"
          aria-label={`Save ${name}`}
          disabled={!changed || save.isPending}
          onClick={() => save.mutate(bodyOf(draft))}
        >
          {save.isPending ? 'Saving…' : 'Save'}
        </Button>
      </td>
    </tr>
  );
}

const ADD_FIELDS = ['provider', 'external_service_id', 'service_type', 'urgency_level', 'recall_months'];

function AddMapping() {
  const [draft, setDraft] = useState<MappingDraft>(emptyDraft);
  const save = useSaveServiceType();
  const other = otherError(save.error, ADD_FIELDS);
  return (
    <form
      aria-label="Add a service type"
      className="mt-4 border-t border-slate-200 pt-3"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(bodyOf(draft), { onSuccess: () => setDraft(emptyDraft()) });
      }}
    >
      <h3 className="mb-2 font-semibold text-slate-900">Add a service type</h3>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-[1fr_2fr_1fr_1fr_1fr_auto] lg:items-start">
        <Field label="Booking system" error={fieldError(save.error, 'provider')}>
          {(p) => <input {...p} value={draft.provider} onChange={(e) => setDraft({ ...draft, provider: e.target.value })} className={fieldClass()} />}
        </Field>
        <Field label="Service id" hint="As the booking system names it" error={fieldError(save.error, 'external_service_id')}>
          {(p) => (
            <input {...p} value={draft.external_service_id} onChange={(e) => setDraft({ ...draft, external_service_id: e.target.value })} className={fieldClass()} />
          )}
        </Field>
        <SelectField
          label="Service type"
          value={draft.service_type}
          onChange={(v) => setDraft({ ...draft, service_type: v })}
          options={SERVICE_TYPES}
          error={fieldError(save.error, 'service_type')}
        />
        <SelectField
          label="Urgency"
          value={draft.urgency_level}
          onChange={(v) => setDraft({ ...draft, urgency_level: v })}
          options={[URGENCY_FROM_TYPE, ...URGENCIES]}
          error={fieldError(save.error, 'urgency_level')}
        />
        <Field label="Recall months" hint="0: the default (6 for high risk, 12 for the rest)" error={fieldError(save.error, 'recall_months')}>
          {(p) => (
            <input
              {...p}
              type="number"
              inputMode="numeric"
              min={0}
              step={1}
              value={draft.recall_months}
              onChange={(e) => setDraft({ ...draft, recall_months: e.target.value })}
              className={fieldClass()}
            />
          )}
        </Field>
        <Button type="submit" variant="primary" className="lg:mt-6" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Add service type'}
        </Button>
      </div>
      {other ? <div className="mt-2"><ErrorAlert error={other} title="Not saved" /></div> : null}
      {save.isSuccess && (
        <p role="status" className="mt-2 text-sm text-green-900">
          Saved {save.data.external_service_id}: {labelOf(SERVICE_TYPES, save.data.service_type)}, {labelOf(URGENCIES, save.data.urgency_level)} urgency,
          recall {describeRecall(save.data.recall_months, save.data.service_type).toLowerCase()}.
        </p>
      )}
    </form>
  );
}
