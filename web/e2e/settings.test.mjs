// Settings beyond templates (spec 000): an admin maps a booking-system
// service to a type, urgency and recall (saved, as the API re-reads it),
// sees a bad value refused next to the field it names, changes a mapping
// inline; and deactivates the read-only user, then activates them again,
// each confirmed in a real dialog (axe with the dialog open).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { USERS, apiAs, assertAccessible, eventually, launch, newPage, screenshots, signIn } from './helpers.mjs';

let browser;
let admin;
before(async () => {
  browser = await launch();
  admin = await apiAs(USERS.admin);
});
after(async () => {
  // Whatever happened, the read-only user is left able to sign in for the other tests.
  if (admin) {
    const { users } = await admin.call('GET', '/api/admin/users');
    const readonly = users.find((u) => u.email === USERS.readonly);
    if (readonly && !readonly.is_active) await admin.call('POST', `/api/admin/users/${readonly.id}/activate`);
  }
  await browser?.close();
});

async function openSettings(page) {
  await signIn(page, USERS.admin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
}

/** The element a control's aria-describedby points to comes to hold `text`
 * (the API's answer arrives after the click). */
async function describedBy(control, text) {
  await eventually(`the field to be described by “${text}”`, async () => {
    const ids = ((await control.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
    const words = await Promise.all(ids.map((id) => control.page().locator(`[id="${id}"]`).textContent()));
    return words.some((w) => w?.includes(text));
  });
}

test('an admin adds a service type mapping, is refused a bad value by field, and edits one inline', async () => {
  const before = await admin.call('GET', '/api/admin/service-types');
  const { page, context, problems } = await newPage(browser);
  await openSettings(page);
  const panel = page.getByRole('region', { name: 'Service types' });
  await panel.waitFor();
  if (before.service_types.length === 0) {
    await panel.getByText(/^No service types yet: /).waitFor();
    await assertAccessible(page, 'Settings, no service types');
  }

  // Refused: a recall too far away, named by field, and nothing saved.
  const form = page.getByRole('form', { name: 'Add a service type' });
  const service = `e2e-scan-${Date.now()}`;
  await form.getByLabel('Service id').fill(service);
  await form.getByLabel('Service type').selectOption('high_risk');
  await form.getByLabel('Urgency').selectOption('high');
  await form.getByLabel('Recall months').fill('999');
  await form.getByRole('button', { name: 'Add service type' }).click();
  const months = form.getByLabel('Recall months');
  await form.getByText(/must be between 1 and \d+, or 0 for the default/).waitFor();
  assert.equal(await months.getAttribute('aria-invalid'), 'true');
  await describedBy(months, 'must be between 1 and');
  const refused = await admin.call('GET', '/api/admin/service-types');
  assert.equal(refused.service_types.find((m) => m.external_service_id === service), undefined, 'nothing saved');
  await assertAccessible(page, 'Settings, a refused service type');
  await screenshots(page, 'settings-service-type-refused');

  // Corrected: saved, listed, and the API has it.
  await months.fill('6');
  await form.getByRole('button', { name: 'Add service type' }).click();
  await form.getByRole('status').filter({ hasText: `Saved ${service}` }).waitFor();
  const row = panel.locator(`tr[data-service="${service}"]`);
  await row.waitFor();
  const saved = (await admin.call('GET', '/api/admin/service-types')).service_types.find((m) => m.external_service_id === service);
  assert.deepEqual(saved, { provider: 'wix', external_service_id: service, service_type: 'high_risk', urgency_level: 'high', recall_months: 6 });
  assert.equal(await form.getByLabel('Service id').inputValue(), '', 'the form is ready for the next');

  // Inline: the row's urgency and months change and save.
  const name = `${service} (wix)`;
  await row.getByLabel(`Urgency of ${name}`).selectOption('medium');
  await row.getByLabel(`Recall months of ${name}`).fill('-1');
  await row.getByRole('button', { name: `Save ${name}` }).click();
  await describedBy(row.getByLabel(`Recall months of ${name}`), 'must be between 1 and');
  await row.getByLabel(`Recall months of ${name}`).fill('9');
  await row.getByRole('button', { name: `Save ${name}` }).click();
  const edited = await eventually('the edited mapping to be saved', async () => {
    const m = (await admin.call('GET', '/api/admin/service-types')).service_types.find((x) => x.external_service_id === service);
    return m?.recall_months === 9 ? m : null;
  });
  assert.deepEqual(edited, { ...saved, urgency_level: 'medium', recall_months: 9 });
  await panel.locator(`tr[data-service="${service}"]`).getByText('9 months').waitFor();
  await assertAccessible(page, 'Settings, service types');
  await screenshots(page, 'settings-service-types');
  // The browser logs the two refusals (400) asked for above; nothing else.
  assert.deepEqual(problems.filter((p) => !/status of 400 \(Bad Request\)/.test(p)), [], 'no errors in the page');
  await context.close();
});

test('an admin deactivates the read-only user and activates them again, each confirmed in a dialog', async () => {
  const { users } = await admin.call('GET', '/api/admin/users');
  const readonly = users.find((u) => u.email === USERS.readonly);
  assert.ok(readonly?.is_active, 'the read-only user starts active');
  const who = readonly.name || readonly.email;

  const { page, context, problems } = await newPage(browser);
  await openSettings(page);
  const list = page.getByRole('list', { name: 'Users' });
  await list.waitFor();
  // No one deactivates themselves: their own row has no button.
  const me = list.locator(`li[data-user="${admin.user.id}"]`);
  await me.getByText("You (you can't deactivate yourself)").waitFor();
  assert.equal(await me.getByRole('button').count(), 0);

  const row = list.locator(`li[data-user="${readonly.id}"]`);
  const deactivate = row.getByRole('button', { name: `Deactivate ${who}` });
  await deactivate.click();
  const dialog = page.getByRole('dialog', { name: `Deactivate ${who}?` });
  await dialog.waitFor();
  assert.equal(await dialog.evaluate((d) => d.tagName === 'DIALOG' && d.open && d.matches(':modal')), true, 'a modal <dialog>');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'focus is in the dialog, on Cancel');
  await assertAccessible(page, 'Settings, the deactivate dialog');
  await screenshots(page, 'settings-deactivate-dialog');

  // Escape cancels: nothing changes, focus returns to the button.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), `Deactivate ${who}`);
  assert.equal((await admin.call('GET', '/api/admin/users')).users.find((u) => u.id === readonly.id).is_active, true);

  await deactivate.click();
  await dialog.getByRole('button', { name: 'Deactivate' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await row.getByText('Deactivated').waitFor();
  const activate = row.getByRole('button', { name: `Activate ${who}` });
  await activate.waitFor();
  assert.equal((await admin.call('GET', '/api/admin/users')).users.find((u) => u.id === readonly.id).is_active, false, 'the API has them deactivated');
  // They can't sign in while deactivated.
  const login = await page.request.post('/api/auth/login', { data: { email: USERS.readonly, password: process.env.ATTEND_DEMO_PASSWORD } });
  assert.notEqual(login.status(), 200);

  await activate.click();
  const again = page.getByRole('dialog', { name: `Activate ${who}?` });
  await again.waitFor();
  await again.getByRole('button', { name: 'Activate' }).click();
  await again.waitFor({ state: 'hidden' });
  await row.getByRole('button', { name: `Deactivate ${who}` }).waitFor();
  assert.equal(await row.getByText('Deactivated').count(), 0);
  assert.equal((await admin.call('GET', '/api/admin/users')).users.find((u) => u.id === readonly.id).is_active, true, 'the API has them active again');
  await assertAccessible(page, 'Settings, users');
  await screenshots(page, 'settings-users');
  assert.deepEqual(problems, [], 'no errors in the page');
  await context.close();
});
