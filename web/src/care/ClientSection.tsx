import type { Client } from '../api/types';
import { Appointments } from './Appointments';
import { CarePlanView } from './CarePlan';
import { Documents } from './Documents';
import { HealthLogs } from './HealthLogs';

/** The per-client record pages beyond updates and messages. */
export type RecordTab = 'health' | 'documents' | 'plan' | 'appointments';

export const RECORD_TITLES: Record<RecordTab, string> = {
  health: 'Health logs',
  documents: 'Documents',
  plan: 'Care plan',
  appointments: 'Appointments',
};

export function isRecordTab(tab: string): tab is RecordTab {
  return tab in RECORD_TITLES;
}

/** The page for a record tab; what the caller may do follows `client.access`. */
export function ClientSection({ tab, client }: { tab: RecordTab; client: Client }) {
  switch (tab) {
    case 'health':
      return <HealthLogs client={client} />;
    case 'documents':
      return <Documents client={client} />;
    case 'plan':
      return <CarePlanView client={client} />;
    case 'appointments':
      return <Appointments client={client} />;
  }
}
