// Shared set-up for the browser tests: Debian's Chromium driven by
// playwright-core (Playwright's own browser download cannot work here),
// the running attend at ATTEND_URL, the demo users of `attend seed-demo`.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.ATTEND_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
export const PASSWORD = process.env.ATTEND_DEMO_PASSWORD ?? '';
const ORG = 'avatar-imaging.example';
export const USERS = {
  admin: `admin@${ORG}`,
  staff: `staff@${ORG}`,
  readonly: `readonly@${ORG}`,
  careTeam: `care_team@${ORG}`,
  family: `family@${ORG}`,
  familyMessaging: `family.messaging@${ORG}`,
  familyFull: `family.full@${ORG}`,
  client: `client@${ORG}`,
};

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = path.join(here, '..', 'test-results', 'screenshots');

export async function launch() {
  assert.ok(PASSWORD, 'set ATTEND_DEMO_PASSWORD to the password seed-demo used');
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
}

/** A fresh browser context (its own storage: another person). */
export async function newPage(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, baseURL: BASE_URL });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

export async function signIn(page, email) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}

/** axe with WCAG 2.1 A/AA rules: fails on any serious or critical violation. */
export async function assertAccessible(page, screen) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length > 0) {
    const report = bad
      .map((v) => `- [${v.impact}] ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\n/g, ' ')}`).join('\n')}`)
      .join('\n');
    assert.fail(`axe found ${bad.length} serious/critical violation(s) on ${screen}:\n${report}`);
  }
  return results;
}

/** Screenshots of the current screen at desktop and phone widths. */
export async function screenshots(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
}

/** Reads a number shown on the page (e.g. a count), waiting until it is one. */
export async function numberIn(locator) {
  await locator.filter({ hasText: /^\d+$/ }).waitFor();
  return Number((await locator.textContent())?.trim());
}

/** Calls the API as a user, outside the browser (test set-up only). */
export async function apiAs(email) {
  const login = await fetch(`${BASE_URL}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(login.status, 200, `${email} signs in through the API`);
  const session = await login.json();
  const call = async (method, path, body) => {
    const response = await fetch(`${BASE_URL}${path}`, {
      method,
      headers: { authorization: `Bearer ${session.access_token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return { user: session.user, call };
}

/**
 * Asks `probe` until it answers something truthy (then returns it), or
 * fails after `timeout` ms naming what was awaited: for what the platform
 * does in the background (an SMS going out through the sandbox).
 */
export async function eventually(what, probe, { timeout = 15_000, every = 250 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/**
 * Fails when the page scrolls sideways at its current width (a phone's
 * 390 px: everything has to fit), naming a few elements that stick out.
 */
export async function assertNoSidewaysScroll(page, screen) {
  const found = await page.evaluate(() => {
    const root = document.documentElement;
    const outside = [...document.body.querySelectorAll('*')]
      .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 0.5)
      .slice(0, 5)
      .map((e) => `<${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} class="${e.getAttribute('class') ?? ''}"> ${Math.round(e.getBoundingClientRect().right)} px`);
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, outside };
  });
  assert.ok(
    found.scrollWidth <= found.clientWidth,
    `${screen} scrolls sideways: ${found.scrollWidth} px wide in ${found.clientWidth} px; sticking out:\n${found.outside.join('\n')}`,
  );
}
