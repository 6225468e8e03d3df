import { useState, useSyncExternalStore, type FormEvent } from 'react';
import { Navigate, useLocation } from 'react-router';
import { Button, ErrorAlert, Field, fieldClass, fieldError } from '../ui/controls';
import { homeFor } from './roles';
import { session } from './session';

export function SignIn() {
  const state = useSyncExternalStore(session.subscribe, session.getState);
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (state.status === 'signed-in' && state.user) {
    const from = (location.state as { from?: string } | null)?.from;
    return <Navigate to={from && from !== '/sign-in' ? from : homeFor(state.user.role)} replace />;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.signIn(email.trim(), password);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="flex min-h-dvh items-start justify-center px-4 py-12 sm:items-center">
      <div className="w-full max-w-sm rounded-xl border border-slate-300 bg-white p-6 shadow-sm">
        <p className="text-2xl font-bold text-teal-900">attend</p>
        <h1 className="mt-2 text-xl font-semibold text-slate-900">Sign in</h1>
        {state.notice && !error && (
          <p role="alert" className="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
            {state.notice}
          </p>
        )}
        <form className="mt-4 space-y-4" onSubmit={submit} noValidate>
          <ErrorAlert error={error} />
          <Field label="Email" error={fieldError(error, 'email')}>
            {(p) => (
              <input
                {...p}
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                className={fieldClass()}
              />
            )}
          </Field>
          <Field label="Password" error={fieldError(error, 'password')}>
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                className={fieldClass()}
              />
            )}
          </Field>
          <Button type="submit" variant="primary" className="w-full" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </Button>
        </form>
      </div>
    </main>
  );
}
