import { NavLink, Navigate, useNavigate } from 'react-router';
import type { Client } from '../api/types';
import { Empty, ErrorAlert, Field, fieldClass, Loading } from '../ui/controls';
import { useClients } from './api';

/** Loads the caller's clients and picks the one in the URL (or the first). */
export function useChosenClient(clientId: string | undefined) {
  const clients = useClients();
  const chosen = clients.data?.find((c) => c.id === clientId);
  return { clients, chosen };
}

export function ClientsGate({
  clients,
  clientId,
  base,
  children,
}: {
  clients: ReturnType<typeof useClients>;
  clientId: string | undefined;
  base: string;
  children: (client: Client, all: Client[]) => React.ReactNode;
}) {
  if (clients.isPending) return <Loading label="Loading…" />;
  if (clients.isError) return <ErrorAlert error={clients.error} title="Could not load your clients" />;
  const all = clients.data;
  if (all.length === 0) {
    return (
      <Empty title="No clients linked to your account">
        Ask the care coordinator to link you to the person you care for.
      </Empty>
    );
  }
  const chosen = all.find((c) => c.id === clientId);
  if (!chosen) {
    const first = all[0]!;
    return <Navigate to={`${base}/${first.id}`} replace />;
  }
  return <>{children(chosen, all)}</>;
}

export function ClientSwitcher({ clients, current, base }: { clients: Client[]; current: Client; base: string }) {
  const navigate = useNavigate();
  if (clients.length < 2) return null;
  return (
    <div className="w-full sm:w-64">
      <Field label="Client">
        {(p) => (
          <select {...p} value={current.id} onChange={(e) => navigate(`${base}/${e.target.value}`)} className={fieldClass()}>
            {clients.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        )}
      </Field>
    </div>
  );
}

/** The per-client record pages, by their path under the client. */
export const RECORD_LINKS = [
  { path: 'health', label: 'Health' },
  { path: 'appointments', label: 'Appointments' },
  { path: 'care-plan', label: 'Care plan' },
  { path: 'documents', label: 'Documents' },
] as const;

export function ClientTabs({ base, client }: { base: string; client: Client }) {
  const tab = ({ isActive }: { isActive: boolean }) =>
    `inline-flex min-h-11 items-center border-b-4 px-3 text-sm font-semibold ${
      isActive ? 'border-teal-800 text-teal-950' : 'border-transparent text-slate-800 hover:border-slate-400'
    }`;
  return (
    <nav aria-label={`${client.name}: sections`} className="overflow-x-auto border-b border-slate-300">
      <ul className="flex gap-1 whitespace-nowrap">
        <li>
          <NavLink end to={`${base}/${client.id}`} className={tab}>
            Updates
          </NavLink>
        </li>
        {RECORD_LINKS.map((l) => (
          <li key={l.path}>
            <NavLink to={`${base}/${client.id}/${l.path}`} className={tab}>
              {l.label}
            </NavLink>
          </li>
        ))}
        <li>
          <NavLink to={`${base}/${client.id}/messages`} className={tab}>
            Messages
          </NavLink>
        </li>
      </ul>
    </nav>
  );
}
