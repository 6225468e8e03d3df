import { MutationCache, QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState, useSyncExternalStore } from 'react';
import { Navigate, Outlet, RouterProvider, createBrowserRouter, useLocation } from 'react-router';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { ApiError, unwrap } from '../api/problem';
import { SignIn } from '../auth/SignIn';
import { areasFor, homeFor, type Area } from '../auth/roles';
import { session } from '../auth/session';
import { CareWorkspace } from '../care/CareWorkspace';
import { ContactPage } from '../contacts/ContactPage';
import { ContactsPage } from '../contacts/ContactsPage';
import { BoardPage } from '../pipelines/BoardPage';
import { SettingsPage } from '../settings/SettingsPage';
import { InboxPage } from '../sms/InboxPage';
import { FamilyPortal } from '../care/FamilyPortal';
import type { RecordTab } from '../care/ClientSection';
import { Shell } from '../layout/Shell';
import { LiveProvider } from '../live/LiveProvider';
import { TodayPage } from '../tasks/TodayPage';
import { Loading } from '../ui/controls';
import { setPracticeZone } from '../ui/time';

// Reports bring the charting library: loaded when first opened.
const ReportsPage = lazy(() => import('../reports/ReportsPage').then((m) => ({ default: m.ReportsPage })));

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        // A refused request (4xx) won't succeed by asking again.
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      },
    },
    mutationCache: new MutationCache(),
  });
}

/** Signed-in pages: waits for the session to resume, sends strangers to sign in. */
function RequireSession() {
  const state = useSyncExternalStore(session.subscribe, session.getState);
  const location = useLocation();
  const signedIn = state.status === 'signed-in' && state.user !== null;
  // The organisation's zone, before any practice time is shown.
  const me = useQuery({
    queryKey: queryKeys.me(),
    queryFn: async ({ signal }) => unwrap(await api.GET('/api/auth/me', { signal })),
    enabled: signedIn,
    staleTime: Infinity,
  });
  if (me.data) setPracticeZone(me.data.organisation.time_zone);
  if (state.status === 'starting' || (signedIn && me.isPending)) {
    return (
      <main id="main" className="p-6">
        <Loading label="Signing you in…" />
      </main>
    );
  }
  if (state.status === 'signed-out' || !state.user) {
    return <Navigate to="/sign-in" replace state={{ from: location.pathname }} />;
  }
  return (
    <LiveProvider>
      <Outlet />
    </LiveProvider>
  );
}

/** An area only for roles that have it; others go home. */
function RequireArea({ area }: { area: Area }) {
  const { user } = useSyncExternalStore(session.subscribe, session.getState);
  if (!user) return null;
  return areasFor(user.role).includes(area) ? <Outlet /> : <Navigate to={homeFor(user.role)} replace />;
}

function Home() {
  const { user } = useSyncExternalStore(session.subscribe, session.getState);
  return <Navigate to={user ? homeFor(user.role) : '/sign-in'} replace />;
}

function NoAccess() {
  return (
    <>
      <h1 className="text-2xl font-bold">No screens for this account yet</h1>
      <p className="mt-2 text-slate-700">Ask your administrator which role you should have.</p>
    </>
  );
}

function NotFound() {
  return (
    <>
      <h1 className="text-2xl font-bold">Page not found</h1>
      <p className="mt-2 text-slate-700">
        <a className="font-semibold text-teal-900 underline" href="/">
          Go to your home page
        </a>
      </p>
    </>
  );
}

/** The per-client record pages (health, documents, care plan, appointments), under both portals. */
const RECORD_ROUTES: [string, RecordTab][] = [
  ['health', 'health'],
  ['documents', 'documents'],
  ['care-plan', 'plan'],
  ['appointments', 'appointments'],
];

const router = createBrowserRouter([
  { path: '/sign-in', element: <SignIn /> },
  {
    element: <RequireSession />,
    children: [
      {
        element: <Shell />,
        children: [
          { index: true, element: <Home /> },
          { element: <RequireArea area="today" />, children: [{ path: 'today', element: <TodayPage /> }] },
          {
            element: <RequireArea area="contacts" />,
            children: [
              { path: 'contacts', element: <ContactsPage /> },
              { path: 'contacts/:id', element: <ContactPage /> },
            ],
          },
          { element: <RequireArea area="pipelines" />, children: [{ path: 'pipelines', element: <BoardPage /> }] },
          {
            element: <RequireArea area="inbox" />,
            children: [
              { path: 'inbox', element: <InboxPage /> },
              { path: 'inbox/:contactId', element: <InboxPage /> },
            ],
          },
          {
            element: <RequireArea area="reports" />,
            children: [
              {
                path: 'reports',
                element: (
                  <Suspense fallback={<Loading label="Loading reports…" />}>
                    <ReportsPage />
                  </Suspense>
                ),
              },
            ],
          },
          { element: <RequireArea area="settings" />, children: [{ path: 'settings', element: <SettingsPage /> }] },
          {
            element: <RequireArea area="care" />,
            children: [
              { path: 'care', element: <CareWorkspace /> },
              { path: 'care/:clientId', element: <CareWorkspace /> },
              { path: 'care/:clientId/messages', element: <CareWorkspace tab="messages" /> },
              ...RECORD_ROUTES.map(([path, tab]) => ({ path: `care/:clientId/${path}`, element: <CareWorkspace tab={tab} /> })),
            ],
          },
          {
            element: <RequireArea area="family" />,
            children: [
              { path: 'family', element: <FamilyPortal /> },
              { path: 'family/:clientId', element: <FamilyPortal /> },
              { path: 'family/:clientId/messages', element: <FamilyPortal tab="messages" /> },
              ...RECORD_ROUTES.map(([path, tab]) => ({ path: `family/:clientId/${path}`, element: <FamilyPortal tab={tab} /> })),
            ],
          },
          { path: 'no-access', element: <NoAccess /> },
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
]);

export function App() {
  const [queryClient] = useState(makeQueryClient);
  useEffect(() => {
    // A new user must never see the previous one's cached data.
    session.onEnd = () => queryClient.clear();
    void session.start();
  }, [queryClient]);
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
