// Spec 000's staff dashboard: a staff member signs in, sees Today with its
// counts, completes the top task, and the list and counts change without
// a reload.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { USERS, apiAs, assertAccessible, launch, newPage, numberIn, screenshots, signIn } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function counts(page) {
  return {
    overdue: await numberIn(page.getByTestId('count-overdue')),
    today: await numberIn(page.getByTestId('count-today')),
    upcoming: await numberIn(page.getByTestId('count-upcoming')),
  };
}

test('staff complete the top task and the counts change without a reload', async () => {
  // The test's own task: an overdue rescue call for the staff member, so
  // there is always an urgent task to find, whatever earlier runs completed.
  const staff = await apiAs(USERS.staff);
  const queue = await staff.call('GET', '/api/tasks?timeframe=all&assigned_to=all&status=open');
  const contact = queue.tasks.find((t) => t.contact?.id)?.contact;
  assert.ok(contact, 'the demo has a contact with a task');
  const marker = `Browser test ${Date.now()}: call back about the reschedule.`;
  await staff.call('POST', '/api/tasks', {
    contact_id: contact.id,
    type: 'rescue_call',
    due_datetime: Math.floor(Date.now() / 1000) - 6 * 3600,
    notes: marker,
    assigned_to: staff.user.id,
  });

  const { page, context, problems } = await newPage(browser);
  await signIn(page, USERS.staff);
  await page.waitForURL('**/today');
  await page.getByRole('heading', { name: 'Today', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('Showing').inputValue(), 'me', 'Today opens on my tasks');

  await page.getByRole('button', { name: /Overdue/ }).click();
  const tasks = page.getByRole('list', { name: 'Tasks' }).getByRole('article');
  const ours = tasks.filter({ hasText: marker });
  await ours.waitFor();
  assert.match((await ours.getByRole('heading').textContent()) ?? '', new RegExp(`^Rescue call — ${contact.name}$`));
  assert.match((await ours.textContent()) ?? '', /Urgent priority/, 'six hours overdue, a rescue call is urgent (red)');
  await assertAccessible(page, 'Today');
  await screenshots(page, 'today');

  const before = await counts(page);
  const total = before.overdue + before.today + before.upcoming;
  assert.ok(total > 0, `the demo has open tasks (counts ${JSON.stringify(before)})`);
  const listed = await tasks.count();

  // A marker on window: a reload would lose it.
  await page.evaluate(() => {
    window.__noReload = true;
  });

  const top = tasks.first();
  const topName = (await top.getByRole('heading').textContent())?.trim();
  assert.ok(topName, 'the top task has a name');
  // Highest priority first: the top badge is at least as urgent as the second.
  const order = ['Urgent', 'High', 'Medium', 'Low'];
  if (listed > 1) {
    const rank = async (i) => {
      const text = (await tasks.nth(i).textContent()) ?? '';
      return order.findIndex((p) => text.includes(`${p} priority`));
    };
    assert.ok((await rank(0)) <= (await rank(1)), 'tasks are ordered by priority');
  }

  await top.getByRole('button', { name: 'Complete' }).click();
  const form = page.getByRole('form', { name: `Complete ${topName}` });
  await form.getByLabel('Outcome').selectOption('success');
  await form.getByLabel('Notes').fill('Called from the browser test; rescheduled.');
  await assertAccessible(page, 'Today, completing a task');
  await form.getByRole('button', { name: 'Mark complete' }).click();

  // The completed task leaves the list and one count goes down.
  await page.waitForFunction(
    (expected) => {
      const n = (id) => Number(document.querySelector(`[data-testid="count-${id}"]`)?.textContent);
      return n('overdue') + n('today') + n('upcoming') === expected;
    },
    total - 1,
  );
  await page.getByRole('status').filter({ hasText: `Completed: ${topName}` }).waitFor({ state: 'attached' });
  const after = await counts(page);
  assert.equal(after.overdue, before.overdue - 1, 'the overdue count went down by the task completed');
  assert.equal(after.today + after.upcoming, before.today + before.upcoming);
  assert.equal(await page.evaluate(() => window.__noReload), true, 'no page reload happened');
  if (listed === 1) {
    await page.getByText('Nothing overdue').waitFor();
  } else {
    await page.waitForFunction(
      ({ n }) => document.querySelectorAll('[aria-label="Tasks"] > li').length === n,
      { n: listed - 1 },
    );
  }
  assert.deepEqual(problems, [], 'no errors in the page');
  await context.close();
});

test('a read-only user sees the queue but no buttons that would change it', async () => {
  const { page, context } = await newPage(browser);
  await signIn(page, USERS.readonly);
  await page.waitForURL('**/today');
  await page.getByLabel('Showing').selectOption('all');
  await page.getByRole('button', { name: /All open/ }).click();
  const tasks = page.getByRole('list', { name: 'Tasks' }).getByRole('article');
  await tasks.first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Complete' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Claim' }).count(), 0);
  await assertAccessible(page, 'Today (read-only)');
  await context.close();
});
