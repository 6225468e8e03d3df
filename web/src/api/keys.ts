/**
 * Every react-query key in one place, so the live channel and the
 * mutations invalidate exactly what the screens read. Keys are
 * hierarchical: invalidating `['tasks']` refreshes every task listing.
 */
export const queryKeys = {
  me: () => ['me'] as const,
  tasks: () => ['tasks'] as const,
  taskQueue: (timeframe: string, assignedTo: string) => ['tasks', timeframe, assignedTo] as const,
  staff: () => ['staff'] as const,
  /** Settings' list of every user, active or not (under ['staff'], so an invitation refreshes it). */
  users: () => ['staff', 'all'] as const,
  clients: () => ['clients'] as const,
  feed: (clientId: string) => ['feed', clientId] as const,
  conversations: () => ['conversations'] as const,
  conversation: (clientId: string) => ['conversation', clientId] as const,
  // The portal's records, each under its client so a change refreshes every view of it.
  health: (clientId: string) => ['health', clientId] as const,
  healthWeek: (clientId: string, week: string) => ['health', clientId, week] as const,
  documents: (clientId: string) => ['documents', clientId] as const,
  documentList: (clientId: string, q: string, category: string) => ['documents', clientId, q, category] as const,
  carePlan: (clientId: string) => ['care-plan', clientId] as const,
  appointments: (clientId: string) => ['appointments', clientId] as const,
  appointmentRange: (clientId: string, from: string, to: string) => ['appointments', clientId, from, to] as const,
  family: (clientId: string) => ['family', clientId] as const,
  // Staff dashboard: every contact listing (search, board, names) under ['contacts'].
  contacts: () => ['contacts'] as const,
  contactSearch: (params: Record<string, string | number | undefined>) => ['contacts', 'search', params] as const,
  board: (pipeline: string) => ['contacts', 'board', pipeline] as const,
  /** One stage's column of a board, a page at a time (under its board, so a board's key refreshes all of them). */
  boardColumn: (pipeline: string, stage: string) => ['contacts', 'board', pipeline, stage] as const,
  /** One contact's page: details, bookings, tasks, timeline, automation runs. */
  contact: (id: string) => ['contact', id] as const,
  touchpoints: (id: string) => ['contact', id, 'touchpoints'] as const,
  automationRuns: (id: string) => ['contact', id, 'automation'] as const,
  pipelines: () => ['pipelines'] as const,
  sms: () => ['sms'] as const,
  /** Every inbox listing (all, unread only). */
  smsInboxes: () => ['sms', 'inbox'] as const,
  smsInbox: (unreadOnly: boolean) => ['sms', 'inbox', unreadOnly] as const,
  smsThread: (contactId: string) => ['sms', 'thread', contactId] as const,
  report: (kind: 'weekly' | 'monthly', period: string) => ['report', kind, period] as const,
  smsTemplates: () => ['sms-templates'] as const,
  orgSettings: () => ['org-settings'] as const,
  serviceTypes: () => ['service-types'] as const,
};
