/**
 * The portal's records: health logs, documents, the care plan and
 * appointments (routes/care.rs, routes/documents.rs), as queries and
 * mutations.
 */
import { saveBlob } from '../ui/download';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { ApiError, problemFrom, unwrap } from '../api/problem';
import type { NewAppointment, NewHealthLog, UploadedDocument } from '../api/types';
import { session } from '../auth/session';

/**
 * What the caller is to the client (`Client.access`), as the screens need it.
 * The schema's description says `team`; care answers `coordinator` or `carer`
 * (access.rs), so both are read as the care team.
 */
export function isTeam(access: string): boolean {
  return access === 'admin' || access === 'coordinator' || access === 'carer' || access === 'team';
}

/** Who may upload documents: the care team, the client, full-access family (docs/care.md). */
export function canUpload(access: string): boolean {
  return isTeam(access) || access === 'client' || access === 'full_access';
}

/** Family members choose their own appointment reminders. */
export function isFamily(access: string): boolean {
  return access === 'view_only' || access === 'messaging' || access === 'full_access';
}

// ---- Health logs.

/** A week of health logs; `week` is any date of it, or '' for this week (on the client's clock). */
export function useHealthWeek(clientId: string, week: string) {
  return useQuery({
    queryKey: queryKeys.healthWeek(clientId, week),
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/api/clients/{id}/health-logs', { params: { path: { id: clientId }, query: { week: week || undefined } }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function useRecordHealthLog(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: NewHealthLog) =>
      unwrap(await api.POST('/api/clients/{id}/health-logs', { params: { path: { id: clientId } }, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.health(clientId) }),
  });
}

// ---- Care plan.

/** The active care plan, or null when the client has none (the API answers 404). */
export function useCarePlan(clientId: string) {
  return useQuery({
    queryKey: queryKeys.carePlan(clientId),
    queryFn: async ({ signal }) => {
      const result = await api.GET('/api/clients/{id}/care-plan', { params: { path: { id: clientId } }, signal });
      if (result.response.status === 404) return null;
      return unwrap(result).care_plan;
    },
  });
}

// ---- Appointments.

export function useAppointments(clientId: string, from: string, to: string) {
  return useQuery({
    queryKey: queryKeys.appointmentRange(clientId, from, to),
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/api/clients/{id}/appointments', { params: { path: { id: clientId }, query: { from, to } }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function useCreateAppointment(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: NewAppointment) =>
      unwrap(await api.POST('/api/clients/{id}/appointments', { params: { path: { id: clientId } }, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.appointments(clientId) }),
  });
}

export function useSetAppointmentStatus(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ appointment, status }: { appointment: string; status: string }) =>
      unwrap(
        await api.POST('/api/clients/{id}/appointments/{appointment}/status', {
          params: { path: { id: clientId, appointment } },
          body: { status },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.appointments(clientId) }),
  });
}

/** The client's family links: the signed-in family member finds their own reminders here. */
export function useFamily(clientId: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.family(clientId),
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/clients/{id}/family', { params: { path: { id: clientId } }, signal })).family_members,
    enabled,
  });
}

export function useSetReminders(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (days_before: number[]) =>
      unwrap(await api.PUT('/api/clients/{id}/appointment-reminders', { params: { path: { id: clientId } }, body: { days_before } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.family(clientId) }),
  });
}

// ---- Documents.

export function useDocuments(clientId: string, q: string, category: string) {
  return useQuery({
    queryKey: queryKeys.documentList(clientId, q, category),
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/api/clients/{id}/documents', {
          params: { path: { id: clientId }, query: { q: q || undefined, category: category || undefined } },
          signal,
        }),
      ).documents,
    placeholderData: keepPreviousData,
  });
}

/** A short-lived signed link to a document (none while it waits for its scan). */
export async function documentLink(documentId: string) {
  return unwrap(await api.GET('/api/documents/{id}', { params: { path: { id: documentId } } }));
}

export interface Upload {
  file: File;
  category: string;
  description: string;
  visibility: string;
}

/**
 * `POST /api/documents` is multipart, which the OpenAPI document does not
 * describe as a body: it goes through the session's authorized fetch (the
 * bearer token and one refresh-and-retry), its answer typed from the document.
 */
export function useUploadDocument(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (upload: Upload): Promise<UploadedDocument> => {
      const form = new FormData();
      form.set('client_id', clientId);
      form.set('category', upload.category);
      if (upload.description) form.set('description', upload.description);
      if (upload.visibility) form.set('visibility', upload.visibility);
      form.set('file', upload.file, upload.file.name);
      const response = await session.authorizedFetch(new Request('/api/documents', { method: 'POST', body: form }));
      const body: unknown = await response.json().catch(() => null);
      if (!response.ok) throw problemFrom(response.status, body);
      return body as UploadedDocument;
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.documents(clientId) }),
  });
}

// ---- Calendar files.

export type CalendarFile =
  | { path: '/api/clients/{id}/care-plan.ics'; clientId: string }
  | { path: '/api/clients/{id}/appointments.ics'; clientId: string }
  | { path: '/api/clients/{id}/appointments/{appointment}/appointment.ics'; clientId: string; appointment: string };

/** Fetches an .ics with the bearer token and hands it to the browser as a download. */
export async function downloadCalendar(file: CalendarFile, fileName: string): Promise<void> {
  const result =
    file.path === '/api/clients/{id}/appointments/{appointment}/appointment.ics'
      ? await api.GET(file.path, { params: { path: { id: file.clientId, appointment: file.appointment } }, parseAs: 'blob' })
      : await api.GET(file.path, { params: { path: { id: file.clientId } }, parseAs: 'blob' });
  const blob = unwrap(result);
  if (!(blob instanceof Blob)) throw new ApiError(500, 'The calendar file could not be read.');
  saveBlob(blob, fileName);
}


export const DOCUMENT_CATEGORIES = [
  { value: 'prescription', label: 'Prescriptions' },
  { value: 'test_result', label: 'Test results' },
  { value: 'medical_record', label: 'Medical records' },
  { value: 'insurance', label: 'Insurance' },
  { value: 'other', label: 'Other' },
] as const;

export const DOCUMENT_VISIBILITIES = [
  { value: 'care_team_only', label: 'Care team only' },
  { value: 'family_only', label: 'Family (and the client)' },
  { value: 'everyone', label: 'Everyone linked' },
] as const;

export const APPOINTMENT_STATUSES = [
  { value: 'scheduled', label: 'Scheduled' },
  { value: 'completed', label: 'Completed' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'no_show', label: 'Did not attend' },
] as const;

export function label(list: readonly { value: string; label: string }[], value: string): string {
  return list.find((x) => x.value === value)?.label ?? value.replace(/_/g, ' ');
}
