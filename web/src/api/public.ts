import createClient from 'openapi-fetch';
import type { paths } from './schema';

/** For the endpoints that need no sign-in (sign in, refresh, sign out):
 * no bearer header and no refresh-and-retry, so a failing refresh cannot
 * recurse into another refresh. */
export const publicApi = createClient<paths>({ baseUrl: '/' });
