import { useParams } from 'react-router';
import { ClientSwitcher, ClientTabs, ClientsGate, useChosenClient } from './ClientPages';
import { ClientSection, RECORD_TITLES, type RecordTab } from './ClientSection';
import { Feed } from './Feed';
import { Messages } from './Messages';
import { NoteForm } from './NoteForm';

/** The care team's workspace: pick a client, read and write care updates, answer messages. */
export function CareWorkspace({ tab = 'updates' }: { tab?: 'updates' | 'messages' | RecordTab }) {
  const { clientId } = useParams();
  const { clients } = useChosenClient(clientId);
  return (
    <ClientsGate clients={clients} clientId={clientId} base="/care">
      {(client, all) => (
        <div className="space-y-4">
          <div className="flex flex-wrap items-end gap-4">
            <div>
              <h1 className="text-2xl font-bold text-slate-900">{client.name}</h1>
              <p className="text-sm text-slate-700">
                {tab === 'updates' || tab === 'messages' ? 'Care workspace' : RECORD_TITLES[tab]}
                {client.care_level ? ` · ${client.care_level.replace(/_/g, ' ')} care` : ''}
              </p>
            </div>
            <div className="sm:ml-auto">
              <ClientSwitcher clients={all} current={client} base="/care" />
            </div>
          </div>
          <ClientTabs base="/care" client={client} />
          {tab === 'messages' ? (
            <Messages client={client} />
          ) : tab !== 'updates' ? (
            <ClientSection tab={tab} client={client} />
          ) : (
            <div className="grid gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
              <div className="lg:self-start">
                <NoteForm clientId={client.id} clientName={client.name} />
              </div>
              <section aria-labelledby="feed-heading">
                <h2 id="feed-heading" className="mb-2 text-lg font-semibold text-slate-900">
                  Care updates
                </h2>
                <Feed clientId={client.id} clientName={client.name} showVisibility canFlag />
              </section>
            </div>
          )}
        </div>
      )}
    </ClientsGate>
  );
}
