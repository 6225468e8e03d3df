// Business hours, a rule's recent runs, and reassigning to a colleague:
// an admin splits Tuesday into two intervals, is refused one that closes
// before it opens (shown beside that interval, nothing saved), then saves
// a valid week (the API has it; the demo's hours are put back after); an
// admin opens a rule's recent runs and follows a run to its contact; a
// staff member reassigns their task to a named colleague, whose Today
// shows it without a reload.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  PHONE,
  USERS,
  apiAs,
  assertAccessible,
  assertNoSidewaysScroll,
  eventually,
  launch,
  newPage,
  screenshots,
  signIn,
} from './helpers.mjs';

let browser;
let admin;
/** The demo's hours as they were, put back whatever happens. */
let originalHours;
before(async () => {
  browser = await launch();
  admin = await apiAs(USERS.admin);
  originalHours = (await admin.call('GET', '/api/admin/settings')).business_hours;
});
after(async () => {
  if (admin && originalHours) {
    await admin.call('PUT', '/api/admin/settings/business-hours', { business_hours: originalHours });
  }
  await browser?.close();
});

async function openSettings(page) {
  await signIn(page, USERS.admin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
}

/** The text of whatever a control's aria-describedby points to. */
async function description(control) {
  const ids = ((await control.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  const words = await Promise.all(ids.map((id) => control.page().locator(`[id="${id}"]`).textContent()));
  return words.join(' ');
}

/** Only the refusals the test asks for reach the console. */
function unexpected(problems) {
  return problems.filter((p) => !/status of 400 \(Bad Request\)/.test(p));
}

test('an admin splits Tuesday into two intervals: a bad one is refused beside it, then the week saves', async () => {
  assert.equal(originalHours.length, 7, 'the API gives seven days');
  const { page, context, problems } = await newPage(browser);
  await openSettings(page);
  const form = page.getByRole('form', { name: 'Business hours' });
  await form.waitFor();

  // Each day in words, with its saved hours; a day without any says so.
  const tuesday = form.locator('li[data-day="Tuesday"]');
  for (const [d, day] of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].entries()) {
    const row = form.locator(`li[data-day="${day}"]`);
    await row.getByText(day, { exact: true }).first().waitFor();
    if (originalHours[d].length === 0) await row.getByText('Closed', { exact: true }).waitFor();
    for (const [i, [opens, closes]] of originalHours[d].entries()) {
      assert.equal(await form.getByLabel(`${day} opens, interval ${i + 1}`).inputValue(), opens);
      assert.equal(await form.getByLabel(`${day} closes, interval ${i + 1}`).inputValue(), closes);
    }
  }
  assert.equal(await form.getByRole('button', { name: 'Save business hours' }).isDisabled(), true, 'nothing to save yet');

  // Tuesday: the first interval becomes the morning; the second closes before it opens.
  while ((await tuesday.locator('[data-interval]').count()) > 1) {
    await form.getByRole('button', { name: `Remove Tuesday interval ${await tuesday.locator('[data-interval]').count()}` }).click();
  }
  if ((await tuesday.locator('[data-interval]').count()) === 0) {
    await form.getByRole('button', { name: 'Add hours to Tuesday' }).click();
  }
  await form.getByLabel('Tuesday opens, interval 1').fill('09:00');
  await form.getByLabel('Tuesday closes, interval 1').fill('12:00');
  await form.getByRole('button', { name: 'Add an interval to Tuesday' }).click();
  const opens2 = form.getByLabel('Tuesday opens, interval 2');
  const closes2 = form.getByLabel('Tuesday closes, interval 2');
  await opens2.fill('17:00');
  await closes2.fill('13:00');
  await form.getByRole('button', { name: 'Save business hours' }).click();

  // The reason is beside that interval, on both its times, and summed up for the whole form.
  await tuesday.locator('[data-interval="1"]').getByText('must open before it closes').waitFor();
  for (const control of [opens2, closes2]) {
    assert.equal(await control.getAttribute('aria-invalid'), 'true');
    assert.match(await description(control), /must open before it closes/);
  }
  for (const control of [form.getByLabel('Tuesday opens, interval 1'), form.getByLabel('Monday opens, interval 1')]) {
    assert.equal(await control.getAttribute('aria-invalid'), null, 'only the refused interval is marked');
  }
  await form.getByRole('alert').filter({ hasText: 'Tuesday, interval 2: must open before it closes' }).waitFor();
  assert.deepEqual((await admin.call('GET', '/api/admin/settings')).business_hours, originalHours, 'nothing saved');
  assert.equal(await closes2.inputValue(), '13:00', 'what was typed stays to be corrected');
  await assertAccessible(page, 'Settings, refused business hours');
  await screenshots(page, 'settings-hours-refused');

  // Corrected: saved, and the API has the split Tuesday and every other day as it was.
  await opens2.fill('13:00');
  await closes2.fill('17:30');
  await form.getByRole('button', { name: 'Save business hours' }).click();
  await form.getByRole('status').filter({ hasText: 'Business hours saved.' }).waitFor();
  const expected = originalHours.map((day, d) =>
    d === 1
      ? [
          ['09:00', '12:00'],
          ['13:00', '17:30'],
        ]
      : day,
  );
  assert.deepEqual((await admin.call('GET', '/api/admin/settings')).business_hours, expected, 'the API has the new week');
  assert.equal(await opens2.getAttribute('aria-invalid'), null, 'the refusal is gone');
  assert.equal(await form.getByRole('button', { name: 'Save business hours' }).isDisabled(), true, 'saved: nothing more to save');
  await assertAccessible(page, 'Settings, business hours saved');
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, 'Settings with the business hours editor at phone width');
  await screenshots(page, 'settings-hours-saved');
  assert.deepEqual(unexpected(problems), [], 'no errors in the page but the refusal');
  await context.close();
});

test("an admin opens a rule's recent runs, filters them and follows one to its contact", async () => {
  // The demo's seeded rules run on its leads and bookings; find one that has run.
  const { rules } = await admin.call('GET', '/api/automation/rules');
  const { rule, runs } = await eventually(
    'a seeded rule to have run',
    async () => {
      for (const rule of rules) {
        const runs = await admin.call('GET', `/api/automation/rules/${rule.id}/runs?limit=10`);
        if (runs.runs.some((r) => r.contact_id)) return { rule, runs };
      }
      return null;
    },
    { timeout: 30_000, every: 1_000 },
  );
  const fired = await admin.call('GET', `/api/automation/rules/${rule.id}/runs?limit=10&matched=true`);
  const notFired = await admin.call('GET', `/api/automation/rules/${rule.id}/runs?limit=10&matched=false`);

  const { page, context, problems } = await newPage(browser);
  await openSettings(page);
  const row = page.getByRole('list', { name: 'Rules' }).locator(`li[data-rule="${rule.id}"]`);
  const toggle = row.getByRole('button', { name: `Recent runs of ${rule.name}` });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await toggle.click();
  const panel = page.getByRole('region', { name: `Recent runs of ${rule.name}` });
  const items = panel.getByRole('list', { name: `Runs of ${rule.name}` }).locator(':scope > li');
  await items.first().waitFor();
  assert.equal(await row.getByRole('button', { name: `Hide runs of ${rule.name}` }).getAttribute('aria-expanded'), 'true');

  // The last ten, newest first, as the API lists them, each with its contact.
  assert.equal(await items.count(), runs.runs.length);
  for (const [i, run] of runs.runs.entries()) {
    const item = items.nth(i);
    assert.equal(await item.getAttribute('data-run'), run.id, `run ${i + 1} in the API's order`);
    await item.getByText(run.matched ? 'Fired' : "Didn't fire", { exact: true }).waitFor();
    if (run.contact_id) assert.equal(await item.getByRole('link').first().getAttribute('href'), `/contacts/${run.contact_id}`);
  }
  const first = items.filter({ has: page.getByRole('link') }).first();
  await first.getByRole('table').first().waitFor(); // what each condition expected and saw
  if (runs.next_cursor) {
    await panel.getByRole('button', { name: 'Load more runs' }).click();
    await eventually('more runs to be listed', async () => (await items.count()) > runs.runs.length);
  }
  await assertAccessible(page, "Settings, a rule's recent runs");
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page, "Settings with a rule's recent runs at phone width");
  await screenshots(page, 'settings-rule-runs');

  // Only those that fired, then only those that didn't: as the API's `matched` says.
  for (const [label, answer, empty] of [
    ['Fired', fired, 'None of its runs fired'],
    ["Didn't fire", notFired, 'Every run fired'],
  ]) {
    await panel.getByRole('radio', { name: label, exact: true }).check();
    if (answer.runs.length === 0) {
      await panel.getByText(empty).waitFor();
    } else {
      await items.first().waitFor();
      await eventually(`the ${label} runs to be listed`, async () => (await items.first().getAttribute('data-run')) === answer.runs[0].id);
      assert.equal(await items.count(), answer.runs.length);
    }
  }

  // A run's contact link opens the contact.
  await panel.getByRole('radio', { name: 'All', exact: true }).check();
  const link = items.first().getByRole('link').first();
  await link.waitFor();
  const href = await link.getAttribute('href');
  await link.click();
  await page.waitForURL(`**${href}`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  assert.deepEqual(problems, [], 'no errors in the page');
  await context.close();
});

test("a staff member reassigns their task to a named colleague, and it reaches the colleague's Today live", async () => {
  const staff = await apiAs(USERS.staff);
  const { assignees } = await staff.call('GET', '/api/tasks/assignees');
  const colleague = assignees.find((a) => a.id === admin.user.id);
  assert.ok(colleague?.name, `the admin is listed by name for staff (${JSON.stringify(assignees)})`);
  const queue = await staff.call('GET', '/api/tasks?timeframe=all&assigned_to=all&status=open');
  const contact = queue.tasks.find((t) => t.contact?.id)?.contact;
  assert.ok(contact, 'the demo has a contact with a task');
  const marker = `Reassign test ${Date.now()}: over to you.`;
  const { task } = await staff.call('POST', '/api/tasks', {
    contact_id: contact.id,
    type: 'welcome_call',
    due_datetime: Math.floor(Date.now() / 1000) - 3600,
    notes: marker,
    assigned_to: staff.user.id,
  });

  try {
    // The colleague's Today, open in another browser: it should gain the task with no reload.
    const theirs = await newPage(browser);
    await signIn(theirs.page, USERS.admin);
    await theirs.page.waitForURL('**/today');
    await theirs.page.getByRole('button', { name: /All open/ }).click();
    await theirs.page.getByRole('heading', { name: /All open/ }).waitFor();
    await theirs.page.evaluate(() => {
      window.__noReload = true;
    });
    assert.equal(await theirs.page.getByText(marker).count(), 0, 'not theirs yet');

    const { page, context, problems } = await newPage(browser);
    await signIn(page, USERS.staff);
    await page.waitForURL('**/today');
    await page.getByRole('button', { name: /All open/ }).click();
    const card = page.getByRole('list', { name: 'Tasks' }).getByRole('article').filter({ hasText: marker });
    await card.waitFor();
    const title = ((await card.getByRole('heading').textContent()) ?? '').trim();
    await card.getByRole('button', { name: 'Reassign' }).click();
    const form = page.getByRole('form', { name: `Reassign ${title}` });
    const picker = form.getByLabel('Assign to');
    await picker.locator('option', { hasText: colleague.name }).waitFor({ state: 'attached' });
    const options = await picker.locator('option').allTextContents();
    assert.equal(options[0], 'Unassigned (back to the queue)');
    assert.ok(!options.some((o) => o.startsWith('Demo staff')), 'the one who has it is not offered');
    await picker.selectOption({ label: colleague.name });
    await assertAccessible(page, 'Today, reassigning a task');
    await screenshots(page, 'today-reassign');
    await form.getByRole('button', { name: 'Reassign' }).click();
    // Done (announced), or refused (said in the form): a refusal fails with the API's words.
    const outcome = await eventually('the reassignment to be announced or refused', async () => {
      if ((await page.getByRole('status').filter({ hasText: `Reassigned: ${title}` }).count()) > 0) return 'announced';
      const alert = form.getByRole('alert');
      const refused = (await form.count()) > 0 && (await alert.count()) > 0 ? await alert.first().textContent() : null;
      const why = (await form.count()) > 0 ? await description(picker) : '';
      return refused || why ? `refused: ${refused ?? ''} ${why}` : null;
    });
    assert.equal(outcome, 'announced');

    const shown = await staff.call('GET', `/api/tasks/${task.id}`);
    assert.equal(shown.task.assigned_to, colleague.id, 'the API has it assigned to the colleague');
    // Off the staff member's own list, onto the colleague's, without their reload.
    await page.getByLabel('Showing').selectOption('me');
    await card.waitFor({ state: 'detached' });
    await theirs.page.getByText(marker).waitFor({ timeout: 20_000 });
    assert.equal(await theirs.page.evaluate(() => window.__noReload), true, "the colleague's page did not reload");
    assert.deepEqual(problems, [], 'no errors in the page');
    assert.deepEqual(theirs.problems, [], "no errors in the colleague's page");
    await context.close();
    await theirs.context.close();
  } finally {
    await admin.call('POST', `/api/tasks/${task.id}/cancel`, { reason: 'browser test clean-up' });
  }
});
