// Signing in: the form is accessible, a refused sign-in says why in words,
// and each role lands on its own home.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { USERS, assertAccessible, launch, newPage, screenshots, signIn } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a wrong password is refused in words, next to the form', async () => {
  const { page, context } = await newPage(browser);
  await page.goto('/');
  await page.waitForURL('**/sign-in');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await assertAccessible(page, 'sign-in');
  await screenshots(page, 'sign-in');
  await page.getByLabel('Email').fill(USERS.staff);
  await page.getByLabel('Password').fill('certainly-not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  const text = (await alert.textContent()) ?? '';
  assert.ok(text.trim().length > 5, `the refusal explains itself: "${text}"`);
  assert.ok(page.url().endsWith('/sign-in'), 'still on the sign-in page');
  await assertAccessible(page, 'sign-in with an error');
  await context.close();
});

test('each role lands on its own home, with navigation for its role only', async () => {
  const cases = [
    { email: USERS.readonly, path: /\/today$/, heading: 'Today', nav: ['Today'], notNav: ['Care updates', 'Care workspace'] },
    { email: USERS.careTeam, path: /\/care\/client_/, nav: ['Care workspace'], notNav: ['Today', 'Care updates'] },
    { email: USERS.client, path: /\/family\/client_/, nav: ['Care updates'], notNav: ['Today', 'Care workspace'] },
  ];
  for (const c of cases) {
    const { page, context } = await newPage(browser);
    await signIn(page, c.email);
    await page.waitForURL(c.path);
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const name of c.nav) await nav.getByRole('link', { name }).waitFor();
    for (const name of c.notNav) assert.equal(await nav.getByRole('link', { name }).count(), 0, `${c.email} has no ${name}`);
    // Signing out ends the session: the sign-in page comes back.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto('/');
    await page.waitForURL('**/sign-in');
    await context.close();
  }
});
