import { useState, useSyncExternalStore } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { ROLE_LABEL, areasFor, type Area } from '../auth/roles';
import { session } from '../auth/session';
import { useLiveStatus } from '../live/LiveProvider';
import type { LiveStatus } from '../live/socket';

const AREA_LINKS: Record<Area, { to: string; label: string }[]> = {
  today: [{ to: '/today', label: 'Today' }],
  contacts: [{ to: '/contacts', label: 'Contacts' }],
  pipelines: [{ to: '/pipelines', label: 'Pipelines' }],
  inbox: [{ to: '/inbox', label: 'Inbox' }],
  reports: [{ to: '/reports', label: 'Reports' }],
  settings: [{ to: '/settings', label: 'Settings' }],
  care: [{ to: '/care', label: 'Care workspace' }],
  family: [{ to: '/family', label: 'Care updates' }],
};

/** What the header says about the tab's live connection: its words and dot. */
const LIVE_STATUS: Record<LiveStatus, [string, string]> = {
  live: ['Live', 'bg-green-600'],
  connecting: ['Connecting…', 'bg-amber-500'],
  // Dropped and retrying: what the page shows may be behind until it is back.
  reconnecting: ['Reconnecting…', 'bg-amber-500'],
  stopped: ['Offline', 'bg-slate-500'],
};

function LiveIndicator() {
  const [text, dot] = LIVE_STATUS[useLiveStatus()];
  return (
    <span className="inline-flex items-center gap-1.5 text-xs font-medium text-slate-200" role="status" aria-live="polite">
      <span aria-hidden="true" className={`size-2 rounded-full ${dot}`} />
      {text}
    </span>
  );
}

export function Shell() {
  const { user } = useSyncExternalStore(session.subscribe, session.getState);
  const [open, setOpen] = useState(false);
  const location = useLocation();
  const [lastPath, setLastPath] = useState(location.pathname);
  if (lastPath !== location.pathname) {
    // Close the phone menu after navigating.
    setLastPath(location.pathname);
    setOpen(false);
  }
  const links = user ? areasFor(user.role).flatMap((a) => AREA_LINKS[a]) : [];

  const linkClass = ({ isActive }: { isActive: boolean }) =>
    `block rounded-md px-3 py-2 text-sm font-semibold ${isActive ? 'bg-teal-700 text-white' : 'text-slate-100 hover:bg-teal-800'}`;

  return (
    <div className="min-h-dvh">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2 focus:text-slate-900">
        Skip to content
      </a>
      <header className="bg-teal-900 text-white">
        <div className="mx-auto flex max-w-6xl items-center gap-3 px-4 py-2">
          <span className="text-lg font-bold">attend</span>
          <nav aria-label="Main" className="hidden lg:block">
            <ul className="flex gap-1">
              {links.map((l) => (
                <li key={l.to}>
                  <NavLink to={l.to} className={linkClass}>
                    {l.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <div className="ml-auto flex items-center gap-3">
            <LiveIndicator />
            {user && (
              <span className="hidden text-right text-sm leading-tight sm:block">
                <span className="block font-semibold">{user.name || user.email}</span>
                <span className="block text-xs text-slate-200">{ROLE_LABEL[user.role] ?? user.role}</span>
              </span>
            )}
            <button
              type="button"
              onClick={() => void session.signOut()}
              className="hidden min-h-11 rounded-md border border-teal-600 px-3 text-sm font-semibold hover:bg-teal-800 lg:block"
            >
              Sign out
            </button>
            <button
              type="button"
              className="min-h-11 rounded-md border border-teal-600 px-3 text-sm font-semibold lg:hidden"
              aria-expanded={open}
              aria-controls="phone-menu"
              onClick={() => setOpen((o) => !o)}
            >
              Menu
            </button>
          </div>
        </div>
        {open && (
          <nav id="phone-menu" aria-label="Main" className="border-t border-teal-800 px-4 pb-3 lg:hidden">
            {user && (
              <p className="py-2 text-sm text-slate-100">
                Signed in as <span className="font-semibold">{user.name || user.email}</span> ({ROLE_LABEL[user.role] ?? user.role})
              </p>
            )}
            <ul className="space-y-1">
              {links.map((l) => (
                <li key={l.to}>
                  <NavLink to={l.to} className={linkClass}>
                    {l.label}
                  </NavLink>
                </li>
              ))}
              <li>
                <button
                  type="button"
                  onClick={() => void session.signOut()}
                  className="block w-full rounded-md px-3 py-2 text-left text-sm font-semibold text-slate-100 hover:bg-teal-800"
                >
                  Sign out
                </button>
              </li>
            </ul>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-6xl px-4 py-6 focus:outline-none">
        <Outlet />
      </main>
    </div>
  );
}
