import { useParams } from 'react-router';
import { Feed } from './Feed';
import { Messages } from './Messages';
import { ClientSwitcher, ClientTabs, ClientsGate, useChosenClient } from './ClientPages';
import { ClientSection, RECORD_TITLES, type RecordTab } from './ClientSection';

const ACCESS: Record<string, string> = {
  view_only: 'You can read updates and messages.',
  messaging: 'You can read updates and message the care team.',
  full_access: 'You have full access, including medical details.',
  client: 'This is your own care record.',
};

/** Spec 001's client portal: the care-updates feed and messages with the care team. */
export function FamilyPortal({ tab = 'updates' }: { tab?: 'updates' | 'messages' | RecordTab }) {
  const { clientId } = useParams();
  const { clients } = useChosenClient(clientId);
  return (
    <ClientsGate clients={clients} clientId={clientId} base="/family">
      {(client, all) => (
        <div className="space-y-4">
          <div className="flex flex-wrap items-end gap-4">
            <div>
              <h1 className="text-2xl font-bold text-slate-900">{tab === 'messages' ? `Messages about ${client.name}` : tab === 'updates' ? `Care updates for ${client.name}` : `${RECORD_TITLES[tab]} for ${client.name}`}</h1>
              <p className="text-sm text-slate-700">{ACCESS[client.access] ?? ''}</p>
            </div>
            <div className="sm:ml-auto">
              <ClientSwitcher clients={all} current={client} base="/family" />
            </div>
          </div>
          <ClientTabs base="/family" client={client} />
          {tab === 'messages' ? (
            <Messages client={client} />
          ) : tab === 'updates' ? (
            <Feed clientId={client.id} clientName={client.name} showVisibility={false} />
          ) : (
            <ClientSection tab={tab} client={client} />
          )}
        </div>
      )}
    </ClientsGate>
  );
}
