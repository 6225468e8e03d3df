import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The sign-in endpoints, answered by the test.
const post = vi.fn();
vi.mock('../api/public', () => ({ publicApi: { POST: (...args: unknown[]) => post(...args) } }));

const { REFRESH_KEY, SessionStore } = await import('./session');

function session(access: string, refresh: string) {
  return {
    access_token: access,
    token_type: 'Bearer',
    expires_in: 900,
    refresh_token: refresh,
    refresh_expires_in: 86_400,
    user: { id: 'user_1', org_id: 'org_1', email: 'staff@example.com', name: 'Staff', role: 'staff', is_active: true },
  };
}
const ok = (data: unknown) => ({ data, response: new Response(null, { status: 200 }) });
const refused = (status: number, detail: string) => ({
  error: { type: 'x', title: 'Unauthorized', status, detail, code: 'unauthenticated' },
  response: new Response(null, { status }),
});

let storage: Map<string, string>;
let fetchMock: ReturnType<typeof vi.fn>;

beforeEach(() => {
  storage = new Map();
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => storage.set(k, v),
    removeItem: (k: string) => storage.delete(k),
  });
  fetchMock = vi.fn();
  vi.stubGlobal('fetch', fetchMock);
  post.mockReset();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

async function signedIn() {
  const store = new SessionStore();
  post.mockResolvedValueOnce(ok(session('access-1', 'refresh-1')));
  await store.signIn('staff@example.com', 'pw');
  return store;
}

const authOf = (call: unknown[]) => (call[0] as Request).headers.get('authorization');

describe('SessionStore', () => {
  it('keeps the refresh token in storage and sends the access token as a bearer', async () => {
    const store = await signedIn();
    expect(storage.get(REFRESH_KEY)).toBe('refresh-1');
    expect([...storage.values()]).not.toContain('access-1');
    fetchMock.mockResolvedValueOnce(new Response('{}', { status: 200 }));
    const answer = await store.authorizedFetch(new Request('http://attend.test/api/tasks'));
    expect(answer.status).toBe(200);
    expect(authOf(fetchMock.mock.calls[0]!)).toBe('Bearer access-1');
  });

  it('answers a 401 by refreshing once and retrying with the new token', async () => {
    const store = await signedIn();
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 401 })).mockResolvedValueOnce(new Response('{}', { status: 200 }));
    post.mockResolvedValueOnce(ok(session('access-2', 'refresh-2')));
    const answer = await store.authorizedFetch(new Request('http://attend.test/api/tasks', { method: 'POST', body: '{"a":1}' }));
    expect(answer.status).toBe(200);
    expect(post).toHaveBeenLastCalledWith('/api/auth/refresh', { body: { refresh_token: 'refresh-1' } });
    expect(authOf(fetchMock.mock.calls[1]!)).toBe('Bearer access-2');
    expect(await (fetchMock.mock.calls[1]![0] as Request).text()).toBe('{"a":1}');
    expect(storage.get(REFRESH_KEY)).toBe('refresh-2');
  });

  it('refreshes once for many requests refused at the same moment (a second use would end the session)', async () => {
    const store = await signedIn();
    fetchMock.mockImplementation(async (r: Request) =>
      new Response(null, { status: r.headers.get('authorization') === 'Bearer access-2' ? 200 : 401 }),
    );
    let release: () => void = () => {};
    post.mockImplementationOnce(() => new Promise((resolve) => (release = () => resolve(ok(session('access-2', 'refresh-2'))))));
    const answers = Promise.all([1, 2, 3].map(() => store.authorizedFetch(new Request('http://attend.test/api/clients'))));
    await vi.waitFor(() => expect(post).toHaveBeenCalledTimes(2));
    release();
    expect((await answers).map((a) => a.status)).toEqual([200, 200, 200]);
    // The sign-in and exactly one refresh.
    expect(post).toHaveBeenCalledTimes(2);
  });

  it('signs out with the reason when the refresh is refused (e.g. the token was reused)', async () => {
    const store = await signedIn();
    const ended = vi.fn();
    store.onEnd = ended;
    fetchMock.mockResolvedValue(new Response(null, { status: 401 }));
    post.mockResolvedValueOnce(refused(401, 'this refresh token was already used'));
    const answer = await store.authorizedFetch(new Request('http://attend.test/api/tasks'));
    expect(answer.status).toBe(401);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(store.getState()).toMatchObject({ status: 'signed-out', user: null });
    expect(store.getState().notice).toMatch(/session has ended: this refresh token was already used/);
    expect(storage.has(REFRESH_KEY)).toBe(false);
    expect(ended).toHaveBeenCalledOnce();
  });

  it('keeps the session when a refresh fails on the network, to try again', async () => {
    const store = await signedIn();
    fetchMock.mockResolvedValue(new Response(null, { status: 401 }));
    post.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await store.authorizedFetch(new Request('http://attend.test/api/tasks'));
    expect(store.getState().status).toBe('signed-in');
    expect(storage.get(REFRESH_KEY)).toBe('refresh-1');
  });
});
