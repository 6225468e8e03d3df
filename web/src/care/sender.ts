/** Who sent a care message, in words. */
import type { Message } from '../api/types';

const ROLE: Record<string, string> = {
  admin: 'Administrator',
  care_team: 'Care team',
  family: 'Family',
  client: 'Client',
};

/** "Jo Smith (Care team)", or the role alone when the API can't name them. */
export function senderOf(m: Pick<Message, 'sender_name' | 'sender_role'>): string {
  const role = ROLE[m.sender_role] ?? m.sender_role;
  return m.sender_name ? `${m.sender_name} (${role})` : role;
}
