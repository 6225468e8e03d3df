// Spec 001's family portal: a view-only family member reads Margaret
// Lee's care updates, finds no message box, and sees a care update that
// a care-team member posts in another browser arrive live; after the live
// connection drops, the page catches up on what it missed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PHONE, SCREENSHOTS, USERS, apiAs, assertAccessible, eventually, launch, newPage, screenshots, signIn } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a view-only family member reads the feed, has no message box, and sees a new care update arrive live', async () => {
  const family = await newPage(browser, PHONE);
  const { page } = family;
  await signIn(page, USERS.family);
  await page.waitForURL(/\/family\/client_/);
  await page.getByRole('heading', { name: 'Care updates for Margaret Lee' }).waitFor();
  const feed = page.getByRole('list', { name: 'Care updates for Margaret Lee' });
  await feed.getByRole('article').first().waitFor();
  assert.ok((await feed.getByRole('article').count()) > 0, 'the feed has updates');
  await assertAccessible(page, 'family feed');
  await screenshots(page, 'family-feed');

  // On a phone the navigation sits behind a real menu button.
  const menu = page.getByRole('button', { name: 'Menu' });
  assert.equal(await menu.getAttribute('aria-expanded'), 'false');
  await menu.click();
  assert.equal(await menu.getAttribute('aria-expanded'), 'true');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Care updates' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).waitFor();
  await assertAccessible(page, 'family feed with the phone menu open');
  await menu.click();

  // Messages: readable, but no box to write in at view-only access.
  await page.getByRole('link', { name: 'Messages' }).click();
  await page.getByRole('heading', { name: 'Messages about Margaret Lee' }).waitFor();
  await page.getByText('You can read messages; ask the care coordinator for messaging access').waitFor();
  assert.equal(await page.getByRole('textbox').count(), 0, 'no message box');
  assert.equal(await page.getByRole('button', { name: 'Send' }).count(), 0, 'no send button');
  await assertAccessible(page, 'family messages (view only)');
  await screenshots(page, 'family-messages');

  await page.getByRole('link', { name: 'Updates' }).click();
  await feed.getByRole('article').first().waitFor();
  // The live channel is up before the other person writes.
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  await page.evaluate(() => {
    window.__noReload = true;
  });

  // Meanwhile, in another browser: the care team writes an update the family may see.
  const carer = await newPage(browser);
  await signIn(carer.page, USERS.careTeam);
  await carer.page.waitForURL(/\/care\/client_/);
  await carer.page.getByRole('heading', { name: 'Margaret Lee', level: 1 }).waitFor();
  await carer.page.getByRole('list', { name: 'Care updates for Margaret Lee' }).getByRole('article').first().waitFor();
  await assertAccessible(carer.page, 'care workspace');
  await screenshots(carer.page, 'care-workspace');

  const title = `Afternoon walk ${Date.now()}`;
  const form = carer.page.getByRole('form', { name: 'Write a care update' });
  await form.getByRole('textbox', { name: 'Title', exact: true }).fill(title);
  await form.getByRole('textbox', { name: 'Details', exact: true }).fill('Margaret walked to the garden and back with her frame. In good spirits.');
  await form.getByRole('combobox', { name: 'Type', exact: true }).selectOption('daily_update');
  await form.getByRole('combobox', { name: 'Who can see it' }).selectOption('family_and_team');
  assert.equal(await form.getByRole('checkbox', { name: /Urgent/ }).isChecked(), false);
  await form.getByRole('button', { name: 'Post update' }).click();
  await carer.page.getByRole('status').filter({ hasText: 'Care update posted' }).waitFor();
  // The author sees it in their own feed without a reload.
  await carer.page.getByRole('heading', { name: title }).waitFor();

  // And the family's page shows it, pushed over the live channel.
  await page.getByRole('heading', { name: title }).waitFor({ timeout: 20_000 });
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the family page was not reloaded');

  assert.deepEqual(family.problems, [], 'no errors in the family page');
  assert.deepEqual(carer.problems, [], 'no errors in the care-team page');
  await carer.context.close();
  await family.context.close();
});

test('a family member with messaging access writes to the care team, who see it arrive live', async () => {
  const family = await newPage(browser, PHONE);
  const { page } = family;
  await signIn(page, USERS.familyMessaging);
  await page.waitForURL(/\/family\/client_/);
  await page.getByRole('link', { name: 'Messages' }).click();
  await page.getByRole('heading', { name: 'Messages about Margaret Lee' }).waitFor();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.waitFor();
  assert.equal(await page.getByText('ask the care coordinator for messaging access').count(), 0);
  await assertAccessible(page, 'family messages (messaging)');

  // The care team has the conversation open in another browser.
  const carer = await newPage(browser);
  await signIn(carer.page, USERS.careTeam);
  await carer.page.waitForURL(/\/care\/client_/);
  await carer.page.getByRole('link', { name: 'Messages' }).click();
  await carer.page.getByRole('heading', { name: 'Margaret Lee', level: 1 }).waitFor();
  await carer.page.getByRole('textbox', { name: 'Message' }).waitFor();
  await carer.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  await carer.page.evaluate(() => {
    window.__noReload = true;
  });

  const text = `Could Mum have her hair done on Friday? (${Date.now()})`;
  await box.fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  const mine = page.getByRole('list', { name: 'Messages about Margaret Lee' }).getByText(text);
  await mine.waitFor();
  assert.equal(await box.inputValue(), '', 'the box empties once sent');

  await carer.page.getByRole('list', { name: 'Messages about Margaret Lee' }).getByText(text).waitFor({ timeout: 20_000 });
  assert.equal(await carer.page.evaluate(() => window.__noReload), true, 'the care team page was not reloaded');
  // The care team see who wrote it, by name.
  const sent = carer.page.getByRole('listitem').filter({ hasText: text });
  assert.match(await sent.innerText(), /Demo family\.messaging \(Family\)/);
  await assertAccessible(carer.page, 'care-team messages');
  await screenshots(carer.page, 'care-messages');
  assert.deepEqual(family.problems, []);
  assert.deepEqual(carer.problems, []);
  await carer.context.close();
  await family.context.close();
});

test('a family member whose live connection drops sees the update posted meanwhile once it is back, without a reload', async () => {
  const family = await newPage(browser, PHONE);
  const { page, context } = family;
  // The page's socket goes through a route the test can cut. Not
  // `context.setOffline`: Chromium's offline mode leaves open WebSockets
  // alone (microsoft/playwright#4910), and going back online makes
  // react-query refetch stale queries by itself, which would hide a page
  // that doesn't catch up when the socket comes back.
  let down = false;
  let refused = 0;
  let current = null; // the page's open socket (one per tab)
  await context.routeWebSocket(
    (url) => url.pathname === '/api/ws',
    (ws) => {
      if (down) {
        // The gateway is unreachable: the attempt fails and the page retries.
        refused += 1;
        void ws.close({ code: 1011, reason: 'e2e: unreachable' });
        return;
      }
      ws.connectToServer();
      current = ws;
    },
  );

  await signIn(page, USERS.family);
  await page.waitForURL(/\/family\/client_/);
  const clientId = new URL(page.url()).pathname.split('/')[2];
  const feed = page.getByRole('list', { name: 'Care updates for Margaret Lee' });
  await feed.getByRole('article').first().waitFor();
  const live = page.getByRole('status').filter({ hasText: 'Live' });
  await live.waitFor();
  await page.evaluate(() => {
    window.__noReload = true;
  });

  // The connection drops; the page says so.
  down = true;
  assert.ok(current, 'the page opened its socket through the route');
  await current.close({ code: 1012, reason: 'e2e: connection dropped' });
  await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor();
  await assertAccessible(page, 'family feed while reconnecting');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'family-feed-reconnecting-phone.png') });

  // Meanwhile the care team posts an update the family may see.
  const team = await apiAs(USERS.careTeam);
  const title = `Lunch in the garden ${Date.now()}`;
  await team.call('POST', `/api/clients/${clientId}/progress-notes`, {
    title,
    content: 'Margaret had her lunch outside in the sun and ate all of it.',
    note_type: 'daily_update',
    visibility: 'family_and_team',
    urgent: false,
  });
  // The page tried again after the post and still couldn't get through:
  // the update can only have reached it once the connection is back.
  const refusedAtPost = refused;
  await eventually('a reconnect attempt after the post', () => refused > refusedAtPost);
  assert.equal(await page.getByRole('heading', { name: title }).count(), 0, 'not shown while disconnected');

  // Back: the next attempt (at most 10 s away) connects, and the page refetches what it shows.
  down = false;
  await page.getByRole('heading', { name: title }).waitFor({ timeout: 20_000 });
  await live.waitFor();
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page was not reloaded');
  assert.deepEqual(family.problems, [], 'no errors in the page');
  await context.close();
});
