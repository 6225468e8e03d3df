/**
 * The API's shapes, derived from the generated `schema.d.ts` (itself
 * generated from the gateway's `/api/openapi.json` by `npm run gen:api`).
 * Nothing here is written by hand: each type is a path into `paths` (or a
 * named schema), so a change in the gateway's contract shows up as a type
 * error in the UI.
 */
import type { paths } from './schema';

type JsonContent<R> = R extends { content: { 'application/json': infer T } } ? T : never;

/** The JSON body of a path's successful (200 or 201) answer. */
export type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer Rs;
}
  ? Rs extends { 200: infer R }
    ? JsonContent<R>
    : Rs extends { 201: infer R }
      ? JsonContent<R>
      : never
  : never;

/** The JSON body a path accepts. */
export type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: infer B;
}
  ? JsonContent<NonNullable<B>>
  : never;

export type Session = Ok<'/api/auth/login', 'post'>;
/** The signed-in user as the session holds them (from sign-in and refresh). */
export type User = Session['user'];
/** `GET /api/auth/me`: the user with their organisation (name, time zone). */
export type Me = Ok<'/api/auth/me', 'get'>;
export type Role = User['role'];

export type TaskQueue = Ok<'/api/tasks', 'get'>;
export type Task = TaskQueue['tasks'][number];
export type TaskCounts = TaskQueue['counts'];
export type CompleteBody = Body<'/api/tasks/{id}/complete', 'post'>;
export type Outcome = NonNullable<CompleteBody['outcome']>;
export type StaffUser = Ok<'/api/admin/users', 'get'>['users'][number];
/** `GET /api/tasks/assignees`: who a task can go to (active admins and staff). */
export type Assignees = Ok<'/api/tasks/assignees', 'get'>;
export type Assignee = Assignees['assignees'][number];
/** `POST /api/admin/users/{id}/deactivate` (and `/activate`): the user as now. */
export type UserActivity = Ok<'/api/admin/users/{id}/deactivate', 'post'>;

export type Client = Ok<'/api/clients', 'get'>['clients'][number];
export type FeedPage = Ok<'/api/clients/{id}/updates', 'get'>;
export type CareUpdate = FeedPage['updates'][number];
export type NewCareUpdate = Body<'/api/clients/{id}/progress-notes', 'post'>;
export type Conversation = Ok<'/api/messages/{client}', 'get'>;
export type Message = Conversation['messages'][number];

// ---- The portal's records (spec 001): health logs, documents, care plan, appointments.

export type HealthWeek = Ok<'/api/clients/{id}/health-logs', 'get'>;
export type HealthDay = HealthWeek['days'][number];
export type HealthLog = NonNullable<HealthDay['log']>;
export type HealthSeries = HealthWeek['series'][string];
export type NewHealthLog = Body<'/api/clients/{id}/health-logs', 'post'>;
export type CarePlan = Ok<'/api/clients/{id}/care-plan', 'get'>['care_plan'];
export type ScheduledActivity = CarePlan['schedule'][number];
export type CareAppointments = Ok<'/api/clients/{id}/appointments', 'get'>;
export type CareAppointment = CareAppointments['appointments'][number];
export type NewAppointment = Body<'/api/clients/{id}/appointments', 'post'>;
export type AppointmentStatusBody = Body<'/api/clients/{id}/appointments/{appointment}/status', 'post'>;
export type RemindersBody = Body<'/api/clients/{id}/appointment-reminders', 'put'>;
export type FamilyMember = Ok<'/api/clients/{id}/family', 'get'>['family_members'][number];
export type UrgentBody = Body<'/api/clients/{id}/flag-urgent', 'post'>;
export type ClientDocument = Ok<'/api/clients/{id}/documents', 'get'>['documents'][number];
export type DocumentDownload = Ok<'/api/documents/{id}', 'get'>;
/** `POST /api/documents` is multipart (not in the document's request bodies); its answer is. */
export type UploadedDocument = Ok<'/api/documents', 'post'>;

// ---- Staff dashboard (spec 000).

export type ContactList = Ok<'/api/contacts', 'get'>;
export type Contact = ContactList['contacts'][number];
export type ContactDetail = Ok<'/api/contacts/{id}', 'get'>;
export type Booking = ContactDetail['bookings'][number];
export type TouchpointPage = Ok<'/api/contacts/{id}/touchpoints', 'get'>;
export type Touchpoint = TouchpointPage['touchpoints'][number];
export type Pipelines = Ok<'/api/pipelines', 'get'>;
export type Pipeline = Pipelines['pipelines'][number];
export type PipelineStage = Pipeline['stages'][number];
export type Moved = Ok<'/api/contacts/{id}/stage', 'post'>;
export type SmsInbox = Ok<'/api/sms/conversations', 'get'>;
export type SmsConversation = SmsInbox['conversations'][number];
export type SmsThread = Ok<'/api/sms/conversations/{contact_id}', 'get'>;
export type SmsMessage = SmsThread['messages'][number];
export type SmsSent = Ok<'/api/sms/send', 'post'>;
export type SendSms = Body<'/api/sms/send', 'post'>;
export type SmsTemplates = Ok<'/api/sms/templates', 'get'>;
export type SmsTemplate = SmsTemplates['templates'][number];
export type TemplateBody = Body<'/api/sms/templates/{id}', 'put'>;
export type AutomationRuns = Ok<'/api/contacts/{id}/automation', 'get'>;
export type AutomationRun = AutomationRuns['runs'][number];
export type RunCondition = AutomationRun['conditions'][number];
export type Report = Ok<'/api/reports/weekly', 'get'>;
export type OrgSettings = Ok<'/api/admin/settings', 'get'>;
export type MessagingBody = Body<'/api/admin/settings/messaging', 'put'>;
/** Seven days, Monday first, each a list of `[opens, closes]` (`HH:MM`). */
export type BusinessHoursBody = Body<'/api/admin/settings/business-hours', 'put'>;
export type StageBody = Body<'/api/contacts/{id}/stage', 'post'>;
export type InviteBody = Body<'/api/admin/invitations', 'post'>;
export type ServiceTypes = Ok<'/api/admin/service-types', 'get'>;
/** How one booking-system service is classified: its type, urgency and recall. */
export type ServiceTypeMapping = ServiceTypes['service_types'][number];
export type ServiceTypeBody = Body<'/api/admin/service-types', 'put'>;
export type Rules = Ok<'/api/automation/rules', 'get'>;
export type Rule = Rules['rules'][number];
/** `GET /api/automation/rules/{id}/runs`: one rule's runs, newest first, a page at a time. */
export type RuleRuns = Ok<'/api/automation/rules/{id}/runs', 'get'>;
export type RuleRun = RuleRuns['runs'][number];
