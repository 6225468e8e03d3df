/**
 * Attend's roles and where each lands: practice staff (admin, staff,
 * readonly) work the task queue, the care team works with clients, and
 * family members and clients read the portal. What each may *do* is the
 * API's decision; this only picks navigation, and hides buttons the API
 * would refuse anyway.
 */

export type Area = 'today' | 'contacts' | 'pipelines' | 'inbox' | 'reports' | 'settings' | 'care' | 'family';

/** The staff dashboard's areas (spec 000), for everyone with contacts:read. */
const PRACTICE: Area[] = ['today', 'contacts', 'pipelines', 'inbox', 'reports'];

export function areasFor(role: string): Area[] {
  switch (role) {
    case 'admin':
      return [...PRACTICE, 'settings', 'care'];
    case 'staff':
    case 'readonly':
      return PRACTICE;
    case 'care_team':
      return ['care'];
    case 'family':
    case 'client':
      return ['family'];
    default:
      return [];
  }
}

export function homeFor(role: string): string {
  const first = areasFor(role)[0];
  return first ? `/${first}` : '/no-access';
}

/** Whether the role may change tasks (the API's `tasks:write`). */
export function canWorkTasks(role: string): boolean {
  return role === 'admin' || role === 'staff';
}

/** Whether the role may change contacts: move them between stages (`contacts:write`). */
export function canWriteContacts(role: string): boolean {
  return role === 'admin' || role === 'staff';
}

/** Whether the role may send SMS and mark conversations read (`messages:send`). */
export function canSendSms(role: string): boolean {
  return role === 'admin' || role === 'staff';
}

/** Whether the role may change templates and settings (`settings:manage`). */
export function canManageSettings(role: string): boolean {
  return role === 'admin';
}

export const ROLE_LABEL: Record<string, string> = {
  admin: 'Administrator',
  staff: 'Staff',
  readonly: 'Read-only',
  care_team: 'Care team',
  family: 'Family',
  client: 'Client',
};
