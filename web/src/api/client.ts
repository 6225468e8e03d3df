import createClient from 'openapi-fetch';
import type { paths } from './schema';
import { session } from '../auth/session';

/**
 * The typed API client every screen uses: each request carries the
 * in-memory access token, and a 401 is answered once by refreshing and
 * retrying (see `SessionStore.authorizedFetch`).
 */
export const api = createClient<paths>({
  baseUrl: '/',
  fetch: (request: Request) => session.authorizedFetch(request),
});
