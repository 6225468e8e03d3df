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

/**
 * The client's sections as links (the current one has `aria-current="page"`,
 * which NavLink sets). On a phone the six don't fit in a row, and a tab bar
 * that scrolls sideways hides half of them, so below `sm` they are a grid
 * of buttons, all visible, the current one filled (3 × 2 at 390 px, 2 × 3
 * on the narrowest phones, where "Appointments" needs the room); from `sm`
 * up, a row of underlined tabs that wraps rather than scrolls.
 */
export function ClientTabs({ base, client }: { base: string; client: Client }) {
  const links = [
    { to: `${base}/${client.id}`, label: 'Updates', end: true },
    ...RECORD_LINKS.map((l) => ({ to: `${base}/${client.id}/${l.path}`, label: l.label, end: false })),
    { to: `${base}/${client.id}/messages`, label: 'Messages', end: false },
  ];
  const tab = ({ isActive }: { isActive: boolean }) =>
    `flex min-h-11 items-center justify-center rounded-md border px-1 text-center text-sm font-semibold sm:rounded-none sm:border-0 sm:border-b-4 sm:px-3 ${
      isActive
        ? 'border-teal-800 bg-teal-800 text-white sm:bg-transparent sm:text-teal-950'
        : 'border-slate-300 bg-white text-slate-800 hover:bg-slate-100 sm:border-transparent sm:bg-transparent sm:hover:border-slate-400 sm:hover:bg-transparent'
    }`;
  return (
    <nav aria-label={`${client.name}: sections`} className="sm:border-b sm:border-slate-300">
      <ul className="grid grid-cols-2 gap-1.5 min-[380px]:grid-cols-3 sm:flex sm:flex-wrap sm:gap-1">
        {links.map((l) => (
          <li key={l.to}>
            <NavLink end={l.end} to={l.to} className={tab}>
              {l.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
