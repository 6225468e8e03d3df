// The session: a reload stays signed in (the refresh token rotates), and a
// refresh token used twice (a stolen copy) ends the session with a
// message on the sign-in page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { USERS, launch, newPage, signIn } from './helpers.mjs';

const KEY = 'attend.refresh_token';
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a reload stays signed in, and the refresh token rotates; the access token is never stored', async () => {
  const { page, context } = await newPage(browser);
  await signIn(page, USERS.readonly);
  await page.getByRole('heading', { name: 'Today', level: 1 }).waitFor();
  const first = await page.evaluate((k) => localStorage.getItem(k), KEY);
  assert.ok(first, 'the refresh token is kept for the next page load');
  await page.reload();
  await page.getByRole('heading', { name: 'Today', level: 1 }).waitFor();
  const second = await page.evaluate((k) => localStorage.getItem(k), KEY);
  assert.ok(second && second !== first, 'resuming used the refresh token, which rotated');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.ok(!/eyJ[\w-]+\.[\w-]+\./.test(stored.replace(second, '')), 'no access token (JWT) in storage');
  await context.close();
});

test('a refresh token used elsewhere ends the session, with a message, on the next refresh', async () => {
  const { page, context } = await newPage(browser);
  await signIn(page, USERS.family);
  await page.getByRole('heading', { name: /Care updates for/ }).waitFor();
  const token = await page.evaluate((k) => localStorage.getItem(k), KEY);
  // Someone else uses this browser's refresh token first.
  const stolen = await page.request.post('/api/auth/refresh', { data: { refresh_token: token } });
  assert.equal(stolen.status(), 200);
  // The page's next refresh (here: resuming after a reload) presents the reused token.
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByRole('alert').filter({ hasText: 'Your session has ended' }).waitFor();
  assert.equal(await page.evaluate((k) => localStorage.getItem(k), KEY), null, 'the tokens are gone');
  await context.close();
});
